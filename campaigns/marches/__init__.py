"""Virtual marches: VirtualMarchPage, booked call slots, reminders, the march room, letters."""
