"""Starting a gift: from a valid form to a pending gift, then to the gateway's payment.

Every submission of one form carries the same attempt id; the database keeps
it unique, so a double click, a retried request or twenty concurrent copies
make one gift, and the gateway is called with idempotency keys derived from
that id, under a row lock, so they make one PaymentIntent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone

from donations.gateways import default_gateway_name, gateway_for
from donations.models import Donation, DonationEvent, DonorSurvey, FeeRule, Frequency, RecurringGift
from donations.money import check_limits, fee_to_cover
from donations.services.events import donation_event_record
from supporters.models import Consent
from supporters.services import consent_record, supporter_for_email


@dataclass(frozen=True)
class Consented:
    """A consent as the donor saw it: the exact words and their version."""

    wording: str
    version: str


@dataclass(frozen=True)
class GiftRequest:
    """What a valid donation form asks for."""

    attempt_id: uuid.UUID
    amount_minor: int
    currency: str
    frequency: str
    name: str
    email: str
    language: str = "en"
    cover_fee: bool = False
    anonymous: bool = False
    message: str = ""
    tribute: str = ""
    tribute_name: str = ""
    tribute_notify_name: str = ""
    tribute_notify_email: str = ""
    address: dict[str, str] = field(default_factory=dict)
    email_updates: Consented | None = None
    survey: dict[str, str] | None = None
    survey_consent: Consented | None = None
    fund_id: int | None = None
    designation_page_id: int | None = None
    surface: str = Donation.Surface.PAGE
    source_page_id: int | None = None
    utm: dict[str, str] = field(default_factory=dict)
    referrer_class: str = ""
    device_class: str = ""
    velocity_ip_key: str = ""


def fee_for(amount_minor: int, currency: str) -> int:
    """The extra that covers the card fee on this gift, from the staff's fee schedule."""
    rule = FeeRule.objects.filter(currency=currency).first()
    if rule is None:
        return 0
    return fee_to_cover(amount_minor, currency, percent_bp=rule.percent_bp, fixed_minor=rule.fixed_minor)


def donation_start(*, gift: GiftRequest, prepare_payment: bool = False) -> tuple[Donation, bool]:
    """A pending gift for this request, or the one an earlier copy of it made (then False).

    With ``prepare_payment`` the gateway's payment is made in the same
    transaction, after the gift's row exists: a concurrent copy of the form
    waits on the unique attempt id, then finds the gift with its payment, so
    the gateway is called once whatever the gateway does with idempotency keys.
    A gateway error rolls everything back; the donor can submit again.
    """
    fee = fee_for(gift.amount_minor, gift.currency) if gift.cover_fee else 0
    total = gift.amount_minor + fee
    check_limits(total, gift.currency)
    gateway = default_gateway_name()
    try:
        with transaction.atomic():
            supporter = supporter_for_email(email=gift.email, name=gift.name, language=gift.language)
            recurring = None
            designation = {"fund_id": gift.fund_id, "designation_page_id": gift.designation_page_id}
            if gift.frequency == Frequency.MONTHLY:
                recurring = RecurringGift.objects.create(
                    supporter=supporter,
                    amount_minor=total,
                    currency=gift.currency,
                    fee_covered_minor=fee,
                    gateway=gateway,
                    language=gift.language,
                    **designation,
                )
            donation = Donation(
                attempt_id=gift.attempt_id,
                supporter=supporter,
                recurring_gift=recurring,
                amount_minor=total,
                currency=gift.currency,
                fee_covered_minor=fee,
                frequency=gift.frequency,
                gateway=gateway,
                anonymous=gift.anonymous,
                message=gift.message,
                tribute=gift.tribute,
                tribute_name=gift.tribute_name if gift.tribute else "",
                tribute_notify_name=gift.tribute_notify_name if gift.tribute else "",
                tribute_notify_email=gift.tribute_notify_email if gift.tribute else "",
                language=gift.language,
                surface=gift.surface,
                source_page_id=gift.source_page_id,
                referrer_class=gift.referrer_class,
                device_class=gift.device_class,
                velocity_ip_key=gift.velocity_ip_key,
                **{f"address_{name}": value for name, value in gift.address.items()},
                **{f"utm_{name}": value[:100] for name, value in gift.utm.items()},
                **designation,
            )
            prepared = False
            if prepare_payment and recurring is None and gateway_for(gateway).creates_payments_locally:
                # Nothing leaves the server: the payment is made first and written with the gift.
                _prepare(donation, None, save=False)
                prepared = True
            donation.save(force_insert=True)
            DonationEvent.objects.create(  # a new gift: its key cannot exist yet
                key=f"created:{donation.reference}",
                kind=DonationEvent.Kind.CREATED,
                occurred_at=timezone.now().replace(microsecond=0),
                donation=donation,
                recurring_gift=recurring,
                amount_minor=total,
                currency=gift.currency,
                detail={"fee_covered": fee, "frequency": gift.frequency, "gateway": gateway},
            )
            if gift.email_updates is not None:
                consent_record(
                    supporter=supporter,
                    topic=Consent.Topic.EMAIL_UPDATES,
                    granted=True,
                    wording=gift.email_updates.wording,
                    wording_version=gift.email_updates.version,
                    source="donation_form",
                )
            if gift.survey and gift.survey_consent is not None:
                consent_record(
                    supporter=supporter,
                    topic=Consent.Topic.DEMOGRAPHICS,
                    granted=True,
                    wording=gift.survey_consent.wording,
                    wording_version=gift.survey_consent.version,
                    source="donation_form",
                )
                DonorSurvey.objects.create(supporter=supporter, **gift.survey)
            if prepare_payment and not prepared:
                _prepare(donation, recurring)
    except IntegrityError:
        existing = Donation.objects.filter(attempt_id=gift.attempt_id).first()
        if existing is None:
            raise
        return existing, False
    return donation, True


