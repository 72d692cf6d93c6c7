"""The built-in sandbox connector: CRM records and an outbox in the store, with before/after of each write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from proctor.store.ids import fast_id as new_id
from proctor.store.tables import outbox, sandbox_records

_SENDS = frozenset({"email.send", "sequence.enroll", "sequence.pause", "sequence.cancel", "calendar.invite"})


@dataclass(slots=True)
class Execution:
    """What running an action did: outcome, changes (before/after per record) and data accessed."""

    outcome: dict[str, Any]
    changes: dict[str, Any] | None = None
    data_accessed: dict[str, Any] | None = None
    ok: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def get_record(conn: Connection, ws: str, record_id: str) -> dict[str, Any] | None:
    """One sandbox record of this workspace, or None."""
    row = conn.execute(
        select(sandbox_records).where(
            sandbox_records.c.workspace_id == ws, sandbox_records.c.record_id == record_id
        )
    ).first()
    return dict(row._mapping) if row is not None else None


def put_record(conn: Connection, ws: str, record_id: str, obj: str, fields: dict[str, Any], at: str) -> None:
    """Insert a sandbox record (seeding and crm.create)."""
    conn.execute(
        insert(sandbox_records).values(
            workspace_id=ws,
            record_id=record_id,
            object=obj,
            fields=fields,
            archived=False,
            created_at=at,
            updated_at=at,
        )
    )


class Records:
    """Sandbox record reads and writes straight on a connection (see BufferedRecords for batches)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, ws: str, record_id: str) -> dict[str, Any] | None:
        """One record, or None."""
        return get_record(self.conn, ws, record_id)

    def insert(self, ws: str, record_id: str, obj: str, fields: dict[str, Any], at: str) -> None:
        """A new record."""
        put_record(self.conn, ws, record_id, obj, fields, at)

    def update(self, ws: str, record_id: str, fields: dict[str, Any], at: str) -> None:
        """Replace the fields of an existing record."""
        self.conn.execute(
            update(sandbox_records)
            .where(sandbox_records.c.workspace_id == ws, sandbox_records.c.record_id == record_id)
            .values(fields=fields, updated_at=at)
        )

    def flush(self) -> None:
        """Write anything buffered (nothing here)."""


def _write(
    records: Records, ws: str, record_id: str, obj: str, fields: dict[str, Any], at: str
) -> dict[str, Any]:
    """Write `fields` on a record (creating it when absent); the before/after of exactly those fields."""
    current = records.get(ws, record_id)
    if current is None:
        records.insert(ws, record_id, obj, dict(fields), at)
        before: dict[str, Any] = dict.fromkeys(fields)
    else:
        stored = dict(current["fields"] or {})
        before = {k: stored.get(k) for k in fields}
        stored.update(fields)
        records.update(ws, record_id, stored, at)
    return {
        "record_id": record_id,
        "object": obj,
        "created": current is None,
        "before": before,
        "after": dict(fields),
    }


def execute(
    conn: Connection,
    ws: str,
    action_id: str,
    action: str,
    params: dict[str, Any],
    target: dict[str, Any],
    at: str,
    records: Records | None = None,
) -> Execution:
    """Run one allowed action against the sandbox inside the caller's transaction."""
    records = records or Records(conn)
    obj = str(params.get("object") or target.get("object") or "record")
    if action == "crm.create":
        record_id = str(params.get("record_id") or new_id("rec"))
        records.insert(ws, record_id, obj, dict(params["fields"]), at)
        change = {
            "record_id": record_id,
            "object": obj,
            "created": True,
            "before": {},
            "after": params["fields"],
        }
        return _changed(change)
    if action == "crm.update":
        return _changed(_write(records, ws, str(params["record_id"]), obj, dict(params["fields"]), at))
    if action == "crm.stage_change":
        return _changed(
            _write(records, ws, str(params["record_id"]), "opportunity", {"stage": params["to"]}, at)
        )
    if action == "routing.assign":
        owner = {"owner_id": params["owner_id"]}
        return _changed(_write(records, ws, str(params["record_id"]), obj, owner, at))
    if action == "enrich.append":
        return _changed(_write(records, ws, str(params["record"]), obj, dict(params["fields"]), at))
    if action in ("task.create", "note.create"):
        kind = action.split(".")[0]
        record_id = new_id(kind)
        fields = {
            k: params.get(k) for k in ("record_id", "subject", "body", "due") if params.get(k) is not None
        }
        records.insert(ws, record_id, kind, fields, at)
        return _changed(
            {"record_id": record_id, "object": kind, "created": True, "before": {}, "after": fields}
        )
    if action in _SENDS:
        message = {
            k: v
            for k, v in params.items()
            if k
            in (
                "from",
                "to",
                "cc",
                "bcc",
                "subject",
                "body",
                "start",
                "end",
                "sequence_id",
                "record_id",
                "attachments",
            )
        }
        row = conn.execute(
            insert(outbox).values(
                workspace_id=ws, action_id=action_id, kind=action, message=message, created_at=at
            )
        )
        outbox_id = row.inserted_primary_key[0] if row.inserted_primary_key else None
        return Execution(
            outcome={
                "ok": True,
                "connector": "sandbox",
                "outbox_id": outbox_id,
                "delivered": "sandbox outbox",
            }
        )
    if action == "research.crm_read":
        record_id = str(params.get("record_id") or target.get("record_id") or "")
        record = records.get(ws, record_id) if record_id else None
        if record is None:
            return Execution(outcome={"ok": False, "error": f"no sandbox record {record_id!r}"}, ok=False)
        fields = dict(record["fields"])
        return Execution(
            outcome={
                "ok": True,
                "connector": "sandbox",
                "record": {"record_id": record_id, "fields": fields},
            },
            data_accessed={"object": record["object"], "record_ids": [record_id], "fields": sorted(fields)},
        )
    if action == "data.export":
        records.flush()  # the export reads the table: earlier writes of this batch first
        return _export(conn, ws, params)
    if action.startswith(("research.", "draft.")):
        return Execution(outcome={"ok": True, "connector": "sandbox", "result": None})
    return Execution(outcome={"ok": False, "error": f"no connector runs {action!r} in the sandbox"}, ok=False)


def _changed(change: dict[str, Any]) -> Execution:
    return Execution(
        outcome={"ok": True, "connector": "sandbox", "record_id": change["record_id"]},
        changes={"records": [change]},
        data_accessed={
            "object": change["object"],
            "record_ids": [change["record_id"]],
            "fields": sorted(change["after"]),
        },
    )


def _export(conn: Connection, ws: str, params: dict[str, Any]) -> Execution:
    obj = str(params["object"])
    wanted = [str(f) for f in params["fields"]]
    rows = conn.execute(
        select(sandbox_records.c.record_id, sandbox_records.c.fields)
        .where(
            sandbox_records.c.workspace_id == ws,
            sandbox_records.c.object == obj,
            sandbox_records.c.archived.is_(False),
        )
        .order_by(sandbox_records.c.record_id)
        .limit(10_000)
    ).all()
    data = [{"record_id": r.record_id, **{f: (r.fields or {}).get(f) for f in wanted}} for r in rows]
    return Execution(
        outcome={"ok": True, "connector": "sandbox", "rows": data, "count": len(data)},
        data_accessed={"object": obj, "record_ids": [r.record_id for r in rows], "fields": wanted},
    )
