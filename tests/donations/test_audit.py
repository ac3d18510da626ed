"""The auditor workspace: trial balance, designation totals, reconciliation, audit log, exports, read-only."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from openpyxl import load_workbook

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.ledger import selectors
from donations.ledger.expenses import expense_approve
from donations.ledger.exports import csv_bytes, safe_cell
from donations.ledger.models import AuditEntry, Expense, LedgerEntry, LedgerTransaction
from donations.ledger.reconciliation import processor_balances, reconciliation_report, sandbox_payouts_pay
from donations.models import Donation, DonationEvent, FeeRule, Fund, RefundRequest
from donations.services import GiftRequest, donation_start, payment_prepare
from donations.services.staff import donation_record_offline, donation_refund
from tests.donations.test_expenses import approver, auditor, clerk, pdf, submit  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
AUDIT = "/admin/donations/audit/"
REPORTS = ("ledger/", "trial-balance/", "designations/", "reconciliation/", "log/", "expenses/")


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """A gift paid through the sandbox gateway, its events applied as the worker would."""

    def make(amount: int = 5000, currency: str = "USD", email: str = "huda@example.org", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            gift, _ = donation_start(
                gift=GiftRequest(
                    attempt_id=uuid.uuid4(),
                    amount_minor=amount,
                    currency=currency,
                    frequency="one_time",
                    name="Huda Haddad",
                    email=email,
                    **extra,
                )
            )
            gift = payment_prepare(donation=gift)
            SandboxGateway().pay(gift, find_test_card("4242424242424242"))
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture
def books(pay, staff_user, clerk, approver, django_capture_on_commit_callbacks):  # noqa: F811
    """A mix of gifts, fees, a refund, an offline gift, an approved expense and a payout, in two currencies."""
    fund = Fund.objects.create(name="Clean water", restricted=True)
    usd = pay(10_000)
    pay(20_000, "JOD", email="omar@example.org", fund_id=fund.pk)
    to_fund = pay(4_000, fund_id=fund.pk, email="lina@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        donation_refund(
            donation=usd, amount_minor=2_500, reason="Donor asked", user=staff_user, request_id=uuid.uuid4()
        )
        donation_record_offline(
            name="Abu Omar",
            email="abu@example.org",
            amount_minor=30_000,
            currency="USD",
            method="cheque",
            received_on=timezone.localdate(),
            reference="CHQ-1",
            evidence=pdf("cheque.pdf"),
            user=staff_user,
            fund_id=fund.pk,
            request_id=uuid.uuid4(),
        )
    expense = submit(clerk, designation=f"fund:{fund.pk}", amount_minor=7_000, payee='=HYPERLINK("http://x")')
    expense_approve(expense_id=expense.pk, user=approver)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_payouts_pay()
    return {"fund": fund, "usd": usd, "to_fund": to_fund, "expense": expense}


def by_currency(balances) -> dict[str, list[int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in balances:
        totals[row.currency][0] += row.debits
        totals[row.currency][1] += row.credits
    return dict(totals)


def test_the_trial_balance_balances_per_currency(books, staff_client):
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True))
    assert {"gift", "fee", "refund", "offline_gift", "expense", "payout"} <= kinds
    totals = by_currency(selectors.balances())
    assert set(totals) == {"USD", "JOD"}
    for currency, (debits, credits) in totals.items():
        assert debits == credits > 0, currency
    body = staff_client.get(f"{AUDIT}trial-balance/").content.decode()
    assert "asset:bank:USD" in body and "expense:programmes" in body
    assert body.count("Balanced") == 2 and "OUT OF BALANCE" not in body


def test_the_sandbox_pays_out_its_balance_once_a_day(books):
    assert processor_balances()[("sandbox", "USD")] == 0
    clearing = LedgerEntry.objects.filter(account_code="asset:clearing:sandbox:USD")
    assert sum(clearing.values_list("amount_minor", flat=True)) == 0
    payouts = DonationEvent.objects.filter(kind="payout_paid")
    assert payouts.count() == 2
    assert sandbox_payouts_pay() == []  # again the same day: nothing more
    assert payouts.count() == 2
    usd = payouts.get(currency="USD")
    fee_usd = sum(
        Donation.objects.filter(currency="USD", gateway="sandbox").values_list("processor_fee_minor", flat=True)
    )
    assert usd.amount_minor == 10_000 + 4_000 - 2_500 - fee_usd
    assert usd.detail["gateway"] == "sandbox" and usd.key == f"sandbox-payout:USD:{timezone.localdate().isoformat()}"


def test_designation_totals(books, staff_client):
    fund, usd_gift, to_fund = books["fund"], books["usd"], books["to_fund"]
    totals = selectors.designation_totals()
    water = totals[f"fund:{fund.pk}"]
    assert water["USD"]["raised"] == 4_000 + 30_000
    assert water["USD"]["spent"] == 7_000
    assert water["USD"]["fees"] == to_fund.processor_fee_minor
    assert water["JOD"]["raised"] == 20_000
    general = totals["general"]["USD"]
    assert (general["raised"], general["refunds"], general["fees"]) == (10_000, 2_500, usd_gift.processor_fee_minor)
    body = staff_client.get(f"{AUDIT}designations/").content.decode()
    assert "Clean water" in body and "Where most needed" in body and f"fund:{fund.pk}" not in body


def test_reconciliation_is_clean_then_lists_a_difference(books, pay, staff_client):
    report = reconciliation_report()
    assert report.differences == [] and report.clean
    assert staff_client.get(f"{AUDIT}reconciliation/").content.decode().count("No differences") == 1

    # A gift the processor says succeeded, but whose posting never happened.
    with_missing_posting, _ = donation_start(
        gift=GiftRequest(
            attempt_id=uuid.uuid4(), amount_minor=1_500, currency="USD", frequency="one_time", name="X", email="x@x.org"
        )
    )
    Donation.objects.filter(pk=with_missing_posting.pk).update(
        status=Donation.Status.SUCCEEDED, succeeded_at=timezone.now(), gateway="sandbox", processor_fee_minor=75
    )
    # A fee the processor changed after posting.
    Donation.objects.filter(pk=books["usd"].pk).update(processor_fee_minor=books["usd"].processor_fee_minor + 1)
    report = reconciliation_report()
    found = {(d.kind, d.reference) for d in report.differences}
    assert ("gift_not_posted", with_missing_posting.short_reference) in found
    assert ("fee_mismatch", with_missing_posting.short_reference) in found
    assert ("fee_mismatch", books["usd"].short_reference) in found
    assert not report.clean
    usd = next(row for row in report.balances if (row.gateway, row.currency) == ("sandbox", "USD"))
    assert usd.difference_minor == -(1_500 - 75 - 1)
    body = staff_client.get(f"{AUDIT}reconciliation/").content.decode()
    assert "Paid gift with no ledger posting" in body and with_missing_posting.short_reference in body


def test_refunds_and_offline_gifts_are_in_the_audit_log(books, staff_client):
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"donation.refunded", "donation.offline_recorded", "expense.submitted", "expense.approved"} <= actions
    refund = AuditEntry.objects.get(action="donation.refunded")
    assert refund.actor.username == "editor" and refund.detail["amount_minor"] == 2_500
    body = staff_client.get(f"{AUDIT}log/", {"action": "donation.refunded"}).content.decode()
    assert "Refund of $25.00" in body and "Offline gift of" not in body


def listed(response) -> str:
    """The report's table body (the filter form lists every account as an option)."""
    body = response.content.decode()
    return body[body.find("<tbody>") : body.rfind("</tbody>")] if "<tbody>" in body else body[body.find("<main") :]


