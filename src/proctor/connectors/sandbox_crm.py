"""The built-in sandbox CRM: its own SQLite file (plain SQL), before/after on every write, versions.

Each write is one function of the file's write connection (read the row, write it) run by the file's
group-commit thread (`sandbox_file.py`): concurrent writes share one transaction and one fsync, and
each is answered only once committed.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from proctor.connectors.base import Change, RestoreResult, utc_now
from proctor.connectors.changes import WHOLE_RECORD_OPS, conflicts_of, object_names, plan_field_restore
from proctor.connectors.errors import ConnectorRejectedError, ConnectorUnavailableError, RecordNotFoundError
from proctor.connectors.sandbox_file import SandboxFile, create_statements
from proctor.connectors.sandbox_seed import LEAD_STATUSES, STAGES, sample_records

T = TypeVar("T")
NAME = "sandbox_crm"
FIELDS: dict[str, dict[str, type]] = {
    "owner": {"name": str, "email": str, "role": str, "team": str, "active": bool},
    "account": {
        "name": str, "domain": str, "industry": str, "tier": str, "employees": int,
        "annual_revenue": float, "country": str, "owner_id": str,
    },
    "contact": {
        "account_id": str, "first_name": str, "last_name": str, "email": str, "title": str, "persona": str,
        "phone": str, "owner_id": str, "email_verified": bool, "do_not_contact": bool,
    },
    "lead": {
        "first_name": str, "last_name": str, "email": str, "company": str, "domain": str, "title": str,
        "status": str, "source": str, "owner_id": str,
    },
    "opportunity": {
        "account_id": str, "name": str, "stage": str, "amount": float, "tier": str, "close_date": str,
        "owner_id": str, "probability": int,
    },
    "task": {
        "object": str, "record_id": str, "subject": str, "body": str, "due": str, "status": str,
        "owner_id": str,
    },
    "note": {"object": str, "record_id": str, "body": str, "author": str},
}  # fmt: skip
PREFIX = {
    "owner": "usr", "account": "acc", "contact": "con", "lead": "led", "opportunity": "opp",
    "task": "tsk", "note": "nte",
}  # fmt: skip
_ALIASES = {"user": "owner", "company": "account", "deal": "opportunity"}
_BY_PREFIX = {p: o for o, p in PREFIX.items()}

_META = ("version", "archived", "created_at", "updated_at")
COLUMNS: dict[str, tuple[str, ...]] = {obj: ("id", *_META, *fields) for obj, fields in FIELDS.items()}
_BOOLS: dict[str, tuple[str, ...]] = {
    obj: ("archived", *(name for name, kind in fields.items() if kind is bool))
    for obj, fields in FIELDS.items()
}
_SELECT = {obj: f"SELECT {', '.join(cols)} FROM {obj}" for obj, cols in COLUMNS.items()}
_BY_ID = {obj: sql + " WHERE id = ?" for obj, sql in _SELECT.items()}


def _record(obj: str, row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row as a dict, SQLite's 0/1 booleans as bool (None stays None)."""
    out = dict(zip(COLUMNS[obj], row, strict=True))
    for name in _BOOLS[obj]:
        if out[name] is not None:
            out[name] = bool(out[name])
    return out


def _insert_sql(obj: str, names: tuple[str, ...]) -> str:
    return f"INSERT INTO {obj} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


_SCHEMA = create_statements(FIELDS)


def canonical_object(object: str) -> str:
    """The sandbox name of an object ('contacts', 'company', 'deal' → contact, account, opportunity)."""
    for name in object_names(object):
        if _ALIASES.get(name, name) in FIELDS:
            return _ALIASES.get(name, name)
    raise ConnectorRejectedError(f"unknown object {object!r}", connector=NAME, status=400)


def object_of(record_id: str) -> str:
    """The object a sandbox id belongs to, from its prefix (con_… → contact)."""
    obj = _BY_PREFIX.get(record_id.split("_", 1)[0])
    if obj is None:
        raise RecordNotFoundError(f"cannot tell the object of record {record_id!r}", connector=NAME)
    return obj


