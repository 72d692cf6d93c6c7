"""Governed actions per second over HTTP: `POST /v1/actions` end to end, beside a bare-parse floor.

Run with `.venv/bin/python benchmarks/gate.py [--quick] [--json] [--pg-url URL] [--workers N] [--h11]`.

For each backend (SQLite, and PostgreSQL when reachable) a fresh home is initialised, the policy's
limits are raised so that no request is denied for volume (the counters are still kept), and
`uvicorn` serves `proctor.api.create_app` in a subprocess on a free loopback port (`--workers N`: N
processes, as `proctor serve --workers N` runs them; `--h11`: h11 + asyncio instead of uvicorn's
default httptools + uvloop). The floor is a bare Starlette endpoint served the same way that only
parses the same bodies with orjson. Every row also gives the server's CPU time per request (all its
processes, from /proc), which moves far less than actions/s with what else runs on the machine.
An asyncio load generator in this process (raw HTTP/1.1 keep-alive on asyncio streams: httpx
itself saturated a core before the floor did) keeps 1 or 32 connections busy with a mix of
governed actions (a CRM task that executes, a CRM update that executes, a first-touch email that
runs every content check and waits for approval), bounded by a request count and a time limit.
Latency is measured per request on the client (time.perf_counter); the ratio is Proctor's
throughput relative to the floor's at the same concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

HERE = Path(__file__).resolve()
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
CONCURRENCY = (1, 32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def body(i: int) -> bytes:
    """The i-th request of the mix (about 1 KB for the email)."""
    kind = i % 3
    if kind == 0:
        req: dict[str, Any] = {
            "action": "task.create",
            "run_id": f"run_{i // 30}",
            "params": {"subject": f"Call back #{i}", "record_id": f"con_{i % 500}"},
        }
    elif kind == 1:
        req = {
            "action": "crm.update",
            "run_id": f"run_{i // 30}",
            "target": {"object": "contact", "record_id": f"con_{i % 500}"},
            "params": {"object": "contact", "record_id": f"con_{i % 500}", "fields": {"title": f"VP {i}"}},
        }
    else:
        req = {
            "action": "email.send",
            "run_id": f"run_{i // 30}",
            "intent": "Book a discovery call",
            "target": {"object": "contact", "record_id": f"con_{i % 500}", "account_id": f"acc_{i % 50}"},
            "params": {
                "from": "maria@acme.io",
                "to": f"dana{i}@globex{i % 40}.example",
                "subject": "Globex in Berlin",
                "touch": "first",
                "body": (
                    "Hi Dana, congratulations on opening the Berlin office in 2026. Teams that grow their "
                    "SDR bench that fast usually struggle to keep pipeline reviews honest; we help sales "
                    "leaders see which deals are real. Would a 20-minute call next Tuesday work? "
                )
                * 3,
            },
            "evidence": {
                "facts": [
                    {"text": "Globex opened a Berlin office in 2026", "source": "https://news.example"}
                ],
                "sources": ["crm:acc_042"],
            },
        }
    return orjson.dumps(req)


# --- servers (run in subprocesses) -----------------------------------------------------------------


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    """h11 + asyncio when asked (`--h11`), else uvicorn's default: httptools + uvloop when installed."""
    if args.h11:
        return {"http": "h11", "loop": "asyncio"}
    return {"http": "auto", "loop": "auto"}


def serve_proctor(args: argparse.Namespace) -> None:
    """Subprocess entry: Proctor's API over the given home and database (`--workers` processes)."""
    import uvicorn

    options = {"host": "127.0.0.1", "port": args.port, "log_level": "warning", "access_log": False}
    options |= _uvicorn_options(args)
    if args.workers > 1:  # what `proctor serve --workers N` runs: each process builds its own services
        os.environ["PROCTOR_HOME"] = args.home
        os.environ["PROCTOR_DATABASE_URL"] = args.database_url
        uvicorn.run("proctor.api.app:app_from_settings", factory=True, workers=args.workers, **options)
        return

    from proctor.api import create_app
    from proctor.bootstrap import build
    from proctor.config import Settings

    services = build(Settings(home=Path(args.home), database_url=args.database_url), migrate=True)
    uvicorn.run(create_app(services), **options)


