"""The benchmark harness: prepare the site, start gunicorn, drive it, report.

A benchmark module uses it like this (see bench/home.py)::

    def run(ctx: BenchContext) -> None:
        with ctx.server("cached", PAGE_CACHE_SECONDS="300") as server:
            bare = server.measure(BARE, ctx.load)
            page = server.measure(Request(path="/"), ctx.load, watch_header="X-Page-Cache")
        ctx.report.add("home", "cached", "bare", bare, baseline=bare)
        ctx.report.add("home", "cached", "home /", page, baseline=bare)
        ctx.report.check(page.result.watched.get("hit") == page.result.requests, "home was not served from cache")

Pieces:

- :func:`bench_env` builds the server's environment (DEBUG off, bench views
  on, the caller's DATABASE_URL and REDIS_URL passed through unchanged).
- :func:`open_session` migrates, loads the demo site, makes the INSERT
  baseline's table and the benchmark donate page (bench/dbtools.py), collects
  static files into a temporary STATIC_ROOT and yields a :class:`BenchContext`.
- :class:`Server` is gunicorn on a free loopback port, started and always
  stopped (SIGTERM, then SIGKILL) by a ``with`` block; one server per
  configuration, because settings are read at start-up.
- :meth:`Server.measure` runs the load generator (bench/loadgen.py, or
  bench/flowgen.py for operations of several requests) in its own process
  and returns a :class:`Measurement`, with the server's CPU use over the
  same window read from /proc.
- :meth:`BenchContext.django` runs bench/dbtools.py against the session's
  database, for the counts a benchmark checks after its run.
- :class:`Report` collects rows, computes each row's ratio against the
  baseline measured in the same server run, records checks, notes and the
  issue's targets, prints the table and saves JSON.

Only the standard library is imported here; Django runs in the subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bench.loadgen import LoadJob, LoadResult, Request
from bench.stripe_events import encode, payment_intent_succeeded

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
GUNICORN_CONF = "platform/gunicorn.conf.py"
HOST = "127.0.0.1"
# The bare view: every middleware, no database, no template (bench/views.py).
BARE = Request(method="GET", path="/bench/bare")
# The write floor: every middleware and one INSERT of the body (bench/views.py); the body is
# a Stripe event's size and shape, so it is also what the webhook endpoint stores per event.
INSERT = Request(
    method="POST",
    path="/bench/insert",
    headers={"Content-Type": "application/json"},
    body=encode(payment_intent_succeeded("evt_bench_insert", created=1_790_000_000, number=0)),
)

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Cores busy before the run above which the harness warns that the machine is not quiet.
BUSY_THRESHOLD = 0.25
# Local processes whose CPU is reported as the database and cache ("cpu db").
SERVICE_PROCESS_NAMES = ("postgres", "redis-server")


class BenchError(RuntimeError):
    """The benchmark could not run (a command failed, the server did not start)."""


def progress(message: str) -> None:
    """A line about what the harness is doing, on stderr so stdout keeps only the figures."""
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


# -- Options ----------------------------------------------------------------


@dataclass(frozen=True)
class LoadOptions:
    """How hard and how long each measurement drives the server."""

    duration: float = 10.0
    warmup: float = 2.0
    concurrency: int = 32
    timeout: float = 30.0
    # See LoadJob: connections opened 10 ms apart spread evenly over the workers.
    connect_interval: float = 0.01
    requests_per_connection: int = 0


def default_workers() -> int:
    """gunicorn workers for this machine: one per usable core, plus one.

    The conventional 2 x cores + 1 assumes the load comes from elsewhere; here
    the load generator needs part of the same cores, and each gthread worker
    already has several threads to cover waits on the database.
    """
    return len(os.sched_getaffinity(0)) + 1


@dataclass(frozen=True)
class ServerOptions:
    """How gunicorn is started. ``max_requests=0`` turns off worker recycling.

    platform/gunicorn.conf.py recycles each worker after about 5,000 requests;
    at benchmark rates that would restart workers inside the measured window
    (and empty their local-memory cache), so the harness turns it off.
    """

    workers: int = field(default_factory=default_workers)
    threads: int = 4
    max_requests: int = 0
    startup_timeout: float = 90.0


# -- Environment and preparation ----------------------------------------------


def bench_env(static_root: Path, base: Mapping[str, str] | None = None, **overrides: str) -> dict[str, str]:
    """The environment for manage.py and gunicorn.

    Everything in ``base`` (the caller's environment by default) is passed
    through, DATABASE_URL and REDIS_URL included; on top: development profile
    with DEBUG off (so templates are cached and static files come from the
    manifest, as in production), a random SECRET_KEY, loopback hosts, no HTTPS
    redirect, the bench views on and quiet logging. ``overrides`` come last.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS="false",
        BENCH_ENDPOINTS="true",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(static_root),
        STATIC_COMPRESS="false",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(overrides)
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 900) -> str:
    """Run ``manage.py args`` with ``env``; return its output or raise BenchError with it."""
    command = [sys.executable, "manage.py", *args]
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed ({completed.returncode}):\n{_tail(output)}")
    return output


