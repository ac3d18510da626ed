"""What staff do to gifts: refunds through the gateway, and offline gifts they received."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.gateways import GatewayError, gateway_for
from donations.gateways.events import GatewayEvent, Kind
from donations.ledger.services import audit_record
from donations.models import Donation, DonationEvent, Frequency, GatewayName, RefundRequest
from donations.money import format_money
from donations.services.events import donation_event_record, event_apply
from supporters.services import supporter_for_email


def donation_refund(
    *, donation: Donation, amount_minor: int, reason: str, user, request_id: uuid.UUID
) -> RefundRequest:
    """Refund part or all of a paid gift, once per request id (the form's), through its gateway.

    A resubmitted form finds its first request and refunds nothing more.
    """
    if not reason.strip():
        raise ValidationError(_("Give a reason for the refund."))
    try:
        with transaction.atomic():
            locked = Donation.objects.select_for_update().get(pk=donation.pk)
            existing = RefundRequest.objects.filter(pk=request_id).first()
            if existing is not None:
                return existing
            if locked.gateway == GatewayName.OFFLINE:
                raise ValidationError(_("Offline gifts are refunded outside the platform."))
            if amount_minor <= 0 or amount_minor > locked.refundable_minor:
                raise ValidationError(
                    _("You can refund up to %(amount)s.")
                    % {"amount": format_money(locked.refundable_minor, locked.currency)}
                )
            request = RefundRequest.objects.create(
                id=request_id, donation=locked, amount_minor=amount_minor, reason=reason.strip(), requested_by=user
            )
            donation_event_record(
                key=f"refund-requested:{request.pk}",
                kind=DonationEvent.Kind.REFUND_REQUESTED,
                occurred_at=timezone.now(),
                donation=locked,
                amount_minor=amount_minor,
                actor=user,
                detail={"reason": request.reason},
            )
            result = gateway_for(locked.gateway).refund(
                locked, amount_minor=amount_minor, reason=request.reason, idempotency_key=f"refund-{request.pk}"
            )
            request.status = RefundRequest.Status.SUCCEEDED
            request.gateway_refund_id = result.refund_id
            request.save(update_fields=["status", "gateway_refund_id"])
            audit_record(
                actor=user,
                action="donation.refunded",
                obj=locked,
                summary=_("Refund of %(amount)s on gift %(reference)s")
                % {"amount": format_money(amount_minor, locked.currency), "reference": locked.short_reference},
                detail={
                    "refund_request": str(request.pk),
                    "amount_minor": amount_minor,
                    "currency": locked.currency,
                    "reason": request.reason,
                    "gateway_refund_id": result.refund_id,
                },
            )
    except IntegrityError:  # the same form, submitted twice at once
        return RefundRequest.objects.get(pk=request_id)
    except GatewayError as exc:
        RefundRequest.objects.create(
            id=request_id,
            donation=donation,
            amount_minor=amount_minor,
            reason=reason.strip(),
            requested_by=user,
            status=RefundRequest.Status.FAILED,
            error=exc.message,
        )
        raise ValidationError(
            _("The payment processor refused the refund: %(error)s") % {"error": exc.message}
        ) from exc
    if donation.gateway == GatewayName.STRIPE:
        # Record the new total now; the charge.refunded webhook that follows changes nothing more.
        event_apply(
            GatewayEvent(
                key=f"stripe:refund:{result.refund_id}",
                kind=Kind.REFUND_TOTAL,
                gateway=donation.gateway,
                occurred_at=timezone.now(),
                payment_intent=donation.payment_intent_id,
                amount_minor=result.total_refunded_minor,
                currency=donation.currency,
            )
        )
    return request


def donation_record_offline(
    *,
    name: str,
    email: str,
    amount_minor: int,
    currency: str,
    method: str,
    received_on: date,
    reference: str,
    evidence: UploadedFile | None,
    user,
    fund_id: int | None = None,
    designation_page_id: int | None = None,
    anonymous: bool = False,
    language: str = "en",
    request_id: uuid.UUID,
) -> Donation:
    """A gift received by cash, cheque or bank transfer, recorded once per form (its request id)."""
    if amount_minor <= 0:
        raise ValidationError(_("Enter an amount greater than zero."))
    if received_on > timezone.localdate():
        raise ValidationError(_("The date received cannot be in the future."))
    existing = Donation.objects.filter(attempt_id=request_id).first()
    if existing is not None:
        return existing
    received_at = timezone.make_aware(datetime.combine(received_on, time(12, 0)))
    try:
        with transaction.atomic():
            supporter = supporter_for_email(email=email, name=name, language=language)
            donation = Donation.objects.create(
                attempt_id=request_id,
                supporter=supporter,
                amount_minor=amount_minor,
                currency=currency,
                frequency=Frequency.ONE_TIME,
                gateway=GatewayName.OFFLINE,
                status=Donation.Status.SUCCEEDED,
                succeeded_at=received_at,
                offline_method=method,
                offline_reference=reference,
                received_on=received_on,
                evidence=evidence,
                recorded_by=user,
                anonymous=anonymous,
                language=language,
                surface=Donation.Surface.OFFLINE,
                fund_id=fund_id,
                designation_page_id=designation_page_id,
            )
            donation_event_record(
                key=f"offline:{donation.reference}",
                kind=DonationEvent.Kind.OFFLINE_RECORDED,
                occurred_at=received_at,
                donation=donation,
                amount_minor=amount_minor,
                actor=user,
                detail={"method": method, "reference": reference},
            )
            audit_record(
                actor=user,
                action="donation.offline_recorded",
                obj=donation,
                summary=_("Offline gift of %(amount)s recorded (%(reference)s)")
                % {"amount": format_money(amount_minor, currency), "reference": donation.short_reference},
                detail={
                    "amount_minor": amount_minor,
                    "currency": currency,
                    "method": method,
                    "reference": reference,
                    "received_on": received_on.isoformat(),
                    "evidence": bool(evidence),
                },
            )
            _receipt_send_after_commit(donation)
    except IntegrityError:
        return Donation.objects.get(attempt_id=request_id)
    return donation


def _receipt_send_after_commit(donation: Donation) -> None:
    """An offline gift has no confirmation email: its receipt goes on its own, once the gift is committed."""
    from donations.receipts.models import Receipt
    from donations.tasks import receipt_deliver

    receipt_id = Receipt.objects.filter(donation=donation).values_list("pk", flat=True).first()
    if receipt_id is not None:
        receipt_deliver.delay_on_commit(receipt_id)
