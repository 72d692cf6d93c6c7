"""Tool outputs through the gate: scan for prompt injection, neutralise, taint the run, audit it."""

from __future__ import annotations

import hashlib
from typing import Any

from proctor.domain.audit import utc_stamp
from proctor.domain.identity import AgentPrincipal
from proctor.inspect.injection import neutralise as _neutralise
from proctor.inspect.injection import scan as _scan
from proctor.store import facts as fact_rows


def record(
    gate: Any, principal: AgentPrincipal, run_id: str | None, text: str, source: str
) -> dict[str, Any]:
    """`Gate.record_tool_output`: the verdict, the neutralised text and the audit event id."""
    firewall = gate.policy().document.firewall
    verdict, score, findings, safe = "clean", 0.0, [], text
    if firewall.scan_tool_outputs:
        result = _scan(text)
        verdict, score = result.verdict, result.score
        findings = [f.to_dict() for f in result.findings]
        safe = _neutralise(text, result)
    hit = verdict == "injection"
    if hit and firewall.on_injection == "block":
        safe = ""
    taint = hit and firewall.on_injection in ("taint_run", "block") and bool(run_id)
    actor = {
        "workspace_id": principal.workspace_id,
        "agent_id": principal.agent_id,
        "key_id": principal.key_id,
    }
    detail = {
        "source": source,
        "findings": findings,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "length": len(text),
        "action_taken": firewall.on_injection if hit else "none",
    }
    event_id = append_event(gate, actor, run_id, source, {"verdict": verdict, "score": score}, taint, detail)
    return {
        "verdict": verdict,
        "score": score,
        "findings": findings,
        "text": safe,
        "run_id": run_id,
        "run_tainted": taint,
        "event_id": event_id,
    }


def append_event(
    gate: Any,
    actor: dict[str, Any],
    run_id: str | None,
    source: str,
    outcome: dict[str, Any],
    taint: bool,
    detail: dict[str, Any],
) -> str:
    """Taint the run (when `taint`) and append the `tool_output` event, in one commit; the event id."""
    now = gate.clock()
    ws = actor["workspace_id"]
    with gate.store.write() as conn:
        if taint and run_id:
            fact_rows.taint_run(conn, gate.store, ws, run_id, f"prompt injection in {source}", utc_stamp(now))
        event = gate.audit.append(
            conn,
            ws,
            "tool_output",
            now,
            actor=actor,
            run_id=run_id,
            outcome={**outcome, "run_tainted": taint},
            detail=detail,
        )
    return str(event.id)
