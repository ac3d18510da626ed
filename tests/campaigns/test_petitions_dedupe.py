"""One signature per person: canonical email addresses, and regions derived in one place."""

from __future__ import annotations

import pytest

from campaigns.petitions.models import Signature
from campaigns.petitions.regions import region_for
from supporters.emails import PROVIDER_RULES, email_canonical
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import sign


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Maya.Haddad@Gmail.com", "mayahaddad@gmail.com"),
        ("m.a.y.a.h.a.d.d.a.d+petitions@gmail.com", "mayahaddad@gmail.com"),
        ("mayahaddad@googlemail.com", "mayahaddad@gmail.com"),
        ("MAYAHADDAD+x+y@GOOGLEMAIL.COM", "mayahaddad@gmail.com"),
        ("maya+tag@outlook.com", "maya@outlook.com"),
        ("maya@hotmail.com", "maya@outlook.com"),
        ("maya-news@yahoo.com", "maya@yahoo.com"),
        ("maya+news@yahoo.com", "maya+news@yahoo.com"),  # Yahoo tags with a hyphen, not a plus
        ("Maya.Haddad+x@Example.ORG", "maya.haddad+x@example.org"),  # unknown providers: case only
        ("  Omar@Example.org ", "omar@example.org"),
        ("STRASSE@example.org", "strasse@example.org"),
    ],
)
def test_canonical_addresses(typed, canonical):
    assert email_canonical(typed) == canonical


def test_the_provider_rules_live_in_one_table():
    domains = [rule.domain for rule in PROVIDER_RULES]
    assert "gmail.com" in domains and len(domains) == len(set(domains))
    gmail = next(rule for rule in PROVIDER_RULES if rule.domain == "gmail.com")
    assert gmail.dots and gmail.plus and "googlemail.com" in gmail.aliases


def test_gmail_variants_sign_once(petition):
    for n, address in enumerate(["maya.haddad@gmail.com", "MayaHaddad+x@googlemail.com", "m.ayahaddad@GMAIL.com"]):
        sign(petition, n, email=address)
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email == "maya.haddad@gmail.com"  # the address as typed is kept for mail
    sign(petition, 9, email="maya.haddad@example.org")
    sign(petition, 10, email="mayahaddad@example.org")  # dots matter on other domains
    assert Signature.objects.count() == 3


@pytest.mark.parametrize(
    ("country", "postcode", "city", "region"),
    [
        ("GB", "sw1a 1aa", "", "SW1A"),
        ("GB", "M1 2AB", "Manchester", "M1"),
        ("US", "10001-1234", "", "100"),
        ("JO", "", "  amman ", "Amman"),
        ("JO", "", "إربد", "إربد"),
        ("FR", "75001", "Paris", "75001"),
        ("EG", "", "", ""),
    ],
)
def test_regions(country, postcode, city, region):
    assert region_for(country=country, postcode=postcode, city=city) == region
