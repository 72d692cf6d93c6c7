"""The write set of one `Gate.submit`, applied by the single writer inside a group-commit batch.

Everything that needs no lock is prepared by the request thread: validation, facts, a decision made
with zero usage, the request event's body, the action row. Inside the batch the job checks the
idempotency key, re-reads usage from the batch's locked counters and re-decides when usage could
change the answer (a limit or budget is reached, or a CEL expression can see `facts.usage`), reserves
the counters, chains its events and — for allowed actions — runs the in-store sandbox connector in
the same transaction, so request, decision, execution and outcome commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError

from proctor.domain.actions import Catalogue
from proctor.domain.audit import AuditEvent
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import ConflictError, NotFoundError, ProctorError
from proctor.domain.requests import ActionRequest
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import Derived
from proctor.policy.evaluate import decide
from proctor.store import sandbox
from proctor.store.batch import Batch, CounterKey
from proctor.store.tables import actions
from proctor.store.usage import Slot

_STATUS = {Effect.DENY: "denied", Effect.REQUIRE_APPROVAL: "pending_approval", Effect.ALLOW: "allowed"}
BY_IDEMPOTENCY = select(actions).where(
    actions.c.workspace_id == bindparam("b_ws"),
    actions.c.agent_id == bindparam("b_agent"),
    actions.c.idempotency_key == bindparam("b_key"),
)
_READS_USAGE: dict[int, tuple[CompiledPolicy, bool]] = {}


def policy_reads_usage(policy: CompiledPolicy) -> bool:
    """True when any policy text mentions `usage` (a CEL condition could read facts.usage); cached."""
    hit = _READS_USAGE.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    reads = b"usage" in orjson.dumps(policy.document.model_dump(mode="json"))
    if len(_READS_USAGE) > 32:
        _READS_USAGE.clear()
    _READS_USAGE[id(policy)] = (policy, reads)
    return reads


def limit_reached(policy: CompiledPolicy, req: ActionRequest, usage: dict[str, float]) -> bool:
    """The predicate of the decision's limit/budget check: would any of them deny at this usage?"""
    for limit in policy.limits_for(req.action):
        if usage.get(limit.name, 0.0) + 1 > limit.max:
            return True
    for item in policy.budgets_for(req.action):
        value: Any = req.params
        for part in item.path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            value = 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # denied whatever the usage; the message does not depend on it
        if usage.get(item.budget.name, 0.0) + value > item.budget.max:
            return True
    return False


def find_by_idempotency(conn: Connection, ws: str, agent_id: str, key: str) -> dict[str, Any] | None:
    """The action an agent already submitted with this idempotency key (pre-built statement)."""
    row = conn.execute(BY_IDEMPOTENCY, {"b_ws": ws, "b_agent": agent_id, "b_key": key}).first()
    return dict(row._mapping) if row is not None else None


def _integrity(exc: IntegrityError) -> ConflictError:
    return ConflictError(f"conflicts with stored data: {exc.orig}")