def floor_app() -> Any:
    """A bare Starlette endpoint that parses the body and answers a constant (the floor)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    answer = orjson.dumps({"action_id": "act_floor", "status": "executed", "replayed": False})

    async def endpoint(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        if not isinstance(payload, dict):
            return Response(b"{}", status_code=422, media_type="application/json")
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/v1/actions", endpoint, methods=["POST"])])


def serve_floor(args: argparse.Namespace) -> None:
    """Subprocess entry: the floor, in as many processes as Proctor gets."""
    import uvicorn

    options = {"host": "127.0.0.1", "port": args.port, "log_level": "warning", "access_log": False}
    options |= _uvicorn_options(args)
    if args.workers > 1:
        uvicorn.run(
            f"{HERE.stem}:floor_app", factory=True, workers=args.workers, app_dir=str(HERE.parent), **options
        )
        return
    uvicorn.run(floor_app(), **options)


class Server:
    """A uvicorn subprocess on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), *args, "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    raise RuntimeError(f"server did not start: {err[-2000:]}") from None
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server process and its worker processes."""
        pids = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- setup ----------------------------------------------------------------------------------------


def prepare_home(home: Path, database_url: str) -> str:
    """Initialise a home on `database_url`, raise the policy's limits, create an agent; returns its key."""
    from proctor.bootstrap import build, init_home
    from proctor.config import Settings

    init_home(home)
    policy_path = home / "proctor.yaml"
    doc = yaml.safe_load(policy_path.read_text())
    for item in [*doc.get("limits", []), *doc.get("budgets", [])]:
        item["max"] = 10**12
    doc["maturity"] = 3  # autonomous: allowed CRM writes execute (the starter policy is at level 2)
    policy_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    services = build(Settings(home=home, database_url=database_url), migrate=True)
    try:
        ws = services.admin.create_workspace("bench")["id"]
        agent = services.admin.create_agent(ws, "bench-bot")
        _, key = services.admin.issue_agent_key(ws, agent["id"], ["*"])
        assert services.gate.connectors is not None
        crm = services.gate.connectors.crm(ws)  # the records the mix targets, so that writes execute
        for i in range(50):
            crm.create("account", {"name": f"Globex {i}"}, record_id=f"acc_{i}")
        for i in range(500):
            fields = {"account_id": f"acc_{i % 50}", "first_name": "Dana", "title": "VP"}
            crm.create("contact", fields, record_id=f"con_{i}")
    finally:
        services.close()
    return key


def postgres_database(url: str) -> tuple[str, str] | None:
    """Create a throwaway database on the server at `url`; (its URL, its name) or None if unreachable."""
    try:
        import psycopg

        name = f"proctor_bench_{os.getpid()}"
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(
            f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr
        )
        return None
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- audit alone ----------------------------------------------------------------------------------


class AppendJob:
    """A writer job that appends ready event bodies to one workspace's chain (no counters, no records)."""

    def __init__(self, ws: str, bodies: list[dict[str, Any]]) -> None:
        self.workspace_id = ws
        self.bodies = bodies

    def slots(self) -> list[Any]:
        return []

    def records(self) -> list[Any]:
        return []

    def apply(self, batch: Any) -> int:
        for body in self.bodies:
            batch.append(body)
        return len(self.bodies)


def event_bodies(ws: str, n: int, start: int, agents: list[str], t0: float) -> list[dict[str, Any]]:
    """n decision-like event bodies (the shape AuditEvent.body() gives), one second apart per 100."""
    from datetime import UTC, datetime

    from proctor.domain.audit import AuditEvent, utc_stamp
    from proctor.store.ids import event_id

    template = AuditEvent(
        id="evt",
        workspace_id=ws,
        seq=0,
        kind="decision",
        at="",
        action="crm.update",
        decision={"effect": "allow", "reasons": ["crm.update allowed by actions.crm.update"]},
        target={"object": "contact", "record_id": "con_1"},
        versions={"policy": "v1"},
    ).body()
    out = []
    for i in range(start, start + n):
        body = dict(template)
        body["id"] = event_id()
        body["at"] = utc_stamp(datetime.fromtimestamp(t0 + i / 100, UTC))
        body["actor"] = {"workspace_id": ws, "agent_id": agents[i % len(agents)]}
        body["action_id"] = f"act_{i}"
        out.append(body)
    return out