def test_the_ledger_browser_filters(books, staff_client):
    fund = books["fund"]
    every = listed(staff_client.get(f"{AUDIT}ledger/"))
    assert "asset:clearing:sandbox:USD" in every
    jod = listed(staff_client.get(f"{AUDIT}ledger/", {"currency": "JOD"}))
    assert "asset:clearing:sandbox:JOD" in jod and "asset:bank:USD" not in jod
    body = listed(staff_client.get(f"{AUDIT}ledger/", {"kind": "expense", "designation": f"fund:{fund.pk}"}))
    assert "expense:programmes" in body and "asset:clearing" not in body and "Clean water" in body
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    assert "No ledger entries match." in staff_client.get(f"{AUDIT}ledger/", {"since": tomorrow}).content.decode()


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_exports_are_safe_and_keep_amounts_numeric(books, staff_client):
    rows = read_csv(staff_client.get(f"{AUDIT}expenses/", {"export": "csv"}))
    payees = [row[8] for row in rows[1:]]
    assert payees == ['\'=HYPERLINK("http://x")']
    ledger = read_csv(staff_client.get(f"{AUDIT}ledger/", {"export": "csv", "kind": "expense"}))
    assert ledger[1:] and all(row[10].startswith("'=HYPERLINK") for row in ledger[1:])
    trial = read_csv(staff_client.get(f"{AUDIT}trial-balance/", {"export": "csv"}))
    balances = {row[0]: row[6] for row in trial[1:] if row[3] == "USD"}
    assert balances["income:donations:general"] == "-100.00"  # a number, not quoted text
    assert balances["asset:bank:USD"] == str((30_000 - 7_000 + processor_balances_paid_usd()) / 100)
    # The rules, cell by cell.
    assert [safe_cell(v) for v in ("=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx", "ok", -5, 2.5)] == [
        "'=1+1", "'+1", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "ok", -5, 2.5,
    ]  # fmt: skip
    assert csv_bytes(["a"], [[-12]]).decode("utf-8-sig").splitlines() == ["a", "-12"]


