"""Keep the status endpoint's cached view of a march (title, window, targets) in step with publishing."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from campaigns.marches.models import VirtualMarchPage
from campaigns.marches.selectors import status_clear


def _clear(instance: Any, **_kwargs: Any) -> None:
    if isinstance(instance, VirtualMarchPage) or getattr(instance, "specific_class", None) is VirtualMarchPage:
        ids = VirtualMarchPage.objects.filter(translation_key=instance.translation_key).values_list("pk", flat=True)
        status_clear([*ids, instance.pk])


page_published.connect(_clear, dispatch_uid="marches_status_publish")
page_unpublished.connect(_clear, dispatch_uid="marches_status_unpublish")
post_delete.connect(_clear, sender=VirtualMarchPage, dispatch_uid="marches_status_delete")
