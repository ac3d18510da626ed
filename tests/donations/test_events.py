"""Gateway events delivered twice, late or out of order end in the state in-order delivery gives."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import pytest
from django.core import mail
from django.utils import timezone

from donations.gateways.events import normalize
from donations.models import Donation, DonationEvent, RecurringGift, WebhookEvent
from donations.services import event_apply, webhook_event_apply, webhook_event_store, webhook_events_drain
from supporters.models import Supporter

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


def event(kind: str, obj: dict, created: int) -> dict:
    return {"id": f"evt_{next(_ids):06d}", "object": "event", "type": kind, "created": created, "data": {"object": obj}}


def intent(pi: str, status: str, amount: int = 5000, **extra) -> dict:
    return {"id": pi, "object": "payment_intent", "amount": amount, "amount_received": amount if status == "succeeded"
            else 0, "currency": "usd", "status": status, "latest_charge": f"ch_{pi}", **extra}  # fmt: skip


def charge(pi: str, refunded: int = 0, **extra) -> dict:
    return {"id": f"ch_{pi}", "object": "charge", "payment_intent": pi, "amount": 5000, "currency": "usd",
            "amount_refunded": refunded, **extra}  # fmt: skip


def dispute(pi: str, status: str) -> dict:
    return {"id": f"dp_{pi}", "object": "dispute", "payment_intent": pi, "charge": f"ch_{pi}", "amount": 5000,
            "currency": "usd", "status": status}  # fmt: skip


def invoice(sub: str, number: int, paid: bool) -> dict:
    return {"id": f"in_{sub}_{number}", "object": "invoice", "subscription": sub, "payment_intent": f"pi_{sub}_{number}",
            "amount_paid" if paid else "amount_due": 2000, "currency": "usd"}  # fmt: skip


def scenario(index: int, prefix: str, t0: int) -> tuple[str, list[dict]]:
    """One gift's story in Stripe events, in the order they happened."""
    pi = f"pi_{prefix}{index}"
    t = itertools.count(t0, 7)
    kind = index % 6
    if kind == 0:  # authenticated, paid, refunded in two steps
        return pi, [event("payment_intent.requires_action", intent(pi, "requires_action"), next(t)),
                    event("payment_intent.succeeded", intent(pi, "succeeded"), next(t)),
                    event("charge.succeeded", charge(pi, payment_method_details={"type": "card", "card": {"brand": "visa", "last4": "4242"}}), next(t)),
                    event("charge.refunded", charge(pi, 1000), next(t)),
                    event("charge.refunded", charge(pi, 5000), next(t))]  # fmt: skip
    if kind == 1:  # processing, failed, then paid with another card
        return pi, [event("payment_intent.processing", intent(pi, "processing"), next(t)),
                    event("payment_intent.payment_failed", intent(pi, "requires_payment_method",
                          last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"}), next(t)),
                    event("payment_intent.succeeded", intent(pi, "succeeded"), next(t))]  # fmt: skip
    if kind == 2:  # paid, disputed, lost
        return pi, [event("payment_intent.succeeded", intent(pi, "succeeded"), next(t)),
                    event("charge.dispute.created", dispute(pi, "needs_response"), next(t)),
                    event("charge.dispute.closed", dispute(pi, "lost"), next(t))]  # fmt: skip
    if kind == 3:  # paid, disputed and won, then partly refunded
        return pi, [event("payment_intent.succeeded", intent(pi, "succeeded"), next(t)),
                    event("charge.dispute.created", dispute(pi, "needs_response"), next(t)),
                    event("charge.dispute.closed", dispute(pi, "won"), next(t)),
                    event("charge.refunded", charge(pi, 2000), next(t))]  # fmt: skip
    if kind == 4:  # declined twice
        return pi, [event("payment_intent.payment_failed", intent(pi, "requires_payment_method",
                          last_payment_error={"code": "card_declined"}), next(t)),
                    event("payment_intent.payment_failed", intent(pi, "requires_payment_method",
                          last_payment_error={"code": "expired_card"}), next(t))]  # fmt: skip
    sub = f"sub_{prefix}{index}"  # a monthly gift: renewals paid, one failed, past due, then canceled
    return sub, [event("invoice.paid", invoice(sub, 1, True), next(t)),
                 event("customer.subscription.updated", {"id": sub, "object": "subscription", "status": "active"}, next(t)),
                 event("invoice.paid", invoice(sub, 2, True), next(t)),
                 event("invoice.payment_failed", invoice(sub, 3, False), next(t)),
                 event("customer.subscription.updated", {"id": sub, "object": "subscription", "status": "past_due"}, next(t)),
                 event("customer.subscription.deleted", {"id": sub, "object": "subscription", "status": "canceled"}, next(t))]  # fmt: skip


@dataclass
class World:
    """A set of gifts, as our database has them before any event arrives."""

    prefix: str
    refs: list[str]
    events: list[dict]


def build_world(prefix: str, gifts: int, t0: int = 1_800_000_000) -> World:
    supporter = Supporter.objects.create(email=f"{prefix}@example.org", name=prefix)
    refs, events = [], []
    for index in range(gifts):
        ref, story = scenario(index, prefix, t0 + index)
        if ref.startswith("pi_"):
            Donation.objects.create(
                supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe", payment_intent_id=ref
            )
        else:
            RecurringGift.objects.create(
                supporter=supporter, amount_minor=2000, currency="USD", gateway="stripe", subscription_id=ref
            )
        refs.append(ref)
        events.extend(story)
    return World(prefix, refs, events)


def deliver(world: World, events: list[dict]) -> None:
    """Through the real pipeline: store once by id, then the task's work (twice for a redelivered id)."""
    for payload in events:
        stored, _new = webhook_event_store(gateway="stripe", payload=payload)
        webhook_event_apply(pk=stored.pk)


def final_state(world: World) -> list[tuple]:
    state = []
    for ref in world.refs:
        strip = ref.replace(world.prefix, "")
        if ref.startswith("pi_"):
            gift = Donation.objects.get(payment_intent_id=ref)
            # Refunds are reported as running totals (charge.refunded), so a total that arrives before an
            # earlier one is recorded as one refund rather than two: the sum is what must match.
            events = sorted((e.kind, e.amount_minor) for e in gift.events.exclude(kind="refunded"))
            events.append(("refunded", sum(gift.events.filter(kind="refunded").values_list("amount_minor", flat=True))))
            state.append((strip, gift.status, gift.amount_refunded_minor, gift.dispute_status, gift.failure_code,
                          gift.card_last4, gift.succeeded_at, gift.failed_at, events))  # fmt: skip
        else:
            recurring = RecurringGift.objects.get(subscription_id=ref)
            months = sorted((d.invoice_id.replace(world.prefix, ""), d.status, d.amount_minor)
                            for d in recurring.donations.all())  # fmt: skip
            state.append((strip, recurring.status, recurring.canceled_at, months))
    return state


def test_a_thousand_shuffled_events_with_duplicates_converge():
    in_order = build_world("zA", 264)
    shuffled = build_world("zB", 264)
    assert len(in_order.events) == len(shuffled.events) == 1012

    deliver(in_order, in_order.events)
    rng = random.Random(20261122)
    mixed = shuffled.events + rng.sample(shuffled.events, k=len(shuffled.events) // 5)
    rng.shuffle(mixed)
    deliver(shuffled, mixed)

    assert final_state(shuffled) == final_state(in_order)
    # Duplicates were stored once.
    assert WebhookEvent.objects.filter(event_id__in=[e["id"] for e in shuffled.events]).count() == 1012
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.Status.PROCESSED}


def test_the_converged_states_are_the_right_ones():
    world = build_world("zC", 6)
    deliver(world, world.events)
    states = {row[0]: row for row in final_state(world)}
    assert states["pi_0"][1:3] == ("refunded", 5000)
    assert states["pi_1"][1] == "succeeded" and states["pi_1"][4] == "insufficient_funds"
    assert states["pi_2"][1:4] == ("dispute_lost", 0, "lost")
    assert states["pi_3"][1:4] == ("partially_refunded", 2000, "won")
    assert states["pi_4"][1] == "failed" and states["pi_4"][4] == "expired_card"
    sub = states["sub_5"]
    assert sub[1] == RecurringGift.Status.CANCELED
    assert [month[1] for month in sub[3]] == ["succeeded", "succeeded", "failed"]
    # Refund events add up to the refunded total: the ledger can post them one by one.
    refunds = DonationEvent.objects.filter(kind="refunded", donation__payment_intent_id="pi_zC0")
    assert sorted(refunds.values_list("amount_minor", flat=True)) == [1000, 4000]


def test_a_refund_total_arriving_late_moves_nothing_back():
    world = build_world("zD", 1)
    paid, details, first_refund, full_refund = world.events[1:]
    deliver(world, [paid, full_refund, first_refund, details])
    gift = Donation.objects.get(payment_intent_id="pi_zD0")
    assert (gift.status, gift.amount_refunded_minor) == ("refunded", 5000)
    assert list(gift.events.filter(kind="refunded").values_list("amount_minor", flat=True)) == [5000]


def test_a_late_failure_never_undoes_a_success():
    world = build_world("zE", 2)
    processing, failed, succeeded = world.events[5:8]
    deliver(world, [succeeded, failed, processing])
    assert Donation.objects.get(payment_intent_id="pi_zE1").status == "succeeded"


def test_an_event_for_an_unknown_payment_waits_and_is_applied_later():
    payload = event("payment_intent.succeeded", intent("pi_later", "succeeded"), 1_800_000_000)
    stored, _new = webhook_event_store(gateway="stripe", payload=payload)
    assert webhook_event_apply(pk=stored.pk) == WebhookEvent.Status.RETRYING
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.RETRYING and stored.attempts == 1
    assert stored.next_attempt_at > timezone.now()
    # Not due yet: a drain leaves it alone.
    assert webhook_events_drain() == (0, False)
    supporter = Supporter.objects.create(email="late@example.org")
    Donation.objects.create(supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe",
                            payment_intent_id="pi_later")  # fmt: skip
    WebhookEvent.objects.filter(pk=stored.pk).update(next_attempt_at=timezone.now())
    assert webhook_events_drain() == (1, False)
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert Donation.objects.get(payment_intent_id="pi_later").status == "succeeded"


def test_an_event_that_never_finds_its_payment_fails_after_ten_tries():
    payload = event("payment_intent.succeeded", intent("pi_never", "succeeded"), 1_800_000_000)
    stored, _new = webhook_event_store(gateway="stripe", payload=payload)
    statuses = [webhook_event_apply(pk=stored.pk) for _ in range(10)]
    assert statuses == ["retrying"] * 9 + ["failed"]
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("failed", 10, None)
    assert "pi_never" in stored.last_error


def test_a_drain_applies_waiting_events_in_order_of_arrival(settings):
    from django.core.cache import cache

    from config.celery import app as celery_app
    from donations.services.webhooks import DRAIN_QUEUED

    supporter = Supporter.objects.create(email="drain@example.org")
    Donation.objects.create(supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe",
                            payment_intent_id="pi_drain")  # fmt: skip
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    try:
        stored = [
            webhook_event_store(gateway="stripe", payload=payload)[0]
            for payload in (
                event("payment_intent.processing", intent("pi_drain", "processing"), 1_800_000_000),
                event("payment_intent.succeeded", intent("pi_drain", "succeeded"), 1_800_000_010),
                event("charge.refunded", charge("pi_drain", 1500), 1_800_000_020),
            )
        ]
        from donations.services import webhooks

        webhooks._kick_seen_at = -1e9  # as in a new worker process
        for item in stored:  # what the commits would run: the first queues a drain, the others see it queued
            webhooks._process_soon(item.pk)
        assert cache.get(DRAIN_QUEUED) == 1
    finally:
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    assert webhook_events_drain() == (3, False)
    assert cache.get(DRAIN_QUEUED) is None
    gift = Donation.objects.get(payment_intent_id="pi_drain")
    assert (gift.status, gift.amount_refunded_minor) == ("partially_refunded", 1500)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_stored_while_a_drain_runs_is_applied_by_it(settings):
    """A process that saw the drain queued a moment ago queues no other; the drain still applies its event."""
    import threading

    from django.core.cache import cache
    from django.db import connections

    from config.celery import app as celery_app
    from donations.services import webhooks

    supporter = Supporter.objects.create(email="late@example.org")
    Donation.objects.create(supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe",
                            payment_intent_id="pi_late")  # fmt: skip
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    try:
        first, _ = webhook_event_store(gateway="stripe", payload=event("payment_intent.processing",
                                                                       intent("pi_late", "processing"), 1_800_000_000))  # fmt: skip
        webhooks._kick_seen_at = -1e9
        webhooks._process_soon(first.pk)  # queues the drain and remembers seeing it
        assert cache.get(webhooks.DRAIN_QUEUED) == 1
        result: list[tuple[int, bool]] = []

        def run_drain() -> None:
            try:
                result.append(webhook_events_drain())
            finally:
                connections.close_all()

        drain = threading.Thread(target=run_drain)
        drain.start()  # the drain starts and clears the flag...
        while cache.get(webhooks.DRAIN_QUEUED) is not None:
            pass
        late, _ = webhook_event_store(gateway="stripe", payload=event("payment_intent.succeeded",
                                                                      intent("pi_late", "succeeded"), 1_800_000_010))  # fmt: skip
        webhooks._process_soon(late.pk)  # ...and this process, inside its debounce window, queues nothing
        assert cache.get(webhooks.DRAIN_QUEUED) is None
        drain.join()
    finally:
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    assert result == [(2, False)]
    assert Donation.objects.get(payment_intent_id="pi_late").status == "succeeded"


def test_applying_a_fact_twice_records_it_once_and_thanks_once(django_capture_on_commit_callbacks):
    supporter = Supporter.objects.create(email="once@example.org", name="Once")
    Donation.objects.create(supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe",
                            payment_intent_id="pi_once")  # fmt: skip
    [fact] = normalize(
        event("payment_intent.succeeded", intent("pi_once", "succeeded"), 1_800_000_000), gateway="stripe"
    )
    with django_capture_on_commit_callbacks(execute=True):
        event_apply(fact)
        event_apply(fact)
    assert DonationEvent.objects.filter(kind="succeeded").count() == 1
    assert len(mail.outbox) == 1


def test_unknown_event_types_are_kept_and_ignored():
    stored, _new = webhook_event_store(
        gateway="stripe", payload=event("customer.created", {"id": "cus_1", "object": "customer"}, 1_800_000_000)
    )
    assert webhook_event_apply(pk=stored.pk) == WebhookEvent.Status.IGNORED
