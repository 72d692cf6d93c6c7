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

from proctor.domain.actions import Catalogue
from proctor.domain.audit import event_body
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import ConflictError, NotFoundError
from proctor.domain.requests import ActionRequest
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import Derived
from proctor.policy.evaluate import decide
from proctor.store.batch import Batch, CounterKey
from proctor.store.ids import event_id
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
    result: Callable[..., Any]  # (action_id, status, decision, outcome, replayed, decision_json) -> result
    replay: Callable[[dict[str, Any]], Any]  # a stored action row -> SubmitResult(replayed=True)
    _keys: list[CounterKey] = field(default_factory=list)

    def __post_init__(self) -> None:
        ws = self.workspace_id
        self._keys = [(ws, s.name, s.key, s.window_start) for s in self.slot_list]

    def slots(self) -> list[CounterKey]:
        """The counters this job reads and reserves."""
        return self._keys

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return event_body(
            id=event_id(), workspace_id=self.workspace_id, seq=0, kind=kind, at=self.stamp, **fields
        )

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
        if status == "allowed":
            status = "executing"  # claimed by this submit: the gate executes it after the commit
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
                "outcome": None,
                "changes": None,
                "policy_version": decision.policy_version,
                "created_at": self.stamp,
                "updated_at": self.stamp,
            }
        )
        result = self.result(self.action_id, status, decision, None, False, decision_json)
        if key:
            batch.memo[(ws, self.agent_id, key)] = (self.digest, result)
        return result


@dataclass
class FinishJob:
    """The outcome of one executed action: event, status, change rows and learnt values, group-committed."""

    workspace_id: str
    action_id: str
    status: str
    outcome: dict[str, Any]
    changes: dict[str, Any] | None
    event: dict[str, Any]  # the outcome event's body (seq assigned in the batch)
    change_rows: list[dict[str, Any]]
    stamp: str
    known: list[tuple[str, list[str]]] = field(default_factory=list)

    def slots(self) -> list[CounterKey]:
        """No counters: usage was reserved when the action was decided."""
        return []

    def apply(self, batch: Batch) -> None:
        """Chain the outcome event, update the action row, add its change rows and learnt values."""
        if not batch.has_head(self.workspace_id):
            return
        batch.append(dict(self.event))
        batch.action_updates.append(
            {
                "b_ws": self.workspace_id,
                "b_id": self.action_id,
                "b_status": self.status,
                "b_outcome": self.outcome,
                "b_changes": self.changes,
                "b_at": self.stamp,
            }
        )
        batch.change_rows.extend(self.change_rows)
        for kind, values in self.known:
            batch.remember(self.workspace_id, kind, values, self.stamp)
        return
