"""Erase me: a supporter who gave, signed and marched is erased; nothing names them, the books still prove."""
# ruff: noqa: F811 (fixtures are imported from the other test packages and named as arguments)

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.marches.models import MarchLetter, MarchParticipant
from campaigns.petitions.models import PetitionCounter, PetitionPage, PetitionTally, Signature
from campaigns.petitions.selectors import petition_count, petition_recent_signers
from donations.ledger import proofs
from donations.ledger.models import DonorSalt, LedgerEntry
from donations.ledger.services import donor_commitment, inclusion_document, public_key_b64
from donations.models import Donation, DonorSurvey
from donations.receipts.models import Receipt
from supporters.models import Consent, PrivacyRequest, SignInLink, Supporter
from supporters.privacy import erased_email, supporter_erase
from tests.campaigns.conftest import campaign, target  # noqa: F401
from tests.campaigns.petition_fixtures import fold, petition, real_counting  # noqa: F401
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401
from tests.donations.conftest import browser, donate_page  # noqa: F401
from tests.supporters.privacy_helpers import (
    EMAIL,
    ERASE_LINK,
    NAME,
    link_in_outbox,
    person_who_gave_signed_and_marched,
    sign_in,
    tables_mentioning,
)

pytestmark = pytest.mark.django_db


def receipt_proofs() -> dict[str, dict]:
    return {r.number: inclusion_document(seq=r.ledger_seq) for r in Receipt.objects.exclude(ledger_seq=None)}


def ledger_verifies() -> str:
    out = StringIO()
    call_command("ledger_verify", stdout=out)  # raises CommandError on any failure
    return out.getvalue()


@pytest.fixture
def layla(browser, donate_page, petition, live_march, target, fold):
    return person_who_gave_signed_and_marched(browser, donate_page, petition, live_march, target, fold)


def test_erasing_someone_who_gave_signed_and_marched_leaves_no_trace_and_every_proof_valid(
    browser, layla, petition, live_march
):
    # Before: they are everywhere, and the books prove.
    assert tables_mentioning(EMAIL, NAME)
    assert petition_count(petition_id=petition.pk) == 2
    assert NAME.split()[0] in [row["first_name"] for row in petition_recent_signers(petition_id=petition.pk)]
    receipt = Receipt.objects.get(donation=layla.donation)
    assert receipt.pdf
    commitment = donor_commitment(layla.supporter)
    assert LedgerEntry.objects.filter(donor_commitment=commitment).exists()
    before = receipt_proofs()
    assert before and all(proofs.check_inclusion_document(doc, public_key_b64()).ok for doc in before.values())
    ledger_verifies()

    # Ask from the signed-in session, confirm from the emailed link's page (GET shows a button, POST erases).
    sign_in(browser.client, EMAIL)
    page = browser.get("/account/privacy/erase/").content.decode()
    assert "What we keep" in page and "Charity and tax law" in page
    mail.outbox.clear()
    response = browser.post("/account/privacy/erase/")
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    link = link_in_outbox(ERASE_LINK, EMAIL)
    assert "Charity and tax law require us" in mail.outbox[-1].body  # what is kept, and why
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert browser.get(f"/{path}").status_code == 200
    assert Supporter.objects.get(pk=layla.supporter.pk).erased_at is None  # opening the link erases nothing
    response = browser.post(f"/{path}")
    assert response.status_code == 200 and "being erased" in response.content.decode()

    # Done: one last email, to the old address, listing what was kept and why.
    done = mail.outbox[-1]
    assert done.to == [EMAIL] and "erased" in done.subject.lower()
    assert "The ledger is append-only" in done.body
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.ERASURE)
    assert request.status == PrivacyRequest.Status.DONE and request.completed_at
    assert request.detail["campaigns"]["signatures_subtracted_from_counts"] == 1
    assert request.detail["donations"]["ledger_salt_deleted"] == 1

    # The email address and the name (nor the first name, nor the address's local part) are in no column of any table.
    assert tables_mentioning(EMAIL, NAME, NAME.split()[0], EMAIL.split("@")[0], "Rainbow Street") == []
    supporter = Supporter.objects.get(pk=layla.supporter.pk)
    assert (supporter.email, supporter.name, supporter.email_verified_at) == (erased_email(supporter.pk), "", None)
    # Signed out: the session is dead.
    assert browser.get("/account/").status_code == 302

    # Kept: the gift's amount, date and receipt number; the receipt, without its PDF (it printed the name).
    donation = Donation.objects.get(pk=layla.donation.pk)
    assert (donation.amount_minor, donation.currency, donation.status) == (5000, "USD", "succeeded")
    assert (donation.address_line1, donation.message, donation.card_last4) == ("", "", "")
    receipt = Receipt.objects.get(pk=receipt.pk)
    assert receipt.number in before and not receipt.pdf
    assert not DonorSurvey.objects.exists() and not SignInLink.objects.filter(supporter=supporter).exists()
    assert Consent.objects.filter(supporter=supporter).count() >= 3  # proof of consent, naming nobody

    # The ledger is unchanged and proves; the commitment stays but no salt can tie it to anyone.
    assert not DonorSalt.objects.filter(supporter=supporter).exists()
    assert LedgerEntry.objects.filter(donor_commitment=commitment).exists()
    assert "FAIL" not in ledger_verifies()
    after = receipt_proofs()
    assert after == before
    assert all(proofs.check_inclusion_document(doc, public_key_b64()).ok for doc in after.values())

    # The open petition's count dropped by one, in the counter, its region's tally and what the public sees.
    assert petition_count(petition_id=petition.pk) == 1
    assert PetitionCounter.objects.get(petition=petition).total == 1
    assert sum(PetitionTally.objects.filter(petition=petition).values_list("total", flat=True)) == 1
    assert NAME.split()[0] not in [row["first_name"] for row in petition_recent_signers(petition_id=petition.pk)]
    signature = Signature.objects.get(pk=layla.signature.pk)
    assert signature.status == Signature.Status.INVALIDATED and not signature.public
    # The march: still counted as a registration, no name, a new private link.
    participant = MarchParticipant.objects.get(supporter=supporter)
    assert participant.name == ""
    assert all(letter.reply_to == "" for letter in MarchLetter.objects.all())

    # Erasing twice is harmless: nothing more changes, the count does not drop again.
    again = supporter_erase(supporter=supporter)
    assert again["campaigns"]["signatures_subtracted_from_counts"] == 0
    assert again["supporters"]["supporter_pseudonymised"] == 0
    assert petition_count(petition_id=petition.pk) == 1
    assert tables_mentioning(EMAIL, NAME) == []
    assert receipt_proofs() == before
    ledger_verifies()


