"""One group-commit transaction: chain heads and usage counters locked once, rows buffered and batch-written.

The writer (store/writer.py) opens one write transaction per batch of queued jobs, builds a `Batch` over
it, lets every job apply itself in queue order (assigning chain seq/hash and reserving counters in
memory) and then `flush()`es everything with executemany (PostgreSQL: COPY for large event batches).
Every statement is built once at import; only parameters change per batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection

from proctor.domain.audit import canonical, index_of
from proctor.store.engine import in_list, raw_cursor, sql_for

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
_ACTION_COLUMNS = (
    "id",
    "workspace_id",
    "agent_id",
    "key_id",
    "run_id",
    "on_behalf_of",
    "action",
    "idempotency_key",
    "request_hash",
    "request",
    "status",
    "decision",
    "outcome",
    "changes",
    "policy_version",
    "created_at",
    "updated_at",
)
_CHANGE_COLUMNS = (
    "workspace_id",
    "action_id",
    "agent_id",
    "run_id",
    "batch_id",
    "action",
    "connector",
    "object",
    "record_id",
    "op",
    "reversible",
    "change",
    "provenance",
    "at",
    "reverted_at",
    "reverted_by",
)
_JSON_ACTION = frozenset({"request", "decision", "outcome", "changes"})
_JSON_CHANGE = frozenset({"change", "provenance"})
_INDEX_KEYS = tuple(index_of({}))
COPY_MIN = 200  # PostgreSQL: COPY event batches at least this large, executemany below
_SLOT = 'workspace_id, name, "key", window_start'


def _insert(table: str, columns: tuple[str, ...], tail: str = "") -> str:
    cols = ", ".join(f'"{c}"' if c == "key" else c for c in columns)
    return f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))}){tail}"


def _json(value: Any) -> str:
    """A JSON column's text (None is stored as JSON null, as SQLAlchemy's JSON type does)."""
    return orjson.dumps(value).decode()


# Every statement is plain SQL written once; `sql_for` gives the driver's paramstyle. No SQLAlchemy
# statement building, coercion or bind processing runs per batch.
INSERT_EVENT = _insert("audit_events", _EVENT_COLUMNS)
INSERT_ACTION = _insert("actions", _ACTION_COLUMNS)
INSERT_CHANGE = _insert("changes", _CHANGE_COLUMNS)
FINISH_ACTION = (
    "UPDATE actions SET status = ?, outcome = ?, changes = ?, updated_at = ?"
    " WHERE workspace_id = ? AND id = ?"
)
SET_HEAD = "UPDATE audit_heads SET seq = ?, hash = ? WHERE workspace_id = ?"
ADD_COUNTER = (
    _insert("usage_counters", ("workspace_id", "name", "key", "window_start", "value"))
    + f" ON CONFLICT ({_SLOT}) DO UPDATE SET value = usage_counters.value + excluded.value"
)
CREATE_COUNTER = (
    _insert("usage_counters", ("workspace_id", "name", "key", "window_start", "value"))
    + f" ON CONFLICT ({_SLOT}) DO NOTHING"
)
REMEMBER = (
    _insert("known_values", ("workspace_id", "kind", "value", "first_seen"))
    + " ON CONFLICT (workspace_id, kind, value) DO NOTHING"
)


_ACTION_VALUES = operator.itemgetter(*_ACTION_COLUMNS)
_ACTION_JSON = tuple(i for i, c in enumerate(_ACTION_COLUMNS) if c in _JSON_ACTION)
assert _EVENT_COLUMNS[5:12] == _INDEX_KEYS  # event_row puts index_values there


def _action_row(action: dict[str, Any]) -> list[Any]:
    """An action's INSERT parameters in `_ACTION_COLUMNS` order (JSON columns as their text)."""
    row = list(_ACTION_VALUES(action))
    for i in _ACTION_JSON:
        row[i] = _json(row[i])
    return row


