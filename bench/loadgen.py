"""The load generator: a small HTTP/1.1 client on raw asyncio streams.

It opens N keep-alive connections to one server and sends requests on each
as fast as the server answers (a closed loop), or, when a target rate is
given, on a fixed schedule shared by all connections (an open loop, latency
measured from when each request was due, so a server that falls behind shows
it in the percentiles instead of hiding it by slowing the client down).

It runs in a process of its own (``python -m bench.loadgen``), so the event
loop shares neither an interpreter nor a GIL with the harness, and imports
nothing from Django. The harness writes a :class:`LoadJob` as JSON on stdin
and reads, one line each on stdout::

    measuring       the warm-up is over; the measured window starts
    done            the window is over
    {...}           the LoadResult as JSON

Only requests sent inside the window count (in the open loop: due inside
it), whenever their answer arrives; the warm-up fills the server's caches,
thread pools and database connections, and a slow first answer to a request
sent during the warm-up is not held against the window. A counted request
still unanswered when the client gives up after the window is an error.

For a quick look by hand: ``python -m bench.loadgen http://127.0.0.1:8000/ -c 16 -d 5``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

# The largest response head the client accepts (asyncio's default is 64 KiB).
READ_LIMIT = 1 << 20
# After the window closes, how long in-flight requests may take to finish.
DRAIN_SECONDS = 5.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# Failures that mean the connection is gone; a reused keep-alive connection
# that fails before any byte of the answer arrived is retried once.
_CONNECTION_LOST = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


@dataclass(frozen=True)
class Request:
    """One HTTP request. Host, User-Agent and Content-Length are added when encoded."""

    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS

    def encode(self, host: str, *, close: bool = False) -> bytes:
        """The request as bytes on the wire, for a server reached as ``host``; ``close`` ends the connection."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "User-Agent: bench-loadgen"]
        names = {name.lower() for name in self.headers}
        if "accept" not in names:
            lines.append("Accept: */*")
        if close:
            lines.append("Connection: close")
        lines.extend(f"{name}: {value}" for name, value in self.headers.items())
        if (self.body or self.method not in BODYLESS_METHODS) and "content-length" not in names:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": dict(self.headers),
            # latin-1 maps every byte to one code point, so any body survives JSON.
            "body": self.body.decode("latin-1"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            method=data["method"],
            path=data["path"],
            headers=dict(data["headers"]),
            body=data["body"].encode("latin-1"),
        )


# A factory builds the request numbered ``seq`` (0, 1, 2, ... across all
# connections), for bodies that must differ: unique emails, event ids.
RequestBuilder = Callable[[int], Request]


@dataclass(frozen=True)
class LoadJob:
    """What to send, where, how hard and for how long.

    Give either ``request`` (the same request every time) or ``factory``, a
    ``"package.module:function"`` path; the function is called once in the
    client process with ``factory_args`` as keyword arguments and returns a
    :data:`RequestBuilder`.

    A keep-alive connection stays with the gunicorn worker that accepted it,
    and connections opened all at once, or while the server is busy, land
    mostly on whichever worker is awake (29 of 32 on one of three workers,
    in trials on this project), which makes throughput and latency depend on
    luck. So all connections are opened before the first request is sent,
    ``connect_interval`` seconds apart (10 ms: 0.3 s for 32, before the
    warm-up starts), while every worker is idle; they then spread evenly
    (10/11/11 in the same trials).

    After ``requests_per_connection`` requests (0: never, the default) a
    connection asks the server to close it and a new one is opened, for
    benchmarks that want connection churn.
    """

    host: str
    port: int
    request: Request | None = None
    factory: str | None = None
    factory_args: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 32
    duration: float = 10.0
    warmup: float = 2.0
    rate: float | None = None
    timeout: float = 30.0
    watch_header: str | None = None
    connect_interval: float = 0.01
    requests_per_connection: int = 0

    def __post_init__(self) -> None:
        if (self.request is None) == (self.factory is None):
            raise ValueError("give exactly one of request or factory")
        if self.concurrency < 1 or self.duration <= 0 or self.warmup < 0 or self.timeout <= 0:
            raise ValueError("concurrency must be >= 1, duration and timeout > 0, warmup >= 0")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be > 0 requests per second")
        if self.connect_interval < 0:
            raise ValueError("connect_interval must be >= 0")
        if self.requests_per_connection < 0:
            raise ValueError("requests_per_connection must be >= 0 (0: keep each connection for the whole run)")

    def to_json(self) -> str:
        data = asdict(self)
        data["request"] = self.request.to_dict() if self.request else None
        data["factory_args"] = dict(self.factory_args)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> LoadJob:
        data = json.loads(text)
        if data.get("request") is not None:
            data["request"] = Request.from_dict(data["request"])
        return cls(**data)


