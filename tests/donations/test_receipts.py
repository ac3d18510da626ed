"""Receipts: numbered with the gift, a PDF in the donor's language, sent once, voided or amended by refunds,
verifiable by anyone, and gathered into annual statements."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.ledger.models import AuditEntry
from donations.ledger.services import checkpoint_publish
from donations.models import Donation
from donations.receipts.models import AnnualStatement, Receipt, StatementBatch
from donations.receipts.services import receipt_deliver
from donations.services import GiftRequest, donation_start, payment_prepare
from donations.services.staff import donation_record_offline
from tests.donations.conftest import card_form, gift_form

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)


def give(browser, page, **overrides) -> Donation:
    """A gift through the real sandbox flow, as a browser without JavaScript makes it."""
    browser.post("/donate/start/", gift_form(page.form_config(), **overrides))
    donation = Donation.objects.order_by("-pk").first()
    browser.get(f"/donate/{donation.reference}/pay/")
    browser.post(f"/donate/{donation.reference}/pay/", card_form())
    donation.refresh_from_db()
    return donation


def pdf_text(content: bytes, tmp_path: Path) -> str:
    source = tmp_path / "receipt.pdf"
    source.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True).stdout


def screenshot(content: bytes, name: str, tmp_path: Path) -> Path:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(content)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source), str(target)],
                   check=True)  # fmt: skip
    return target.with_suffix(".png")


def attached_pdf(message) -> bytes:
    pdfs = [content for _name, content, mimetype in message.attachments if mimetype == "application/pdf"]
    assert len(pdfs) == 1
    return pdfs[0]


@pytest.mark.django_db
@needs_poppler
def test_a_sandbox_gift_gets_a_numbered_pdf_receipt_with_its_confirmation(browser, donate_page, tmp_path):
    donation = give(browser, donate_page)
    receipt = Receipt.objects.get(donation=donation)
    assert receipt.number.endswith("-000001") and receipt.amount_minor == 5000
    # One email: the thank-you, with the receipt attached.
    assert len(mail.outbox) == 1
    content = attached_pdf(mail.outbox[0])
    assert content.startswith(b"%PDF")
    receipt.refresh_from_db()
    assert (receipt.pdf_version, receipt.emailed_version) == (1, 1)
    text = pdf_text(content, tmp_path)
    for expected in (receipt.number, "$50.00", "Huda Haddad", "Visa •••• 4242", "Wells of Hope", "JO-1234",
                     f"/receipts/verify/{receipt.verification_code}/", "No goods or services"):  # fmt: skip
        assert expected in text
    assert "4242424242424242" not in text
    png = screenshot(content, "receipt-en", tmp_path)
    assert png.stat().st_size > 10_000


@pytest.mark.django_db
@needs_poppler
def test_an_arabic_donor_gets_an_arabic_receipt_with_the_name_shaped(browser, site_tree, donate_page, tmp_path):
    from cms.models import OrganisationSettings

    organisation = OrganisationSettings.for_site(site_tree.site)
    organisation.legal_name, organisation.legal_name_ar = "Wells of Hope Foundation", "مؤسسة آبار الأمل"
    organisation.address_ar = "عمّان، الأردن"
    organisation.save()
    browser.client.cookies["django_language"] = "ar"
    browser.post("/ar/donate/start/", gift_form(donate_page.form_config(), name="فاطمة الزهراء"))
    donation = Donation.objects.order_by("-pk").first()
    assert donation.language == "ar"
    browser.post(f"/ar/donate/{donation.reference}/pay/", card_form())
    receipt = Receipt.objects.get(donation=donation)
    assert receipt.language == "ar"
    content = attached_pdf(mail.outbox[0])
    text = pdf_text(content, tmp_path)
    # pdftotext gives the logical (reading-order) string back when the shaping and mapping are right.
    assert "فاطمة الزهراء" in text
    # (The lam-alef ligature, as in الأمل, comes back from pdftotext with its two letters swapped.)
    assert "مؤسسة آبار" in text
    assert receipt.number in text
    assert f"/ar/receipts/verify/{receipt.verification_code}/" in text
    png = screenshot(content, "receipt-ar", tmp_path)
    assert png.stat().st_size > 10_000


@pytest.mark.django_db
def test_delivering_twice_sends_one_email_and_keeps_one_number(
    browser, donate_page, staff_user, django_capture_on_commit_callbacks
):
    # An offline gift has no confirmation email: its receipt goes on its own.
    with django_capture_on_commit_callbacks(execute=True):
        donation = donation_record_offline(
            name="Omar Saleh", email="omar@example.org", amount_minor=250_000, currency="JOD", method="cheque",
            received_on=timezone.localdate(), reference="CHQ-1", evidence=None, user=staff_user,
            request_id=uuid.uuid4(),
        )  # fmt: skip
    receipt = Receipt.objects.get(donation=donation)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["omar@example.org"]
    assert receipt.number in mail.outbox[0].subject
    assert receipt_deliver(receipt_id=receipt.pk) is False
    assert receipt_deliver(receipt_id=receipt.pk) is False
    assert len(mail.outbox) == 1
    assert Receipt.objects.count() == 1

    online = give(browser, donate_page)
    assert len(mail.outbox) == 2  # the thank-you with its receipt
    assert receipt_deliver(receipt_id=online.receipt.pk) is False
    assert len(mail.outbox) == 2
    assert sorted(Receipt.objects.values_list("sequence", flat=True)) == [1, 2]


@pytest.fixture
def refund(staff_client, django_capture_on_commit_callbacks):
    def post(gift: Donation, amount: str, reason: str = "Donor asked"):
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(
                f"/admin/donations/staff/{gift.pk}/refund/",
                {"amount": amount, "reason": reason, "request_id": str(uuid.uuid4())},
            )

    return post


@pytest.mark.django_db
@needs_poppler
def test_a_partial_refund_amends_and_a_full_refund_voids_the_receipt(browser, donate_page, refund, tmp_path):
    donation = give(browser, donate_page)
    receipt = donation.receipt
    assert len(mail.outbox) == 1

    refund(donation, "20.00", reason="Gave twice by mistake")
    receipt.refresh_from_db()
    assert (receipt.status, receipt.amount_minor) == ("amended", 3000)
    change = receipt.changes.get()
    assert (change.amount_before_minor, change.amount_after_minor) == (5000, 3000)
    assert "Refunded: $20.00." in change.reason and "Gave twice by mistake" in change.reason
    assert change.actor.username == "editor"
    assert AuditEntry.objects.filter(action="receipt.amend", object_id=str(receipt.pk)).count() == 1
    assert len(mail.outbox) == 2 and "amended" in mail.outbox[1].subject
    text = pdf_text(attached_pdf(mail.outbox[1]), tmp_path)
    assert "amended after a partial refund" in text and "$30.00" in text and "$50.00" in text

    refund(donation, "30.00", reason="Changed their mind")
    receipt.refresh_from_db()
    assert (receipt.status, receipt.amount_minor, receipt.pdf_version) == ("void", 0, 3)
    assert [c.status for c in receipt.changes.all()] == ["amended", "void"]
    assert AuditEntry.objects.filter(action="receipt.void", object_id=str(receipt.pk)).count() == 1
    assert len(mail.outbox) == 3 and "void" in mail.outbox[2].subject
    assert "This receipt is void" in pdf_text(attached_pdf(mail.outbox[2]), tmp_path)
    # Sending again sends nothing more.
    assert receipt_deliver(receipt_id=receipt.pk) is False
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_the_verify_page_shows_the_receipt_but_the_name_only_to_its_donor(browser, donate_page):
    donation = give(browser, donate_page)
    receipt = donation.receipt
    url = f"/receipts/verify/{receipt.verification_code}/"

    stranger = Client().get(url)
    body = stranger.content.decode()
    assert stranger.status_code == 200
    assert "Authentic." in body and receipt.number in body and "$50.00" in body
    assert "Huda Haddad" not in body and "huda@example.org" not in body
    assert "Not yet in a checkpoint" in body

    checkpoint_publish()
    body = Client().get(url).content.decode()
    assert "Verified: ledger entry" in body and "Huda Haddad" not in body

    own = browser.get(url).content.decode()
    assert "Huda Haddad" in own

    missing = Client().get("/receipts/verify/not-a-real-code/")
    assert missing.status_code == 404 and "Receipt not found" in missing.content.decode()

    arabic = Client().get(f"/ar{url}").content.decode()
    assert 'dir="rtl"' in arabic and receipt.number in arabic


@pytest.mark.django_db
def test_the_receipt_pdf_downloads_only_for_its_donor_or_staff(browser, donate_page, staff_client):
    donation = give(browser, donate_page)
    thanks = browser.get(f"/donate/{donation.reference}/thanks/").content.decode()
    assert "Download receipt (PDF)" in thanks
    url = f"/receipts/{donation.reference}/pdf/"
    response = browser.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert Client().get(url).status_code == 404
    assert staff_client.get(url).status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_gifts_get_fifty_gapless_receipt_numbers(donate_page):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so it cannot show a race")
    gifts = []
    for index in range(50):
        gift, _ = donation_start(
            gift=GiftRequest(
                attempt_id=uuid.uuid4(), amount_minor=1000 + index, currency="USD", frequency="one_time",
                name=f"Donor {index}", email=f"donor{index}@example.org",
            )
        )  # fmt: skip
        gifts.append(payment_prepare(donation=gift).pk)
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def pay(pk: int) -> None:
        try:
            donation = Donation.objects.get(pk=pk)
            barrier.wait(timeout=30)
            SandboxGateway().pay(donation, find_test_card("4242424242424242"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(pk,)) for pk in gifts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert errors == []
    receipts = list(Receipt.objects.order_by("sequence"))
    assert len(receipts) == 50
    assert [r.sequence for r in receipts] == list(range(1, 51))
    assert len({r.number for r in receipts}) == 50
    assert len({r.donation_id for r in receipts}) == 50


@pytest.mark.django_db
@needs_poppler
def test_a_statement_batch_makes_one_statement_per_donor_once(
    browser, donate_page, staff_client, django_capture_on_commit_callbacks, tmp_path
):
    from datetime import date

    from donations.receipts.statements import statement_batch_for_ended_year

    give(browser, donate_page)
    give(browser, donate_page, amount="10000")
    give(browser, donate_page, currency="JOD", amount="20000")
    give(browser, donate_page, name="Omar Saleh", email="omar@example.org")
    year = Receipt.objects.first().fiscal_year
    mail.outbox.clear()

    page = staff_client.get("/admin/donations/statements/")
    assert page.status_code == 200 and "Annual statements" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/donations/statements/", {"fiscal_year": year})
    batch = StatementBatch.objects.get()
    assert response["Location"] == f"/admin/donations/statements/{batch.pk}/"
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total, batch.percent) == ("done", 2, 2, 100)
    progress = staff_client.get(response["Location"]).content.decode()
    assert "2 of 2 donors (100%)" in progress and 'http-equiv="refresh"' not in progress

    huda = AnnualStatement.objects.get(supporter__email="huda@example.org")
    assert (huda.gift_count, huda.totals) == (3, {"JOD": 20_000, "USD": 15_000})
    omar = AnnualStatement.objects.get(supporter__email="omar@example.org")
    assert (omar.gift_count, omar.totals) == (1, {"USD": 5000})
    assert sorted(m.to[0] for m in mail.outbox) == ["huda@example.org", "omar@example.org"]
    statement_mail = next(m for m in mail.outbox if m.to == ["huda@example.org"])
    text = pdf_text(attached_pdf(statement_mail), tmp_path)
    assert "$150.00" in text and "JOD" in text and "Huda Haddad" in text

    # Again, by hand or by the daily task after year end: nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/admin/donations/statements/", {"fiscal_year": year})
    assert len(mail.outbox) == 2
    assert StatementBatch.objects.filter(status="done").count() == 2
    assert statement_batch_for_ended_year(today=date(year, 12, 31)) is None  # the year has not ended
    assert statement_batch_for_ended_year(today=date(year + 1, 1, 2)) is None  # it has a batch already
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_statements_page_needs_permission(client, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.get("/admin/donations/statements/")
    assert response.status_code == 302 and response["Location"] == "/admin/"  # Wagtail: permission denied
