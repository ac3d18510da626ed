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
# Other web processes see a publish (a petition closing) within this many seconds.
SIGN_INFO_LOCAL_TTL = 2.0
_MISSING = "missing"
_SIGN_INFO_KEY = "petitions:signinfo:{}"
_DISPOSABLE_KEY = "petitions:disposable"

_disposable: tuple[float, frozenset[str]] | None = None
_sign_info_local: dict[int, tuple[float, SignInfo | str]] = {}


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


def _sign_info_load(page_id: int) -> SignInfo | None:
    from campaigns.petitions.models import PetitionPage

    page = PetitionPage.objects.filter(pk=page_id).first()
    if page is None:
        return None
    canonical = page.canonical
    return SignInfo(
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


def petition_sign_info(page_id: int) -> SignInfo | None:
    """What the sign path needs to know about a petition: from this process (for SIGN_INFO_LOCAL_TTL
    seconds), else the shared cache, else the database (then cached until the next publish)."""
    now = time.monotonic()
    local = _sign_info_local.get(page_id)
    if local is not None and now - local[0] < SIGN_INFO_LOCAL_TTL:
        return None if local[1] == _MISSING else local[1]
    key = _SIGN_INFO_KEY.format(page_id)
    info = cache.get(key)
    if info is None:
        info = _sign_info_load(page_id) or _MISSING
        cache.set(key, info, timeout=300)
    if len(_sign_info_local) > 1000:
        _sign_info_local.clear()
    _sign_info_local[page_id] = (now, info)
    return None if info is _MISSING or info == _MISSING else info


def petition_sign_info_clear(page_ids: list[int]) -> None:
    """Forget what is cached about these petitions (here at once; other processes within the local TTL)."""
    for pk in page_ids:
        _sign_info_local.pop(pk, None)
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


def rate_keys(*, ip: str, domain: str, now_s: int) -> list[tuple[str, int, int]]:
    """(key, limit, window) for each limit this attempt counts against."""
    rules = [
        ("ip-burst", ip, settings.PETITION_RATE_IP_BURST),
        ("ip-sustained", ip, settings.PETITION_RATE_IP_SUSTAINED),
    ]
    if domain and domain not in settings.PETITION_RATE_DOMAIN_EXEMPT:
        rules += [
            ("domain-burst", domain, settings.PETITION_RATE_DOMAIN_BURST),
            ("domain-sustained", domain, settings.PETITION_RATE_DOMAIN_SUSTAINED),
        ]
    keys = []
    for kind, value, rate in rules:
        limit, window = parse_rate(rate)
        if limit > 0 and value:
            keys.append((f"petitions:rl:{kind}:{window}:{_hashed(value)}:{now_s // window}", limit, window))
    return keys


def redis_client() -> object | None:
    """The raw Redis client behind django-redis, to count every limit in one round trip."""
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


def sign_rate_exceeded(*, ip: str, domain: str, now: datetime.datetime) -> bool:
    """Count this attempt against every limit; True if any is over."""
    keys = rate_keys(ip=ip, domain=domain, now_s=int(now.timestamp()))
    if not keys:
        return False
    redis = redis_client()
    if redis is not None:
        pipe = redis.pipeline(transaction=False)
        for key, _limit, window in keys:
            full = cache.make_key(key)
            pipe.set(full, 0, ex=window + 1, nx=True)
            pipe.incr(full)
        results = pipe.execute()
        counts = results[1::2]
    else:
        counts = []
        for key, _limit, window in keys:
            cache.add(key, 0, timeout=window + 1)
            try:
                counts.append(cache.incr(key))
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window + 1)
                counts.append(1)
    return any(count > limit for count, (_key, limit, _window) in zip(counts, keys, strict=True))
