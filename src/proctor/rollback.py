"""Rollback: revert one action, a run, an approval batch or an agent's time window, newest first, audited.

The plan comes from `proctor.domain.rollback` (pure); this service reads the recorded changes and
the records' current state, and — unless `dry_run` — writes the plan ahead as a `started` event,
carries it out through the connectors (which re-check conflicts at write time), marks the changes
reverted and appends one `rollback` event per reverted action plus a `done` summary event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from proctor.connectors.base import Change
from proctor.connectors.errors import ConnectorError, RecordNotFoundError
from proctor.domain import rollback as rules
from proctor.domain.audit import utc_stamp
from proctor.domain.errors import RequestError
from proctor.executor import Connectors
from proctor.store import changes as change_rows
from proctor.store.audit import AuditLog
from proctor.store.engine import Store
from proctor.store.ids import fast_id


@dataclass
class RollbackService:
    """Plans and performs rollbacks over the store's recorded changes and the workspace's connectors."""

    store: Store
    audit: AuditLog
    connectors: Connectors
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @classmethod
    def of(cls, services: Any) -> RollbackService:
        """The service over wired `Services`."""
        gate = services.gate
        return cls(services.store, services.audit, gate.connectors, gate.clock)

    def _state(self, ws: str, key: rules.Key) -> dict[str, Any] | None:
        crm = self.connectors.crm(ws)
        obj, record_id = key
        try:
            record = crm.get(obj, record_id, include_archived=True)
            record["archived"] = bool(crm.meta(obj, record_id)["archived"])
        except RecordNotFoundError:
            return None
        return record

    def plan(
        self,
        ws: str,
        scope: str,
        ref: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        force: bool = False,
    ) -> list[rules.PlanItem]:
        """What a rollback of the scope would do, newest first (nothing is written)."""
        if not ref:
            raise RequestError("an id is required", field="id")
        if scope == "agent" and since is None:
            raise RequestError("an agent rollback needs a time window: since (and until)", field="since")
        with self.store.read() as conn:
            rows = change_rows.in_scope(conn, ws, scope, ref, since=since, until=until)
        keys = {k for k in (rules.key_of(r) for r in rows) if k is not None}
        states = {k: self._state(ws, k) for k in sorted(keys)}
        return rules.plan(rows, states, force=force)

    def run(
        self,
        ws: str,
        scope: str,
        ref: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        dry_run: bool = False,
        force: bool = False,
        actor: str = "system",
    ) -> dict[str, Any]:
        """Plan and (unless dry_run) perform the rollback; the plan/result with diffs and conflicts."""
        items = self.plan(ws, scope, ref, since=since, until=until, force=force)
        rollback_id = fast_id("rbk")
        if not dry_run:
            if any(item.writes for item in items):
                self._started(ws, rollback_id, scope, ref, items, force, actor)
            for item in items:
                if item.writes:
                    self._perform(ws, item, force)
            self._record(ws, rollback_id, scope, ref, items, since, until, force, actor)
        return {
            "rollback_id": None if dry_run else rollback_id,
            "workspace_id": ws,
            "scope": scope,
            "id": ref,
            "since": utc_stamp(since) if since else None,
            "until": utc_stamp(until) if until else None,
            "dry_run": dry_run,
            "force": force,
            "summary": rules.summary(items),
            "items": [i.to_dict() for i in items],
        }

    def _started(
        self,
        ws: str,
        rollback_id: str,
        scope: str,
        ref: str,
        items: list[rules.PlanItem],
        force: bool,
        actor: str,
    ) -> None:
        """Write ahead: the plan is durable in the audit trail before any connector write, so a rollback
        cut short (a crash, a killed process) shows as `started` without its `done` event."""
        planned = [
            {"action_id": i.action_id, "object": i.object, "record_id": i.record_id, "status": i.status}
            for i in items
            if i.writes
        ]
        with self.store.write() as conn:
            self.audit.append(
                conn,
                ws,
                "rollback",
                self.clock(),
                actor={"workspace_id": ws, "by": actor},
                outcome={"status": "started", "summary": rules.summary(items)},
                detail={
                    "rollback_id": rollback_id,
                    "scope": scope,
                    "id": ref,
                    "force": force,
                    "planned": planned,
                },
            )

    def _perform(self, ws: str, item: rules.PlanItem, force: bool) -> None:
        """Carry out one planned inverse; the connector's own conflict check has the last word."""
        try:
            if item.connector == "calendar":
                calendar = self.connectors.calendar(ws)
                self.connectors.with_retry(lambda: calendar.cancel(item.record_id))
                return
            done = self.connectors.crm(ws).restore(Change.from_dict(item.change), force=force)
        except ConnectorError as exc:
            item.status, item.reason, item.diff = "missing", f"{type(exc).__name__}: {exc}", []
            return
        found = [
            {"field": c.field, "expected": c.expected, "current": c.current, "restore_to": c.restore_to}
            for c in done.conflicts
        ]
        if found and not force:
            item.conflicts = found
            restored = set(done.restored)
            item.diff = [d for d in item.diff if d["field"] in restored or d["field"] == "archived"]
            item.status = "partial" if done.restored else "conflict"
            if not done.restored:
                item.diff = []

    def _record(
        self,
        ws: str,
        rollback_id: str,
        scope: str,
        ref: str,
        items: list[rules.PlanItem],
        since: datetime | None,
        until: datetime | None,
        force: bool,
        actor: str,
    ) -> None:
        """Mark reverted changes and append one event per reverted action plus the summary, in one commit."""
        now = self.clock()
        stamp = utc_stamp(now)
        by_action: dict[str, list[rules.PlanItem]] = {}
        for item in items:
            if item.writes:
                by_action.setdefault(item.action_id, []).append(item)
        with self.store.write() as conn:
            self.audit.lock_head(conn, ws)
            for action_id, done in by_action.items():
                first = done[0]
                for item in done:
                    if item.status == "revert":
                        change_rows.mark_reverted(conn, ws, item.change_id, rollback_id, stamp)
                self.audit.append(
                    conn,
                    ws,
                    "rollback",
                    now,
                    actor={"workspace_id": ws, "agent_id": first.agent_id, "by": actor},
                    action_id=action_id,
                    run_id=first.run_id,
                    action=first.action,
                    changes={"records": [_reverted(i) for i in done]},
                    outcome={"status": "partial" if any(i.status == "partial" for i in done) else "reverted"},
                    detail={"rollback_id": rollback_id, "force": force},
                )
            self.audit.append(
                conn,
                ws,
                "rollback",
                now,
                actor={"workspace_id": ws, "by": actor},
                outcome={"status": "done", "summary": rules.summary(items)},
                detail={
                    "rollback_id": rollback_id,
                    "scope": scope,
                    "id": ref,
                    "since": utc_stamp(since) if since else None,
                    "until": utc_stamp(until) if until else None,
                    "force": force,
                    "actions": sorted({i.action_id for i in items}),
                },
            )