@dataclass
class SubmitJob:
    """One submit's write set; `apply` runs in the writer thread, in queue order."""

    workspace_id: str
    agent_id: str
    key_id: str
    action_id: str
    req: ActionRequest
    request_json: dict[str, Any]
    digest: str
    policy: CompiledPolicy
    catalogue: Catalogue
    derived: Derived | None
    decision: Decision
    usage_sensitive: bool
    slot_list: list[Slot]
    stamp: str
    common: dict[str, Any]
    request_body: dict[str, Any]
    result: Callable[..., Any]  # (action_id, status, decision, outcome, replayed) -> SubmitResult
    replay: Callable[[dict[str, Any]], Any]  # a stored action row -> SubmitResult(replayed=True)
    new_id: Callable[[str], str]
    _keys: list[CounterKey] = field(default_factory=list)

    def __post_init__(self) -> None:
        ws = self.workspace_id
        self._keys = [(ws, s.name, s.key, s.window_start) for s in self.slot_list]

    def slots(self) -> list[CounterKey]:
        """The counters this job reads and reserves."""
        return self._keys

    def records(self) -> list[tuple[str, str]]:
        """The sandbox records an allowed action would read (prefetched by the batch)."""
        if self.decision.effect is not Effect.ALLOW:
            return []
        p, t = self.req.params, self.req.target
        ids = {p.get("record_id"), p.get("record"), t.record_id}
        return [(self.workspace_id, str(r)) for r in ids if isinstance(r, str | int) and r != ""]

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        draft = AuditEvent(
            id=self.new_id("evt"), workspace_id=self.workspace_id, seq=0, kind=kind, at=self.stamp, **fields
        )
        return draft.body()

    def apply(self, batch: Batch) -> Any:
        """Idempotency, exact usage, reserve, chain request/decision(/outcome), execute when allowed."""
        ws = self.workspace_id
        key = self.req.idempotency_key
        if key:
            seen = batch.memo.get((ws, self.agent_id, key))
            if seen is None:
                row = find_by_idempotency(batch.conn, ws, self.agent_id, key)
                seen = (row["request_hash"], self.replay(row)) if row is not None else None
            if seen is not None:
                if seen[0] != self.digest:
                    return ConflictError(f"idempotency_key {key!r} was used with a different request")
                return seen[1].model_copy(update={"replayed": True})
        if not batch.has_head(ws):
            return NotFoundError(f"no workspace {ws}")
        decision = self.decision
        if self._keys:
            usage = batch.usage(self._keys)
            if self.usage_sensitive or limit_reached(self.policy, self.req, usage):
                facts = self.req.facts.model_copy(update={"usage": usage})
                decision = decide(self.policy, self.req.model_copy(update={"facts": facts}), self.catalogue)
            if decision.effect is not Effect.DENY:
                batch.reserve(zip(self._keys, (s.amount for s in self.slot_list), strict=True))
        decision_json = decision.model_dump(mode="json")
        batch.append(self.request_body)
        batch.append(self._event("decision", **self.common, decision=decision_json))
        status = _STATUS[decision.effect]
        outcome: dict[str, Any] | None = None
        changes: dict[str, Any] | None = None
        if status == "allowed":
            status, outcome, changes = self._execute(batch)
        batch.actions.append(
            {
                "id": self.action_id,
                "workspace_id": ws,
                "agent_id": self.agent_id,
                "key_id": self.key_id,
                "run_id": self.req.run_id,
                "on_behalf_of": self.req.on_behalf_of,
                "action": self.req.action,
                "idempotency_key": key,
                "request_hash": self.digest,
                "request": self.request_json,
                "status": status,
                "decision": decision_json,
                "outcome": outcome,
                "changes": changes,
                "policy_version": decision.policy_version,
                "created_at": self.stamp,
                "updated_at": self.stamp,
            }
        )
        result = self.result(self.action_id, status, decision, outcome, False)
        if key:
            batch.memo[(ws, self.agent_id, key)] = (self.digest, result)
        return result

    def _execute(self, batch: Batch) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Run the sandbox connector in the batch's transaction (record writes buffered by the batch)."""
        req, ws = self.req, self.workspace_id
        data_accessed: dict[str, Any] | None = None
        changes: dict[str, Any] | None = None
        try:
            done = self._run_sandbox(batch.conn, batch.records)
            status = "executed" if done.ok else "failed"
            outcome, changes, data_accessed = done.outcome, done.changes, done.data_accessed
            if done.ok and req.action == "email.send" and self.derived is not None:
                batch.remember(ws, "recipient_domain", self.derived.recipient_domains, self.stamp)
                persona = req.params.get("persona")
                if isinstance(persona, str):
                    batch.remember(ws, "persona", [persona], self.stamp)
        except (ProctorError, IntegrityError) as exc:
            err = _integrity(exc) if isinstance(exc, IntegrityError) else exc
            status, outcome = "failed", {"ok": False, "error": f"{type(err).__name__}: {err}"}
            changes = None
        batch.append(
            self._event(
                "outcome",
                **self.common,
                outcome={"status": status, **outcome},
                changes=changes,
                data_accessed=data_accessed,
            )
        )
        return status, outcome, changes

    def _run_sandbox(self, conn: Connection, records: sandbox.Records) -> sandbox.Execution:
        req = self.req
        target = dict(self.request_json["target"])
        return sandbox.execute(
            conn, self.workspace_id, self.action_id, req.action, req.params, target, self.stamp, records
        )
