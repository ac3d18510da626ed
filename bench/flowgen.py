"""Load for operations of several requests: a session per connection, steps that read the answers.

:mod:`bench.loadgen` sends one request per operation and only counts what
comes back. Some operations are a conversation: a donor's browser fetches
the form (and its CSRF cookie), posts it, and follows the redirect with the
session cookie the post set; a payment processor signs each webhook it
delivers and reads the status it gets. This module drives such *flows*
with the same schedule, window and figures as the load generator (it reuses
its run state), so their rows sit in the same table.

A flow is made in the client process, once, from ``LoadJob.factory``
(``"package.module:function"``, called with ``factory_args``), and has::

    async def begin(self, session: Session) -> None
        # once per connection, before its first operation and not measured:
        # fetch a form, collect cookies; keep what the operations need in
        # session.data
    async def operation(self, session: Session, seq: int) -> Response
        # one measured operation (seq = 0, 1, 2, ... across connections);
        # raise FlowError("what was wrong") for an answer a browser or a
        # processor would not accept
    def summary(self) -> dict
        # the flow's own counts (JSON), for the harness's checks

An operation counts like a request in :class:`bench.loadgen.LoadResult`: it
succeeds when ``operation`` returns (the flow checked every answer; the last
status, a 302 for a form post not followed, is counted in ``statuses``), and
fails when it raises or the connection breaks; its latency runs
from when it started (in the open loop: from when it was due) to the last
byte of its last response; a FlowError is an error itemised by its message.
``session.request(request, step=...)`` also records each step's latency
inside measured operations, reported as ``steps`` beside the flow's summary.

Protocol with the harness: as bench/loadgen.py (``measuring``, ``done``, then
the result as JSON), the result object having one more key, ``flow``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from bench.loadgen import (
    _CONNECTION_LOST,
    READ_LIMIT,
    LoadJob,
    LoadResult,
    Request,
    _close,
    _Run,
    _say,
    _Stream,
    drive,
    percentile,
)


class FlowError(Exception):
    """An answer the flow does not accept (a wrong status, a missing cookie); its message is the error's name."""


