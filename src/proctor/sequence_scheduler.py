"""The sequence scheduler: sends each enrollment's due step, re-checking before every step.

Before a step is sent the enrollment must still be active and its agent still active; a quarantined
or disabled agent pauses the enrollment instead (resuming it is a deliberate `sequence.pause` with
`resume: true`). Steps go out through the executor's `email.send` path (same SMTP connector, retry
policy and Message-ID scheme); a failed send leaves the step pending for the next pass.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from proctor.domain.errors import NotFoundError, ProctorError
from proctor.store import identities

log = logging.getLogger("proctor.sequences")


def _agent_status(gate: Any, ws: str, agent_id: str) -> str:
    try:
        with gate.store.read() as conn:
            return str(identities.get_agent(conn, ws, agent_id).status)
    except NotFoundError:
        return "missing"


def run_due_steps(services: Any, now: datetime | None = None) -> int:
    """Send every due step (one per enrollment per pass) of every workspace; returns how many were sent."""
    gate = getattr(services, "gate", services)
    connectors = getattr(gate, "connectors", None)
    if connectors is None:
        return 0
    sent = 0
    for ws in connectors.sequence_workspaces():
        sequences = connectors.sequences(ws)
        for step in sequences.due(now):
            try:
                if sequences.get(step.enrollment_id).status != "active":
                    continue  # paused or cancelled since the due list was read
                status = _agent_status(gate, ws, step.agent_id)
                if status != "active":
                    sequences.pause(step.enrollment_id, reason=f"agent {step.agent_id} is {status}")
                    continue
                params = {
                    "from": step.sender,
                    "to": list(step.to),
                    "subject": step.subject,
                    "body": step.body,
                }
                action_id = f"{step.enrollment_id}.{step.n}"
                result = connectors.run(ws, action_id, step.agent_id, "email.send", params, {}, [])
            except ProctorError as exc:
                log.warning("sequence step %s/%s failed: %s", step.enrollment_id, step.n, exc)
                continue
            if not result.ok:
                log.warning("sequence step %s/%s not sent: %s", step.enrollment_id, step.n, result.outcome)
                continue
            sequences.mark_sent(step.enrollment_id, step.n, str(result.outcome.get("message_id", "")), now)
            sent += 1
    return sent