@dataclass
class LoadResult:
    """What the client observed in the measured window.

    ``requests`` counts 2xx responses to requests sent in the window, and
    ``rps`` and the latency figures are computed from them; anything else
    (another status, a refused or reset connection, a timeout, no answer by
    the end) is counted in ``errors`` and itemised in ``statuses`` and
    ``failures``. ``watched`` counts the values of the
    watched response header over every response ("" when it was absent).
    ``client_cpu`` is the client's CPU time per second of window: 1.0 means
    it kept one core busy.
    """

    requests: int
    errors: int
    seconds: float
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    failures: dict[str, int]
    watched: dict[str, int]
    mean_bytes: float
    connections: int
    client_cpu: float
    target_rate: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadResult:
        return cls(**data)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def load_factory(path: str, args: Mapping[str, Any]) -> RequestBuilder:
    """Import ``package.module:function`` and call it with ``args``."""
    module_name, _sep, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"factory must look like package.module:function, not {path!r}")
    make = getattr(importlib.import_module(module_name), attribute)
    return make(**args)


async def _read_chunked(reader: asyncio.StreamReader) -> int:
    """Read a chunked body and its trailers; return the body's size."""
    total = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return total
        await reader.readexactly(size + 2)
        total += size


async def read_response(
    reader: asyncio.StreamReader, *, head_request: bool, watch: bytes | None
) -> tuple[int, bytes | None, int, bool]:
    """Read one response; return (status, watched header value, body size, keep-alive)."""
    block = await reader.readuntil(b"\r\n\r\n")
    lines = block[:-4].split(b"\r\n")
    version, _sep, rest = lines[0].partition(b" ")
    status = int(rest[:3])
    keep_alive = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    watched: bytes | None = None
    for line in lines[1:]:
        name, _sep, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            tokens = {token.strip() for token in value.lower().split(b",")}
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
        elif name == watch:
            watched = value.strip()
    if head_request or status in (204, 304) or status < 200:
        size = 0
    elif chunked:
        size = await _read_chunked(reader)
    elif length is not None:
        await reader.readexactly(length)
        size = length
    else:
        size = len(await reader.read())
        keep_alive = False
    return status, watched, size, keep_alive


_Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class _Wire:
    """A request ready to send: as usual, and as the last one on its connection."""

    payload: bytes
    last_payload: bytes
    head_request: bool
    idempotent: bool


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.transport.abort()


