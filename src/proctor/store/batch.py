"""One group-commit transaction: chain heads and usage counters locked once, rows buffered and batch-written.

The writer (store/writer.py) opens one write transaction per batch of queued jobs, builds a `Batch` over
it, lets every job apply itself in queue order (assigning chain seq/hash and reserving counters in
memory) and then `flush()`es everything with executemany (PostgreSQL: COPY for large event batches).
Every statement is built once at import; only parameters change per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from proctor.domain.audit import canonical, index_of
from proctor.store.tables import actions, audit_events, audit_heads, changes, known_values, usage_counters

CounterKey = tuple[str, str, str, int]  # workspace, name, key, window_start

_EVENT_COLUMNS = (
    "id",
    "workspace_id",
    "seq",
    "kind",
    "at",
    "agent_id",
    "user_id",
    "action",
    "effect",
    "run_id",
    "action_id",
    "record_ids",
    "body",
    "prev_hash",
    "hash",
)
COPY_MIN = 200  # PostgreSQL: COPY event batches at least this large, executemany below

_c = usage_counters.c
INSERT_EVENT = insert(audit_events)
INSERT_ACTION = insert(actions)
INSERT_CHANGE = insert(changes)
FINISH_ACTION = (
    update(actions)
    .where(actions.c.workspace_id == bindparam("b_ws"), actions.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        outcome=bindparam("b_outcome"),
        changes=bindparam("b_changes"),
        updated_at=bindparam("b_at"),
    )
)
HEAD = (
    select(audit_heads.c.workspace_id, audit_heads.c.seq, audit_heads.c.hash)
    .where(audit_heads.c.workspace_id.in_(bindparam("b_ws", expanding=True)))
    .order_by(audit_heads.c.workspace_id)
)
HEAD_FOR_UPDATE = HEAD.with_for_update()
SET_HEAD = (
    update(audit_heads)
    .where(audit_heads.c.workspace_id == bindparam("b_ws"))
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)
COUNTER = (  # a superset of the wanted slots, in one query; filtered in Python
    select(_c.workspace_id, _c.name, _c.key, _c.window_start, _c.value)
    .where(
        _c.workspace_id.in_(bindparam("b_ws", expanding=True)),
        _c.name.in_(bindparam("b_name", expanding=True)),
        _c.window_start.in_(bindparam("b_window", expanding=True)),
    )
    .order_by(_c.workspace_id, _c.name, _c.key, _c.window_start)
)
COUNTER_FOR_UPDATE = COUNTER.with_for_update()
_SLOT = ["workspace_id", "name", "key", "window_start"]
_pg_counter = postgresql.insert(usage_counters)
_lite_counter = sqlite.insert(usage_counters)
ADD_COUNTER = {
    "postgresql": _pg_counter.on_conflict_do_update(
        index_elements=_SLOT, set_={"value": _c.value + _pg_counter.excluded.value}
    ),
    "sqlite": _lite_counter.on_conflict_do_update(
        index_elements=_SLOT, set_={"value": _c.value + _lite_counter.excluded.value}
    ),
}
CREATE_COUNTER = {
    "postgresql": postgresql.insert(usage_counters).on_conflict_do_nothing(index_elements=_SLOT),
    "sqlite": sqlite.insert(usage_counters).on_conflict_do_nothing(index_elements=_SLOT),
}
_KNOWN = ["workspace_id", "kind", "value"]
REMEMBER = {
    "postgresql": postgresql.insert(known_values).on_conflict_do_nothing(index_elements=_KNOWN),
    "sqlite": sqlite.insert(known_values).on_conflict_do_nothing(index_elements=_KNOWN),
}


def event_row(body: dict[str, Any], prev: str) -> dict[str, Any]:
    """The stored row of an event body (its seq already set) chained after `prev`."""
    text = canonical(body)
    digest = hashlib.sha256(prev.encode() + text).hexdigest()
    return {
        "id": body["id"],
        "workspace_id": body["workspace_id"],
        "seq": body["seq"],
        "kind": body["kind"],
        "at": body["at"],
        **index_of(body),
        "body": text.decode(),
        "prev_hash": prev,
        "hash": digest,
    }


def copy_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: append event rows with COPY inside the connection's open transaction."""
    raw: Any = conn.connection.driver_connection
    cols = ", ".join(_EVENT_COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY audit_events ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in _EVENT_COLUMNS))


