"""The worker is durable: kill -9 between claim and execution executes exactly once after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from test_approvals import POLICY, World, email

from proctor.bootstrap import Services
from proctor.domain.audit import utc_stamp
from proctor.store import approvals as rows
from proctor.worker import Worker

CLI = [sys.executable, "-c", "from proctor.cli import main; main()"]


@pytest.fixture
def world(make_services: Callable[..., Services]) -> World:
    """Services with the approvals policy and a populated workspace."""
    return World(make_services(POLICY))


def _env(services: Services) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["PROCTOR_HOME"] = str(services.settings.home)
    env["PROCTOR_DATABASE_URL"] = services.settings.database_url
    for name in ("local_smtp", "smtp_backoff", "sandbox_crm_path"):  # the same connectors as this process
        value = getattr(services.settings, name, None)
        if value is not None:
            env[f"PROCTOR_{name.upper()}"] = str(value)
    return env


def _status(world: World, action_id: str) -> str:
    return str(world.approvals.get(world.ws, action_id)["status"])


def _has_sink(request: pytest.FixtureRequest) -> bool:
    try:
        request.getfixturevalue("sink")
    except pytest.FixtureLookupError:
        return False
    return True


def test_kill_9_between_claim_and_execute_executes_once_after_restart(
    make_services: Callable[..., Services], request: pytest.FixtureRequest
) -> None:
    world = World(make_services(POLICY))
    action_id = world.submit(email())
    Worker(world.approvals).run_once()  # drain other tests' approved actions in a shared database
    sink = request.getfixturevalue("sink") if _has_sink(request) else None  # email.send over real SMTP
    mails = len(sink.messages()) if sink is not None else 0
    world.approvals.vote(world.users["ann"], action_id, "approve")
    env = _env(world.services)
    proc = subprocess.Popen(
        [*CLI, "worker", "--interval", "0.1", "--pause-after-claim", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while _status(world, action_id) != "executing":
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the worker never claimed the approval"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert world.executions(action_id) == 0
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "approved"
    assert sink is None or len(sink.messages()) == mails

    # A restart with a normal lease leaves a fresh claim alone; a lapsed lease is taken over.
    def once(*extra: str) -> dict[str, Any]:
        out = subprocess.run([*CLI, "worker", "--once", *extra], env=env, capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr.decode()
        result: dict[str, Any] = orjson.loads(out.stdout)
        return result

    once()
    assert _status(world, action_id) == "executing" and world.executions(action_id) == 0
    assert once("--lease", "0")["recovered"] >= 1
    once("--lease", "0")
    assert world.executions(action_id) == 1
    if sink is not None:  # exactly one email reached the SMTP sink
        assert [m.rcpt_to for m in sink.messages()[mails:]] == [("dana@globex.com",)]
    action = world.services.gate.get_action(world.ws, action_id)
    assert _status(world, action_id) == "executed", action["outcome"]
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "executed"


def test_crash_after_execution_before_bookkeeping_never_runs_twice(world: World) -> None:
    action_id = world.submit(email())
    approval = world.approvals.vote(world.users["ann"], action_id, "approve")
    with world.services.store.write() as conn:  # a worker claimed it, executed, and died before finishing
        assert rows.claim(conn, approval["id"], "dead:1", utc_stamp(world.approvals.clock()))
    world.services.gate.execute(world.ws, action_id)
    assert world.executions(action_id) == 1
    from datetime import timedelta

    worker = Worker(world.approvals, lease=timedelta(0))
    assert worker.run_once()["recovered"] == 0  # recovered, but the gate ran nothing new
    assert world.executions(action_id) == 1
    action = world.services.gate.get_action(world.ws, action_id)
    assert _status(world, action_id) == "executed", action["outcome"]


def test_two_workers_claim_once(world: World) -> None:
    action_id = world.submit(email())
    approval = world.approvals.vote(world.users["ann"], action_id, "approve")
    at = utc_stamp(world.approvals.clock())
    with world.services.store.write() as conn:
        first = rows.claim(conn, approval["id"], "a", at)
    with world.services.store.write() as conn:
        second = rows.claim(conn, approval["id"], "b", at)
    assert (first, second) == (True, False)
    with world.services.store.write() as conn:  # leave nothing half-claimed in a shared database
        assert rows.finish(conn, approval["id"], "a", "cancelled", at, "test over")
