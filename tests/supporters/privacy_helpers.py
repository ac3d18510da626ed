"""Helpers for the privacy tests: a supporter who gave, signed and marched; signing in; links in emails."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core import mail
from django.db import connection

from campaigns.marches.services import letter_submit, participant_register
from campaigns.petitions.models import Signature
from campaigns.petitions.services import signature_confirm, signature_token
from donations.ledger.services import checkpoint_publish
from donations.models import Donation
from supporters.models import Supporter
from supporters.signin import sign_in_link_create
from tests.campaigns.petition_fixtures import sign
from tests.donations.conftest import card_form, gift_form

NAME = "Layla Nasser"
EMAIL = "layla.nasser@example.org"
ERASE_LINK = re.compile(r"https?://\S+/account/privacy/erase/[^\s/]+/")
EXPORT_LINK = re.compile(r"https?://\S+/account/privacy/export/[^\s/]+/")


@dataclass
class Person:
    supporter: Supporter
    donation: Donation
    signature: Signature


def give(browser: Any, page: Any, **overrides: Any) -> Donation:
    """A gift through the real sandbox flow, as a browser without JavaScript makes it."""
    browser.post("/donate/start/", gift_form(page.form_config(), **overrides))
    donation = Donation.objects.order_by("-pk").first()
    browser.get(f"/donate/{donation.reference}/pay/")
    browser.post(f"/donate/{donation.reference}/pay/", card_form())
    donation.refresh_from_db()
    return donation


def sign_and_confirm(petition: Any, n: int, **overrides: Any) -> Signature:
    outcome = sign(petition, n, **overrides)
    signature = Signature.objects.get(pk=outcome.signature_id)
    token = signature_token(
        signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
    )
    return signature_confirm(signature_id=signature.pk, token=token)


def person_who_gave_signed_and_marched(
    browser: Any, donate_page: Any, petition: Any, march: Any, target: Any, fold: Any
) -> Person:
    """Layla gives (with a message, address and survey), signs publicly, joins a march and writes to the minister."""
    donation = give(
        browser,
        donate_page,
        name=NAME,
        email=EMAIL,
        message=f"From {NAME}, for the wells",
        address_line1="12 Rainbow Street",
        address_city="Amman",
        address_postcode="11181",
        email_updates="on",
        survey_consent="on",
        age_band="35_44",
        gender="woman",
        survey_country="JO",
        survey_city="Irbid",
    )
    assert donation.status == Donation.Status.SUCCEEDED
    sign_and_confirm(petition, 1)  # someone else
    signature = sign_and_confirm(petition, 2, name=NAME, email=EMAIL, comment=f"{NAME} wants water", postcode="11181")
    fold()
    registration = participant_register(
        march=march, name=NAME, email=EMAIL, region="Amman", language="en", slot="letter"
    )
    letter_submit(participant=registration.participant, target_id=target.pk)
    checkpoint_publish(force=True)
    supporter = Supporter.objects.get(email=EMAIL)
    return Person(supporter=supporter, donation=donation, signature=signature)


def sign_in(client: Any, email: str) -> None:
    """Sign in as a supporter the way a person does: the emailed link's button."""
    _link, token = sign_in_link_create(email=email)
    response = client.post(f"/account/sign-in/{token}/")
    assert response.status_code == 302, response.content


def link_in_outbox(pattern: re.Pattern[str], to: str) -> str:
    for message in reversed(mail.outbox):
        if to in message.to:
            found = pattern.findall(message.body)
            if found:
                return found[-1]
    raise AssertionError(f"no link for {to} in {[m.subject for m in mail.outbox]}")


def tables_mentioning(*needles: str) -> list[str]:
    """Every table and column (found by introspecting the database) whose text holds one of the needles."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quote = connection.ops.quote_name
            for column in connection.introspection.get_table_description(cursor, table):
                for needle in needles:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s",  # noqa: S608
                        [f"%{needle.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        hits.append(f"{table}.{column.name} holds {needle!r}")
    return hits
