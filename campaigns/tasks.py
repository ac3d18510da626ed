"""Celery tasks of the campaigns app (autodiscovered here), defined in each part's tasks module."""

from campaigns.marches.tasks import *  # noqa: F403
from campaigns.petitions.tasks import *  # noqa: F403
from campaigns.proposals.tasks import *  # noqa: F403
