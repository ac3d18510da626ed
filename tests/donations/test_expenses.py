"""Expenses and disbursements: recorded with evidence, posted only when someone else approves (four eyes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from donations.ledger.expenses import expense_approve, expense_reject, expense_submit
from donations.ledger.models import AuditEntry, Expense, LedgerEntry, LedgerTransaction
from donations.models import Fund

pytestmark = pytest.mark.django_db
EXPENSES = "/admin/donations/audit/expenses/"


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% an invoice\n", content_type="application/pdf")


def staff(django_user_model, username: str, *codenames: str):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "x" * 20, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="donations", codename__in=codenames),
    )
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def clerk(django_user_model):
    return staff(django_user_model, "clerk", "add_expense", "view_expense")


@pytest.fixture
def approver(django_user_model):
    return staff(django_user_model, "treasurer", "add_expense", "view_expense", "approve_expense")


@pytest.fixture
def auditor(django_user_model):
    user = django_user_model.objects.create_user("auditor", "auditor@example.org", "x" * 20, is_staff=True)
    user.groups.add(Group.objects.get(name="Auditors"))
    return django_user_model.objects.get(pk=user.pk)


def submit(user, **overrides):
    data = {
        "user": user,
        "kind": "expense",
        "category": "programmes",
        "designation": "general",
        "amount_minor": 12_500,
        "currency": "USD",
        "paid_on": timezone.localdate(),
        "payee": "Well Drillers Ltd",
        "description": "Drilling the Al-Mafraq well",
        "public_summary": "A new well",
        "evidence": pdf(),
    }
    data.update(overrides)
    return expense_submit(**data)


def test_the_submitter_cannot_approve_their_own_expense(approver):
    expense = submit(approver)
    with pytest.raises(PermissionDenied):
        expense_approve(expense_id=expense.pk, user=approver)
    expense.refresh_from_db()
    assert expense.status == "submitted" and expense.decided_by is None
    assert not LedgerTransaction.objects.filter(expense=expense).exists()


def test_someone_without_the_approve_permission_cannot_approve(clerk, django_user_model, approver):
    other_clerk = staff(django_user_model, "clerk2", "add_expense", "view_expense")
    expense = submit(approver)
    for user in (clerk, other_clerk):
        with pytest.raises(PermissionDenied):
            expense_approve(expense_id=expense.pk, user=user)
    assert not LedgerTransaction.objects.exists()


def test_another_approver_posts_one_balanced_transaction_once(clerk, approver, zakat_fund):
    expense = submit(clerk, designation=f"fund:{zakat_fund.pk}", kind="disbursement", category="aid")
    assert not LedgerTransaction.objects.exists()
    expense_approve(expense_id=expense.pk, user=approver)
    expense_approve(expense_id=expense.pk, user=approver)  # a double click
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by, expense.decided_at is not None) == ("approved", approver, True)
    txn = LedgerTransaction.objects.get()
    assert (txn.kind, txn.source_key, txn.posted_by, txn.expense) == (
        "disbursement",
        f"expense:{expense.reference}",
        approver,
        expense,
    )
    rows = list(txn.entries.order_by("seq").values_list("account_code", "amount_minor", "currency", "designation"))
    key = f"fund:{zakat_fund.pk}"
    assert rows == [("expense:aid", 12_500, "USD", key), ("asset:bank:USD", -12_500, "USD", key)]
    assert LedgerEntry.objects.aggregate(total=Sum("amount_minor"))["total"] == 0
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username"))
    assert actions == [("expense.submitted", "clerk"), ("expense.approved", "treasurer")]


def test_a_rejected_expense_posts_nothing_and_is_logged(clerk, approver):
    expense = submit(clerk)
    with pytest.raises(ValidationError):
        expense_reject(expense_id=expense.pk, user=approver, reason=" ")
    expense_reject(expense_id=expense.pk, user=approver, reason="Duplicate of invoice 113")
    expense.refresh_from_db()
    assert (expense.status, expense.decision_note, expense.decided_by) == (
        "rejected",
        "Duplicate of invoice 113",
        approver,
    )
    with pytest.raises(ValidationError):
        expense_approve(expense_id=expense.pk, user=approver)
    assert not LedgerTransaction.objects.exists()
    rejected = AuditEntry.objects.get(action="expense.rejected")
    assert rejected.actor == approver and rejected.detail["reason"] == "Duplicate of invoice 113"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"evidence": None}, "evidence", "Attach the invoice"),
        ({"evidence": SimpleUploadedFile("x.pdf", b"MZ\x90\x00rest")}, "evidence", "Upload a PDF, PNG or JPEG"),
        (
            {"evidence": SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))},
            "evidence",
            "larger than 10 MB",
        ),
        ({"amount_minor": 0}, "amount", "greater than zero"),
        ({"amount_minor": -500}, "amount", "greater than zero"),
        ({"amount_minor": 12.5}, "amount", "greater than zero"),
        ({"currency": "XBT"}, "currency", "supported currency"),
        ({"paid_on": timezone.localdate() + timedelta(days=3)}, "paid_on", "future"),
        ({"payee": " "}, "payee", "who was paid"),
        ({"designation": "fund:999999"}, "designation", "Choose a fund"),
    ],
)
def test_a_bad_expense_is_refused_with_a_clear_error(clerk, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        submit(clerk, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Expense.objects.exists()


def test_png_and_jpeg_evidence_are_accepted(clerk):
    submit(clerk, evidence=SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\nrest"))
    submit(clerk, evidence=SimpleUploadedFile("scan.jpg", b"\xff\xd8\xff\xe0rest"))
    assert Expense.objects.count() == 2


def test_staff_record_and_another_approves_in_the_admin(client, clerk, approver, auditor):
    fund = Fund.objects.create(name="Winter aid")
    client.force_login(clerk)
    assert client.get(f"{EXPENSES}new/").status_code == 200
    response = client.post(
        f"{EXPENSES}new/",
        {
            "kind": "expense",
            "category": "programmes",
            "designation": f"fund:{fund.pk}",
            "amount": "1,250.50",
            "currency": "USD",
            "paid_on": timezone.localdate().isoformat(),
            "payee": "Blankets Co",
            "description": "300 blankets",
            "public_summary": "Blankets for 300 families",
            "evidence": pdf(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    expense = Expense.objects.get()
    assert (expense.amount_minor, expense.fund, expense.submitted_by) == (125_050, fund, clerk)
    own = client.get(f"{EXPENSES}{expense.pk}/").content.decode()
    assert "Blankets Co" in own and "Approve and post" not in own and "Reject" not in own

    client.force_login(approver)
    page = client.get(f"{EXPENSES}{expense.pk}/").content.decode()
    assert "Approve and post" in page and "Reject" in page
    assert client.post(f"{EXPENSES}{expense.pk}/approve/").status_code == 302
    expense.refresh_from_db()
    assert expense.status == "approved"
    assert LedgerTransaction.objects.filter(expense=expense).count() == 1
    assert "Approve and post" not in client.get(f"{EXPENSES}{expense.pk}/").content.decode()

    client.force_login(auditor)
    listing = client.get(EXPENSES, {"status": "approved"}).content.decode()
    assert "Blankets Co" in listing and "Record an expense" not in listing
    download = client.get(f"{EXPENSES}{expense.pk}/evidence/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_bad_upload_in_the_admin_says_why(client, clerk):
    client.force_login(clerk)
    response = client.post(
        f"{EXPENSES}new/",
        {
            "kind": "expense",
            "category": "other",
            "designation": "general",
            "amount": "10",
            "currency": "USD",
            "paid_on": timezone.localdate().isoformat(),
            "payee": "Someone",
            "description": "Something",
            "evidence": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
        },
    )
    assert response.status_code == 200
    assert "Upload a PDF, PNG or JPEG file." in response.content.decode()
    assert not Expense.objects.exists()
