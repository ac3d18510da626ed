"""Insights: giving-pattern analytics for staff (when, where, how and how long people give).

models.py     the per-gift fold record (GiftFact), the rollup tables, exchange rates, spike notes
hijri.py      Gregorian to Hijri dates (hijridate's Umm al-Qura table, else the tabular calendar)
rates.py      conversion to the reporting currency in integer minor units, and the CSV import
services.py   the incremental fold, the rebuild, annotations
selectors.py  every figure the Insights pages show, each with the data table it is drawn from
charts.py     server-rendered SVG and HTML charts (no JavaScript, readable in print)
admin.py      the Wagtail admin section (permission ``donations.view_insights``)
advocacy.py   the registry through which campaigns lends signatures and march participants
digest.py     the weekly digest email to staff
"""