def processor_balances_paid_usd() -> int:
    return DonationEvent.objects.get(kind="payout_paid", currency="USD").amount_minor


def test_xlsx_exports_open_with_their_rows(books, staff_client):
    for report in ("ledger/", "trial-balance/", "designations/", "reconciliation/", "log/", "expenses/"):
        response = staff_client.get(f"{AUDIT}{report}", {"export": "xlsx"})
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) >= 2, report
    sheet = load_workbook(io.BytesIO(staff_client.get(f"{AUDIT}ledger/", {"export": "xlsx"}).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == LedgerEntry.objects.count() + 1
    trial = load_workbook(io.BytesIO(staff_client.get(f"{AUDIT}trial-balance/", {"export": "xlsx"}).content)).active
    general = next(row for row in trial.iter_rows(values_only=True) if row[0] == "income:donations:general")
    assert isinstance(general[6], int | float) and general[6] < 0
    expenses = load_workbook(io.BytesIO(staff_client.get(f"{AUDIT}expenses/", {"export": "xlsx"}).content)).active
    payee = list(expenses.iter_rows(values_only=True))[1][8]
    assert payee == '\'=HYPERLINK("http://x")'  # text, never a formula


# -- Auditors read everything and change nothing ----------------------------------------------------------


def snapshot() -> dict:
    return {
        "donations": list(Donation.objects.values_list("pk", "status", "amount_refunded_minor").order_by("pk")),
        "events": DonationEvent.objects.count(),
        "refund_requests": RefundRequest.objects.count(),
        "expenses": list(Expense.objects.values_list("pk", "status").order_by("pk")),
        "entries": LedgerEntry.objects.count(),
        "funds": list(Fund.objects.values_list("pk", "name", "active").order_by("pk")),
        "fee_rules": list(FeeRule.objects.values_list("pk", "percent_bp", "fixed_minor").order_by("pk")),
        "audit": AuditEntry.objects.count(),
    }


def refused(response) -> bool:
    """Wagtail answers a refused admin view with a redirect to the dashboard (or a 403 for XHR)."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def admin_donation_routes() -> list[str]:
    """Every URL the admin serves under /admin/donations/, with its placeholders."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for item in patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                walk(item.url_patterns, route)
            elif isinstance(item, URLPattern) and route.startswith("admin/donations/"):
                found.append(route)

    walk(get_resolver().url_patterns, "")
    return found


def test_an_auditor_reads_every_report_and_export(books, client, auditor):  # noqa: F811
    client.force_login(auditor)
    for report in REPORTS:
        assert client.get(f"{AUDIT}{report}").status_code == 200, report
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{AUDIT}{report}", {"export": fmt})
            assert response.status_code == 200 and "attachment" in response["Content-Disposition"], (report, fmt)
    assert client.get(f"{AUDIT}expenses/{books['expense'].pk}/").status_code == 200
    assert client.get(f"{AUDIT}expenses/{books['expense'].pk}/evidence/").status_code == 200
    assert client.get("/admin/donations/funds/").status_code == 200
    menu = client.get("/admin/").content.decode()
    assert "Trial balance" in menu and "Reconciliation" in menu


def test_others_cannot_open_the_audit_workspace(books, client, clerk):  # noqa: F811
    client.force_login(clerk)
    for report in REPORTS[:-1]:
        assert refused(client.get(f"{AUDIT}{report}")), report
        assert refused(client.get(f"{AUDIT}{report}", {"export": "csv"})), report


def test_every_write_endpoint_refuses_an_auditor(books, client, auditor, clerk):  # noqa: F811
    pending = submit(clerk, payee="Pending payee")
    gift, fund, fee_rule = books["usd"], books["fund"], FeeRule.objects.first()
    today = timezone.localdate().isoformat()
    writes = {
        f"/admin/donations/staff/{gift.pk}/refund/": {"amount": "10", "reason": "x", "request_id": str(uuid.uuid4())},
        "/admin/donations/staff/offline/new/": {
            "request_id": str(uuid.uuid4()), "name": "A", "email": "a@example.org", "amount": "5", "currency": "USD",
            "method": "cash", "received_on": today, "reference": "",
        },
        f"{AUDIT}expenses/new/": {
            "kind": "expense", "category": "other", "designation": "general", "amount": "10", "currency": "USD",
            "paid_on": today, "payee": "Auditor", "description": "x", "evidence": pdf(),
        },
        f"{AUDIT}expenses/{pending.pk}/approve/": {},
        f"{AUDIT}expenses/{pending.pk}/reject/": {"reason": "no"},
        "/admin/donations/funds/new/": {"name": "Auditor fund", "active": "on"},
        f"/admin/donations/funds/edit/{fund.pk}/": {"name": "Renamed", "active": ""},
        f"/admin/donations/funds/delete/{fund.pk}/": {},
        "/admin/donations/fees/new/": {"currency": "EUR", "percent_bp": "1", "fixed_minor": "1"},
        f"/admin/donations/fees/edit/{fee_rule.pk}/": {"currency": fee_rule.currency, "percent_bp": "0",
                                                        "fixed_minor": "0"},
        f"/admin/donations/fees/delete/{fee_rule.pk}/": {},
        "/admin/donations/gifts/new/": {},
        f"/admin/donations/gifts/edit/{gift.pk}/": {},
        f"/admin/donations/gifts/delete/{gift.pk}/": {},
    }  # fmt: skip
    client.force_login(auditor)
    before = snapshot()
    for url, data in writes.items():
        response = client.post(url, data)
        assert refused(response), (url, response.status_code)
        assert snapshot() == before, url
    # And every other admin URL under donations/ (statement batches, anything added later): posting changes nothing.
    ids = {"pk": gift.pk}
    for route in admin_donation_routes():
        url = "/" + re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), gift.pk)), route)
        url = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), url)
        url = re.sub(r"<(?:str|slug|path):\w+>", "x", url)
        if "<" in url or "^" in url:
            continue
        response = client.post(url, {})
        assert response.status_code < 500, url
        assert snapshot() == before, url
    pending.refresh_from_db()
    assert pending.status == "submitted"


def test_a_clerk_without_the_audit_permission_but_in_auditors_group_is_read_only(client, django_user_model):
    user = django_user_model.objects.create_user("ro", "ro@example.org", "x" * 20, is_staff=True)
    user.groups.add(Group.objects.get(name="Auditors"))
    client.force_login(user)
    assert client.get(f"{AUDIT}expenses/").status_code == 200
    assert "Record an expense" not in client.get(f"{AUDIT}expenses/").content.decode()
    assert refused(client.get(f"{AUDIT}expenses/new/"))
