"""Expenses and disbursements: recorded by one staff member, posted only when another approves (four eyes).

An expense is posted to the books once, when a second person with the
``donations.approve_expense`` permission approves it: the expense account of
its category is debited and the bank credited, both carrying the expense's
designation. Every submission and decision is written to the audit log.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.currencies import SUPPORTED_CURRENCIES
from donations.ledger.models import Expense, LedgerTransaction
from donations.ledger.posting import bank, designation_of, expense_account
from donations.ledger.services import Line, audit_record, ledger_post
from donations.money import format_money

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {b"%PDF": ".pdf", b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg"}
APPROVE_PERMISSION = "donations.approve_expense"
SUBMIT_PERMISSION = "donations.add_expense"


def evidence_check(evidence: UploadedFile | None) -> None:
    """A PDF, PNG or JPEG of at most 10 MB, judged by its first bytes, not its name."""
    if not evidence:
        raise ValidationError({"evidence": _("Attach the invoice or receipt (PDF, PNG or JPEG).")})
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence": _("The file is larger than 10 MB.")})
    head = evidence.read(8)
    evidence.seek(0)
    if not head.startswith(tuple(EVIDENCE_TYPES)):
        raise ValidationError({"evidence": _("Upload a PDF, PNG or JPEG file.")})


def designation_parse(designation: str) -> dict:
    """``fund:<id>``, ``page:<id>`` or ``general`` as the expense's foreign keys (the ledger's keys)."""
    from wagtail.models import Page

    from donations.models import Fund

    key = (designation or "general").strip()
    if key == "general":
        return {"fund": None, "designation_page": None}
    prefix, _sep, pk = key.partition(":")
    if prefix == "fund" and pk.isdigit():
        fund = Fund.objects.filter(pk=int(pk)).first()
        if fund is not None:
            return {"fund": fund, "designation_page": None}
    if prefix == "page" and pk.isdigit():
        page = Page.objects.filter(pk=int(pk)).first()
        if page is not None:
            return {"fund": None, "designation_page": page}
    raise ValidationError({"designation": _("Choose a fund, a campaign or “where most needed”.")})


def expense_submit(
    *,
    user,
    kind: str,
    category: str,
    designation: str,
    amount_minor: int,
    currency: str,
    paid_on: date,
    payee: str,
    description: str,
    public_summary: str = "",
    evidence: UploadedFile | None,
) -> Expense:
    """Record money spent or granted, with its evidence; nothing is posted until someone else approves."""
    if not user.has_perm(SUBMIT_PERMISSION):
        raise PermissionDenied(_("You may not record expenses."))
    errors: dict[str, str] = {}
    if kind not in Expense.Kind.values:
        errors["kind"] = _("Choose expense or disbursement.")
    if category not in Expense.Category.values:
        errors["category"] = _("Choose a category.")
    if currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = _("Choose a supported currency.")
    if type(amount_minor) is not int or amount_minor <= 0:
        errors["amount"] = _("Enter an amount greater than zero.")
    if paid_on is None or paid_on > timezone.localdate():
        errors["paid_on"] = _("The payment date cannot be in the future.")
    if not (payee or "").strip():
        errors["payee"] = _("Say who was paid.")
    if not (description or "").strip():
        errors["description"] = _("Say what it paid for.")
    if errors:
        raise ValidationError(errors)
    evidence_check(evidence)
    place = designation_parse(designation)
    with transaction.atomic():
        expense = Expense.objects.create(
            kind=kind,
            category=category,
            amount_minor=amount_minor,
            currency=currency,
            paid_on=paid_on,
            payee=payee.strip()[:200],
            description=description.strip()[:1000],
            public_summary=(public_summary or "").strip()[:200],
            evidence=evidence,
            submitted_by=user,
            **place,
        )
        audit_record(
            actor=user,
            action="expense.submitted",
            obj=expense,
            summary=_("%(kind)s of %(amount)s to %(payee)s submitted")
            % {
                "kind": expense.get_kind_display(),
                "amount": format_money(amount_minor, currency),
                "payee": expense.payee,
            },
            detail={
                "reference": str(expense.reference),
                "amount_minor": amount_minor,
                "currency": currency,
                "designation": designation_of(expense),
                "category": category,
            },
        )
    return expense


def _decider_check(expense: Expense, user) -> None:
    if not user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("You may not approve or reject expenses."))
    if expense.submitted_by_id == user.pk:
        raise PermissionDenied(_("Someone other than the person who recorded an expense must decide on it."))


def expense_approve(*, expense_id: int, user) -> Expense:
    """Approve and post an expense once; approving it again changes nothing."""
    with transaction.atomic():
        expense = Expense.objects.select_for_update().get(pk=expense_id)
        if expense.status == Expense.Status.APPROVED:
            return expense
        _decider_check(expense, user)
        if expense.status == Expense.Status.REJECTED:
            raise ValidationError(_("This expense was rejected; record it again if it is due."))
        category_label = str(Expense.Category(expense.category).label)
        key = designation_of(expense)
        kind = (
            LedgerTransaction.Kind.DISBURSEMENT
            if expense.kind == Expense.Kind.DISBURSEMENT
            else LedgerTransaction.Kind.EXPENSE
        )
        occurred_at = timezone.make_aware(datetime.combine(expense.paid_on, time(12, 0)))
        txn, _new = ledger_post(
            kind=kind,
            source_key=f"expense:{expense.reference}",
            occurred_at=occurred_at,
            lines=[
                Line(expense_account(expense.category, category_label), expense.amount_minor, expense.currency, key),
                Line(bank(expense.currency), -expense.amount_minor, expense.currency, key),
            ],
            memo=f"{expense.payee}: {expense.public_summary or expense.description}",
            expense=expense,
            posted_by=user,
        )
        expense.status = Expense.Status.APPROVED
        expense.decided_by = user
        expense.decided_at = timezone.now()
        expense.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=user,
            action="expense.approved",
            obj=expense,
            summary=_("%(kind)s of %(amount)s to %(payee)s approved and posted")
            % {
                "kind": expense.get_kind_display(),
                "amount": format_money(expense.amount_minor, expense.currency),
                "payee": expense.payee,
            },
            detail={
                "reference": str(expense.reference),
                "submitted_by": expense.submitted_by_id,
                "ledger_transaction": str(txn.uuid),
            },
        )
    return expense


def expense_reject(*, expense_id: int, user, reason: str) -> Expense:
    """Reject an expense with a reason; nothing is posted. Rejecting it again changes nothing."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for rejecting the expense.")})
    with transaction.atomic():
        expense = Expense.objects.select_for_update().get(pk=expense_id)
        if expense.status == Expense.Status.REJECTED:
            return expense
        _decider_check(expense, user)
        if expense.status == Expense.Status.APPROVED:
            raise ValidationError(_("This expense is already approved and posted; post a correction instead."))
        expense.status = Expense.Status.REJECTED
        expense.decided_by = user
        expense.decided_at = timezone.now()
        expense.decision_note = reason.strip()[:500]
        expense.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=user,
            action="expense.rejected",
            obj=expense,
            summary=_("%(kind)s of %(amount)s to %(payee)s rejected")
            % {
                "kind": expense.get_kind_display(),
                "amount": format_money(expense.amount_minor, expense.currency),
                "payee": expense.payee,
            },
            detail={"reference": str(expense.reference), "reason": expense.decision_note},
        )
    return expense
