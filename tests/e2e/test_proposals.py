"""Member proposals in a real browser on a phone, in English and Arabic: sign in by emailed link, propose, vote."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.proposals.models import Proposal, ProposalRound, ProposalVote
from campaigns.proposals.services import proposal_create, proposal_publish
from supporters.models import Supporter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LINK = re.compile(r"https?://\S+/account/sign-in/[A-Za-z0-9_-]{55}/")
TEXT = {
    "en": {"title": "Safe crossings near schools", "body": "Children cross a fast road twice a day to reach school.",
           "published": "Wells in every village", "sent": "Check your email", "waiting": "Waiting for moderation",
           "left": "You have 1 vote left."},
    "ar": {"title": "معابر آمنة قرب المدارس", "body": "يعبر الأطفال طريقًا سريعًا مرتين كل يوم للوصول إلى المدرسة.",
           "published": "آبار في كل قرية", "sent": "تحقق من بريدك الإلكتروني", "waiting": "بانتظار المراجعة",
           "left": "بقي لديك صوت واحد."},
}  # fmt: skip


def link_in_mail(folder: Path, address: str) -> str:
    for path in sorted(folder.glob("*.log"), key=lambda item: item.stat().st_mtime, reverse=True):
        text = path.read_text()
        if f"To: {address}" in text:
            found = LINK.findall(text)
            if found:
                return found[-1]
    raise AssertionError(f"no sign-in link for {address} in {folder}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_sign_in_by_email_propose_and_vote(phone_visitor, site_tree, live_server, settings, tmp_path, language):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.BASE_URL = live_server.url
    text = TEXT[language]
    prefix = "/ar" if language == "ar" else ""
    now = timezone.now()
    ProposalRound.objects.create(
        name="2027 priorities", name_ar="أولويات 2027", opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14), votes_per_supporter=2, ready_threshold=50,
    )  # fmt: skip
    other = Supporter.objects.create(email="first@example.org", email_verified_at=now, language=language)
    existing = proposal_create(supporter=other, title=text["published"], body=text["body"] + " 2", language=language)
    proposal_publish(proposal_id=existing.pk)  # what staff do in the admin

    page = phone_visitor.go(f"{prefix}/act/proposals/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert text["published"] in page.locator(".proposal-ranking").inner_text()
    phone_visitor.screenshot(f"proposals-{language}-1-ranking")
    assert phone_visitor.serious_accessibility_violations() == []

    # Proposing needs a signed-in supporter: the sign-in page, then the emailed link.
    page.locator(f"a[href='{prefix}/act/proposals/new/']").click()
    page.wait_for_url("**/account/sign-in/?next=*")
    address = f"new-{language}@example.org"
    page.locator("#id_email").fill(address)
    phone_visitor.screenshot(f"proposals-{language}-2-sign-in")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url("**/account/sign-in/sent/")
    assert text["sent"] in page.locator("h1").inner_text()

    link = link_in_mail(tmp_path, address)
    assert link.startswith(f"{live_server.url}{prefix}/account/sign-in/")
    page.goto(link)
    phone_visitor.screenshot(f"proposals-{language}-3-confirm")
    assert phone_visitor.serious_accessibility_violations() == []
    assert not Supporter.objects.filter(email=address).exists()  # opening the link signs nobody in
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/act/proposals/new/")

    page.locator("#id_title").fill(text["title"])
    page.locator("#id_body").fill(text["body"])
    phone_visitor.screenshot(f"proposals-{language}-4-propose")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("form.proposal-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/act/proposals/\d+/$"))
    assert text["waiting"] in page.locator(".proposal-status").inner_text()
    proposal = Proposal.objects.get(title=text["title"])
    assert (proposal.status, proposal.language, proposal.supporter.email) == ("pending", language, address)

    # Vote for the published proposal from the ranking.
    page.goto(f"{live_server.url}{prefix}/act/proposals/")
    page.locator(f"#proposal-{existing.pk} form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/act/proposals/*")
    assert text["left"] in page.locator(".remaining-votes").inner_text()
    assert (
        page.locator(f"#proposal-{existing.pk} .vote-count").inner_text().startswith("1" if language == "en" else "صوت")
    )
    phone_visitor.screenshot(f"proposals-{language}-5-voted")
    assert phone_visitor.serious_accessibility_violations() == []
    assert phone_visitor.csp_violations() == []
    assert phone_visitor.outside_requests == []
    assert ProposalVote.objects.filter(proposal=existing, supporter__email=address).count() == 1