class _Run:
    """The shared state of one load run: counters, the window, the schedule."""

    def __init__(self, job: LoadJob) -> None:
        self.job = job
        self.host_header = f"{job.host}:{job.port}"
        self.watch = job.watch_header.lower().encode("latin-1") if job.watch_header else None
        self.builder = load_factory(job.factory, job.factory_args) if job.factory else None
        self.static: _Wire | None = None
        if job.request is not None:
            self.static = self._encode(job.request)
        self.seq = 0
        self.tickets = 0
        self.schedule_start = 0.0
        self.measuring = False
        self.window_start = 0.0
        self.stopping = False
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.watched: Counter[str] = Counter()
        self.body_bytes = 0
        self.connections = 0
        self.unanswered = 0  # counted requests sent and not yet answered or failed

    def _encode(self, request: Request) -> _Wire:
        return _Wire(
            payload=request.encode(self.host_header),
            last_payload=request.encode(self.host_header, close=True),
            head_request=request.method == "HEAD",
            idempotent=request.idempotent,
        )

    def next_request(self) -> _Wire:
        if self.static is not None:
            return self.static
        assert self.builder is not None  # noqa: S101 - LoadJob guarantees one of the two
        seq = self.seq
        self.seq += 1
        return self._encode(self.builder(seq))

    def record(self, counted: bool, status: int, watched: bytes | None, size: int, latency: float) -> None:
        """Count a response to a request sent inside the window (``counted``); ignore the rest."""
        if not counted:
            return
        self.unanswered -= 1
        self.statuses[str(status)] += 1
        if self.watch is not None:
            self.watched[watched.decode("latin-1") if watched is not None else ""] += 1
        if 200 <= status < 300:
            self.latencies.append(latency)
            self.body_bytes += size

    def fail(self, counted: bool, kind: str) -> None:
        """Count a request sent inside the window that got no response."""
        if counted:
            self.unanswered -= 1
            self.failures[kind] += 1

    async def due_time(self) -> float | None:
        """In open-loop mode, wait for the next slot of the schedule and return when it was due."""
        if self.job.rate is None:
            return None
        due = self.schedule_start + self.tickets / self.job.rate
        self.tickets += 1
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        return due

    async def open_all(self) -> list[_Stream | None]:
        """Open the job's connections one by one, ``connect_interval`` apart, before any request."""
        opened: list[_Stream | None] = []
        for number in range(self.job.concurrency):
            if number and self.job.connect_interval:
                await asyncio.sleep(self.job.connect_interval)
            try:
                opened.append(await asyncio.open_connection(self.job.host, self.job.port, limit=READ_LIMIT))
            except OSError:
                opened.append(None)  # connection() tries again, and counts a failure if it must
                continue
            self.connections += 1
        return opened

    async def connection(self, stream: _Stream | None = None) -> None:
        """One client connection: send, read, repeat; reconnect whenever the server closes."""
        job = self.job
        reader, writer = stream if stream is not None else (None, None)
        reused = False
        served = 0  # responses read on the current connection
        recycle = job.requests_per_connection
        while not self.stopping:
            wire = self.next_request()
            due = await self.due_time()
            if self.stopping:
                break
            started = time.perf_counter() if due is None else due
            counted = self.measuring and (due is None or due >= self.window_start)
            if counted:
                self.unanswered += 1
            retried = False
            while True:
                if writer is None:
                    try:
                        reader, writer = await asyncio.open_connection(job.host, job.port, limit=READ_LIMIT)
                    except OSError as exc:
                        self.fail(counted, f"connect: {type(exc).__name__}")
                        await asyncio.sleep(0.01)
                        break
                    self.connections += 1
                    reused = False
                    served = 0
                assert reader is not None  # noqa: S101 - set together with writer
                payload = wire.last_payload if recycle and served + 1 >= recycle else wire.payload
                try:
                    async with asyncio.timeout(job.timeout):
                        writer.write(payload)
                        if len(payload) > 65536:
                            await writer.drain()
                        status, watched, size, keep_alive = await read_response(
                            reader, head_request=wire.head_request, watch=self.watch
                        )
                except (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
                    nothing_read = isinstance(exc, _CONNECTION_LOST) or (
                        isinstance(exc, asyncio.IncompleteReadError) and not exc.partial
                    )
                    _close(writer)
                    reader = writer = None
                    if reused and wire.idempotent and nothing_read and not retried:
                        retried = True
                        continue
                    self.fail(counted, type(exc).__name__)
                    break
                self.record(counted, status, watched, size, time.perf_counter() - started)
                served += 1
                if keep_alive and payload is wire.payload:
                    reused = True
                else:
                    _close(writer)
                    reader = writer = None
                break
        _close(writer)

    def result(self, seconds: float, cpu_seconds: float) -> LoadResult:
        ordered = sorted(self.latencies)
        count = len(ordered)
        errors = sum(n for status, n in self.statuses.items() if not status.startswith("2"))
        if self.unanswered > 0:
            self.failures["unanswered at the end"] += self.unanswered
            self.unanswered = 0
        errors += sum(self.failures.values())
        return LoadResult(
            requests=count,
            errors=errors,
            seconds=round(seconds, 4),
            rps=round(count / seconds, 2) if seconds > 0 else 0.0,
            mean_ms=round(1000 * sum(ordered) / count, 3) if count else 0.0,
            p50_ms=round(1000 * percentile(ordered, 0.50), 3),
            p90_ms=round(1000 * percentile(ordered, 0.90), 3),
            p99_ms=round(1000 * percentile(ordered, 0.99), 3),
            max_ms=round(1000 * ordered[-1], 3) if count else 0.0,
            statuses=dict(sorted(self.statuses.items())),
            failures=dict(sorted(self.failures.items())),
            watched=dict(sorted(self.watched.items())),
            mean_bytes=round(self.body_bytes / count, 1) if count else 0.0,
            connections=self.connections,
            client_cpu=round(cpu_seconds / seconds, 3) if seconds > 0 else 0.0,
            target_rate=self.job.rate,
        )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run_load(job: LoadJob, announce: Callable[[str], None] = _say) -> LoadResult:
    """Run ``job`` in this process's event loop; ``announce`` is told when the window opens and closes."""
    return await drive(_Run(job), job, announce, unit="connection")


async def drive(run: Any, job: LoadJob, announce: Callable[[str], None], *, unit: str) -> LoadResult:
    """Open every connection, warm up, measure for the window, let the stragglers finish, return the figures.

    ``run`` is a _Run or a flowgen.FlowRun: both open connections, serve one
    (``connection``) and build the result; ``unit`` names a client for errors.
    """
    opened = await run.open_all()
    run.schedule_start = time.perf_counter()
    tasks = [asyncio.create_task(run.connection(stream)) for stream in opened]
    try:
        await asyncio.sleep(job.warmup)
        cpu_start, started = time.process_time(), time.perf_counter()
        run.window_start = started
        run.measuring = True
        announce("measuring")
        await asyncio.sleep(job.duration)
        run.measuring = False
        cpu_end, ended = time.process_time(), time.perf_counter()
        run.stopping = True
        announce("done")
        _done, pending = await asyncio.wait(tasks, timeout=min(job.timeout, DRAIN_SECONDS))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                raise RuntimeError(f"a client {unit} crashed") from task.exception()
    finally:
        for task in tasks:
            task.cancel()
    return run.result(ended - started, cpu_end - cpu_start)


def _job_from_argv(argv: list[str]) -> LoadJob:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="http://host:port/path")
    parser.add_argument("-X", "--method", default="GET")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--body", default="", help="request body (text)")
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=10.0)
    parser.add_argument("-w", "--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=None, help="open loop: requests per second")
    parser.add_argument("--watch", default=None, help="count the values of this response header")
    args = parser.parse_args(argv)
    url = urlsplit(args.url)
    if url.scheme != "http" or not url.hostname:
        parser.error("only http://host:port/path URLs are supported")
    headers = dict(line.split(":", 1) for line in args.header)
    request = Request(
        method=args.method.upper(),
        path=(url.path or "/") + (f"?{url.query}" if url.query else ""),
        headers={name.strip(): value.strip() for name, value in headers.items()},
        body=args.body.encode(),
    )
    return LoadJob(
        host=url.hostname,
        port=url.port or 80,
        request=request,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        rate=args.rate,
        watch_header=args.watch,
    )


def main(argv: list[str] | None = None) -> None:
    """With arguments, run a job by hand and print the result; without, speak the harness's protocol."""
    argv = sys.argv[1:] if argv is None else argv
    # Nothing here makes reference cycles; the collector would only add pauses.
    gc.disable()
    if argv:
        result = asyncio.run(run_load(_job_from_argv(argv), announce=lambda _line: None))
        print(json.dumps(asdict(result), indent=2))
        return
    job = LoadJob.from_json(sys.stdin.read())
    result = asyncio.run(run_load(job))
    _say(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