def head_sql(n: int, pg: bool) -> str:
    """The chain heads of n workspaces, sorted (PostgreSQL: row-locked)."""
    sql = f"SELECT workspace_id, seq, hash FROM audit_heads WHERE workspace_id IN {in_list(n)}"
    sql += " ORDER BY workspace_id"
    return sql + " FOR UPDATE" if pg else sql


def counter_sql(n_ws: int, n_name: int, n_key: int, n_window: int, pg: bool) -> str:
    """The wanted counters (and at most a few more: each column is matched on its own list, the rows
    are filtered in Python) in one query, sorted (PostgreSQL: locked)."""
    sql = (
        f'SELECT workspace_id, name, "key", window_start, value FROM usage_counters '
        f"WHERE workspace_id IN {in_list(n_ws)} AND name IN {in_list(n_name)}"
        f' AND "key" IN {in_list(n_key)} AND window_start IN {in_list(n_window)} '
        f'ORDER BY workspace_id, name, "key", window_start'
    )
    return sql + " FOR UPDATE" if pg else sql


def index_values(body: dict[str, Any]) -> tuple[Any, ...]:
    """`tuple(index_of(body).values())` without the generic set-building walk when the body carries
    no `data_accessed.record_ids` (most events); the verifier's hot loop. Tested equal to index_of."""
    actor = body.get("actor") or {}
    decision = body.get("decision") or {}
    data = body.get("data_accessed") or {}
    ids = data.get("record_ids", [])
    if type(ids) is list and not ids:
        target = body.get("target") or {}
        params = body.get("params") or {}
        found = [str(v) for v in (target.get("record_id"), target.get("account_id")) if v]
        found += [str(v) for v in (params.get("record_id"), params.get("record")) if isinstance(v, str | int)]
        records = found[0] if len(found) == 1 else " ".join(sorted(set(found)))
    else:
        records = index_of(body)["record_ids"]
    return (
        actor.get("agent_id"),
        actor.get("user_id"),
        body.get("action"),
        decision.get("effect"),
        body.get("run_id"),
        body.get("action_id"),
        records,
    )


def event_row(body: dict[str, Any], prev: str) -> tuple[Any, ...]:
    """The stored row of an event body (its seq already set) chained after `prev`: the values of
    `_EVENT_COLUMNS` in order (the hash last)."""
    text = canonical(body)
    digest = hashlib.sha256(prev.encode() + text).hexdigest()
    return (
        body["id"],
        body["workspace_id"],
        body["seq"],
        body["kind"],
        body["at"],
        *index_values(body),
        text.decode(),
        prev,
        digest,
    )


