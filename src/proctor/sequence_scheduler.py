"""The sequence scheduler: each due step goes through the gate as the enrolling agent's `email.send`.

Before a step the enrollment must still be active and its agent active (a quarantined or disabled agent
pauses the enrollment instead). The step is then submitted to the gate as an `email.send` by the
enrolling agent — with the enrolling key's scopes, its delegating user and its run — so the policy
decides it again with today's facts, and the request, the decision, the outcome (Message-ID, delivery)
and the irreversible `send` change row are recorded like any other action (target: the record, the
`enrollment_id`, the `sequence_id` and the 1-based `step`). The step remembers its action and its
idempotency key names the attempt, so a step is never submitted twice:

- executed → the step is sent; a step the policy sends for approval waits (the worker executes it once
  approved); denied, rejected, expired or cancelled → the step is skipped and the sequence goes on;
- failed before the server took the message → a fresh attempt later (at most `RETRIES`); any other
  failure, or an outcome nobody knows (`outcome_unknown`) → never re-sent, the enrollment is paused.

Whatever the scheduler decides on its own (a paused or cancelled enrollment, an agent that is not
active, a skipped or halted step) is an audit event `sequence.step` with the reason; an approval still
pending for a paused or cancelled enrollment is cancelled. Time comes from the gate's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from proctor.connectors.sequences import DueStep, Sequences
from proctor.domain.audit import redact
from proctor.domain.errors import NotFoundError, ProctorError, RequestError
from proctor.domain.identity import AgentPrincipal
from proctor.store import actions as action_rows
from proctor.store import identities

log = logging.getLogger("proctor.sequences")
RETRIES = 3  # fresh attempts of a step whose send never reached the mail server
RETRY_AFTER = timedelta(minutes=1)  # before the first fresh attempt; doubles per attempt
WAITING = frozenset({"pending_approval", "allowed", "approved", "executing"})
NOT_SENT = frozenset({"denied", "rejected", "expired", "cancelled"})
ACTION = "sequence.step"  # the action name of the scheduler's own audit events


def _agent_status(gate: Any, ws: str, agent_id: str) -> tuple[str, str | None]:
    """The agent's status and why (a workspace pause quarantines every agent "workspace paused by …")."""
    try:
        with gate.store.read() as conn:
            agent = identities.get_agent(conn, ws, agent_id)
    except NotFoundError:
        return "missing", None
    return str(agent.status), agent.status_reason


def _why(status: str, outcome: dict[str, Any], reasons: list[str]) -> str:
    if status == "denied":
        return "denied by the policy: " + ("; ".join(reasons) or "no reason given")
    said = outcome.get("reason") or outcome.get("error")
    return f"the step's action was {status}" + (f": {said}" if said else "")


