"""Communication preferences: opt-in per topic, kept as Consent rows (wording, version, time).

The current choice for a topic is the latest Consent row for it; nothing is
ever edited. Changing a preference adds one row per topic that changed
(granted, or a withdrawal), and sends ``preference_changed`` so the apps that
mail people (campaigns, for petition updates) stop at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supporters.models import Consent, Supporter
from supporters.services import consent_record

# Sent after a topic changed: preference_changed.send(sender=Supporter, supporter=..., topic=..., granted=...)
preference_changed = Signal()
WORDING_VERSION = "preferences-v1"


@dataclass(frozen=True)
class Topic:
    key: str
    label: Promise
    wording: Promise


TOPICS: tuple[Topic, ...] = (
    Topic(
        Consent.Topic.EMAIL_UPDATES,
        _("News and appeals"),
        _("Send me news about our work and appeals for support by email."),
    ),
    Topic(
        Consent.Topic.PETITION_UPDATES,
        _("Updates on petitions I signed"),
        _("Email me when a petition I signed reaches a milestone or has news."),
    ),
    Topic(
        Consent.Topic.ACTION_ALERTS,
        _("Invitations to act"),
        _("Email me about new petitions and virtual marches I can join."),
    ),
)
TOPIC_KEYS = tuple(topic.key for topic in TOPICS)


def preferences_current(supporter: Supporter) -> dict[str, bool]:
    """Each topic's current choice: the latest Consent row, or not opted in."""
    current = dict.fromkeys(TOPIC_KEYS, False)
    seen: set[str] = set()
    for topic, granted in (
        Consent.objects.filter(supporter=supporter, topic__in=TOPIC_KEYS)
        .order_by("-created_at", "-pk")
        .values_list("topic", "granted")
    ):
        if topic not in seen:
            seen.add(topic)
            current[topic] = granted
    return current


def preferences_set(*, supporter: Supporter, choices: dict[str, bool], source: str) -> list[Consent]:
    """Record the topics whose choice changed (one new Consent row each); the others are left alone."""
    by_key = {topic.key: topic for topic in TOPICS}
    recorded = []
    with transaction.atomic():
        Supporter.objects.select_for_update().get(pk=supporter.pk)
        current = preferences_current(supporter)
        for key, granted in choices.items():
            if key not in by_key or current[key] == bool(granted):
                continue
            recorded.append(
                consent_record(
                    supporter=supporter,
                    topic=key,
                    granted=bool(granted),
                    wording=str(by_key[key].wording),
                    wording_version=WORDING_VERSION,
                    source=source,
                )
            )
        for consent in recorded:
            transaction.on_commit(
                lambda consent=consent: preference_changed.send(
                    sender=Supporter, supporter=supporter, topic=consent.topic, granted=consent.granted
                )
            )
    return recorded