def _reverted(item: rules.PlanItem) -> dict[str, Any]:
    return {
        "connector": item.connector,
        "object": item.object,
        "record_id": item.record_id,
        "op": f"revert {item.op}",
        "before": {d["field"]: d["before"] for d in item.diff},
        "after": {d["field"]: d["after"] for d in item.diff},
        "conflicts": item.conflicts,
    }


def _show(value: Any) -> str:
    return "∅" if value is None else repr(value)


_MARK = {
    "revert": "✓",
    "partial": "~",
    "conflict": "!",
    "not_reversible": "✗",
    "already_reverted": "=",
    "missing": "?",
}


def preview_text(result: dict[str, Any]) -> str:
    """A readable rendering of a rollback plan/result: per action `field: before → after`, conflicts."""
    head = "Rollback preview (dry run)" if result.get("dry_run") else f"Rollback {result.get('rollback_id')}"
    window = ""
    if result.get("since") or result.get("until"):
        window = f" from {result.get('since') or '…'} to {result.get('until') or 'now'}"
    items = result.get("items") or []
    lines = [
        f"{head}: {result.get('scope')} {result.get('id')}{window}: {len(items)} change(s), newest first"
    ]
    for item in items:
        what = f"{item['object']} {item['record_id']}" if item["record_id"] != "*" else item["object"]
        mark = _MARK.get(item["status"], "·")
        lines.append(f"  {mark} {item['action_id']} {item['action']} {what} [{item['status']}]")
        for d in item["diff"]:
            lines.append(f"      {d['field']}: {_show(d['before'])} → {_show(d['after'])}")
        for c in item["conflicts"]:
            lines.append(
                f"      conflict {c['field']}: agent wrote {_show(c['expected'])}, now {_show(c['current'])}"
                f" (would restore {_show(c['restore_to'])})"
            )
        if item.get("reason") and item["status"] not in ("revert",):
            lines.append(f"      {item['reason']}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted((result.get("summary") or {}).items()))
    lines.append(f"Summary: {counts or 'nothing to roll back'}")
    return "\n".join(lines)