def django_json(env: Mapping[str, str], *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run ``python -m bench.dbtools args`` with ``env`` and return the JSON line it prints.

    The Django side of preparation and of the after-run checks (bench/dbtools.py):
    the harness itself never imports Django.
    """
    command = [sys.executable, "-m", "bench.dbtools", *args]
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        raise BenchError(f"bench.dbtools {' '.join(args)} failed ({completed.returncode}):\n{_tail(output)}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


DEMO_GIFTS = "donations.demo.load_demo_gifts"
# A year of analytics gifts for the Insights pages: no benchmark reads them (bench/insights.py seeds its own).
DEMO_INSIGHTS = "donations.demo.load_demo_insights"


def prepare(env: Mapping[str, str], *, demo_gifts: bool = True) -> dict[str, Any]:
    """Migrate, load the demo site (idempotent), make what the benchmarks need, collect static files.

    Returns what bench/dbtools.py made: the donate page's path and form, for
    the benchmarks that post to it. ``demo_gifts`` off leaves out the demo's
    gifts (and their receipt PDFs) when no benchmark reads them; the Insights
    demo's year of gifts is always left out.
    """
    progress("migrate")
    manage(env, "migrate", "--noinput")
    progress("load_demo")
    manage(env, "load_demo", "--skip", DEMO_INSIGHTS, *([] if demo_gifts else ["--skip", DEMO_GIFTS]))
    progress("bench table and donate page")
    site = django_json(env, "prepare")
    progress("collectstatic")
    manage(env, "collectstatic", "--noinput")
    return site


_DESCRIBE = """
import json, sys
import django
django.setup()
import gunicorn, wagtail
from django.conf import settings
from django.db import connection
connection.ensure_connection()
db = settings.DATABASES["default"]
print(json.dumps({
    "database": connection.vendor,
    "database_version": ".".join(str(part) for part in connection.get_database_version()),
    "conn_max_age": db.get("CONN_MAX_AGE", 0),
    "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
    "celery_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "celery_broker": settings.CELERY_BROKER_URL.split("://", 1)[0],
    "python": sys.version.split()[0],
    "django": django.get_version(),
    "wagtail": wagtail.__version__,
    "gunicorn": gunicorn.__version__,
}))
"""


def describe_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """What the server will actually use: database and version, cache backend, versions."""
    completed = subprocess.run(
        [sys.executable, "-c", _DESCRIBE], cwd=ROOT, env=dict(env), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"could not read the settings:\n{_tail(completed.stderr)}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def background_load(seconds: float = 1.0) -> float:
    """Cores kept busy by other work on this machine, sampled over ``seconds`` before the run."""
    start = machine_cpu_seconds()
    time.sleep(seconds)
    return round((machine_cpu_seconds() - start) / seconds, 3)


def machine_facts() -> dict[str, Any]:
    """Cores, CPU model, memory and kernel of this machine."""
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gib = 0.0
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    uname = os.uname()
    return {
        "cores": os.cpu_count() or 1,
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": memory_gib,
        "kernel": f"{uname.sysname} {uname.release} {uname.machine}",
    }


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -- The server ---------------------------------------------------------------


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_command() -> list[str]:
    """The gunicorn beside this interpreter (.venv/bin/gunicorn), or ``python -m gunicorn``."""
    script = Path(sys.executable).with_name("gunicorn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]


def _proc_stat(pid: int | str) -> tuple[int, float, str] | None:
    """(parent pid, CPU seconds used, command name) of a process, from /proc; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            data = stat.read()
    except OSError:
        return None
    name = data[data.index("(") + 1 : data.rindex(")")]
    fields = data[data.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS, name


def _all_pids() -> list[str]:
    return [entry for entry in os.listdir("/proc") if entry.isdigit()]


def _socket_inodes(pid: int) -> set[str]:
    """Inode numbers of the sockets a process holds open."""
    inodes: set[str] = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _established_inodes(port: int) -> set[str]:
    """Inodes of established TCP sockets whose local port is ``port`` (the server's side)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as lines:
            next(lines, None)
            for line in lines:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def services_cpu_seconds() -> float:
    """CPU seconds used so far by the local database and cache servers (live processes only).

    Counts processes named like PostgreSQL and Redis on this machine; a remote
    database shows as 0. Backends of persistent connections (CONN_MAX_AGE)
    live through a measurement, so the difference over a window is their work.
    """
    total = 0.0
    for pid in _all_pids():
        stat = _proc_stat(pid)
        if stat is not None and stat[2].startswith(SERVICE_PROCESS_NAMES):
            total += stat[1]
    return total


def machine_cpu_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (not idle, not waiting for I/O), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    # user nice system idle iowait irq softirq steal (guest time is already in user);
    # steal is time the hypervisor gave to someone else, not work done here.
    busy = sum(fields[:7]) - fields[3] - fields[4]
    return busy / _CLOCK_TICKS


@dataclass
class Measurement:
    """One load run against one path: the client's figures and the CPU use over the window.

    ``server_cpu`` is CPU seconds used by gunicorn (master and workers) per
    second of window, ``services_cpu`` the same for local PostgreSQL and
    Redis processes, ``machine_cpu`` for the whole machine (the client
    included): with 2 cores, 2.0 means the machine was saturated. What
    ``machine_cpu`` has beyond the server, the client and the services is
    other work on the machine (and the kernel's share of loopback traffic).
    """

    request: Request
    result: LoadResult
    server_cpu: float
    services_cpu: float = 0.0
    machine_cpu: float = 0.0
    # Client connections held by each gunicorn worker when the window opened.
    connections_per_worker: list[int] = field(default_factory=list)
    # For a flow (bench/flowgen.py): its own counts and each step's latency.
    flow: dict[str, Any] = field(default_factory=dict)

    @property
    def other_cpu(self) -> float:
        """Cores busy with something other than the server, the client and the services."""
        return round(self.machine_cpu - self.server_cpu - self.services_cpu - self.result.client_cpu, 3)


class Server:
    """gunicorn serving config.wsgi on a free loopback port; use it as a context manager.

    Started in a session of its own so a Ctrl-C at the terminal reaches only
    the harness, which then stops it: SIGTERM to the master, and SIGKILL to
    the whole group if it has not gone within ``stop_timeout`` seconds.
    """

    stop_timeout = 15.0

    def __init__(self, env: Mapping[str, str], options: ServerOptions, label: str = "") -> None:
        self.env = dict(env)
        self.options = options
        self.label = label
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._final_log = ""

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start gunicorn and return once it answers /healthz and its workers are idle."""
        self.port = free_port()
        command = [
            *gunicorn_command(),
            "config.wsgi",
            "-c",
            GUNICORN_CONF,
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.options.workers),
            "--threads",
            str(self.options.threads),
            "--max-requests",
            str(self.options.max_requests),
            "--access-logfile",
            "/dev/null",
            # gunicorn's control socket has one default path per user; a
            # benchmark server must not take it from another gunicorn.
            "--no-control-socket",
        ]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        progress(f"starting gunicorn ({self.label or 'server'}) on {self.url}")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_healthy()
            self._wait_quiet()
        except BaseException:
            self.stop()
            raise

    def log_tail(self) -> str:
        """The last lines gunicorn wrote (its error log)."""
        if self._log is None:
            return self._final_log
        self._log.seek(0)
        return _tail(self._log.read().decode("utf-8", "replace"))

    def _wait_healthy(self) -> None:
        assert self.process is not None  # noqa: S101 - called by start()
        deadline = time.monotonic() + self.options.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:  # noqa: S310 - our loopback URL
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last_problem = f"/healthz answered {exc.code}: {exc.read()[:300]!r}"
            except OSError as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not become healthy ({last_problem}):\n{self.log_tail()}")

    def _wait_quiet(self, limit: float = 20.0) -> None:
        """Wait until every worker has booted: all spawned and the group's CPU use near zero."""
        deadline = time.monotonic() + limit
        previous = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            current = self.cpu_seconds()
            if len(self.worker_pids()) >= self.options.workers and current - previous < 0.03:
                return
            previous = current

    def worker_pids(self) -> list[int]:
        """The pids whose parent is the gunicorn master."""
        if self.process is None:
            return []
        master = self.process.pid
        pids = []
        for entry in _all_pids():
            stat = _proc_stat(entry)
            if stat is not None and stat[0] == master:
                pids.append(int(entry))
        return pids

    def connections_per_worker(self) -> list[int]:
        """How many client connections each worker holds right now (by worker pid order)."""
        established = _established_inodes(self.port)
        return [len(_socket_inodes(pid) & established) for pid in sorted(self.worker_pids())]

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the master and its live workers."""
        if self.process is None:
            return 0.0
        total = 0.0
        for pid in [self.process.pid, *self.worker_pids()]:
            stat = _proc_stat(pid)
            if stat is not None:
                total += stat[1]
        return total

    def stop(self) -> None:
        """Stop gunicorn: SIGTERM, then SIGKILL to its process group. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    progress(f"gunicorn {process.pid} ignored SIGTERM; killing its process group")
            # The group is the session this server was started in; workers
            # exit with their master, this makes sure of it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self._log is not None:
            self._final_log = self.log_tail()
            self._log.close()
            self._log = None

    def measure(
        self,
        request: Request | None,
        load: LoadOptions,
        *,
        watch_header: str | None = None,
        rate: float | None = None,
        factory: str | None = None,
        factory_args: Mapping[str, Any] | None = None,
        flow: str | None = None,
        describe: Request | None = None,
    ) -> Measurement:
        """Drive this server with ``request`` (or a request ``factory``, or a ``flow``) and measure.

        The load generator runs in its own process; the server's CPU use is
        read from /proc when the client announces the start and the end of
        the measured window. ``rate`` switches to an open loop at that many
        requests (or operations) per second; see bench/loadgen.py. A ``flow``
        (``"package.module:function"``, with ``factory_args``) runs operations
        of several requests in bench/flowgen.py instead; ``describe`` is the
        request shown for it (or for a factory) in the report.
        """
        if self.process is None or self.process.poll() is not None:
            raise BenchError("the server is not running")
        if flow is not None and (request is not None or factory is not None):
            raise ValueError("give a flow, or a request or factory, not both")
        job = LoadJob(
            host=HOST,
            port=self.port,
            request=request,
            factory=flow or factory,
            factory_args=dict(factory_args or {}),
            concurrency=load.concurrency,
            duration=load.duration,
            warmup=load.warmup,
            rate=rate,
            timeout=load.timeout,
            watch_header=watch_header,
            connect_interval=load.connect_interval,
            requests_per_connection=load.requests_per_connection,
        )
        label = f"{request.method} {request.path}" if request else (flow or factory)
        pace = f" at {rate:g}/s" if rate else ""
        progress(
            f"  {label}: {load.warmup:g} s warm-up, {load.duration:g} s measured{pace}, {load.concurrency} connections"
        )
        meters = (self.cpu_seconds, services_cpu_seconds, machine_cpu_seconds)
        spread: list[int] = []
        result, (server_cpu, services_cpu, machine_cpu), extra = _run_client(
            job,
            meters,
            at_start=lambda: spread.extend(self.connections_per_worker()),
            module="bench.flowgen" if flow else "bench.loadgen",
        )
        if request is None:
            request = describe or Request(method="*", path=str(flow or factory))
        return Measurement(
            request=request,
            result=result,
            server_cpu=server_cpu,
            services_cpu=services_cpu,
            machine_cpu=machine_cpu,
            connections_per_worker=spread,
            flow=extra,
        )


def _run_client(
    job: LoadJob,
    meters: tuple[Callable[[], float], ...],
    at_start: Callable[[], object] | None = None,
    module: str = "bench.loadgen",
) -> tuple[LoadResult, tuple[float, ...], dict[str, Any]]:
    """Run ``python -m module`` (bench.loadgen, or bench.flowgen for a flow) for ``job``.

    Each meter returns a running total of CPU seconds; it is read when the
    client announces the start and the end of the window, and returned as
    the rate over the window (cores busy), in the same order. ``at_start``
    is called when the window opens, after the meters are read. The third
    value is the flow's summary (empty for plain requests).
    """
    extra: dict[str, Any] = {}
    with tempfile.TemporaryFile() as errors:
        client = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        try:
            assert client.stdin is not None and client.stdout is not None  # noqa: S101 - both are pipes
            client.stdin.write(job.to_json())
            client.stdin.close()
            wall_start = wall_end = 0.0
            start: list[float] = [0.0] * len(meters)
            end: list[float] = [0.0] * len(meters)
            result: LoadResult | None = None
            for line in client.stdout:
                line = line.strip()
                if line == "measuring":
                    start, wall_start = [meter() for meter in meters], time.monotonic()
                    if at_start is not None:
                        at_start()
                elif line == "done":
                    end, wall_end = [meter() for meter in meters], time.monotonic()
                elif line.startswith("{"):
                    data = json.loads(line)
                    extra = data.pop("flow", None) or {}
                    result = LoadResult.from_dict(data)
            client.wait(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        if client.returncode != 0 or result is None:
            errors.seek(0)
            raise BenchError(f"the load generator failed ({client.returncode}):\n{_tail(errors.read().decode())}")
    window = wall_end - wall_start
    rates = tuple(round((b - a) / window, 3) if window > 0 else 0.0 for a, b in zip(start, end, strict=True))
    return result, rates, extra


# -- Reporting ----------------------------------------------------------------


@dataclass
class Row:
    """One line of the report: an endpoint measured in one server run, with its ratio."""

    benchmark: str
    run: str
    endpoint: str
    measurement: Measurement
    baseline: str | None
    ratio: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "run": self.run,
            "endpoint": self.endpoint,
            "method": self.measurement.request.method,
            "path": self.measurement.request.path,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "server_cpu": self.measurement.server_cpu,
            "services_cpu": self.measurement.services_cpu,
            "machine_cpu": self.measurement.machine_cpu,
            "other_cpu": self.measurement.other_cpu,
            "connections_per_worker": self.measurement.connections_per_worker,
            **asdict(self.measurement.result),
            **({"flow": self.measurement.flow} if self.measurement.flow else {}),
        }


LEGEND = (
    "req/s, p50, p99: 2xx answers to requests sent in the measured window (the warm-up is left out);",
    "     for a flow of several requests (donation start: POST, then GET of the payment step), operations.",
    "ratio: req/s over the baseline's req/s, both measured against the same server in the same run.",
    "cpu: cores busy during the window. srv = gunicorn master and workers, cli = the load generator,",
    "     db = local PostgreSQL and Redis, other = everything else on the machine.",
    "conns/worker: client connections each gunicorn worker held when the window opened.",
)


@dataclass
class Target:
    """A figure the issue asks for, compared with what was measured (reported, never a failed check)."""

    name: str
    met: bool
    measured: str


@dataclass
class Check:
    """Something a benchmark verified about its own run (cache really hit, no errors).

    ``message`` says what went wrong, or what was verified; ``listed`` checks
    are shown in the summary even when they pass.
    """

    ok: bool
    message: str
    listed: bool = False


class Report:
    """Rows, checks and the facts of the run; prints the table, saves JSON."""

    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.facts = dict(facts)
        self.rows: list[Row] = []
        self.checks: list[Check] = []
        self.notes: list[str] = []
        self.targets: list[Target] = []
        self._baselines: dict[int, str] = {}

    @property
    def warnings(self) -> list[str]:
        return [check.message for check in self.checks if not check.ok]

    def add(
        self,
        benchmark: str,
        run: str,
        endpoint: str,
        measurement: Measurement,
        *,
        baseline: Measurement | None = None,
    ) -> Row:
        """Add a row; its ratio is its req/s over ``baseline``'s, which must be a row already added.

        A row with errors, or with no successful response, is a failed check;
        except that an open-loop row (a ``rate``) whose requests were all still
        waiting for their turn when the window closed is a note: the server
        fell behind the schedule, which its figures show, and nothing failed.
        """
        baseline_name = None
        ratio = None
        if baseline is not None:
            baseline_name = self._baselines.get(id(baseline))
            if baseline_name is None and baseline is measurement:
                baseline_name = endpoint
            if baseline_name is None:
                raise ValueError("add the baseline's own row before the rows compared with it")
            if baseline.result.rps > 0:
                ratio = round(measurement.result.rps / baseline.result.rps, 3)
        self._baselines.setdefault(id(measurement), endpoint)
        row = Row(benchmark, run, endpoint, measurement, baseline_name, ratio)
        self.rows.append(row)
        result = measurement.result
        self.check(
            result.errors == 0,
            f"{benchmark} {run} {endpoint}: {result.errors} errors "
            f"(statuses {result.statuses}, failures {result.failures})",
        )
        if result.requests == 0 and result.errors == 0 and result.target_rate:
            self.note(
                f"{benchmark} {run} {endpoint}: no request due in the window at {result.target_rate:g}/s was sent "
                "before it closed: the server fell behind the schedule (its capacity is below that rate)"
            )
        else:
            self.check(result.requests > 0, f"{benchmark} {run} {endpoint}: no successful responses")
        spread = measurement.connections_per_worker
        if len(spread) > 1 and 0 in spread and sum(spread) >= len(spread):
            self.note(
                f"{benchmark} {run} {endpoint}: client connections per worker were {spread}; "
                "an idle worker lowers throughput"
            )
        if measurement.other_cpu > BUSY_THRESHOLD:
            self.note(
                f"{benchmark} {run} {endpoint}: other work on this machine kept {measurement.other_cpu:.2f} "
                "cores busy during the window; these figures are lower and noisier than on a quiet machine"
            )
        return row

    def target(self, name: str, met: bool, measured: str) -> Target:
        """Record a target (``name``: what is asked, ``measured``: what we got); shown under the table."""
        target = Target(name, met, measured)
        self.targets.append(target)
        progress(f"target: {name}: {'met' if met else 'NOT met'} ({measured})")
        return target

    def note(self, message: str) -> None:
        """Something worth knowing about the figures that is not a failed check (shown, never fatal)."""
        self.notes.append(message)
        progress(f"note: {message}")

    def check(self, ok: bool, failure: str, success: str | None = None) -> bool:
        """Record a check; a failed one is printed at once as a WARNING line and again in the summary.

        With ``success``, a passing check is listed in the summary too ("ok: ...").
        """
        self.checks.append(Check(ok, failure if not ok else (success or failure), listed=success is not None))
        if not ok:
            progress(f"WARNING: {failure}")
        return ok

    def header(self) -> str:
        """The facts of the run, one per line."""
        return "\n".join(f"{name:<18}{value}" for name, value in self.facts.items())

    def table(self) -> str:
        """The rows as an aligned text table."""
        columns = [
            "benchmark",
            "run",
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "ratio",
            "baseline",
            "cpu srv",
            "cpu cli",
            "cpu db",
            "cpu other",
            "conns/worker",
        ]
        lines = [columns]
        for row in self.rows:
            result = row.measurement.result
            lines.append(
                [
                    row.benchmark,
                    row.run,
                    row.endpoint,
                    f"{result.rps:.1f}",
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    str(result.errors),
                    "-" if row.ratio is None else f"{row.ratio:.2f}",
                    row.baseline or "-",
                    f"{row.measurement.server_cpu:.2f}",
                    f"{result.client_cpu:.2f}",
                    f"{row.measurement.services_cpu:.2f}",
                    f"{row.measurement.other_cpu:.2f}",
                    "/".join(str(count) for count in row.measurement.connections_per_worker) or "-",
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
        numeric = {3, 4, 5, 6, 7, 9, 10, 11, 12}
        formatted = []
        for line in lines:
            cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)]
            formatted.append("  ".join(cells).rstrip())
        formatted.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(formatted)

    def summary(self) -> str:
        """The table, the checks and what the columns mean (the header is printed first, on its own)."""
        parts = [self.table(), ""]
        parts.extend(f"ok: {check.message}" for check in self.checks if check.ok and check.listed)
        parts.extend(
            f"target: {target.name}: {'met' if target.met else 'NOT met'} ({target.measured})"
            for target in self.targets
        )
        parts.extend(f"note: {message}" for message in self.notes)
        parts.extend(f"WARNING: {message}" for message in self.warnings)
        parts.extend(["", *LEGEND])
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "rows": [row.to_dict() for row in self.rows],
            "checks": [asdict(check) for check in self.checks],
            "targets": [asdict(target) for target in self.targets],
            "warnings": self.warnings,
            "notes": self.notes,
        }

    def save(self, directory: Path, name: str) -> Path:
        """Write the report as JSON to ``directory/<UTC time>-<name>.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"{stamp}-{name}.json"
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


# -- Sessions -----------------------------------------------------------------


@dataclass
class BenchContext:
    """What a benchmark's ``run(ctx)`` gets: the prepared environment, the options, the report."""

    env: dict[str, str]
    load: LoadOptions
    server_options: ServerOptions
    report: Report
    # What the preparation made (bench/dbtools.py prepare): the donate page's path and form.
    site: dict[str, Any] = field(default_factory=dict)
    # What the server uses (describe_settings): database, cache, whether Celery runs eagerly.
    settings: dict[str, Any] = field(default_factory=dict)

    def server(self, label: str, **env_overrides: str) -> Server:
        """A server (not yet started; use ``with``) with these settings on top of the session's."""
        return Server({**self.env, **env_overrides}, self.server_options, label=label)

    def django(self, *args: str, **env_overrides: str) -> dict[str, Any]:
        """``python -m bench.dbtools args`` against the session's database (counts after a run)."""
        return django_json({**self.env, **env_overrides}, *args)


@contextlib.contextmanager
def open_session(
    load: LoadOptions,
    server_options: ServerOptions,
    *,
    base_env: Mapping[str, str] | None = None,
    demo_gifts: bool = True,
) -> Iterator[BenchContext]:
    """Prepare the configured database and a temporary STATIC_ROOT; yield the context; clean up."""
    static_root = Path(tempfile.mkdtemp(prefix="bench-static-"))
    try:
        env = bench_env(static_root, base_env)
        site = prepare(env, demo_gifts=demo_gifts)
        settings = describe_settings(env)
        machine = machine_facts()
        background = background_load()
        facts: dict[str, Any] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{machine['cores']} cores ({machine['usable_cores']} usable), {machine['cpu_model']}, "
            f"{machine['memory_gib']} GiB, {machine['kernel']}",
            "database": f"{settings['database']} {settings['database_version']}"
            + (f" (CONN_MAX_AGE {settings['conn_max_age']})" if settings["database"] != "sqlite" else ""),
            "cache": settings["cache"],
            "celery": "eager: tasks run inside the request that queues them (no broker)"
            if settings["celery_eager"]
            else f"{settings['celery_broker']} broker; the harness starts no worker, so queued tasks wait",
            "gunicorn": f"{settings['gunicorn']}, gthread, {server_options.workers} workers x "
            f"{server_options.threads} threads, max_requests {server_options.max_requests or 'off'}",
            "load": f"{load.concurrency} keep-alive connections, {load.warmup:g} s warm-up + "
            f"{load.duration:g} s measured per endpoint",
            "background load": f"{background:.2f} cores busy in the second before the first server started",
            "software": f"Python {settings['python']}, Django {settings['django']}, Wagtail {settings['wagtail']}",
        }
        report = Report(facts)
        if background > BUSY_THRESHOLD:
            report.note(
                f"{background:.2f} cores were busy before the benchmark started; "
                "other work on this machine will lower and scatter the figures"
            )
        yield BenchContext(
            env=env, load=load, server_options=server_options, report=report, site=site, settings=settings
        )
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
