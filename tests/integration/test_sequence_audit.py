"""Sequence steps are governed actions: audited, re-decided by the policy, timed by the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from test_approvals import POLICY

from proctor.bootstrap import Services
from proctor.connectors.smtp_sink import SmtpSink, free_port
from proctor.sequence_scheduler import run_due_steps
from proctor.store import changes as change_rows
from proctor.worker import Worker, approvals_for

HOUR, DAY = 3600, 86400
Clock = Any  # the settable clock fixture (conftest.Clock): `clock.now` is what the services read
SENDS: dict[str, Any] = {"version": 1, "name": "sends", "maturity": 3, "actions": {"*": {"effect": "allow"}}}


def _tenant(services: Services) -> dict[str, Any]:
    admin = services.admin
    ws = admin.create_workspace("Acme")["id"]
    assert services.gate.connectors is not None
    services.gate.connectors.crm(ws).seed()
    agent = admin.create_agent(ws, "sdr-bot")["id"]
    _, key = admin.issue_agent_key(ws, agent, ["*"])
    user = admin.create_user(ws, "maria@acme.io", "Maria", ["rep"])["id"]
    admin.create_delegation(ws, user, agent, ["*"], datetime.now(UTC) + timedelta(days=30))
    return {"ws": ws, "agent": agent, "key": key, "user": user}


def _enroll(services: Services, t: dict[str, Any], delays: tuple[int, ...] = (0, HOUR, DAY)) -> str:
    steps = [
        {"delay_s": d, "subject": f"Step {n}", "body": f"Hello, step {n}"} for n, d in enumerate(delays, 1)
    ]
    params = {
        "sequence_id": "seq_intro",
        "record_id": "con_001",
        "from": "maria@acme.io",
        "to": "dana@globex.com",
        "steps": steps,
    }
    agent = services.gate.authenticate_agent(t["key"])
    payload = {"action": "sequence.enroll", "run_id": "run_seq", "on_behalf_of": t["user"], "params": params}
    result = services.gate.submit(agent, payload)
    assert result.status == "executed", result
    assert result.outcome is not None
    return str(result.outcome["enrollment_id"])


def _steps(services: Services, ws: str, eid: str) -> list[str]:
    assert services.gate.connectors is not None
    return [s["status"] for s in services.gate.connectors.sequences(ws).steps(eid)]


def _events(services: Services, ws: str, **filters: Any) -> list[dict[str, Any]]:
    events, _ = services.admin.audit_query(ws, filters, limit=1000)
    return events


def _write_policy(services: Services, policy: dict[str, Any]) -> None:
    services.settings.home.joinpath("proctor.yaml").write_text(yaml.safe_dump(policy))


def test_every_step_is_an_audited_send_and_due_times_follow_the_clock(
    services: Services, clock: Clock, sink: SmtpSink
) -> None:
    t = _tenant(services)
    eid = _enroll(services, t)
    assert run_due_steps(services) == 1
    assert run_due_steps(services) == 0  # step 2 is due in an hour: nothing sleeps, the clock moves
    clock.now += timedelta(minutes=59)
    assert run_due_steps(services) == 0
    clock.now += timedelta(minutes=1)
    assert run_due_steps(services) == 1
    clock.now += timedelta(days=1)
    assert run_due_steps(services) == 1
    assert [m.subject for m in sink.messages()] == ["Step 1", "Step 2", "Step 3"]
    assert _steps(services, t["ws"], eid) == ["sent", "sent", "sent"]

    outcomes = _events(services, t["ws"], run_id="run_seq", action="email.send", kind="outcome")
    assert [e["target"]["step"] for e in outcomes] == [1, 2, 3]
    policy_version = services.gate.policy().version
    for event, mail in zip(outcomes, sink.messages(), strict=True):
        assert event["actor"]["agent_id"] == t["agent"] and event["actor"]["user_id"] == t["user"]
        assert event["target"]["enrollment_id"] == eid and event["target"]["record_id"] == "con_001"
        assert event["outcome"]["status"] == "executed" and event["outcome"]["delivery"] == "accepted"
        assert event["outcome"]["message_id"] == mail.message_id
        assert event["outcome"]["accepted"] == ["dana@globex.com"]
        assert event["versions"]["policy"] == policy_version
        with services.store.read() as conn:
            rows = change_rows.for_action(conn, t["ws"], event["action_id"])
        assert [(r["op"], r["reversible"]) for r in rows] == [("send", False)]
    decisions = _events(services, t["ws"], run_id="run_seq", action="email.send", kind="decision")
    assert [e["decision"]["effect"] for e in decisions] == ["allow"] * 3
    assert services.admin.audit_verify(t["ws"]).ok


def test_skipped_steps_are_audited_once_with_the_reason(
    services: Services, clock: Clock, sink: SmtpSink
) -> None:
    t = _tenant(services)
    eid = _enroll(services, t, (0, HOUR, HOUR))
    agent = services.gate.authenticate_agent(t["key"])
    assert run_due_steps(services) == 1
    services.gate.submit(agent, {"action": "sequence.pause", "params": {"enrollment_id": eid}})
    clock.now += timedelta(hours=1)
    assert run_due_steps(services) == 0
    assert run_due_steps(services) == 0
    skips = _events(services, t["ws"], action="sequence.step")
    assert len(skips) == 1  # reported once, not on every pass
    assert skips[0]["outcome"] == {
        "status": "skipped",
        "sent": False,
        "reason": f"the enrollment is paused: paused by {t['agent']}",
    }
    assert skips[0]["target"]["enrollment_id"] == eid and skips[0]["target"]["step"] == 2
    assert skips[0]["run_id"] == "run_seq" and skips[0]["actor"]["user_id"] == t["user"]

    services.gate.submit(
        agent, {"action": "sequence.pause", "params": {"enrollment_id": eid, "resume": True}}
    )
    services.admin.set_agent_status(t["ws"], t["agent"], "quarantined", "runaway")
    assert run_due_steps(services) == 0
    skips = _events(services, t["ws"], action="sequence.step")
    reason = f"the enrollment is paused: agent {t['agent']} is quarantined: runaway"
    assert skips[-1]["outcome"]["reason"] == reason

    services.admin.set_agent_status(t["ws"], t["agent"], "active", "fixed")
    assert services.gate.connectors is not None
    services.gate.connectors.sequences(t["ws"]).cancel(eid)
    assert run_due_steps(services) == 0
    skips = _events(services, t["ws"], action="sequence.step")
    assert len(skips) == 3 and skips[-1]["outcome"]["reason"] == "the enrollment is cancelled"
    assert [m.subject for m in sink.messages()] == ["Step 1"]
    assert _steps(services, t["ws"], eid) == ["sent", "retracted", "retracted"]
    assert services.admin.audit_verify(t["ws"]).ok


def test_a_step_the_policy_now_denies_is_not_sent(services: Services, sink: SmtpSink) -> None:
    t = _tenant(services)
    eid = _enroll(services, t, (0, 0, 0))
    assert run_due_steps(services) == 1
    denying = {**SENDS, "actions": {**SENDS["actions"]}}
    denying["actions"]["email.send"] = {
        "effect": "allow",
        "rules": [{"when": "params.subject == 'Step 2'", "effect": "deny", "message": "no second nudge"}],
    }
    _write_policy(services, denying)
    assert run_due_steps(services) == 0
    assert run_due_steps(services) == 1
    assert [m.subject for m in sink.messages()] == ["Step 1", "Step 3"]
    assert _steps(services, t["ws"], eid) == ["sent", "skipped", "sent"]
    denied = _events(services, t["ws"], action="email.send", effect="deny")
    assert len(denied) == 1 and denied[0]["target"]["step"] == 2
    assert "no second nudge" in " ".join(denied[0]["decision"]["reasons"])
    skip = _events(services, t["ws"], action="sequence.step")
    assert [e["action_id"] for e in skip] == [denied[0]["action_id"]]
    assert skip[0]["outcome"]["reason"].startswith("denied by the policy: ")
    assert services.gate.get_action(t["ws"], denied[0]["action_id"])["status"] == "denied"


def test_a_step_needing_approval_waits_for_it(make_services: Callable[..., Services], sink: SmtpSink) -> None:
    services = make_services(POLICY)
    t = _tenant(services)
    approvals = approvals_for(services)
    approver = services.admin.create_user(t["ws"], "ann@acme.io", "Ann", ["approver"])["id"]
    ann = approvals.user(t["ws"], approver)
    eid = _enroll(services, t, (0, 0, 0))
    worker = Worker(approvals)

    def pending() -> list[dict[str, Any]]:
        return approvals.list_approvals(t["ws"])

    assert worker.run_once()["sequence_steps"] == 0
    worker.run_once()
    assert len(pending()) == 1  # one approval per step, however many passes
    first = pending()[0]
    assert first["target"]["enrollment_id"] == eid and first["target"]["step"] == 1
    assert first["on_behalf_of"] == t["user"] and first["run_id"] == "run_seq"
    approvals.vote(ann, first["id"], "approve")
    assert worker.run_once()["executed"] == 1  # the worker sends it; the scheduler records it as sent
    assert [m.subject for m in sink.messages()] == ["Step 1"]
    assert _steps(services, t["ws"], eid)[0] == "sent"

    worker.run_once()
    second = pending()
    assert [a["target"]["step"] for a in second] == [2]
    approvals.vote(ann, second[0]["id"], "reject", reason="too pushy")
    worker.run_once()  # step 2 is skipped (one step per enrollment per pass) ...
    assert _steps(services, t["ws"], eid) == ["sent", "skipped", "pending"]
    worker.run_once()  # ... and step 3 asks for approval
    third = pending()
    assert [a["target"]["step"] for a in third] == [3]

    agent = services.gate.authenticate_agent(t["key"])
    services.gate.submit(agent, {"action": "sequence.pause", "params": {"enrollment_id": eid}})
    worker.run_once()  # a paused sequence withdraws its pending approval
    assert pending() == []
    assert approvals.get(t["ws"], third[0]["id"])["status"] == "cancelled"
    services.gate.submit(
        agent, {"action": "sequence.pause", "params": {"enrollment_id": eid, "resume": True}}
    )
    worker.run_once()
    again = pending()
    assert [a["target"]["step"] for a in again] == [3] and again[0]["id"] != third[0]["id"]
    assert [m.subject for m in sink.messages()] == ["Step 1"]
    assert services.admin.audit_verify(t["ws"]).ok


def test_a_send_that_never_reached_the_server_is_retried_then_halted(
    make_services: Callable[..., Services], clock: Clock
) -> None:
    services = make_services(local_smtp=f"127.0.0.1:{free_port()}", smtp_attempts=1)  # nothing listens
    t = _tenant(services)
    eid = _enroll(services, t, (0, 0))
    assert run_due_steps(services) == 0
    assert run_due_steps(services) == 0  # the fresh attempt waits a minute
    clock.now += timedelta(minutes=1)
    assert run_due_steps(services) == 0
    clock.now += timedelta(minutes=2)
    assert run_due_steps(services) == 0
    assert services.gate.connectors is not None
    seqs = services.gate.connectors.sequences(t["ws"])
    assert _steps(services, t["ws"], eid) == ["failed", "pending"]
    assert seqs.get(eid).status == "paused"
    failed = _events(services, t["ws"], action="email.send", kind="outcome")
    assert [e["outcome"]["status"] for e in failed] == ["failed"] * 3
    halt = _events(services, t["ws"], action="sequence.step")
    assert [e["outcome"]["status"] for e in halt] == ["failed"]
    assert "not re-sent" in halt[0]["outcome"]["reason"]
    clock.now += timedelta(hours=1)
    assert (
        run_due_steps(services) == 0
        and len(_events(services, t["ws"], action="email.send", kind="outcome")) == 3
    )


def test_a_workspace_pause_stops_the_steps(services: Services, clock: Clock, sink: SmtpSink) -> None:
    if not hasattr(services.admin, "pause_workspace"):
        pytest.skip("this build has no workspace pause")
    t = _tenant(services)
    eid = _enroll(services, t, (0, HOUR))
    assert run_due_steps(services) == 1
    services.admin.pause_workspace(t["ws"], actor="ops")
    clock.now += timedelta(hours=1)
    assert run_due_steps(services) == 0 and run_due_steps(services) == 0
    (skip,) = _events(services, t["ws"], action="sequence.step")
    assert skip["outcome"]["reason"].endswith(f"agent {t['agent']} is quarantined: workspace paused by ops")
    assert [m.subject for m in sink.messages()] == ["Step 1"]
    assert _steps(services, t["ws"], eid) == ["sent", "pending"]
