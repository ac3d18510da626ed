"""Petition surge: sustained signing on one petition, then proof that no signature was lost.

One server; the petition is the benchmark's own (``/bench-petition/`` under
the home page, open, made by ``python -m bench.petitions prepare`` if
missing). Against it, in this order:

- ``insert``: the write floor, one INSERT (bench/views.py), the baseline;
- ``sign``: each operation is what a browser without JavaScript posts, the
  petition form to ``/act/petitions/<id>/sign/`` with a new email address,
  answered by a 302 to the thanks page; as fast as the server answers;
- ``sign @500/s``: the same at exactly the issue's target rate (open loop,
  latency counted from when each was due), for p99 at that rate.

Each measurement lasts ``--duration`` seconds (the issue's figure is for
60 s: ``python -m bench petitions --duration 60``). Every signer comes
from an address of its own (``X-Forwarded-For`` with ``BEHIND_PROXY`` on,
as behind the production proxy), so the per-address limits are checked on
every request and never hit, and the benchmark's email domain is exempt from
the per-domain limits, as a big mailbox provider is. Confirmation mails are
batched (no Celery message per signature) and go to a dummy mail backend.

With the surge intake on (PostgreSQL and Redis: ``PETITION_SIGN_BUFFERED``),
a sign request puts the signature in Redis and a flusher writes them to the
database in batches; here that flusher is ``python -m bench.petitions
flush-loop``, the same service the Celery beat task runs, every
``PETITION_INTAKE_MS``, on the same machine for the whole signing, so its CPU
is part of what the server's two cores carry.

Then, with the server still up: what the intake still holds is written, the
due confirmation mails are sent (the
mailer's queue drained), every accepted signature is confirmed through the
confirm service, as the emailed link does, the counters are folded until
nothing is left, and the database is counted: the signatures stored for each
measurement must be exactly those the client saw accepted, all confirmed,
and the count the public sees (the cached counter, and ``count.json`` from
the server when the cache is shared) must equal the petition's confirmed
signatures.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.flowgen import FlowError, Response, Session
from bench.harness import INSERT, ROOT, BenchContext, BenchError, Measurement, _tail
from bench.loadgen import Request, percentile

NAME = "petitions"
RUN = "surge"
TARGET_RATE = 500.0
TARGET_P99_MS = 250.0
SLUG = "bench-petition"
TITLE = "Petition surge (benchmark)"
EMAIL_DOMAIN = "bench.example.org"
# The baseline needs no minute of its own, but half a minute evens out what else the machine does.
BASELINE_SECONDS = 30.0


def forwarded_for(block: int, seq: int) -> str:
    """A private address per signer: ``10+block.x.y.z`` from the operation number."""
    return f"{10 + block}.{(seq >> 16) & 255}.{(seq >> 8) & 255}.{seq & 255}"


class Signers:
    """The flow: one new signer per operation, posting the petition form as a browser without JavaScript does."""

    def __init__(self, *, path: str, prefix: str, block: int = 0) -> None:
        self.path = path
        self.prefix = prefix
        self.block = block
        self.sent = 0
        self.accepted = 0
        self.origin = ""
        self.run: Any = None

    async def begin(self, session: Session) -> None:
        """Nothing to fetch: the sign form carries no per-visitor token (the page is shared by the cache)."""
        self.origin = f"http://{session.run.host_header}"
        # The run's latencies of measured operations (the ones its p50 and p99 come from), for p95.
        self.run = session.run

    def form(self, seq: int) -> bytes:
        return urlencode(
            {
                "name": f"Bench Signer {seq}",
                "email": f"{self.prefix}{seq}@{EMAIL_DOMAIN}",
                "country": ("JO", "GB", "US", "EG", "FR")[seq % 5],
                "postcode": "",
                "city": ("Amman", "Irbid", "Zarqa", "Aqaba", "Madaba", "Salt", "Jerash")[seq % 7],
                "comment": "Signed by the benchmark." if seq % 4 == 0 else "",
                "website": "",
            }
        ).encode()

    async def operation(self, session: Session, seq: int) -> Response:
        self.sent += 1
        response = await session.request(
            Request(
                method="POST",
                path=self.path,
                headers={
                    "Accept": "text/html",
                    "Accept-Language": "en",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "X-Forwarded-For": forwarded_for(self.block, seq),
                },
                body=self.form(seq),
            ),
            step="sign POST",
        )
        if response.status != 302:
            raise FlowError(f"POST {self.path}: {response.status}")
        if not urlsplit(response.header("location") or "").path.endswith("/thanks/"):
            raise FlowError(f"POST {self.path}: redirected elsewhere than the thanks page")
        self.accepted += 1
        return response

    def summary(self) -> dict[str, Any]:
        latencies = sorted(getattr(self.run, "latencies", None) or [])
        return {
            "prefix": self.prefix,
            "sent": self.sent,
            "accepted": self.accepted,
            "p95_ms": round(1000 * percentile(latencies, 0.95), 3),
        }


def signers(*, path: str, prefix: str, block: int = 0) -> Signers:
    """The flow factory (``bench.petitions:signers``), called in the load generator's process."""
    return Signers(path=path, prefix=prefix, block=block)


