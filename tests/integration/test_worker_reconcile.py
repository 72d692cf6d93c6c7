"""An action whose process died during the connector call is settled `outcome_unknown`, never run twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from test_approvals import POLICY, World, email
from test_approvals_worker import CLI, _env

from proctor.bootstrap import Services
from proctor.connectors.smtp_sink import SmtpSink
from proctor.domain.audit import utc_stamp
from proctor.store import actions as action_rows
from proctor.store import approvals as rows
from proctor.store import changes as change_rows
from proctor.worker import Worker


class BlackHole:
    """A mail server that accepts connections and never answers: a send through it hangs mid-connector."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    """A listening socket that never speaks SMTP."""
    hole = BlackHole()
    yield hole
    hole.close()


def _statuses(world: World, action_id: str) -> tuple[str, str]:
    action = world.services.gate.get_action(world.ws, action_id)
    return str(action["status"]), str(world.approvals.get(world.ws, action_id)["status"])


def _outcome(world: World, action_id: str) -> dict[str, Any]:
    return dict(world.services.gate.get_action(world.ws, action_id)["outcome"] or {})


def _cli(env: dict[str, str], *args: str) -> Any:
    out = subprocess.run([*CLI, *args], env=env, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    return orjson.loads(out.stdout)


def test_kill_9_mid_send_is_settled_outcome_unknown_and_never_resent(
    make_services: Callable[..., Services], black_hole: BlackHole, sink: SmtpSink
) -> None:
    world = World(make_services(POLICY))
    action_id = world.submit(email())
    Worker(world.approvals).run_once()  # drain other tests' approved actions in a shared database
    mails = len(sink.messages())
    world.approvals.vote(world.users["ann"], action_id, "approve")
    env = _env(world.services)
    hanging = {**env, "PROCTOR_LOCAL_SMTP": f"127.0.0.1:{black_hole.port}"}
    proc = subprocess.Popen(
        [*CLI, "worker", "--interval", "0.1"], env=hanging, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not black_hole.connections or _outcome(world, action_id).get("state") != "sending":
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the worker never started the send"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # inside the SMTP call: the server may or may not have the mail
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    connections = len(black_hole.connections)
    assert connections >= 1
    assert _statuses(world, action_id) == ("executing", "executing")

    # Within the execution lease nothing happens; after it the action is settled, and never re-run.
    _cli(env, "worker", "--once")
    assert _statuses(world, action_id) == ("executing", "executing")
    lapsed = {**env, "PROCTOR_EXECUTION_LEASE_SECONDS": "0"}
    assert _cli(lapsed, "worker", "--once", "--lease", "0")["reconciled"] >= 1
    assert _statuses(world, action_id) == ("outcome_unknown", "failed")
    _cli(lapsed, "worker", "--once", "--lease", "0")
    assert len(black_hole.connections) == connections and len(sink.messages()) == mails
    assert world.executions(action_id) == 1  # one outcome event: the reconciliation's

    # Operators see it: the approval queue and the audit trail say what happened and why.
    failed = _cli(env, "approvals", "list", "--status", "failed", "--workspace", world.ws, "--json")
    mine = [a for a in failed if a["action_id"] == action_id]
    assert mine and mine[0]["action_status"] == "outcome_unknown"
    assert mine[0]["reason"].startswith("outcome unknown: the process running the connector stopped")
    events = _cli(
        env, "audit", "query", "--action-id", action_id, "--kind", "outcome", "-w", world.ws, "--json"
    )
    (event,) = events["events"]
    assert event["outcome"]["status"] == "outcome_unknown" and event["outcome"]["state"] == "sending"
    message_id = event["outcome"]["message_id"]
    assert event["changes"]["records"][0]["reversible"] is False
    with world.services.store.read() as conn:
        sends = change_rows.for_action(conn, world.ws, action_id)
    assert [(r["op"], r["reversible"], r["record_id"]) for r in sends] == [("send", False, message_id)]
    assert world.services.admin.audit_verify(world.ws).ok
    assert world.services.gate.execute(world.ws, action_id).status == "outcome_unknown"  # never re-run


def test_reconcile_waits_for_the_lease_on_the_injected_clock(
    world: World, clock: Any, sink: SmtpSink
) -> None:
    action_id = world.submit(email())
    Worker(world.approvals).run_once()
    approval = world.approvals.vote(world.users["ann"], action_id, "approve")
    stamp = utc_stamp(clock())
    with world.services.store.write() as conn:  # a worker claimed, the gate claimed and started the send ...
        assert rows.claim(conn, approval["id"], "dead:1", stamp)
        assert action_rows.claim(conn, world.ws, action_id, stamp)
        attempt = {"ok": None, "attempts": 1, "message_id": f"<{action_id}@acme.io>", "state": "sending"}
        action_rows.record_attempt(conn, world.ws, action_id, attempt, stamp)
    # ... and its process died. A live worker leaves it alone until nothing was recorded for the lease.
    worker = Worker(world.approvals, execution_lease=timedelta(minutes=10))
    clock.now += timedelta(minutes=9)
    worker.run_once()
    assert _statuses(world, action_id) == ("executing", "executing")
    clock.now += timedelta(minutes=1)
    assert worker.run_once()["reconciled"] >= 1  # (a shared database may hold other tests' leftovers)
    assert _statuses(world, action_id) == ("outcome_unknown", "failed")
    worker.run_once()
    assert world.executions(action_id) == 1  # the one outcome event is the reconciliation's
    assert sink.messages() == []
    action = world.services.gate.get_action(world.ws, action_id)
    assert action["outcome"]["message_id"] == f"<{action_id}@acme.io>"
    assert world.services.admin.audit_verify(world.ws).ok


@pytest.fixture
def world(make_services: Callable[..., Services]) -> World:
    """Services with the approvals policy and a populated workspace."""
    return World(make_services(POLICY))
