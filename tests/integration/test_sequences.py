"""Sequences through the gate with a real SMTP sink: enroll, pause, resume, cancel, quarantine."""

from __future__ import annotations

from typing import Any

from proctor.bootstrap import Services
from proctor.connectors.smtp_sink import SmtpSink
from proctor.sequence_scheduler import run_due_steps
from proctor.worker import worker_for

STEPS = [{"delay_s": 0, "subject": f"Step {n}", "body": f"Hello, step {n}"} for n in (1, 2, 3)]


def _submit(services: Services, tenant: dict[str, Any], action: str, params: dict[str, Any]) -> Any:
    agent = services.gate.authenticate_agent(tenant["key"])
    result = services.gate.submit(agent, {"action": action, "params": params})
    assert result.status == "executed", result
    return result


def _enroll(services: Services, tenant: dict[str, Any]) -> str:
    params = {
        "sequence_id": "seq_intro",
        "record_id": "con_001",
        "from": "maria@acme.io",
        "to": "dana@globex.com",
        "steps": STEPS,
    }
    _submit(services, tenant, "sequence.enroll", params)
    eid = _eid(services, tenant)
    assert services.gate.connectors.sequences(tenant["ws"]).get(eid).status == "active"  # type: ignore[union-attr]
    return eid


def _eid(services: Services, tenant: dict[str, Any]) -> str:
    seqs = services.gate.connectors.sequences(tenant["ws"])  # type: ignore[union-attr]
    row = seqs._db.execute("SELECT id FROM enrollments ORDER BY created_at DESC LIMIT 1").fetchone()
    return str(row["id"])


def _subjects(sink: SmtpSink) -> list[str]:
    return [m.subject for m in sink.messages()]


def test_pause_resume_cancel(services: Services, tenant: dict[str, Any], sink: SmtpSink) -> None:
    eid = _enroll(services, tenant)
    assert run_due_steps(services) == 1
    assert _subjects(sink) == ["Step 1"]
    assert sink.messages()[0].rcpt_to == ("dana@globex.com",)

    _submit(services, tenant, "sequence.pause", {"enrollment_id": eid})
    assert run_due_steps(services) == 0
    assert run_due_steps(services) == 0
    assert _subjects(sink) == ["Step 1"]  # a paused sequence sends nothing further

    _submit(services, tenant, "sequence.pause", {"enrollment_id": eid, "resume": True})
    assert run_due_steps(services) == 1
    assert _subjects(sink) == ["Step 1", "Step 2"]

    _submit(services, tenant, "sequence.cancel", {"enrollment_id": eid})
    assert run_due_steps(services) == 0
    assert _subjects(sink) == ["Step 1", "Step 2"]
    seqs = services.gate.connectors.sequences(tenant["ws"])  # type: ignore[union-attr]
    assert [s["status"] for s in seqs.steps(eid)] == ["sent", "sent", "retracted"]
    assert seqs.get(eid).status == "cancelled"


def test_all_steps_then_finished(services: Services, tenant: dict[str, Any], sink: SmtpSink) -> None:
    eid = _enroll(services, tenant)
    for _ in range(5):
        run_due_steps(services)
    assert _subjects(sink) == ["Step 1", "Step 2", "Step 3"]
    assert services.gate.connectors.sequences(tenant["ws"]).get(eid).status == "finished"  # type: ignore[union-attr]


def test_quarantined_agent_stops_steps(services: Services, tenant: dict[str, Any], sink: SmtpSink) -> None:
    eid = _enroll(services, tenant)
    worker = worker_for(services)
    assert worker.run_once()["sequence_steps"] == 1  # the worker loop runs the scheduler
    services.admin.set_agent_status(tenant["ws"], tenant["agent"], "quarantined", "runaway")
    assert worker.run_once()["sequence_steps"] == 0
    assert run_due_steps(services) == 0
    assert _subjects(sink) == ["Step 1"]
    assert services.gate.connectors.sequences(tenant["ws"]).get(eid).status == "paused"  # type: ignore[union-attr]