def donation_make_monthly(*, donation: Donation, amount_minor: int) -> Donation:
    """Turn a pending one-time gift into the first month of a monthly gift (the upsell), before payment."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
        if donation.frequency == Frequency.MONTHLY or donation.payment_intent_id:
            return donation
        check_limits(amount_minor, donation.currency)
        fee = fee_for(amount_minor, donation.currency) if donation.fee_covered_minor else 0
        recurring = RecurringGift.objects.create(
            supporter=donation.supporter,
            amount_minor=amount_minor + fee,
            currency=donation.currency,
            fee_covered_minor=fee,
            gateway=donation.gateway,
            language=donation.language,
            fund=donation.fund,
            designation_page=donation.designation_page,
        )
        donation.recurring_gift = recurring
        donation.frequency = Frequency.MONTHLY
        donation.amount_minor = amount_minor + fee
        donation.fee_covered_minor = fee
        donation.save(update_fields=["recurring_gift", "frequency", "amount_minor", "fee_covered_minor", "updated_at"])
        donation_event_record(
            key=f"made-monthly:{donation.reference}",
            kind=DonationEvent.Kind.SUBSCRIPTION_UPDATED,
            occurred_at=timezone.now(),
            donation=donation,
            amount_minor=donation.amount_minor,
            detail={"upsell": True},
        )
    return donation


def _prepare(donation: Donation, recurring: RecurringGift | None, *, save: bool = True) -> None:
    """Make the gateway's payment for a gift whose row is locked (or new) in this transaction.

    ``save=False`` only fills in the payment's fields, for a one-time gift not yet written.
    """
    gateway = gateway_for(donation.gateway)
    customer_id = gateway.customer_for(donation.supporter)
    key = str(donation.attempt_id or donation.reference)
    if recurring is not None:
        setup = gateway.create_subscription(recurring, customer_id=customer_id, idempotency_key=f"subscription-{key}")
        recurring.subscription_id = setup.subscription_id
        recurring.price_id = setup.price_id
        recurring.customer_id = customer_id
        if donation.gateway == "sandbox":
            recurring.next_charge_on = timezone.localdate() + relativedelta(months=1)
        recurring.save(update_fields=["subscription_id", "price_id", "customer_id", "next_charge_on", "updated_at"])
        donation.invoice_id = setup.invoice_id
    else:
        setup = gateway.create_payment(donation, customer_id=customer_id, idempotency_key=f"payment-{key}")
    donation.payment_intent_id = setup.payment_intent_id
    donation.client_secret = setup.client_secret
    donation.customer_id = customer_id
    if save:
        donation.save(update_fields=["payment_intent_id", "client_secret", "customer_id", "invoice_id", "updated_at"])


def payment_prepare(*, donation: Donation) -> Donation:
    """Create the gateway's payment for this gift once; later calls return what was made."""
    if donation.payment_intent_id:
        return donation
    with transaction.atomic():
        donation = Donation.objects.select_for_update(of=("self",)).select_related("supporter").get(pk=donation.pk)
        if not donation.payment_intent_id:
            recurring = (
                RecurringGift.objects.select_for_update().get(pk=donation.recurring_gift_id)
                if donation.recurring_gift_id
                else None
            )
            _prepare(donation, recurring)
    return donation
