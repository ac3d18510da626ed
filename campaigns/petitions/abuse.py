"""Abuse defences for signing: disposable domains, per-IP and per-domain rate limits, the petition's open state.

Everything here is read from the shared cache (Redis in production) or a
short-lived copy in the process, so the sign path costs no database query:

- ``petition_sign_info(page_id)``: the petition's canonical id, state and
  dates, cached until the page is published again (``petition_sign_info_clear``).
- ``domain_is_disposable(domain)``: the ``DisposableDomain`` list (subdomains
  included), kept in the process for ``DISPOSABLE_TTL`` seconds and refreshed
  at once in this process when staff edit it.
- ``sign_rate_exceeded(ip=..., domain=...)``: fixed-window counters, a burst
  limit and a sustained limit per client address and per email domain
  (``PETITION_RATE_*`` settings, "count/seconds"). Large mailbox providers
  (``PETITION_RATE_DOMAIN_EXEMPT``) have no domain limit: half the world
  signs with them.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

DISPOSABLE_TTL = 30.0
_SIGN_INFO_KEY = "petitions:signinfo:{}"
_DISPOSABLE_KEY = "petitions:disposable"

_disposable: tuple[float, frozenset[str]] | None = None


@dataclass(frozen=True)
class SignInfo:
    canonical_id: int
    live: bool
    state: str
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    goal: int = 0
    milestones: tuple[int, ...] = ()
    ask_for_comment: bool = True

    def next_milestone(self, total: int) -> int:
        """The next count to aim for: the first milestone or goal above the total (or the highest)."""
        counts = sorted({*self.milestones, self.goal} - {0})
        for count in counts:
            if count > total:
                return count
        return counts[-1] if counts else 0

    def state_now(self, now: datetime.datetime) -> str:
        if self.state == "open" and self.opens_at and now < self.opens_at:
            return "draft"
        if self.state == "open" and self.closes_at and now >= self.closes_at:
            return "closed"
        return self.state

    def accepts(self, now: datetime.datetime) -> bool:
        if not self.live or self.state != "open":
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


def petition_sign_info(page_id: int) -> SignInfo | None:
    key = _SIGN_INFO_KEY.format(page_id)
    info = cache.get(key)
    if info is None:
        from campaigns.petitions.models import PetitionPage

        page = PetitionPage.objects.filter(pk=page_id).first()
        if page is None:
            return None
        canonical = page.canonical
        info = SignInfo(
            canonical_id=canonical.pk,
            # Live and without view restrictions: what anonymous visitors may see.
            live=page.live and not page.get_view_restrictions().exists(),
            state=canonical.state,
            opens_at=canonical.opens_at,
            closes_at=canonical.closes_at,
            goal=canonical.goal,
            milestones=tuple(sorted(canonical.milestones.values_list("count", flat=True))),
            ask_for_comment=canonical.ask_for_comment,
        )
        cache.set(key, info, timeout=300)
    return info


def petition_sign_info_clear(page_ids: list[int]) -> None:
    cache.delete_many([_SIGN_INFO_KEY.format(pk) for pk in page_ids])


def _disposable_set() -> frozenset[str]:
    global _disposable
    now = time.monotonic()
    if _disposable is not None and now - _disposable[0] < DISPOSABLE_TTL:
        return _disposable[1]
    domains = cache.get(_DISPOSABLE_KEY)
    if domains is None:
        from campaigns.petitions.models import DisposableDomain

        domains = frozenset(DisposableDomain.objects.values_list("domain", flat=True))
        cache.set(_DISPOSABLE_KEY, domains, timeout=3600)
    _disposable = (now, domains)
    return domains


def disposable_domains_changed() -> None:
    global _disposable
    _disposable = None
    cache.delete(_DISPOSABLE_KEY)


def domain_is_disposable(domain: str) -> bool:
    domains = _disposable_set()
    parts = domain.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts) - 1))


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/60' -> (20, 60): at most 20 in any fixed window of 60 seconds. '0/..' switches a limit off."""
    count, _slash, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def _hashed(value: str) -> str:
    return hashlib.blake2b(f"{settings.SECRET_KEY}:{value}".encode(), digest_size=12).hexdigest()


def _hit(kind: str, value: str, rate: str, now_s: int) -> bool:
    limit, window = parse_rate(rate)
    if limit <= 0 or not value:
        return False
    key = f"petitions:rl:{kind}:{window}:{_hashed(value)}:{now_s // window}"
    try:
        hits = cache.incr(key)
    except ValueError:
        hits = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
    return hits > limit


def sign_rate_exceeded(*, ip: str, domain: str, now: datetime.datetime) -> bool:
    """Count this attempt against every limit; True if any is over."""
    now_s = int(now.timestamp())
    over = False
    over |= _hit("ip-burst", ip, settings.PETITION_RATE_IP_BURST, now_s)
    over |= _hit("ip-sustained", ip, settings.PETITION_RATE_IP_SUSTAINED, now_s)
    if domain and domain not in settings.PETITION_RATE_DOMAIN_EXEMPT:
        over |= _hit("domain-burst", domain, settings.PETITION_RATE_DOMAIN_BURST, now_s)
        over |= _hit("domain-sustained", domain, settings.PETITION_RATE_DOMAIN_SUSTAINED, now_s)
    return over
