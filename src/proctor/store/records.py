"""Sandbox records for one group-commit batch: read once (prefetched), written with executemany at flush.

The writer thread gives up the GIL on every driver call; under load each call costs a scheduling
round, so a batch reads every record its jobs name in one query and buffers its writes. Later jobs
of the same batch see earlier jobs' writes through the buffer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from proctor.domain.errors import ConflictError
from proctor.store.sandbox import Records
from proctor.store.tables import sandbox_records

_r = sandbox_records.c
PREFETCH = select(sandbox_records).where(
    _r.workspace_id == bindparam("b_ws"), _r.record_id.in_(bindparam("b_ids", expanding=True))
)
INSERT = insert(sandbox_records)
UPDATE = (
    update(sandbox_records)
    .where(_r.workspace_id == bindparam("b_ws"), _r.record_id == bindparam("b_id"))
    .values(fields=bindparam("b_fields"), updated_at=bindparam("b_at"))
)


class BufferedRecords(Records):
    """Records of one batch: a read cache over the store plus buffered inserts and updates."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.inserts: dict[tuple[str, str], dict[str, Any]] = {}
        self.updates: dict[tuple[str, str], dict[str, Any]] = {}

    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Read every named record in one query per workspace (absent ones are cached as None)."""
        by_ws: dict[str, set[str]] = {}
        for ws, rid in wanted:
            if (ws, rid) not in self.cache:
                by_ws.setdefault(ws, set()).add(rid)
        for ws, ids in sorted(by_ws.items()):
            for rid in ids:
                self.cache[(ws, rid)] = None
            for row in self.conn.execute(PREFETCH, {"b_ws": ws, "b_ids": sorted(ids)}):
                self.cache[(ws, row.record_id)] = dict(row._mapping)

    def get(self, ws: str, record_id: str) -> dict[str, Any] | None:
        """One record as this batch sees it."""
        key = (ws, record_id)
        if key not in self.cache:
            self.prefetch([key])
        return self.cache[key]

    def insert(self, ws: str, record_id: str, obj: str, fields: dict[str, Any], at: str) -> None:
        """A new record (ConflictError when one with this id exists, as the unique key would)."""
        if self.get(ws, record_id) is not None:
            raise ConflictError(f"conflicts with stored data: sandbox record {record_id!r} exists")
        row = {
            "workspace_id": ws,
            "record_id": record_id,
            "object": obj,
            "fields": fields,
            "archived": False,
            "created_at": at,
            "updated_at": at,
        }
        self.cache[(ws, record_id)] = row
        self.inserts[(ws, record_id)] = row

    def update(self, ws: str, record_id: str, fields: dict[str, Any], at: str) -> None:
        """Replace a record's fields (in the pending insert when it was created in this batch)."""
        key = (ws, record_id)
        row = dict(self.cache[key] or {})
        row.update(fields=fields, updated_at=at)
        self.cache[key] = row
        if key in self.inserts:
            self.inserts[key] = row
        else:
            self.updates[key] = {"b_ws": ws, "b_id": record_id, "b_fields": fields, "b_at": at}

    def flush(self) -> None:
        """Write the buffered inserts and updates (executemany each)."""
        if self.inserts:
            self.conn.execute(INSERT, list(self.inserts.values()))
            self.inserts.clear()
        if self.updates:
            self.conn.execute(UPDATE, list(self.updates.values()))
            self.updates.clear()