def server_settings() -> dict[str, str]:
    return {
        "BEHIND_PROXY": "true",
        "PETITION_RATE_DOMAIN_EXEMPT": EMAIL_DOMAIN,
        "PETITION_MAIL_BATCHED": "true",
        "PETITION_FOLD_ON_CONFIRM": "false",
        "EMAIL_URL": "dummymail://",
    }


def _django(ctx: BenchContext, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """``python -m bench.petitions args`` with the server's environment; the JSON line it prints."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.petitions", *args],
        cwd=ROOT,
        env={**ctx.env, **server_settings()},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"bench.petitions {' '.join(args)} failed ({completed.returncode}):\n"
                         f"{_tail(completed.stdout + completed.stderr)}")  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _flusher(ctx: BenchContext) -> subprocess.Popen[str] | None:
    """The intake's flusher (what the Celery beat task runs), for the whole signing; None without the intake."""
    if ctx.settings.get("database") != "postgresql" or ctx.settings.get("cache") != "RedisCache":
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "bench.petitions", "flush-loop"],
        cwd=ROOT,
        env={**ctx.env, **server_settings()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _flusher_stop(process: subprocess.Popen[str] | None) -> dict[str, Any] | None:
    """Tell the flusher to stop (it finishes its batch) and read what it did."""
    if process is None:
        return None
    out, err = process.communicate("stop\n", timeout=600)
    if process.returncode != 0:
        raise BenchError(f"bench.petitions flush-loop failed ({process.returncode}):\n{_tail(out + err)}")
    return json.loads(out.strip().splitlines()[-1])


def flush_loop() -> dict[str, Any]:
    """Flush the intake every PETITION_INTAKE_MS until a line arrives on stdin; what it did."""
    import select

    from django.conf import settings

    from campaigns.petitions.intake import signatures_flush

    started, cpu = time.monotonic(), time.process_time()
    written = flushes = 0
    pause = settings.PETITION_INTAKE_MS / 1000
    while True:
        count = signatures_flush()
        written += count
        flushes += bool(count)
        ready, _w, _x = select.select([sys.stdin], [], [], pause)
        if ready:
            break
    return {
        "written": written,
        "flushes": flushes,
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def _public_count(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our loopback URL
            return int(json.loads(response.read())["total"])
    except (OSError, ValueError, KeyError):
        return None


def run(ctx: BenchContext) -> None:
    """Petition surge: sustained signing, then every accepted signature confirmed and counted once."""
    from bench.harness import progress

    tag = f"{int(time.time()):x}"
    prefixes = {"sign": f"surge-{tag}-c-", "paced": f"surge-{tag}-p-"}
    site = _django(ctx, "prepare")
    path = site["sign_path"]
    flow = f"{__name__}:signers"
    shown = Request(method="POST", path=path)
    baseline_load = replace(ctx.load, duration=min(ctx.load.duration, BASELINE_SECONDS))
    eager = bool(ctx.settings.get("celery_eager"))
    shared_cache = ctx.settings.get("cache") == "RedisCache"
    queue_before = None if eager else ctx.django("queue")["queue"]
    with ctx.server("petition surge", **server_settings()) as server:
        insert = server.measure(INSERT, baseline_load)
        flusher = _flusher(ctx)
        sign = server.measure(
            None, ctx.load, flow=flow, factory_args={"path": path, "prefix": prefixes["sign"], "block": 0},
            describe=shown,
        )  # fmt: skip
        paced = server.measure(
            None, ctx.load, flow=flow, factory_args={"path": path, "prefix": prefixes["paced"], "block": 1},
            rate=TARGET_RATE, describe=shown,
        )  # fmt: skip
        flushed = _flusher_stop(flusher)
        queue_after = None if eager else ctx.django("queue")["queue"]
        progress("drain the mail queue, confirm every accepted signature, fold the counters")
        started = time.monotonic()
        expect = [f"--expect={m.flow.get('prefix')}={m.flow.get('accepted', 0)}" for m in (sign, paced)]
        settled = _django(ctx, "settle", f"--page-id={site['page_id']}", *expect)
        settle_seconds = time.monotonic() - started
        served = _public_count(f"{server.url}{site['count_path']}") if shared_cache else None

    report = ctx.report
    report.add(NAME, RUN, "insert", insert, baseline=insert)
    report.add(NAME, RUN, "sign", sign, baseline=insert)
    report.add(NAME, RUN, f"sign @{TARGET_RATE:g}/s", paced)
    accepted = confirmed = 0
    for label, measurement in (("sign", sign), (f"sign @{TARGET_RATE:g}/s", paced)):
        accepted += _check_kept(ctx, label, measurement, settled)
        confirmed += settled["prefixes"].get(measurement.flow.get("prefix", ""), {}).get("confirmed", 0)
    public = settled["public_count"]
    report.check(
        confirmed == accepted > 0,
        f"{NAME}: {accepted:,} signatures accepted but {confirmed:,} confirmed after the replay",
        f"{NAME}: all {accepted:,} accepted signatures confirmed through the confirm service "
        f"({settled['confirm_per_second']:,.0f} confirmations/s; mails sent {settled['mailed']:,}; "
        f"settled in {settle_seconds:.0f} s)",
    )
    report.check(
        public == settled["petition_confirmed"] == settled["counter_total"],
        f"{NAME}: the public count is {public:,}, the counter {settled['counter_total']:,}, but the petition "
        f"has {settled['petition_confirmed']:,} confirmed signatures",
        f"{NAME}: the public count equals the petition's {settled['petition_confirmed']:,} confirmed signatures "
        f"(+{public - settled['public_before']:,} in this run)",
    )
    if shared_cache:
        report.check(
            served == public,
            f"{NAME}: count.json from the server says {served}, the counters {public:,}",
            f"{NAME}: count.json from the server shows {served:,}",
        )
    else:
        report.note(f"{NAME}: the cache is per process (no REDIS_URL), so count.json was not read from the server")
    if eager:
        report.note(
            f"{NAME}: Celery runs eagerly here (no REDIS_URL); the issue's figures are for PostgreSQL with Redis"
        )
    elif queue_before is not None and queue_after is not None:
        grown = queue_after - queue_before
        report.check(
            grown <= 2,
            f"{NAME}: the Celery queue grew by {grown:,} messages while signing: signing should queue none",
            f"{NAME}: signing queued {grown:,} Celery messages for {accepted:,} signatures (mails are batched)",
        )
    if flushed is not None:
        report.note(
            f"{NAME}: the intake flusher wrote {flushed['written']:,} signatures in {flushed['flushes']:,} "
            f"batches during the signing, using {flushed['cpu_seconds']:.1f} s of CPU "
            f"({flushed['cpu_seconds'] / max(flushed['seconds'], 1e-9):.2f} cores); "
            f"{settled['intake_left']:,} were still waiting when the signing stopped"
        )
    if ctx.settings.get("database") == "sqlite":
        report.note(f"{NAME}: SQLite takes one writer at a time; every signature is a write")

    steps = sign.flow.get("steps", {})
    print(
        f"\npetition surge: {sign.result.rps:,.1f} sign requests/s (closed loop, {ctx.load.concurrency} connections, "
        f"{ctx.load.duration:g} s), p50 {sign.result.p50_ms:.1f} / p95 {_p95(sign):.1f} / p99 "
        f"{sign.result.p99_ms:.1f} ms, errors {sign.result.errors:,}; at {TARGET_RATE:g}/s: p50 "
        f"{paced.result.p50_ms:.1f} / p95 {_p95(paced):.1f} / p99 {paced.result.p99_ms:.1f} ms, errors "
        f"{paced.result.errors:,}; accepted {accepted:,}, confirmed {confirmed:,}, shown {public:,} "
        f"(+{public - settled['public_before']:,})"
        + (f" (count.json {served:,})" if served is not None else "")
        + f"; ratio to the INSERT view {_ratio(sign, insert)} ({insert.result.rps:,.0f}/s)"
        + (f"; sign step p99 {steps['sign POST']['p99_ms']:.1f} ms" if "sign POST" in steps else ""),
        flush=True,
    )
    report.target(
        f"petition signing at least {TARGET_RATE:g} requests/s",
        sign.result.errors == 0 and sign.result.rps >= TARGET_RATE,
        f"{sign.result.rps:,.0f}/s for {ctx.load.duration:g} s with {ctx.load.concurrency} connections, "
        f"{_ratio(sign, insert)} of the INSERT view's {insert.result.rps:,.0f}/s",
    )
    kept_up = paced.result.rps >= 0.98 * TARGET_RATE
    report.target(
        f"petition signing p99 under {TARGET_P99_MS:g} ms at {TARGET_RATE:g}/s with no errors",
        paced.result.errors == 0 and kept_up and paced.result.p99_ms < TARGET_P99_MS,
        f"p99 {paced.result.p99_ms:.1f} ms, p50 {paced.result.p50_ms:.1f} ms, {paced.result.errors:,} errors"
        + ("" if kept_up else "; the server fell behind the schedule"),
    )
    added = public - settled["public_before"]
    report.target(
        "no signature lost (confirmed == accepted, public count == confirmed)",
        confirmed == accepted > 0 and public == settled["petition_confirmed"] and added == confirmed,
        f"accepted {accepted:,}, confirmed {confirmed:,}, public count {public:,} (+{added:,} in this run)",
    )


def _p95(measurement: Measurement) -> float:
    """p95 of the same latencies as the row's p50 and p99 (LoadResult keeps p90 and p99; the flow adds p95)."""
    return float(measurement.flow.get("p95_ms", 0.0))


def _check_kept(ctx: BenchContext, label: str, measurement: Measurement, settled: dict[str, Any]) -> int:
    flow = measurement.flow
    stored = settled["prefixes"].get(flow.get("prefix", ""), {})
    accepted = flow.get("accepted", 0)
    rows = stored.get("stored", 0)
    ctx.report.check(
        rows == accepted > 0 and stored.get("exact", False),
        f"{NAME} {label}: the client saw {accepted:,} signatures accepted, the database holds {rows:,} "
        f"(exactly those sent: {stored.get('exact')})",
        f"{NAME} {label}: each of the {accepted:,} accepted signatures stored once",
    )
    return accepted


def _ratio(measurement: Measurement, baseline: Measurement) -> str:
    if baseline.result.rps <= 0:
        return "-"
    return f"{round(measurement.result.rps / baseline.result.rps, 3):.2f}"


# -- The Django side (python -m bench.petitions COMMAND), in the server's environment ----------------------


def prepare() -> dict[str, Any]:
    """The benchmark's petition under the default site's home page: made, published and open if missing."""
    from django.urls import reverse
    from django.utils import translation
    from wagtail.models import Site

    from campaigns.petitions.models import PetitionPage
    from cms.demo import publish

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise SystemExit("no default Wagtail site: run manage.py load_demo first")
    home = site.root_page
    page = PetitionPage.objects.child_of(home).filter(slug=SLUG).first()
    if page is None:
        page = PetitionPage(
            title=TITLE,
            slug=SLUG,
            locale=home.locale,
            show_in_menus=False,
            summary="The petition the benchmarks sign (python -m bench petitions).",
            ask="<p>A petition for measuring how many signatures a second the site takes.</p>",
            state=PetitionPage.State.OPEN,
            goal=10_000_000,
            ask_for_comment=True,
        )
        home.add_child(instance=page)
        page = publish(page)
    elif not page.live or page.state != PetitionPage.State.OPEN or page.opens_at or page.closes_at:
        page.state, page.opens_at, page.closes_at = PetitionPage.State.OPEN, None, None
        page = publish(page)
    from campaigns.petitions.abuse import petition_sign_info_clear

    petition_sign_info_clear([page.pk])
    with translation.override("en"):
        return {
            "page_id": page.pk,
            "sign_path": reverse("campaigns:petitions_sign", kwargs={"page_id": page.pk}),
            "count_path": reverse("campaigns:petitions_count", kwargs={"page_id": page.pk}),
        }


def _confirm_chunk(rows: list[tuple[int, str, Any]]) -> int:
    """Confirm these signatures as their emailed links would (in a process of its own)."""
    from campaigns.petitions.services import signature_confirm, signature_token

    for signature_id, email_canonical, created_at in rows:
        token = signature_token(signature_id=signature_id, email_canonical=email_canonical, created_at=created_at)
        signature_confirm(signature_id=signature_id, token=token)
    return len(rows)


def _confirm_all(rows: list[tuple[int, str, Any]]) -> int:
    """Confirm every row, in one process per usable core (one on SQLite, which takes one writer at a time)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections

    processes = 1 if connection.vendor == "sqlite" else max(1, len(os.sched_getaffinity(0)))
    if processes == 1 or len(rows) < 200:
        return _confirm_chunk(rows)
    # Forked children must not share the parent's database connection: each opens its own.
    connections.close_all()
    chunks = [rows[start::processes] for start in range(processes)]
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
        return sum(pool.map(_confirm_chunk, chunks))


def settle(page_id: int, expected: dict[str, int]) -> dict[str, Any]:
    """Drain the mailer, confirm every pending signature of the run, fold the counters, then count."""
    from django.db.models import Count

    from campaigns.petitions.intake import intake_backlog, signatures_flush
    from campaigns.petitions.models import PetitionCounter, PetitionPage, Signature
    from campaigns.petitions.selectors import petition_counts_refresh, petition_sign_summary
    from campaigns.petitions.services import signature_mails_send, signatures_fold

    petition = PetitionPage.objects.get(pk=page_id).canonical
    before = PetitionCounter.objects.filter(petition=petition).values_list("total", flat=True).first() or 0
    intake_left = intake_backlog()
    while signatures_flush():
        pass
    mailed = 0
    while True:
        sent = signature_mails_send(limit=1000)
        mailed += sent
        if not sent:
            break
    started = time.monotonic()
    pending = (
        list(
            Signature.objects.filter(
                petition=petition,
                status=Signature.Status.PENDING,
                email_canonical__regex=r"^(" + "|".join(re.escape(prefix) for prefix in expected) + ")",
            )
            .order_by("id")
            .values_list("id", "email_canonical", "created_at")
        )
        if expected
        else []
    )
    confirmed_now = _confirm_all(pending)
    confirm_seconds = time.monotonic() - started
    while signatures_fold():
        pass
    petition_counts_refresh(petition_id=petition.pk)
    stats: dict[str, Any] = {}
    for prefix, accepted in expected.items():
        rows = Signature.objects.filter(petition=petition, email_canonical__startswith=prefix)
        emails = set(rows.values_list("email_canonical", flat=True))
        numbers = {
            int(email[len(prefix) :].split("@", 1)[0])
            for email in emails
            if email[len(prefix) :].split("@", 1)[0].isdigit()
        }
        statuses = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        stats[prefix] = {
            "accepted": accepted,
            "stored": rows.count(),
            "distinct": len(emails),
            "exact": len(numbers) == len(emails) == rows.count() == accepted,
            "confirmed": statuses.get(Signature.Status.CONFIRMED, 0),
            "statuses": statuses,
        }
    summary = petition_sign_summary(page_id=page_id) or {"total": -1}
    return {
        "prefixes": stats,
        "mailed": mailed,
        "confirmed_now": confirmed_now,
        "confirm_per_second": confirmed_now / confirm_seconds if confirm_seconds > 0 else 0.0,
        "counter_total": PetitionCounter.objects.filter(petition=petition).values_list("total", flat=True).first() or 0,
        "petition_confirmed": Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED).count(),
        "public_before": before,
        "intake_left": intake_left,
        "public_count": int(summary["total"]),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.petitions")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare")
    commands.add_parser("flush-loop")
    settling = commands.add_parser("settle")
    settling.add_argument("--page-id", type=int, required=True)
    settling.add_argument("--expect", action="append", default=[], metavar="PREFIX=N")
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.command == "prepare":
        result = prepare()
    elif args.command == "flush-loop":
        result = flush_loop()
    else:
        expected = {}
        for item in args.expect:
            prefix, _sep, count = item.rpartition("=")
            expected[prefix] = int(count)
        result = settle(args.page_id, expected)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
