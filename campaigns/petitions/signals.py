"""Keep the sign path's cached view of a petition (state, dates, milestones) in step with publishing."""

from __future__ import annotations

from campaigns.petitions.abuse import petition_sign_info_clear
from campaigns.petitions.models import PetitionPage
from campaigns.publishing import clear_on_publish

clear_on_publish(PetitionPage, petition_sign_info_clear, name="petitions")