@dataclass
class _Pass:
    """One scheduler pass: the gate, the approval service (made on demand), the time, cached lookups."""

    gate: Any
    services: Any
    now: datetime
    approvals: Any = None
    enrolled: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    agents: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    keys: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def step(self, ws: str, seqs: Sequences, step: DueStep) -> int:
        """Handle one due step; 1 when it was sent during this call."""
        current = seqs.get(step.enrollment_id).status
        if current != step.status:
            return 0  # changed since the due list was read: the next pass sees the new state
        if current in ("paused", "cancelled"):
            if not self._withdraw(ws, seqs, step):
                self._skipped(
                    ws, step, f"the enrollment is {current}" + (f": {step.reason}" if step.reason else "")
                )
            seqs.note(step.enrollment_id, step.n, step.note_key())
            return 0
        if (ws, step.agent_id) not in self.agents:  # one read per agent and pass, not per step
            self.agents[ws, step.agent_id] = _agent_status(self.gate, ws, step.agent_id)
        agent, why = self.agents[ws, step.agent_id]
        if agent != "active":
            reason = f"agent {step.agent_id} is {agent}" + (f": {why}" if why else "")
            seqs.pause(step.enrollment_id, reason=reason)
            step = replace(step, status="paused", reason=reason)
            if not self._withdraw(ws, seqs, step):
                self._skipped(ws, step, f"the enrollment is paused: {reason}")
            seqs.note(step.enrollment_id, step.n, step.note_key())
            return 0
        if step.action_id is None:
            try:
                result = self.gate.submit(self._principal(ws, step), self._payload(ws, step))
            except RequestError as exc:  # the step can never become a valid email.send
                reason = f"not a valid email.send: {exc}"
                seqs.skip(step.enrollment_id, step.n, reason)
                self._skipped(ws, step, reason)
                return 0
            seqs.attach(step.enrollment_id, step.n, result.action_id)
            step = replace(step, action_id=result.action_id)
            status, outcome, reasons = str(result.status), result.outcome or {}, result.decision.reasons
        else:
            with self.gate.store.read() as conn:
                row = action_rows.get_action(conn, ws, step.action_id)
            status, outcome, reasons = row["status"], row["outcome"] or {}, row["decision"].get("reasons", [])
        return self._settle(ws, seqs, step, status, outcome, list(reasons))

    def _settle(
        self,
        ws: str,
        seqs: Sequences,
        step: DueStep,
        status: str,
        outcome: dict[str, Any],
        reasons: list[str],
    ) -> int:
        eid, n = step.enrollment_id, step.n
        if status == "executed":
            seqs.mark_sent(eid, n, str(outcome.get("message_id") or ""), self.now)
            return 1
        if status in WAITING:
            return 0  # waiting for an approver, or in flight (a dead process is reconciled by the worker)
        if status in NOT_SENT:
            reason = _why(status, outcome, reasons)
            seqs.skip(eid, n, reason)
            self._skipped(ws, step, reason)
            return 0
        if status == "failed" and outcome.get("retryable") is True and step.attempt + 1 < RETRIES:
            seqs.retry(eid, n, self.now + RETRY_AFTER * 2**step.attempt)
            log.warning("sequence step %s/%s not sent, retrying later: %s", eid, n + 1, outcome.get("error"))
            return 0
        unknown = status == "outcome_unknown" or outcome.get("delivery") == "unknown"
        what = "its outcome is unknown" if unknown else "it failed"
        said = outcome.get("reason") or outcome.get("error") or status
        reason = f"not re-sent: {what} ({said}); resume the enrollment to go on with the next step"
        seqs.halt(eid, n, "unknown" if unknown else "failed", reason)
        self._skipped(ws, replace(step, status="paused"), reason, "unknown" if unknown else "failed")
        return 0

    def _withdraw(self, ws: str, seqs: Sequences, step: DueStep) -> bool:
        """A paused/cancelled step's outstanding action: cancel its approval; True when it was sent anyway."""
        if step.action_id is None:
            return False
        with self.gate.store.read() as conn:
            row = action_rows.get_action(conn, ws, step.action_id)
        if row["status"] == "executed":
            seqs.mark_sent(step.enrollment_id, step.n, str((row["outcome"] or {}).get("message_id") or ""))
            return True
        if row["status"] in ("pending_approval", "approved"):
            service = self._approvals()
            service.sync(ws)
            principal = AgentPrincipal(
                workspace_id=ws, agent_id=step.agent_id, key_id="scheduler", scopes=[], status="active"
            )
            try:
                service.cancel(principal, step.action_id, f"the sequence enrollment is {step.status}")
            except ProctorError as exc:  # decided or running meanwhile: the next pass follows it
                log.warning("could not withdraw %s: %s", step.action_id, exc)
                return False
        if row["status"] in ("pending_approval", "approved", "denied", "rejected", "expired", "cancelled"):
            seqs.retry(step.enrollment_id, step.n, self.now)  # a resume submits a fresh attempt
        return False

    def _approvals(self) -> Any:
        if self.approvals is None:
            if hasattr(self.services, "settings"):
                from proctor.worker import approvals_for

                self.approvals = approvals_for(self.services)
            else:
                from proctor.approvals import ApprovalService

                self.approvals = ApprovalService(self.gate)
        return self.approvals

    def _enrollment(self, ws: str, step: DueStep) -> dict[str, Any]:
        """The gate action that enrolled the record ({} for enrollments made before actions were linked)."""
        if not step.enrolled_by:
            return {}
        key = (ws, step.enrolled_by)
        if key not in self.enrolled:
            try:
                with self.gate.store.read() as conn:
                    self.enrolled[key] = action_rows.get_action(conn, ws, step.enrolled_by)
            except NotFoundError:
                self.enrolled[key] = None
        return self.enrolled[key] or {}

    def _principal(self, ws: str, step: DueStep) -> AgentPrincipal:
        """The enrolling agent with the enrolling key's scopes (or its live keys' for older enrollments)."""
        key_id = self._enrollment(ws, step).get("key_id")
        if (ws, step.agent_id) not in self.keys:
            with self.gate.store.read() as conn:
                self.keys[ws, step.agent_id] = identities.list_keys(conn, ws, step.agent_id)
        keys = self.keys[ws, step.agent_id]
        if key_id:
            scopes = [s for k in keys if k.id == key_id for s in k.scopes]
        else:
            scopes = sorted({s for k in keys if k.revoked_at is None for s in k.scopes})
        return AgentPrincipal(
            workspace_id=ws, agent_id=step.agent_id, key_id=key_id or "", scopes=scopes, status="active"
        )

    def _target(self, ws: str, step: DueStep) -> dict[str, Any]:
        enrolled = (self._enrollment(ws, step).get("request") or {}).get("target") or {}
        target = {k: v for k, v in enrolled.items() if v is not None}
        if step.record_id:
            target["record_id"] = step.record_id
        target.update(
            enrollment_id=step.enrollment_id, sequence_id=step.sequence_id, step=step.n + 1, steps=step.steps
        )
        return target

    def _params(self, step: DueStep) -> dict[str, Any]:
        return {"from": step.sender, "to": list(step.to), "subject": step.subject, "body": step.body}

    def _payload(self, ws: str, step: DueStep) -> dict[str, Any]:
        """The `email.send` request of one step, the same on every pass (its idempotency key names it)."""
        enrolled = self._enrollment(ws, step)
        versions = (enrolled.get("request") or {}).get("versions") or {}
        payload: dict[str, Any] = {
            "action": "email.send",
            "intent": (
                f"sequence {step.sequence_id} step {step.n + 1} of {step.steps} "
                f"(enrollment {step.enrollment_id})"
            ),
            "target": self._target(ws, step),
            "params": self._params(step),
            "versions": {k: v for k, v in versions.items() if v is not None},
            "idempotency_key": f"sequence:{step.enrollment_id}:{step.n}:{step.attempt}",
        }
        for name in ("run_id", "on_behalf_of"):
            if enrolled.get(name):
                payload[name] = enrolled[name]
        return payload

    def _skipped(self, ws: str, step: DueStep, reason: str, status: str = "skipped") -> None:
        """Audit a step the scheduler did not send, with the reason, in the workspace's chain."""
        enrolled = self._enrollment(ws, step)
        policy = self.gate.policy()
        actor: dict[str, Any] = {"workspace_id": ws, "agent_id": step.agent_id}
        if enrolled.get("key_id"):
            actor["key_id"] = enrolled["key_id"]
        if enrolled.get("on_behalf_of"):
            actor["user_id"] = enrolled["on_behalf_of"]
        params = {k: v for k, v in self._params(step).items() if k != "body"}
        with self.gate.store.write() as conn:
            self.gate.audit.append(
                conn,
                ws,
                "outcome",
                self.now,
                actor=actor,
                action_id=step.action_id,
                run_id=enrolled.get("run_id"),
                action=ACTION,
                target=self._target(ws, step),
                params=redact(params, policy.protected_fields),
                outcome={"status": status, "sent": False, "reason": reason},
                versions={"policy": policy.version},
                detail={"enrollment_status": step.status, "attempt": step.attempt, "by": "scheduler"},
            )


def run_due_steps(services: Any, now: datetime | None = None, *, approvals: Any = None) -> int:
    """Send every due step (one per enrollment per pass) of every workspace; returns how many were sent.

    `now` defaults to the gate's clock; `approvals` is the worker's approval service (made on demand).
    """
    gate = getattr(services, "gate", services)
    connectors = getattr(gate, "connectors", None)
    if connectors is None:
        return 0
    run = _Pass(gate, services, now or gate.clock(), approvals)
    sent = 0
    for ws in connectors.sequence_workspaces():
        sequences = connectors.sequences(ws)
        for step in sequences.due(run.now):
            try:
                sent += run.step(ws, sequences, step)
            except ProctorError as exc:
                log.warning("sequence step %s/%s failed: %s", step.enrollment_id, step.n + 1, exc)
    return sent
