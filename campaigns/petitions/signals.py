"""Keep the sign path's cached view of a petition (state, dates, milestones) in step with publishing."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from campaigns.petitions.abuse import petition_sign_info_clear
from campaigns.petitions.models import PetitionPage


def _clear(instance: Any, **_kwargs: Any) -> None:
    if isinstance(instance, PetitionPage) or getattr(instance, "specific_class", None) is PetitionPage:
        ids = list(PetitionPage.objects.filter(translation_key=instance.translation_key).values_list("pk", flat=True))
        petition_sign_info_clear([*ids, instance.pk])


page_published.connect(_clear, dispatch_uid="petitions_publish")
page_unpublished.connect(_clear, dispatch_uid="petitions_unpublish")
post_delete.connect(_clear, sender=PetitionPage, dispatch_uid="petitions_delete")
