"""The public transparency page, in English and Arabic: the figures, the donor wall, how to verify."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.ledger import posting
from donations.ledger.models import Expense, LedgerTransaction
from donations.ledger.services import Line, checkpoint_publish, ledger_post
from donations.models import FeeRule
from donations.services import GiftRequest, donation_start, payment_prepare

pytestmark = pytest.mark.django_db


def give(capture, *, name: str, email: str, amount: int, anonymous: bool = False, currency: str = "USD", page=None):
    with capture(execute=True):
        gift, _ = donation_start(
            gift=GiftRequest(
                attempt_id=uuid.uuid4(),
                amount_minor=amount,
                currency=currency,
                frequency="one_time",
                name=name,
                email=email,
                anonymous=anonymous,
                designation_page_id=page.pk if page else None,
            )
        )
        gift = payment_prepare(donation=gift)
        SandboxGateway().pay(gift, find_test_card("4242424242424242"))
    gift.refresh_from_db()
    assert gift.paid
    return gift


@pytest.fixture
def books(site_tree, django_capture_on_commit_callbacks, staff_user, django_user_model):
    FeeRule.objects.update_or_create(currency="USD", defaults={"percent_bp": 0, "fixed_minor": 30})
    capture = django_capture_on_commit_callbacks
    give(capture, name="Huda Haddad", email="huda@example.org", amount=5000)
    give(capture, name="Omar Khalil", email="omar@example.org", amount=2500)
    give(capture, name="Secret Benefactor", email="secret@example.org", amount=10000, anonymous=True)
    give(capture, name="Rania Saleh", email="rania@example.org", amount=1000, page=site_tree.about)
    approver = django_user_model.objects.create_user(username="second", password="x")
    expense = Expense.objects.create(
        category=Expense.Category.AID,
        amount_minor=4000,
        currency="USD",
        paid_on=date(2026, 3, 2),
        payee="Food bank",
        description="Food parcels",
        public_summary="Food parcels for 40 families",
        evidence=SimpleUploadedFile("invoice.pdf", b"%PDF-1.4"),
        status=Expense.Status.APPROVED,
        submitted_by=staff_user,
        decided_by=approver,
    )
    ledger_post(
        kind=LedgerTransaction.Kind.EXPENSE,
        source_key=f"expense:{expense.reference}",
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        lines=[
            Line(posting.expense_account("aid", "Direct aid"), 4000, "USD", "general"),
            Line(posting.bank("USD"), -4000, "USD", "general"),
        ],
        expense=expense,
    )
    checkpoint_publish()
    return site_tree


def test_the_transparency_page_shows_the_figures_and_hides_anonymous_names(client, books):
    body = client.get("/transparency/").content.decode()
    assert "$185.00" in body  # raised: 50 + 25 + 100 + 10
    assert "$1.20" in body  # four fees of 30 cents
    assert "$40.00" in body and "Direct aid" in body and "Food parcels for 40 families" in body
    assert "4 people have given." in body
    for first_name in ("Huda", "Omar", "Rania"):
        assert first_name in body
    assert "Haddad" not in body and "Khalil" not in body  # first names only
    assert "Secret" not in body and "Benefactor" not in body
    assert "and 1 anonymous donor." in body
    assert "python verifier.py export.json --public-key" in body
    assert 'href="/ledger/export.json"' in body and 'href="/ledger/verifier.py"' in body
    # The checkpoint: four gifts, four fees and the expense, two lines each.
    assert 'data-figure="tree-size">18<' in body


def test_a_campaigns_transparency_page_counts_only_its_gifts(client, books):
    body = client.get(f"/transparency/{books.about.pk}/").content.decode()
    assert "$10.00" in body and "Rania" in body
    assert "Huda" not in body and "$185.00" not in body
    assert "1 person has given." in body
    assert client.get("/transparency/999999/").status_code == 404


def test_the_transparency_page_in_arabic(client, books):
    response = client.get("/ar/transparency/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body
    assert "١٨٥" in body or "185" in body
    assert "Huda" in body and "Secret" not in body
    assert "python verifier.py export.json --public-key" in body


def test_the_footer_links_to_the_transparency_page(client, books):
    assert 'href="/transparency/"' in client.get("/").content.decode()
