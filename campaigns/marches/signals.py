"""Keep the status endpoint's cached view of a march (title, window, targets) in step with publishing."""

from __future__ import annotations

from campaigns.marches.models import VirtualMarchPage
from campaigns.marches.selectors import status_clear
from campaigns.publishing import clear_on_publish

clear_on_publish(VirtualMarchPage, status_clear, name="marches_status")