class Batch:
    """The state of one group-commit transaction; `flush()` writes it before the commit."""

    def __init__(self, conn: Connection, dialect: str, checkpoint: Any = None) -> None:
        self.conn = conn
        self.dialect = dialect
        self.pg = dialect == "postgresql"
        self.checkpoint = checkpoint  # (conn, ws, seq, hash, at) -> None, for every Nth event
        self.checkpoint_every = 0
        self.heads: dict[str, list[Any]] = {}
        self.counters: dict[CounterKey, float] = {}
        self.deltas: dict[CounterKey, float] = {}
        self.events: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.known: list[dict[str, Any]] = []
        self.signed: list[tuple[str, int, str, str]] = []
        self.memo: dict[Any, Any] = {}  # per-batch scratch for jobs (e.g. idempotency keys seen)
        self.action_updates: list[dict[str, Any]] = []
        self.change_rows: list[dict[str, Any]] = []

    def lock(self, workspaces: Iterable[str], slots: Iterable[CounterKey]) -> None:
        """Lock (PostgreSQL) and read every chain head and counter the batch touches, in sorted order."""
        head = HEAD_FOR_UPDATE if self.pg else HEAD
        for row in self.conn.execute(head, {"b_ws": sorted(set(workspaces))}):
            self.heads[row.workspace_id] = [int(row.seq), str(row.hash)]
        wanted = sorted(set(slots))
        if not wanted:
            return
        if self.pg:  # create missing rows first so that every counter can be row-locked
            self.conn.execute(
                CREATE_COUNTER["postgresql"],
                [dict(zip(_SLOT, s, strict=True), value=0.0) for s in wanted],
            )
        counter = COUNTER_FOR_UPDATE if self.pg else COUNTER
        for s in wanted:
            self.counters[s] = 0.0
        params = {
            "b_ws": sorted({s[0] for s in wanted}),
            "b_name": sorted({s[1] for s in wanted}),
            "b_window": sorted({s[3] for s in wanted}),
        }
        for crow in self.conn.execute(counter, params):
            slot = (crow.workspace_id, crow.name, crow.key, int(crow.window_start))
            if slot in self.counters:
                self.counters[slot] = float(crow.value)

    def has_head(self, ws: str) -> bool:
        """True when the workspace exists (its chain head was found)."""
        return ws in self.heads

    def append(self, body: dict[str, Any]) -> dict[str, Any]:
        """Give an event body the next seq of its workspace's chain; returns the stored row."""
        ws = body["workspace_id"]
        head = self.heads[ws]
        seq = head[0] + 1
        body["seq"] = seq
        row = event_row(body, head[1])
        head[0], head[1] = seq, row["hash"]
        self.events.append(row)
        if self.checkpoint_every > 0 and seq % self.checkpoint_every == 0:
            self.signed.append((ws, seq, row["hash"], row["at"]))
        return row

    def usage(self, keys: Iterable[CounterKey]) -> dict[str, float]:
        """Usage per counter name (max over its keys), including this batch's reservations."""
        out: dict[str, float] = {}
        for k in keys:
            value = self.counters.get(k, 0.0)
            out[k[1]] = max(out.get(k[1], 0.0), value)
        return out

    def reserve(self, keys: Iterable[tuple[CounterKey, float]]) -> None:
        """Add amounts to counters (in memory now, in the store at flush)."""
        for k, amount in keys:
            self.counters[k] = self.counters.get(k, 0.0) + amount
            self.deltas[k] = self.deltas.get(k, 0.0) + amount

    def remember(self, ws: str, kind: str, values: Iterable[str], at: str) -> None:
        """Mark values as seen (known recipient domains, personas) at flush."""
        for value in sorted({v for v in values if v}):
            self.known.append({"workspace_id": ws, "kind": kind, "value": value, "first_seen": at})

    def flush(self) -> None:
        """Write every buffered row: events, actions, changes, heads, counters, known values."""
        conn = self.conn
        if self.events:
            if self.pg and len(self.events) >= COPY_MIN:
                copy_events(conn, self.events)
            else:
                conn.execute(INSERT_EVENT, self.events)
        if self.actions:
            conn.execute(INSERT_ACTION, self.actions)
        if self.action_updates:
            conn.execute(FINISH_ACTION, self.action_updates)
        if self.change_rows:
            conn.execute(INSERT_CHANGE, self.change_rows)
        if self.events:
            moved = {e["workspace_id"] for e in self.events}
            conn.execute(
                SET_HEAD,
                [
                    {"b_ws": ws, "b_seq": self.heads[ws][0], "b_hash": self.heads[ws][1]}
                    for ws in sorted(moved)
                ],
            )
        if self.deltas:
            conn.execute(
                ADD_COUNTER[self.dialect],
                [dict(zip(_SLOT, k, strict=True), value=v) for k, v in sorted(self.deltas.items())],
            )
        if self.known:
            conn.execute(REMEMBER[self.dialect], self.known)
        if self.checkpoint is not None:
            for ws, seq, digest, at in self.signed:
                self.checkpoint(conn, ws, seq, digest, at)
