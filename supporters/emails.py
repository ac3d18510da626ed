"""Canonical email addresses: one person, one address, whatever way they typed it.

``email_canonical()`` is what dedupe compares (a petition keeps one signature
per canonical address). It folds case and applies the rules of the providers
listed in ``PROVIDER_RULES``, the one place those rules live:

- ``dots``: the provider ignores dots in the local part (Gmail delivers
  j.o.e@gmail.com to joe@gmail.com);
- ``plus``: everything after a ``+`` is a tag the provider ignores;
- ``hyphen``: everything after a ``-`` is a tag (Yahoo's disposable addresses);
- ``alias``: the provider's other domains that reach the same mailbox.

The address stored for sending mail is never rewritten: only comparisons use
the canonical form.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderRule:
    domain: str
    dots: bool = False
    plus: bool = True
    hyphen: bool = False
    aliases: tuple[str, ...] = ()


PROVIDER_RULES: tuple[ProviderRule, ...] = (
    ProviderRule("gmail.com", dots=True, plus=True, aliases=("googlemail.com",)),
    ProviderRule("outlook.com", plus=True, aliases=("hotmail.com", "live.com", "msn.com")),
    ProviderRule("icloud.com", plus=True, aliases=("me.com", "mac.com")),
    ProviderRule("fastmail.com", plus=True, aliases=("fastmail.fm",)),
    ProviderRule("proton.me", plus=True, aliases=("protonmail.com", "protonmail.ch", "pm.me")),
    ProviderRule("yahoo.com", plus=False, hyphen=True, aliases=("ymail.com",)),
)

_BY_DOMAIN: dict[str, ProviderRule] = {}
for _rule in PROVIDER_RULES:
    _BY_DOMAIN[_rule.domain] = _rule
    for _alias in _rule.aliases:
        _BY_DOMAIN[_alias] = _rule


def email_split(email: str) -> tuple[str, str]:
    """The local part and the lower-cased domain (IDNA-decoded domains stay as typed, lower-cased)."""
    local, _at, domain = email.strip().rpartition("@")
    return local, domain.lower().rstrip(".")


def email_domain(email: str) -> str:
    return email_split(email)[1]


def email_canonical(email: str) -> str:
    """The form two addresses of the same mailbox share: case folded, provider rules applied."""
    local, domain = email_split(email)
    local = local.casefold()
    rule = _BY_DOMAIN.get(domain)
    if rule is None:
        return f"{local}@{domain}"
    if rule.plus:
        local = local.split("+", 1)[0]
    if rule.hyphen:
        local = local.split("-", 1)[0]
    if rule.dots:
        local = local.replace(".", "")
    return f"{local}@{rule.domain}"