def copy_events(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: append event rows (in `_EVENT_COLUMNS` order) with COPY inside the open transaction."""
    raw: Any = conn.connection.driver_connection
    cols = ", ".join(_EVENT_COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY audit_events ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


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
        self.events: list[tuple[Any, ...]] = []  # rows in _EVENT_COLUMNS order
        self.actions: list[dict[str, Any]] = []
        self.known: list[dict[str, Any]] = []
        self.signed: list[tuple[str, int, str, str]] = []
        self.moved: set[str] = set()  # workspaces whose chain head moved
        self.memo: dict[Any, Any] = {}  # per-batch scratch for jobs (e.g. idempotency keys seen)
        self.action_updates: list[dict[str, Any]] = []
        self.change_rows: list[dict[str, Any]] = []

    def sql(self, statement: str) -> str:
        """The statement in this driver's paramstyle."""
        return sql_for(self.dialect, statement)

    def lock(self, workspaces: Iterable[str], slots: Iterable[CounterKey]) -> None:
        """Lock (PostgreSQL) and read every chain head and counter the batch touches, in sorted order.

        PostgreSQL: the head lock, the creation of missing counters and the counter lock go out in one
        pipeline (one round trip); the server still runs them in this order."""
        ws_list = sorted(set(workspaces))
        wanted = sorted(set(slots))
        for s in wanted:
            self.counters[s] = 0.0
        driver: Any = self.conn.connection.dbapi_connection
        with contextlib.ExitStack() as stack:
            heads = stack.enter_context(raw_cursor(self.conn))
            counters = stack.enter_context(raw_cursor(self.conn)) if wanted else None
            create = stack.enter_context(raw_cursor(self.conn)) if wanted and self.pg else None
            with driver.pipeline() if self.pg else contextlib.nullcontext():
                heads.execute(self.sql(head_sql(len(ws_list), self.pg)), ws_list)
                if create is not None:  # create missing rows first so that every counter can be row-locked
                    create.executemany(self.sql(CREATE_COUNTER), [(*s, 0.0) for s in wanted])
                if counters is not None:
                    names = sorted({s[1] for s in wanted})
                    keys = sorted({s[2] for s in wanted})
                    windows = sorted({s[3] for s in wanted})
                    cws = sorted({s[0] for s in wanted})
                    counters.execute(
                        self.sql(counter_sql(len(cws), len(names), len(keys), len(windows), self.pg)),
                        [*cws, *names, *keys, *windows],
                    )
            for ws, seq, digest in heads.fetchall():
                self.heads[ws] = [int(seq), str(digest)]
            if counters is not None:
                for ws, name, key, window, value in counters.fetchall():
                    slot = (ws, name, key, int(window))
                    if slot in self.counters:
                        self.counters[slot] = float(value)

    def has_head(self, ws: str) -> bool:
        """True when the workspace exists (its chain head was found)."""
        return ws in self.heads

    def append(self, body: dict[str, Any]) -> tuple[Any, ...]:
        """Give an event body the next seq of its workspace's chain; returns the stored row."""
        ws = body["workspace_id"]
        head = self.heads[ws]
        seq = head[0] + 1
        body["seq"] = seq
        row = event_row(body, head[1])
        digest = row[-1]
        head[0], head[1] = seq, digest
        self.events.append(row)
        self.moved.add(ws)
        if self.checkpoint_every > 0 and seq % self.checkpoint_every == 0:
            self.signed.append((ws, seq, digest, body["at"]))
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
        copy = self.pg and len(self.events) >= COPY_MIN
        if copy:  # COPY cannot run inside a pipeline: before it
            copy_events(conn, self.events)
        # PostgreSQL: every statement below in ONE pipeline (one network round trip, not one each)
        driver: Any = conn.connection.dbapi_connection
        with raw_cursor(conn) as cur, driver.pipeline() if self.pg else contextlib.nullcontext():
            if self.events and not copy:
                cur.executemany(self.sql(INSERT_EVENT), self.events)
            if self.actions:
                cur.executemany(self.sql(INSERT_ACTION), [_action_row(a) for a in self.actions])
            if self.action_updates:
                cur.executemany(
                    self.sql(FINISH_ACTION),
                    [
                        (
                            u["b_status"],
                            _json(u["b_outcome"]),
                            _json(u["b_changes"]),
                            u["b_at"],
                            u["b_ws"],
                            u["b_id"],
                        )
                        for u in self.action_updates
                    ],
                )
            if self.change_rows:
                cur.executemany(
                    self.sql(INSERT_CHANGE),
                    [
                        tuple(_json(r.get(c)) if c in _JSON_CHANGE else r.get(c) for c in _CHANGE_COLUMNS)
                        for r in self.change_rows
                    ],
                )
            if self.events:
                moved = sorted(self.moved)
                cur.executemany(
                    self.sql(SET_HEAD), [(self.heads[ws][0], self.heads[ws][1], ws) for ws in moved]
                )
            if self.deltas:
                cur.executemany(self.sql(ADD_COUNTER), [(*k, v) for k, v in sorted(self.deltas.items())])
            if self.known:
                cur.executemany(
                    self.sql(REMEMBER),
                    [(k["workspace_id"], k["kind"], k["value"], k["first_seen"]) for k in self.known],
                )
        if self.checkpoint is not None:
            for ws, seq, digest, at in self.signed:
                self.checkpoint(conn, ws, seq, digest, at)