async def append_async(writer: Any, ws: str, bodies: list[dict[str, Any]], tasks: int = 32) -> None:
    """Append one event per job from `tasks` coroutines on one event loop, as the HTTP route does."""
    pending = iter(bodies)

    async def one_task() -> None:
        for body in pending:
            job = AppendJob(ws, [body])
            if hasattr(writer, "enqueue_async"):
                await writer.enqueue_async(job)
            else:  # writers without per-loop wake-ups
                await asyncio.wrap_future(writer.enqueue(job))

    await asyncio.gather(*(one_task() for _ in range(tasks)))


def audit_alone(
    home: Path, database_url: str, backend: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Append (32 threads, then 32 asyncio tasks; one event per job), bulk-load, query, verify."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from proctor.bootstrap import build
    from proctor.config import Settings

    services = build(Settings(home=home, database_url=database_url))
    out: list[dict[str, Any]] = []
    try:
        ws = services.admin.create_workspace("audit-bench")["id"]
        agents = [f"agt_bench{i:03d}" for i in range(50)]
        writer = services.gate.writer
        t0 = time.time() - 86_400 * 3
        n_append = 20_000 if args.quick else 100_000
        bodies = event_bodies(ws, n_append, 0, agents, t0)
        start = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda b: writer.run(AppendJob(ws, [b])), bodies))
        rate = n_append / (time.perf_counter() - start)
        out.append(
            {
                "what": "append (32 threads, 1 event/submit)",
                "backend": backend,
                "events": n_append,
                "per_second": round(rate),
            }
        )
        print(f"  audit {backend:<10} append {rate:>9.0f}/s", file=sys.stderr)
        bodies = event_bodies(ws, n_append, n_append, agents, t0)
        start = time.perf_counter()
        asyncio.run(append_async(writer, ws, bodies))
        rate = n_append / (time.perf_counter() - start)
        out.append(
            {
                "what": "append (32 asyncio tasks, 1 event/submit: the server's shape)",
                "backend": backend,
                "events": n_append,
                "per_second": round(rate),
            }
        )
        print(f"  audit {backend:<10} append {rate:>9.0f}/s (asyncio)", file=sys.stderr)
        total = 100_000 if args.quick else 1_000_000
        done, chunk = 2 * n_append, 5_000
        start = time.perf_counter()
        while done < total:
            n = min(chunk, total - done)
            writer.run(AppendJob(ws, event_bodies(ws, n, done, agents, t0)))
            done += n
        rate = (total - n_append) / (time.perf_counter() - start)
        out.append(
            {
                "what": "bulk load (5000 events/commit)",
                "backend": backend,
                "events": total - n_append,
                "per_second": round(rate),
            }
        )
        print(f"  audit {backend:<10} bulk   {rate:>9.0f}/s", file=sys.stderr)
        since = datetime.fromtimestamp(t0 + total / 100 * 0.5, UTC)
        until = datetime.fromtimestamp(t0 + total / 100 * 0.5 + 3600, UTC)
        times = []
        for i in range(7):
            q0 = time.perf_counter()
            page, _ = services.admin.audit_query(
                ws, {"agent_id": agents[i], "since": since, "until": until}, limit=100
            )
            times.append(time.perf_counter() - q0)
        out.append(
            {
                "what": f"query agent + 1 h range over {total} events (100/page)",
                "backend": backend,
                "events": len(page),
                "ms": round(min(times) * 1000, 2),
                "ms_median": round(sorted(times)[3] * 1000, 2),
            }
        )
        print(
            f"  audit {backend:<10} query  {min(times) * 1000:>9.2f} ms ({len(page)} rows)", file=sys.stderr
        )
        v0 = time.perf_counter()
        report = services.admin.audit_verify(ws)
        rate = report.checked / (time.perf_counter() - v0)
        assert report.ok, report
        out.append(
            {"what": "verify", "backend": backend, "events": report.checked, "per_second": round(rate)}
        )
        print(f"  audit {backend:<10} verify {rate:>9.0f}/s ({report.checked})", file=sys.stderr)
    finally:
        services.close()
    return out


# --- load -----------------------------------------------------------------------------------------