def test_a_delivered_petition_keeps_its_count_but_not_the_name(browser, layla, petition):
    # What staff do in the admin: close, then record the delivery.
    PetitionPage.objects.filter(pk=petition.pk).update(state="delivered", delivered_on=timezone.localdate())
    supporter_erase(supporter=layla.supporter)
    assert PetitionCounter.objects.get(petition=petition).total == 2
    signature = Signature.objects.get(pk=layla.signature.pk)
    assert (signature.status, signature.name, signature.public) == ("confirmed", "", False)
    assert EMAIL not in signature.email and signature.invalidated_reason


def test_a_running_monthly_gift_is_cancelled_at_the_gateway_before_the_erasure(browser, donate_page, layla):
    from donations.models import DonationEvent
    from supporters.privacy import erasure_run
    from tests.donations.portal_helpers import give_monthly

    gift = give_monthly(browser, donate_page, email=EMAIL, amount="2000")
    assert gift.supporter_id == layla.supporter.pk and gift.status == "active"
    sign_in(browser.client, EMAIL)
    page = browser.get("/account/privacy/erase/").content.decode()
    assert "cancelled first, with the payment provider" in page
    browser.post("/account/privacy/erase/")
    path = "/" + link_in_outbox(ERASE_LINK, EMAIL).split("://", 1)[1].split("/", 1)[1]
    mail.outbox.clear()
    assert browser.post(path).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "canceled" and gift.canceled_at is not None
    canceled = DonationEvent.objects.filter(recurring_gift=gift, kind=DonationEvent.Kind.CANCELED_BY_DONOR)
    assert canceled.count() == 1
    # The sandbox gateway was told (its subscription event went through the same pipeline as Stripe's).
    assert gift.gateway_status == "canceled"
    # They were told their gift ended, at their address, before it was erased; then the erasure's own email.
    subjects = [message.subject for message in mail.outbox if message.to == [EMAIL]]
    assert len(subjects) == 2, subjects
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.ERASURE)
    assert request.status == PrivacyRequest.Status.DONE
    assert request.detail["donations"]["monthly_gifts_canceled"] == 1
    assert tables_mentioning(EMAIL, NAME) == []
    # Run again (a retried task): nothing more is cancelled or sent.
    PrivacyRequest.objects.filter(pk=request.pk).update(status=PrivacyRequest.Status.QUEUED)
    mail.outbox.clear()
    erasure_run(request_id=request.pk)
    assert canceled.count() == 1 and mail.outbox == []