def _check_fields(obj: str, fields: dict[str, Any]) -> None:
    schema = FIELDS[obj]
    for name, value in fields.items():
        kind = schema.get(name)
        if kind is None:
            raise ConnectorRejectedError(f"{obj} has no field {name!r}", connector=NAME, status=400)
        ok = value is None or (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if kind is float
            else isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        )
        if not ok:
            raise ConnectorRejectedError(
                f"{obj}.{name} must be {kind.__name__}, got {value!r}", connector=NAME, status=400
            )


class SandboxCrm:
    """A small CRM in one SQLite file, independent of Proctor's store; implements CrmConnector."""

    name = NAME

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        try:
            self.file = SandboxFile(self.path if self.path == ":memory:" else str(Path(path)), _SCHEMA)
        except sqlite3.Error as exc:
            raise ConnectorUnavailableError(f"cannot open {self.path}: {exc}", connector=NAME) from exc

    def close(self) -> None:
        """Finish queued writes and close the file's connections."""
        self.file.close()

    # reads
    def _read(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.file.read(sql, params)
        except sqlite3.Error as exc:
            raise ConnectorUnavailableError(f"{self.path}: {exc}", connector=NAME) from exc

    def _write_fn(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return self.file.write(fn)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise ConnectorUnavailableError(f"{self.path}: {exc}", connector=NAME) from exc

    def _found(self, obj: str, record_id: str) -> dict[str, Any] | None:
        rows = self._read(_BY_ID[obj], (record_id,))
        return _record(obj, rows[0]) if rows else None

    def get(self, object: str, record_id: str, *, include_archived: bool = False) -> dict[str, Any]:
        """The record's fields with `id`; RecordNotFoundError when absent (or archived)."""
        obj = canonical_object(object)
        row = self._found(obj, record_id)
        if row is None or (row["archived"] and not include_archived):
            raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
        return {k: v for k, v in row.items() if k not in _META}

    def meta(self, object: str, record_id: str) -> dict[str, Any]:
        """The record's version, archived flag and timestamps."""
        obj = canonical_object(object)
        row = self._found(obj, record_id)
        if row is None:
            raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
        return {k: row[k] for k in _META}

    def query(
        self, object: str, where: dict[str, Any] | None = None, *, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Live records matching every `where` equality, ordered by id."""
        obj = canonical_object(object)
        _check_fields(obj, dict.fromkeys(where or {}))
        sql, params = _SELECT[obj] + " WHERE archived = 0", []
        for name, value in (where or {}).items():  # names checked against the schema above
            if value is None:
                sql += f" AND {name} IS NULL"
            else:
                sql += f" AND {name} = ?"
                params.append(value)
        rows = self._read(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [{k: v for k, v in _record(obj, r).items() if k not in _META} for r in rows]

    def count(self, object: str) -> int:
        """How many live records of `object`."""
        obj = canonical_object(object)
        return int(self._read(f"SELECT count(*) FROM {obj} WHERE archived = 0")[0][0])

    # writes: each one function of the write connection, group-committed
    @staticmethod
    def _locked_row(conn: sqlite3.Connection, obj: str, record_id: str) -> dict[str, Any] | None:
        row = conn.execute(_BY_ID[obj], (record_id,)).fetchone()
        return _record(obj, row) if row is not None else None

    @staticmethod
    def _insert(conn: sqlite3.Connection, obj: str, record_id: str, fields: dict[str, Any]) -> None:
        now = utc_now()
        values = {"id": record_id, "version": 1, "archived": False, "created_at": now, "updated_at": now}
        values.update(fields)
        conn.execute(_insert_sql(obj, tuple(values)), tuple(values.values()))

    def _update(
        self,
        obj: str,
        record_id: str,
        fields: dict[str, Any],
        op: str,
        check: Callable[..., None] | None = None,
    ) -> Change:
        """Write fields (and/or `archived`) in the write transaction; the Change of exactly those.

        `check(conn, row)` may refuse the write (raising) after the row is read, in the same transaction."""
        columns = {k: v for k, v in fields.items() if k != "archived"}
        _check_fields(obj, columns)
        assign = ", ".join(f"{name} = ?" for name in fields)

        def write(conn: sqlite3.Connection) -> Change:
            row = self._locked_row(conn, obj, record_id)
            if row is None or (row["archived"] and op not in {"unarchive", "update"}):
                raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
            if check is not None:
                check(conn, row)
            before = {k: row[k] for k in fields}
            version = int(row["version"]) + 1
            done = conn.execute(
                f"UPDATE {obj} SET {assign}, version = ?, updated_at = ? WHERE id = ? AND version = ?",
                (*fields.values(), version, utc_now(), record_id, row["version"]),
            ).rowcount
            if not done:  # cannot happen under BEGIN IMMEDIATE; never write over an unseen version
                raise ConnectorUnavailableError(f"{obj} {record_id} kept changing; try again", connector=NAME)
            return Change(NAME, obj, record_id, op, before, dict(fields), version)

        return self._write_fn(write)

    def _create(self, obj: str, fields: dict[str, Any], record_id: str | None, parent: Any = None) -> Change:
        fields = {k: v for k, v in fields.items() if k != "id"}
        _check_fields(obj, fields)
        new_id = record_id or f"{PREFIX[obj]}_{secrets.token_hex(6)}"

        def write(conn: sqlite3.Connection) -> Change:
            if parent is not None:
                parent(conn)
            self._insert(conn, obj, new_id, fields)
            return Change(NAME, obj, new_id, "create", {}, dict(fields), 1)

        try:
            return self._write_fn(write)
        except sqlite3.IntegrityError as exc:
            raise ConnectorRejectedError(
                f"cannot create {obj} {new_id!r}: {exc}", connector=NAME, status=409
            ) from exc

    def create(self, object: str, fields: dict[str, Any], *, record_id: str | None = None) -> Change:
        """Create a record; the inverse archives it."""
        return self._create(canonical_object(object), fields, record_id)

    def update(self, object: str, record_id: str, fields: dict[str, Any]) -> Change:
        """Write fields; before/after hold exactly those fields."""
        if not fields:
            raise ConnectorRejectedError("no fields to update", connector=NAME, status=400)
        return self._update(canonical_object(object), record_id, dict(fields), "update")

    def archive(self, object: str, record_id: str) -> Change:
        """Archive (soft-delete) a record; the inverse unarchives it."""
        return self._update(canonical_object(object), record_id, {"archived": True}, "archive")

    def delete(self, object: str, record_id: str) -> Change:
        """Hard-delete a record; `before` keeps every field so the inverse can recreate it with its id."""
        obj = canonical_object(object)

        def write(conn: sqlite3.Connection) -> Change:
            row = self._locked_row(conn, obj, record_id)
            if row is None:
                raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
            conn.execute(f"DELETE FROM {obj} WHERE id = ?", (record_id,))
            before = {k: v for k, v in row.items() if k not in _META and k != "id"}
            return Change(NAME, obj, record_id, "delete", before, {}, None)

        return self._write_fn(write)

    def set_owner(self, record_id: str, owner_id: str, *, object: str | None = None) -> Change:
        """Assign the record to an active owner; the inverse restores the previous owner."""
        obj = canonical_object(object) if object else object_of(record_id)
        if "owner_id" not in FIELDS[obj]:
            raise ConnectorRejectedError(f"{obj} has no owner", connector=NAME, status=400)

        def active_owner(conn: sqlite3.Connection, _row: dict[str, Any]) -> None:
            owner = self._locked_row(conn, "owner", owner_id)
            if owner is None or owner["archived"]:
                raise RecordNotFoundError(f"no owner {owner_id!r}", connector=NAME, status=404)
            if not owner.get("active", True):
                raise ConnectorRejectedError(f"owner {owner_id} is inactive", connector=NAME, status=400)

        return self._update(obj, record_id, {"owner_id": owner_id}, "set_owner", active_owner)

    def stage_change(
        self, record_id: str, to: str, *, object: str | None = None, expected_from: str | None = None
    ) -> Change:
        """Move an opportunity's stage (or a lead's status); refuse when `expected_from` is stale."""
        obj = canonical_object(object) if object else object_of(record_id)
        field, allowed = {"opportunity": ("stage", STAGES), "lead": ("status", LEAD_STATUSES)}.get(
            obj, ("", ())
        )
        if not field:
            raise ConnectorRejectedError(f"{obj} has no stage", connector=NAME, status=400)
        if to not in allowed:
            raise ConnectorRejectedError(
                f"unknown {field} {to!r} (one of {', '.join(allowed)})", connector=NAME, status=400
            )

        def where_from(_conn: sqlite3.Connection, row: dict[str, Any]) -> None:
            current = row[field]
            if expected_from is not None and current != expected_from:
                raise ConnectorRejectedError(
                    f"{obj} {record_id} is in {field} {current!r}, not {expected_from!r}",
                    connector=NAME,
                    status=409,
                )

        return self._update(obj, record_id, {field: to}, "stage_change", where_from)

    def _child(self, kind: str, record_id: str, object: str | None, fields: dict[str, Any]) -> Change:
        obj = canonical_object(object) if object else object_of(record_id)

        def live_parent(conn: sqlite3.Connection) -> None:
            row = self._locked_row(conn, obj, record_id)
            if row is None or row["archived"]:
                raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)

        change = self._create(kind, {"object": obj, "record_id": record_id, **fields}, None, live_parent)
        return Change(
            NAME, kind, change.record_id, f"add_{kind}", {}, change.after, 1,
            parent={"object": obj, "record_id": record_id},
        )  # fmt: skip

    def add_note(
        self, record_id: str, body: str, *, object: str | None = None, author: str | None = None
    ) -> Change:
        """Attach a note to a record; the inverse archives the note."""
        return self._child("note", record_id, object, {"body": body, "author": author})

    def add_task(
        self,
        record_id: str,
        subject: str,
        *,
        body: str = "",
        due: str | None = None,
        object: str | None = None,
        owner_id: str | None = None,
    ) -> Change:
        """Create an open task on a record; the inverse archives the task."""
        fields = {"subject": subject, "body": body, "due": due, "status": "open", "owner_id": owner_id}
        return self._child("task", record_id, object, fields)

    def restore(self, change: Change, *, force: bool = False) -> RestoreResult:
        """Undo a change; fields changed since by someone else are refused (reported) unless `force`."""
        obj = canonical_object(change.object)
        if change.op == "delete":
            return self._recreate(change)
        row = self._found(obj, change.record_id)
        if row is None:
            raise RecordNotFoundError(f"no {obj} {change.record_id!r}", connector=NAME, status=404)
        if change.op in WHOLE_RECORD_OPS:
            conflicts = conflicts_of(change, row)
            if row["archived"] or (conflicts and not force):
                return RestoreResult((), conflicts)
            undo = self._update(obj, change.record_id, {"archived": True}, "archive")
            return RestoreResult(tuple(sorted(change.after)), () if force else conflicts, undo)
        to_write, conflicts = plan_field_restore(change, row, force=force)
        if not to_write:
            return RestoreResult((), conflicts)
        op = {"archive": "unarchive", "unarchive": "archive"}.get(change.op, change.op)
        undo = self._update(obj, change.record_id, to_write, op)
        return RestoreResult(tuple(sorted(to_write)), conflicts, undo)

    def _recreate(self, change: Change) -> RestoreResult:
        try:
            undo = self.create(change.object, change.before, record_id=change.record_id)
        except ConnectorRejectedError:
            return RestoreResult((), conflicts_of(change, {"id": change.record_id}))
        return RestoreResult(tuple(sorted(change.before)), (), undo)

    def seed(self, n: int = 300, seed: int = 7) -> dict[str, int]:
        """Load deterministic sample data into an empty sandbox; returns counts per object."""
        data = sample_records(n, seed)

        def write(conn: sqlite3.Connection) -> None:
            for obj, rows in data.items():
                for row in rows:
                    self._insert(conn, obj, row["id"], {k: v for k, v in row.items() if k != "id"})

        self._write_fn(write)
        return {obj: len(rows) for obj, rows in data.items()}

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every record (fields only, archived included) per object, ordered by id."""
        out: dict[str, list[dict[str, Any]]] = {}
        for obj in FIELDS:
            rows = self._read(_SELECT[obj] + " ORDER BY id")
            out[obj] = [{k: v for k, v in _record(obj, r).items() if k not in _META[2:]} for r in rows]
        return out


def seed(path: str | Path, n: int = 300, seed: int = 7) -> SandboxCrm:
    """Create (or reuse) the sandbox SQLite file at `path` and fill it with sample data when empty."""
    crm = SandboxCrm(path)
    if crm.count("account") == 0:
        crm.seed(n, seed)
    return crm