@dataclass
class Result:
    """One measured scenario."""

    target: str
    backend: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    server_cpu_ms: float | None = None  # server CPU (all its processes) per request


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: far cheaper per request than httpx."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.head = (
            "POST /v1/actions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(self.head + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _load(url: str, key: str, concurrency: int, count: int, limit_s: float, warmup: int) -> Result:
    port = int(url.rsplit(":", 1)[1])
    conns = [RawConnection(port, key) for _ in range(concurrency)]
    for i in range(warmup):
        await conns[i % concurrency].post(body(10**6 + i))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    next_i = 0
    deadline = time.perf_counter() + limit_s

    async def worker(conn: RawConnection) -> None:
        nonlocal next_i
        while next_i < count and time.perf_counter() < deadline:
            i = next_i
            next_i += 1
            payload = body(i)
            t0 = time.perf_counter()
            status, answer = await conn.post(payload)
            latencies.append(time.perf_counter() - t0)
            label = str(status) if status != 200 else str(orjson.loads(answer).get("status", "200"))
            statuses[label] = statuses.get(label, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        await c.close()
    latencies.sort()
    errors = sum(n for s, n in statuses.items() if s.isdigit())
    return Result(
        target="",
        backend="",
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        statuses=statuses,
    )


def in_process(home: Path, database_url: str, key: str, backend: str, args: argparse.Namespace) -> Result:
    """`gate.submit` called directly, one at a time: the gate's own cost without HTTP and the API layer."""
    from proctor.bootstrap import build
    from proctor.config import Settings

    services = build(Settings(home=home, database_url=database_url))
    try:
        gate = services.gate
        principal = gate.authenticate_agent(key)
        for i in range(args.warmup):
            gate.submit(principal, orjson.loads(body(2 * 10**6 + i)))
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        count = max(50, args.requests // 4)
        deadline = time.perf_counter() + args.seconds
        start = time.perf_counter()
        for i in range(count):
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            principal = gate.authenticate_agent(key)
            result = gate.submit(principal, orjson.loads(body(3 * 10**6 + i)))
            latencies.append(time.perf_counter() - t0)
            statuses[result.status] = statuses.get(result.status, 0) + 1
        elapsed = time.perf_counter() - start
    finally:
        services.close()
    latencies.sort()
    print(f"  in-process {backend:<10} {len(latencies) / elapsed:>8.1f}/s", file=sys.stderr)
    return Result(
        target="in-process",
        backend=backend,
        concurrency=1,
        requests=len(latencies),
        errors=0,
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        statuses=statuses,
    )


def check_with_httpx(url: str, key: str) -> None:
    """One request through httpx first, so that the raw client is known to speak correct HTTP."""
    r = httpx.post(
        f"{url}/v1/actions", content=body(0), headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    if r.status_code != 200:
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")


def measure(target: str, backend: str, server: Server, key: str, args: argparse.Namespace) -> list[Result]:
    url = server.url
    check_with_httpx(url, key)
    out = []
    for concurrency in CONCURRENCY:
        count = args.requests if concurrency > 1 else max(50, args.requests // 4)
        cpu0 = server.cpu_seconds()
        result = asyncio.run(_load(url, key, concurrency, count, args.seconds, args.warmup))
        served = result.requests + args.warmup
        result.server_cpu_ms = round((server.cpu_seconds() - cpu0) * 1000 / served, 3) if served else None
        result.target, result.backend = target, backend
        out.append(result)
        print(
            f"  {target:<8} {backend:<10} c={concurrency:<3} {result.per_second:>8.1f}/s "
            f"p50 {result.p50_ms:.2f} ms p99 {result.p99_ms:.2f} ms errors {result.errors} "
            f"server CPU {result.server_cpu_ms} ms/request",
            file=sys.stderr,
        )
    return out


def server_flags(args: argparse.Namespace) -> list[str]:
    """The serving options a server subprocess inherits from this run."""
    return ["--workers", str(args.workers), *(["--h11"] if args.h11 else [])]


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[Result] = []
    audit: list[dict[str, Any]] = []
    if not args.audit_only:
        floor = Server("--serve-floor", *server_flags(args))
        try:
            results += measure("floor", "-", floor, "floor", args)
        finally:
            floor.stop()
    backends: list[tuple[str, str, tuple[str, str] | None]] = []
    with tempfile.TemporaryDirectory(prefix="proctor-bench-") as tmp:
        backends.append(("sqlite", f"sqlite:///{tmp}/sqlite/proctor.db", None))
        if not args.no_postgres:
            made = postgres_database(args.pg_url)
            if made is not None:
                backends.append(("postgresql", made[0], made))
        for name, database_url, made in backends:
            home = Path(tmp) / name
            try:
                key = prepare_home(home, database_url)
                if not args.audit_only:
                    results.append(in_process(home, database_url, key, name, args))
                    server = Server(
                        "--serve-proctor",
                        "--home",
                        str(home),
                        "--database-url",
                        database_url,
                        *server_flags(args),
                    )
                    try:
                        results += measure("proctor", name, server, key, args)
                    finally:
                        server.stop()
                if args.audit or args.audit_only:
                    audit += audit_alone(home, database_url, name, args)
            finally:
                if made is not None:
                    drop_database(args.pg_url, made[1])
    floor_rate = {r.concurrency: r.per_second for r in results if r.target == "floor"}
    rows = []
    for r in results:
        row = asdict(r)
        row["ratio_to_floor"] = (
            None
            if r.target != "proctor"
            else (
                round(r.per_second / floor_rate[r.concurrency], 3) if floor_rate.get(r.concurrency) else None
            )
        )
        rows.append(row)
    return {
        "benchmark": "gate",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "requests_per_scenario": args.requests,
        "time_limit_s": args.seconds,
        "workers": args.workers,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "http": "h11 + asyncio" if args.h11 else _http_stack(),
        "results": rows,
        "audit": audit,
    }


def _http_stack() -> str:
    """What uvicorn's "auto" picks here."""
    import importlib.util

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"{http} + {loop}"


def show(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"POST /v1/actions over HTTP (loopback, {report['cpus']} CPUs, Python {report['python']}, "
        f"{report['workers']} server process(es), {report['http']})"
    )
    for col in (
        "target",
        "backend",
        "conn",
        "requests",
        "actions/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "vs floor",
        "server CPU ms/req",
    ):
        table.add_column(col, justify="right" if col not in ("target", "backend") else "left")
    for r in report["results"]:
        ratio = (
            "" if r["target"] != "proctor" or r["ratio_to_floor"] is None else f"{r['ratio_to_floor']:.3f}x"
        )
        table.add_row(
            r["target"],
            r["backend"],
            str(r["concurrency"]),
            str(r["requests"]),
            f"{r['per_second']:.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            str(r["errors"]),
            ratio,
            "" if r.get("server_cpu_ms") is None else f"{r['server_cpu_ms']:.2f}",
        )
    Console().print(table)
    mixes = {
        f"{r['backend']} c={r['concurrency']}": r["statuses"]
        for r in report["results"]
        if r["target"] != "floor"
    }
    Console().print(f"answers: {mixes}")
    for a in report.get("audit", []):
        Console().print(f"audit {a['backend']}: {a}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A short run (smoke test of the benchmark).")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    parser.add_argument("--pg-url", default=os.environ.get("PROCTOR_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="Only SQLite.")
    parser.add_argument(
        "--requests", type=int, default=None, help="Requests per scenario (at 32 connections)."
    )
    parser.add_argument("--audit", action="store_true", help="Also measure the audit log alone.")
    parser.add_argument("--audit-only", action="store_true", help="Only measure the audit log alone.")
    parser.add_argument("--seconds", type=float, default=None, help="Time limit per scenario.")
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument(
        "--workers", type=int, default=1, help="Server processes for Proctor and the floor (default 1)."
    )
    parser.add_argument(
        "--h11", action="store_true", help="Serve with h11 + asyncio instead of httptools + uvloop."
    )
    parser.add_argument("--serve-proctor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_proctor:
        serve_proctor(args)
        return
    if args.serve_floor:
        serve_floor(args)
        return
    args.requests = args.requests or (300 if args.quick else 3000)
    args.seconds = args.seconds or (8.0 if args.quick else 30.0)
    args.warmup = args.warmup if args.warmup is not None else (20 if args.quick else 100)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        show(report)


if __name__ == "__main__":
    main()