def test_a_tampered_or_used_confirmation_link_erases_nothing(browser, layla):
    sign_in(browser.client, EMAIL)
    browser.post("/account/privacy/erase/")
    path = "/" + link_in_outbox(ERASE_LINK, EMAIL).split("://", 1)[1].split("/", 1)[1]
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert browser.get(tampered).status_code == 400
    assert browser.post(tampered).status_code == 400
    assert Supporter.objects.get(pk=layla.supporter.pk).erased_at is None
    assert browser.post(path).status_code == 200
    assert Supporter.objects.get(pk=layla.supporter.pk).erased_at is not None
    assert browser.post(path).status_code == 400  # used
    assert PrivacyRequest.objects.filter(status=PrivacyRequest.Status.DONE).count() == 1


def test_the_erasure_page_needs_a_signed_in_supporter(client, db):
    response = client.get("/account/privacy/erase/")
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
    assert client.post("/account/privacy/erase/").status_code == 302


def test_gateway_payloads_and_proposals_are_handled(browser, layla):
    from campaigns.proposals.models import Proposal, ProposalRound
    from donations.models import WebhookEvent

    # A Stripe-style event about the gift, with the card holder's details in it.
    intent = layla.donation.payment_intent_id
    assert intent
    event = WebhookEvent.objects.create(
        gateway="stripe", event_id="evt_privacy_1", event_type="charge.succeeded", created=timezone.now(),
        payload={"id": "evt_privacy_1", "data": {"object": {
            "id": "ch_1", "payment_intent": intent, "amount": 5000, "currency": "usd",
            "billing_details": {"name": NAME, "email": EMAIL, "address": {"line1": "12 Rainbow Street"}},
            "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "exp_year": 2039}},
            "description": f"Gift from {NAME}",
        }}},
    )  # fmt: skip
    round_ = ProposalRound.objects.create(
        name="2027", opens_at=timezone.now() - timezone.timedelta(days=1),
        closes_at=timezone.now() + timezone.timedelta(days=9),
    )  # fmt: skip
    published = Proposal.objects.create(
        round=round_, supporter=layla.supporter, title="Wells for all", title_key="wells for all",
        body="Every village needs one.", status="published",
    )  # fmt: skip
    Proposal.objects.create(
        round=round_, supporter=layla.supporter, title="A pending idea", title_key="a pending idea",
        body="Not seen by anyone yet.", status="pending",
    )  # fmt: skip

    done = supporter_erase(supporter=layla.supporter)

    event.refresh_from_db()
    charge = event.payload["data"]["object"]
    assert charge["billing_details"] is None and charge["payment_method_details"]["card"]["last4"] is None
    assert (charge["amount"], charge["payment_intent"]) == (5000, intent)  # what reconciliation needs stays
    assert NAME not in charge["description"]
    assert done["donations"]["webhook_payloads_scrubbed"] >= 1
    assert list(Proposal.objects.values_list("pk", flat=True)) == [published.pk]
    assert done["campaigns"]["unpublished_proposals_deleted"] == 1
    assert tables_mentioning(EMAIL, NAME) == []


def test_a_confirmed_erasure_a_lost_worker_left_queued_runs_from_the_hourly_task(layla):
    from supporters.models import PrivacyRequest as Request
    from supporters.tasks import privacy_erasures_retry

    request = Request.objects.create(
        supporter=layla.supporter, kind="erasure", status="queued",
        confirmed_at=timezone.now() - timezone.timedelta(hours=2),
    )  # fmt: skip
    fresh = Request.objects.create(
        supporter=layla.supporter, kind="erasure", status="queued", confirmed_at=timezone.now()
    )
    assert privacy_erasures_retry.delay().get() == 1
    request.refresh_from_db()
    fresh.refresh_from_db()
    assert (request.status, fresh.status) == ("done", "queued")
    assert Supporter.objects.get(pk=layla.supporter.pk).erased_at is not None
    assert privacy_erasures_retry.delay().get() == 0
