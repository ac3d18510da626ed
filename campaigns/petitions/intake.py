"""The surge intake: a signature is accepted with one Redis round trip and written to the database in batches.

Why: a sign request that writes its own row pays a database commit per
signature, and at a viral peak those commits, not our code, are what the two
cores spend their time on. The UK Parliament petitions site fell over on a
per-signature ``+1``; counting in batches fixed the counter, and writing in
batches does the same for the signatures themselves.

The path, when ``PETITION_SIGN_BUFFERED`` is on (PostgreSQL with Redis, the
production shape):

``signature_accept(...)``
    checks the petition is open and the domain is not disposable (both from
    the cache, see ``abuse``), then runs ONE Lua script in Redis that counts
    the attempt against every rate limit and, only if none is over, appends
    the signature to the intake list. Nothing is accepted unless it is in the
    list; nothing in the list is refused later (a duplicate becomes the
    "already signed" no-op of ``signatures_insert``, which answers the same).

``signatures_flush()`` (Celery beat every ``PETITION_INTAKE_MS``)
    moves up to ``batch`` entries at a time, atomically, from the list into a
    "taken" list of its own (registered with the time it was taken), writes
    them with one multi-row ``INSERT ... ON CONFLICT`` in a transaction, and
    only then deletes the taken list. A flusher that dies between the two
    leaves its taken list behind; the next flush finds it once it is
    ``STALE_SECONDS`` old and writes it again, which changes nothing for rows
    already written (the same conflict rule). So a crash at any point drops
    nothing and doubles nothing.

Durability: an accepted signature lives only in Redis until the next flush
(about a second). Run Redis with ``appendonly yes`` (as docker-compose does)
so a restart keeps the list. Without ``PETITION_SIGN_BUFFERED`` (SQLite, no
Redis, the embedded default) ``signature_accept`` is ``signature_sign``: one
INSERT per signature. With Celery eager (no beat process), each accepted
signature is flushed at once.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from campaigns.petitions import abuse
from campaigns.petitions.models import Signature
from campaigns.petitions.services import (
    rate_limited,
    sign_checks,
    signature_row,
    signature_sign,
    signatures_insert,
)

logger = logging.getLogger(__name__)

QUEUE_KEY = "petitions:intake:queue"
TAKEN_KEY = "petitions:intake:taken"  # a sorted set: taken list -> when it was taken
STALE_SECONDS = 60.0
BATCH = 2000

# KEYS: the intake list, then one counter per limit. ARGV: the entry, then (limit, window) per counter.
# Every counter is incremented (as the unbuffered path does); the entry is appended only if none is over.
_ACCEPT_LUA = """
local over = 0
for i = 2, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2 * i - 1]) + 1) end
  if count > tonumber(ARGV[2 * i - 2]) then over = 1 end
end
if over == 1 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""

# KEYS: the intake list, this flush's taken list, the taken register. ARGV: how many, the time.
_TAKE_LUA = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
for i = 1, #items, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, #items)))
end
redis.call('ZADD', KEYS[3], ARGV[2], KEYS[2])
return items
"""

_scripts: dict[tuple[int, str], Any] = {}


def _script(redis: Any, source: str) -> Any:
    """A registered Lua script (EVALSHA, loaded once per client)."""
    key = (id(redis), source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = redis.register_script(source)
    return script


def intake_enabled() -> bool:
    """Buffer only where it can be done safely: PostgreSQL (the batch INSERT) and Redis (the list)."""
    if not settings.PETITION_SIGN_BUFFERED or connection.vendor != "postgresql":
        return False
    return abuse.redis_client() is not None


def signature_accept(
    *,
    petition_id: int,
    name: str,
    email: str,
    country: str,
    postcode: str = "",
    city: str = "",
    comment: str = "",
    public: bool = False,
    updates: bool = False,
    language: str = "en",
    ip: str = "",
    source: str = Signature.Source.FORM,
    now: datetime.datetime | None = None,
) -> None:
    """Take a signature from the sign form or the API. Raises ``SigningRefused`` as ``signature_sign`` does."""
    fields = {
        "name": name,
        "email": email,
        "country": country,
        "postcode": postcode,
        "city": city,
        "comment": comment,
        "public": public,
        "updates": updates,
        "language": language,
        "ip": ip,
        "source": source,
    }
    if not intake_enabled():
        signature_sign(petition_id=petition_id, now=now, **fields)
        return
    now = now or timezone.now()
    info, domain = sign_checks(petition_id=petition_id, email=email, now=now)
    limits = abuse.rate_keys(ip=ip, domain=domain, now_s=int(now.timestamp()))
    entry = json.dumps([info.canonical_id, now.timestamp(), fields], separators=(",", ":"))
    redis = abuse.redis_client()
    accepted = _script(redis, _ACCEPT_LUA)(
        keys=[cache.make_key(QUEUE_KEY), *(cache.make_key(key) for key, _limit, _window in limits)],
        args=[entry, *(value for _key, limit, window in limits for value in (limit, window))],
    )
    if not accepted:
        raise rate_limited()
    if current_app.conf.task_always_eager:  # no beat process to flush: write it now
        signatures_flush()


def _rows(items: list[bytes]) -> list[list[Any]]:
    rows = []
    for item in items:
        try:
            petition_id, timestamp, fields = json.loads(item)
            created_at = datetime.datetime.fromtimestamp(float(timestamp), tz=datetime.UTC)
            rows.append(signature_row(petition_id=int(petition_id), created_at=created_at, **fields))
        except (ValueError, TypeError, KeyError) as problem:  # written by us, so never expected
            logger.error("petition intake: an entry could not be read and was skipped (%s): %r", problem, item[:500])
    return rows


def _write(items: list[bytes]) -> int:
    rows = _rows(items)
    with transaction.atomic():
        signatures_insert(rows=rows)
    return len(rows)


def signatures_flush(*, batch: int = BATCH, limit: int = 200_000) -> int:
    """Write what the intake accepted to the database; returns how many entries were written.

    Safe to run at the same time in several processes and to run again after a crash (see the module
    docstring). Stops after ``limit`` entries so one run cannot hold a worker for ever.
    """
    redis = abuse.redis_client()
    if redis is None:
        return 0
    queue, register = cache.make_key(QUEUE_KEY), cache.make_key(TAKEN_KEY)
    written = 0
    for taken in redis.zrangebyscore(register, "-inf", time.time() - STALE_SECONDS):
        items = redis.lrange(taken, 0, -1)
        logger.warning("petition intake: writing %d entries a flush left behind (%s)", len(items), taken)
        written += _write(items)
        redis.delete(taken)
        redis.zrem(register, taken)
    take = _script(redis, _TAKE_LUA)
    while written < limit:
        taken = f"{register}:{uuid.uuid4().hex}"
        items = take(keys=[queue, taken, register], args=[batch, time.time()])
        if not items:
            break
        written += _write(items)
        redis.delete(taken)
        redis.zrem(register, taken)
    return written


def intake_backlog() -> int:
    """Entries accepted and not yet written (waiting, or taken by a flush that has not finished)."""
    redis = abuse.redis_client()
    if redis is None:
        return 0
    register = cache.make_key(TAKEN_KEY)
    waiting = redis.llen(cache.make_key(QUEUE_KEY))
    return waiting + sum(redis.llen(taken) for taken in redis.zrange(register, 0, -1))
