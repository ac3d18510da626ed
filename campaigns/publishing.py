"""Clear what is cached about a page, and every translation of it, whenever it is published, unpublished or deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished


def clear_on_publish(model: type[Page], clear: Callable[[list[int]], None], *, name: str) -> None:
    """Call ``clear(page ids)`` with the page and its translations when one of them changes state."""

    def receiver(instance: Any, **_kwargs: Any) -> None:
        if isinstance(instance, model) or getattr(instance, "specific_class", None) is model:
            ids = model.objects.filter(translation_key=instance.translation_key).values_list("pk", flat=True)
            clear([*ids, instance.pk])

    page_published.connect(receiver, weak=False, dispatch_uid=f"{name}_publish")
    page_unpublished.connect(receiver, weak=False, dispatch_uid=f"{name}_unpublish")
    post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{name}_delete")
