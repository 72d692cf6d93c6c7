"""The tool firewall on what the gate's own connectors return to an agent (SPEC §6).

A `research.*` action hands the agent what a connector read: a CRM record, a note, an enrichment value
that a vendor wrote into the record. Every text in that result is scanned for indirect prompt
injection before the agent sees it; a hit is neutralised in place (hidden text removed, the passage
fenced as untrusted data, or emptied under `on_injection: block`), recorded as a `tool_output` audit
event, and taints the run (`taint_run` / `block`), exactly like text an agent submits to
`POST /v1/firewall/scan`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from proctor.domain.errors import ProctorError
from proctor.executor import Execution, failure
from proctor.inspect.injection import neutralise, scan
from proctor.store import tool_output

SCREENED_PREFIXES = ("research.",)
RESULT_KEYS = ("record", "records", "result")


@dataclass
class Screen:
    """What the scan of one connector result found: the hit fields and their findings."""

    fields: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0

    @property
    def hit(self) -> bool:
        """True when any text of the result is an injection."""
        return bool(self.fields)


def screened(action: str) -> bool:
    """Whether the result of `action` goes back to the agent and so must be screened."""
    return action.startswith(SCREENED_PREFIXES)


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if any(c.isspace() for c in value.strip()):  # one word cannot carry an instruction
            yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _texts(inner, f"{path}[{i}]")


def _replace(value: Any, path: str, texts: dict[str, str]) -> Any:
    if isinstance(value, str):
        return texts.get(path, value)
    if isinstance(value, dict):
        return {k: _replace(v, f"{path}.{k}" if path else str(k), texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, f"{path}[{i}]", texts) for i, v in enumerate(value)]
    return value


def screen_outcome(outcome: dict[str, Any], on_injection: str) -> tuple[dict[str, Any], Screen]:
    """A copy of `outcome` whose injected texts are neutralised (emptied under `block`), and the scan."""
    found = Screen()
    safe: dict[str, str] = {}
    for key in RESULT_KEYS:
        for path, text in _texts(outcome.get(key), key):
            result = scan(text)
            if result.verdict != "injection":
                continue
            found.fields.append(path)
            found.score = max(found.score, result.score)
            found.findings.extend({**f.to_dict(), "field": path} for f in result.findings)
            safe[path] = "" if on_injection == "block" else neutralise(text, result)
    if not found.hit:
        return outcome, found
    return {k: _replace(v, k, safe) if k in RESULT_KEYS else v for k, v in outcome.items()}, found


def record(
    gate: Any,
    ws: str,
    agent_id: str,
    run_id: str | None,
    source: str,
    original: dict[str, Any],
    found: Screen,
    on_injection: str,
) -> dict[str, Any]:
    """Taint the run (per policy) and append the `tool_output` event; the `firewall` part of the outcome."""
    taint = on_injection in ("taint_run", "block") and bool(run_id)
    digest = hashlib.sha256(
        "\x1f".join(t for key in RESULT_KEYS for _, t in _texts(original.get(key), key)).encode()
    ).hexdigest()
    detail = {
        "source": source,
        "fields": found.fields,
        "findings": found.findings,
        "sha256": digest,
        "action_taken": on_injection,
    }
    actor = {"workspace_id": ws, "agent_id": agent_id}
    outcome = {"verdict": "injection", "score": found.score}
    event_id = tool_output.append_event(gate, actor, run_id, source, outcome, taint, detail)
    return {
        "verdict": "injection",
        "score": found.score,
        "fields": found.fields,
        "run_tainted": taint,
        "event_id": event_id,
    }


def apply(gate: Any, ws: str, agent_id: str, req: Any, policy: Any, done: Execution) -> Execution:
    """`done` with its result screened (the gate's hook after a connector ran); a scan error fails it."""
    firewall = policy.document.firewall
    if not (done.ok and firewall.scan_tool_outputs and screened(req.action)):
        return done
    try:
        safe, found = screen_outcome(done.outcome, firewall.on_injection)
        if not found.hit:
            return done
        target = req.target.record_id or req.params.get("record_id") or ""
        source = f"{req.action} {target}".strip()
        summary = record(gate, ws, agent_id, req.run_id, source, done.outcome, found, firewall.on_injection)
    except Exception as exc:  # never hand an unscreened result to the agent
        return failure(ProctorError(f"the tool firewall could not screen the result: {exc}"))
    return replace(done, outcome={**safe, "firewall": summary})
