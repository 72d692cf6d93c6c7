"""Rollback planning (pure): newest first, what each recorded change's inverse would write, and conflicts.

Rules, applied to the changes of one action, run, approval batch or agent time window, newest first:

- a change already reverted by an earlier rollback is reported `already_reverted`;
- an irreversible change (an email sent, an export) is reported `not_reversible`, never undone;
- a created record (create, add_note, add_task) is archived — unless one of the fields the agent
  wrote holds another value now (someone edited it since): then it is a `conflict`, skipped;
- a field write (update, set_owner, stage_change, enrichment) puts `before` back, field by field;
  a field whose current value is not what the agent wrote (`after`) was changed by someone else and
  is not clobbered: reported as a conflict and skipped (`partial` when other fields are restored);
  when every field it wrote already holds its `before` value (a rollback cut short after its
  connector write), it is `already_reverted`;
- `force` restores regardless of conflicts;
- a calendar invite is cancelled; a record that no longer exists is `missing`.

Each step is applied to a simulated copy of the current records, so several writes of one record in
scope are planned in order (the newest is undone first, and the older one then sees its own `after`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from proctor.connectors.changes import same_value

Status = Literal["revert", "partial", "conflict", "not_reversible", "already_reverted", "missing"]
WHOLE_RECORD_OPS = frozenset({"create", "add_note", "add_task"})
CRM_CONNECTORS = frozenset({"sandbox_crm"})
WHY_IRREVERSIBLE = {
    "send": "email cannot be un-sent",
    "export": "exported data cannot be recalled",
}
Key = tuple[str, str]  # (object, record_id)


@dataclass(slots=True)
class PlanItem:
    """One recorded change and what rolling it back does (or why it does not)."""

    change_id: int
    action_id: str
    action: str
    agent_id: str
    run_id: str | None
    at: str
    connector: str
    object: str
    record_id: str
    op: str
    status: Status
    diff: list[dict[str, Any]] = field(default_factory=list)  # field, before (now), after (restored)
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # field, expected, current, restore_to
    reason: str = ""
    change: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        """True when carrying out this item writes something."""
        return self.status in ("revert", "partial")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view (without the stored change)."""
        return {
            "change_id": self.change_id,
            "action_id": self.action_id,
            "action": self.action,
            "agent_id": self.agent_id,
            "run_id": self.run_id,
            "at": self.at,
            "connector": self.connector,
            "object": self.object,
            "record_id": self.record_id,
            "op": self.op,
            "status": self.status,
            "diff": self.diff,
            "conflicts": self.conflicts,
            "reason": self.reason,
        }


def newest_first(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Change rows ordered newest first (time, then insertion order)."""
    return sorted(rows, key=lambda r: (str(r["at"]), int(r["id"])), reverse=True)


def key_of(row: Mapping[str, Any]) -> Key | None:
    """The CRM record a change row touched, or None for non-CRM changes."""
    if row["connector"] not in CRM_CONNECTORS or not row["reversible"]:
        return None
    return str(row["object"]), str(row["record_id"])


def _conflicts(change: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    before, after = change.get("before") or {}, change.get("after") or {}
    return [
        {"field": name, "expected": value, "current": current.get(name), "restore_to": before.get(name)}
        for name, value in sorted(after.items())
        if not same_value(current.get(name), value)
    ]


def _item(row: Mapping[str, Any], status: Status, **extra: Any) -> PlanItem:
    return PlanItem(
        change_id=int(row["id"]),
        action_id=str(row["action_id"]),
        action=str(row["action"]),
        agent_id=str(row["agent_id"]),
        run_id=row.get("run_id"),
        at=str(row["at"]),
        connector=str(row["connector"]),
        object=str(row["object"]),
        record_id=str(row["record_id"]),
        op=str(row["op"]),
        status=status,
        change=dict(row["change"]),
        **extra,
    )


def plan_one(row: Mapping[str, Any], state: dict[str, Any] | None, *, force: bool) -> PlanItem:
    """Plan one change against the record's current state; updates `state` as the inverse would."""
    if row.get("reverted_at"):
        return _item(row, "already_reverted", reason=f"reverted by {row.get('reverted_by')}")
    if not row["reversible"]:
        why = WHY_IRREVERSIBLE.get(str(row["op"]), "this action cannot be undone")
        return _item(row, "not_reversible", reason=why)
    if row["connector"] == "calendar":
        diff: list[dict[str, Any]] = [{"field": "invite", "before": "sent", "after": "cancelled"}]
        return _item(row, "revert", diff=diff, reason="the invite is cancelled (METHOD:CANCEL)")
    if state is None:
        return _item(row, "missing", reason="the record no longer exists")
    change = row["change"]
    conflicts = _conflicts(change, state)
    if row["op"] in WHOLE_RECORD_OPS:
        if state.get("archived"):
            return _item(row, "already_reverted", reason="the record is archived already")
        if conflicts and not force:
            why = "edited by someone else since it was created; not archived (use force)"
            return _item(row, "conflict", conflicts=conflicts, reason=why)
        state["archived"] = True
        diff = [{"field": "archived", "before": False, "after": True}]
        return _item(row, "revert", diff=diff, conflicts=conflicts if force else [], reason="archive")
    before = change.get("before") or {}
    if conflicts and all(same_value(state.get(k), before.get(k)) for k in change.get("after") or {}):
        why = "the record already holds the values it had before this change (an interrupted rollback?)"
        return _item(row, "already_reverted", reason=why)
    refused = {c["field"] for c in conflicts}
    restore = {k: before.get(k) for k in (change.get("after") or {}) if force or k not in refused}
    diff = [{"field": k, "before": state.get(k), "after": v} for k, v in sorted(restore.items())]
    state.update(restore)
    if not conflicts or force:
        return _item(row, "revert", diff=diff, conflicts=conflicts if force else [])
    why = "changed by someone else after the agent's write; not clobbered (use force)"
    status: Status = "partial" if restore else "conflict"
    return _item(row, status, diff=diff, conflicts=conflicts, reason=why)


def plan(
    rows: Iterable[Mapping[str, Any]], states: Mapping[Key, dict[str, Any] | None], *, force: bool = False
) -> list[PlanItem]:
    """Plan every change newest first over a copy of the records' current states."""
    sim = {k: (dict(v) if v is not None else None) for k, v in states.items()}
    out = []
    for row in newest_first(rows):
        key = key_of(row)
        out.append(plan_one(row, sim.get(key) if key is not None else None, force=force))
    return out


def summary(items: Iterable[PlanItem]) -> dict[str, int]:
    """How many items ended in each status."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return counts