@dataclass(frozen=True)
class Response:
    """A response as read: status, headers (names lower-cased, in order) and the whole body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]


async def _read_body_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


async def read_full_response(reader: asyncio.StreamReader, *, head_request: bool) -> tuple[Response, bool]:
    """Read one response with its headers and body; return it and whether the connection stays open."""
    block = await reader.readuntil(b"\r\n\r\n")
    lines = block[:-4].split(b"\r\n")
    version, _sep, rest = lines[0].partition(b" ")
    status = int(rest[:3])
    keep_alive = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        raw_name, _sep, raw_value = line.partition(b":")
        name = raw_name.strip().lower().decode("latin-1")
        value = raw_value.strip().decode("latin-1")
        headers.append((name, value))
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            tokens = {token.strip() for token in value.lower().split(",")}
            if "close" in tokens:
                keep_alive = False
            elif "keep-alive" in tokens:
                keep_alive = True
    if head_request or status in (204, 304) or status < 200:
        body = b""
    elif chunked:
        body = await _read_body_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
        keep_alive = False
    return Response(status=status, headers=tuple(headers), body=body), keep_alive


class Session:
    """One client connection and its cookie jar, as one browser (or one webhook sender) would hold them.

    The TCP connection is reopened whenever the server closes it; the cookies
    and ``data`` stay. A reused keep-alive connection that fails before any
    byte of the answer is retried once for GET and HEAD, as in loadgen.
    """

    def __init__(self, run: FlowRun, stream: _Stream | None) -> None:
        self.run = run
        self.reader, self.writer = stream if stream is not None else (None, None)
        self.reused = False
        self.cookies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.ready = False
        self.counted = False

    def close(self) -> None:
        _close(self.writer)
        self.reader = self.writer = None

    async def request(self, request: Request, *, step: str) -> Response:
        """Send ``request`` with the session's cookies; keep the cookies the answer sets."""
        headers = dict(request.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        payload = replace(request, headers=headers).encode(self.run.host_header)
        started = time.perf_counter()
        retried = False
        while True:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(
                    self.run.job.host, self.run.job.port, limit=READ_LIMIT
                )
                self.run.connections += 1
                self.reused = False
            assert self.reader is not None  # noqa: S101 - set together with writer
            try:
                self.writer.write(payload)
                if len(payload) > 65536:
                    await self.writer.drain()
                response, keep_alive = await read_full_response(self.reader, head_request=request.method == "HEAD")
            except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
                nothing_read = isinstance(exc, _CONNECTION_LOST) or (
                    isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                )
                reused = self.reused
                self.close()
                if reused and request.idempotent and nothing_read and not retried:
                    retried = True
                    continue
                raise
            if keep_alive:
                self.reused = True
            else:
                self.close()
            break
        self._keep_cookies(response)
        if self.counted:
            self.run.steps[step].append(time.perf_counter() - started)
        return response

    def _keep_cookies(self, response: Response) -> None:
        for header in response.header_values("set-cookie"):
            pair, *attributes = header.split(";")
            name, _sep, value = pair.strip().partition("=")
            expired = any(attribute.strip().lower() == "max-age=0" for attribute in attributes)
            if expired or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


# What a broken connection or a bad answer raises inside an operation.
_TRANSPORT_ERRORS = (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError)


class FlowRun(_Run):
    """loadgen's run state (schedule, window, counters) driving a flow instead of single requests."""

    def __init__(self, job: LoadJob) -> None:
        super().__init__(job)
        self.flow: Any = self.builder
        self.builder = None
        self.op_seq = 0
        self.steps: defaultdict[str, list[float]] = defaultdict(list)
        self.setup_failures: Counter[str] = Counter()

    async def _begin(self, session: Session) -> bool:
        """Run the flow's unmeasured start on this connection; a failure in the window is an error."""
        try:
            async with asyncio.timeout(self.job.timeout):
                await self.flow.begin(session)
        except (FlowError, *_TRANSPORT_ERRORS) as exc:
            kind = str(exc) if isinstance(exc, FlowError) else type(exc).__name__
            session.close()
            self.setup_failures[kind] += 1
            if self.measuring:
                self.failures[f"setup: {kind}"] += 1
            await asyncio.sleep(0.05)
            return False
        session.ready = True
        return True

    async def connection(self, stream: _Stream | None = None) -> None:
        """One session: begin, then operations until the run stops."""
        session = Session(self, stream)
        try:
            while not self.stopping:
                if not session.ready and not await self._begin(session):
                    continue
                due = await self.due_time()
                if self.stopping:
                    break
                started = time.perf_counter() if due is None else due
                counted = self.measuring and (due is None or due >= self.window_start)
                if counted:
                    self.unanswered += 1
                session.counted = counted
                seq = self.op_seq
                self.op_seq += 1
                try:
                    async with asyncio.timeout(self.job.timeout):
                        response = await self.flow.operation(session, seq)
                except FlowError as exc:
                    self.fail(counted, str(exc))
                    continue
                except _TRANSPORT_ERRORS as exc:
                    session.close()
                    self.fail(counted, type(exc).__name__)
                    continue
                self.record(counted, response.status, None, len(response.body), time.perf_counter() - started)
        finally:
            session.close()

    def record(self, counted: bool, status: int, watched: bytes | None, size: int, latency: float) -> None:
        """Count an operation that returned: the flow accepted its answers, whatever the last status.

        (A redirect can be the point of an operation, such as a form post not
        followed.) The status is still counted, so the figures show it.
        """
        if not counted:
            return
        self.unanswered -= 1
        self.statuses[str(status)] += 1
        self.latencies.append(latency)
        self.body_bytes += size

    def result(self, seconds: float, cpu_seconds: float) -> LoadResult:
        """loadgen's result, where only failures (FlowError, a broken connection, no answer) are errors."""
        result = super().result(seconds, cpu_seconds)
        accepted = sum(count for status, count in self.statuses.items() if not status.startswith("2"))
        return replace(result, errors=result.errors - accepted)

    def summary(self) -> dict[str, Any]:
        """The flow's own summary, each step's latency in measured operations, and failed starts."""
        steps = {}
        for name, latencies in self.steps.items():
            ordered = sorted(latencies)
            steps[name] = {
                "count": len(ordered),
                "mean_ms": round(1000 * sum(ordered) / len(ordered), 3) if ordered else 0.0,
                "p50_ms": round(1000 * percentile(ordered, 0.50), 3),
                "p99_ms": round(1000 * percentile(ordered, 0.99), 3),
            }
        return {
            **self.flow.summary(),
            "steps": steps,
            "operations": self.op_seq,
            "setup_failures": dict(self.setup_failures),
        }


async def run_flow(job: LoadJob, announce: Callable[[str], None] = _say) -> tuple[LoadResult, dict[str, Any]]:
    """Run the flow ``job`` names, as loadgen.run_load runs a request; return the result and the flow's summary."""
    run = FlowRun(job)
    result = await drive(run, job, announce, unit="session")
    return result, run.summary()


def main() -> None:
    """Speak the harness's protocol: a LoadJob on stdin, the result (with ``flow``) on stdout."""
    gc.disable()
    job = LoadJob.from_json(sys.stdin.read())
    result, summary = asyncio.run(run_flow(job))
    _say(json.dumps({**asdict(result), "flow": summary}))


if __name__ == "__main__":
    # Run the copy of this module imported as bench.flowgen: flows import FlowError from
    # there, and this file running as __main__ would otherwise define a second, unrelated one.
    from bench import flowgen

    flowgen.main()
