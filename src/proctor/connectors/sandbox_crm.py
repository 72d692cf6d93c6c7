"""The built-in sandbox CRM: its own SQLite file (SQLAlchemy Core), before/after on every write, versions."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from proctor.connectors.base import Change, RestoreResult, utc_now
from proctor.connectors.changes import WHOLE_RECORD_OPS, conflicts_of, object_names, plan_field_restore
from proctor.connectors.errors import ConnectorRejectedError, ConnectorUnavailableError, RecordNotFoundError
from proctor.connectors.sandbox_seed import LEAD_STATUSES, STAGES, sample_records

NAME = "sandbox_crm"
_TYPES: dict[type, Any] = {str: String, int: Integer, float: Float, bool: Boolean}
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

metadata = MetaData()
TABLES: dict[str, Table] = {
    obj: Table(
        obj,
        metadata,
        Column("id", String, primary_key=True),
        Column("version", Integer, nullable=False, default=1),
        Column("archived", Boolean, nullable=False, default=False),
        Column("created_at", String, nullable=False),
        Column("updated_at", String, nullable=False),
        *(Column(name, _TYPES[kind]) for name, kind in fields.items()),
    )
    for obj, fields in FIELDS.items()
}
_META = ("version", "archived", "created_at", "updated_at")


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


def _wal(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA journal_mode=WAL")
    dbapi_conn.execute("PRAGMA synchronous=FULL")


class SandboxCrm:
    """A small CRM in one SQLite file, independent of Proctor's store; implements CrmConnector."""

    name = NAME

    def __init__(self, path: str | Path = ":memory:", *, engine: Engine | None = None) -> None:
        url = "sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path)}"
        self.path = str(path)
        self.engine = engine or create_engine(url)
        if engine is None and url != "sqlite://":
            event.listen(self.engine, "connect", _wal)  # durable (synchronous=FULL), one fsync a commit
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise ConnectorUnavailableError(f"cannot open {self.path}: {exc}", connector=NAME) from exc

    # reads
    def _row(self, conn: Connection, obj: str, record_id: str) -> dict[str, Any] | None:
        row = conn.execute(select(TABLES[obj]).where(TABLES[obj].c.id == record_id)).first()
        return dict(row._mapping) if row is not None else None

    def get(self, object: str, record_id: str, *, include_archived: bool = False) -> dict[str, Any]:
        """The record's fields with `id`; RecordNotFoundError when absent (or archived)."""
        obj = canonical_object(object)
        with self.engine.connect() as conn:
            row = self._row(conn, obj, record_id)
        if row is None or (row["archived"] and not include_archived):
            raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
        return {k: v for k, v in row.items() if k not in _META}

    def meta(self, object: str, record_id: str) -> dict[str, Any]:
        """The record's version, archived flag and timestamps."""
        obj = canonical_object(object)
        with self.engine.connect() as conn:
            row = self._row(conn, obj, record_id)
        if row is None:
            raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
        return {k: row[k] for k in _META}

    def query(
        self, object: str, where: dict[str, Any] | None = None, *, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Live records matching every `where` equality, ordered by id."""
        obj = canonical_object(object)
        _check_fields(obj, dict.fromkeys(where or {}))
        table = TABLES[obj]
        stmt = select(table).where(table.c.archived.is_(False)).order_by(table.c.id).limit(limit)
        for name, value in (where or {}).items():
            stmt = stmt.where(table.c[name] == value)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [{k: v for k, v in r._mapping.items() if k not in _META} for r in rows]

    def count(self, object: str) -> int:
        """How many live records of `object`."""
        return len(self.query(object, limit=1_000_000))

    # writes
    def _insert(self, conn: Connection, obj: str, record_id: str, fields: dict[str, Any]) -> None:
        now = utc_now()
        values = {"id": record_id, "version": 1, "archived": False, "created_at": now, "updated_at": now}
        conn.execute(insert(TABLES[obj]).values(**values, **fields))

    def _write(self, obj: str, record_id: str, fields: dict[str, Any], op: str) -> Change:
        """Write fields (and/or `archived`) with an optimistic version check; the Change of exactly those."""
        columns = {k: v for k, v in fields.items() if k != "archived"}
        _check_fields(obj, columns)
        table = TABLES[obj]
        for _ in range(5):
            with self.engine.begin() as conn:
                row = self._row(conn, obj, record_id)
                if row is None or (row["archived"] and op not in {"unarchive", "update"}):
                    raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
                before = {k: row[k] for k in fields}
                version = int(row["version"]) + 1
                done = conn.execute(
                    update(table)
                    .where(table.c.id == record_id, table.c.version == row["version"])
                    .values(**fields, version=version, updated_at=utc_now())
                ).rowcount
                if done:
                    return Change(NAME, obj, record_id, op, before, dict(fields), version)
        raise ConnectorUnavailableError(f"{obj} {record_id} kept changing; try again", connector=NAME)

    def create(self, object: str, fields: dict[str, Any], *, record_id: str | None = None) -> Change:
        """Create a record; the inverse archives it."""
        obj = canonical_object(object)
        fields = {k: v for k, v in fields.items() if k != "id"}
        _check_fields(obj, fields)
        new_id = record_id or f"{PREFIX[obj]}_{secrets.token_hex(6)}"
        try:
            with self.engine.begin() as conn:
                self._insert(conn, obj, new_id, fields)
        except SQLAlchemyError as exc:
            raise ConnectorRejectedError(f"cannot create {obj}: {exc}", connector=NAME, status=409) from exc
        return Change(NAME, obj, new_id, "create", {}, dict(fields), 1)

    def update(self, object: str, record_id: str, fields: dict[str, Any]) -> Change:
        """Write fields; before/after hold exactly those fields."""
        if not fields:
            raise ConnectorRejectedError("no fields to update", connector=NAME, status=400)
        return self._write(canonical_object(object), record_id, dict(fields), "update")

    def archive(self, object: str, record_id: str) -> Change:
        """Archive (soft-delete) a record; the inverse unarchives it."""
        return self._write(canonical_object(object), record_id, {"archived": True}, "archive")

    def delete(self, object: str, record_id: str) -> Change:
        """Hard-delete a record; `before` keeps every field so the inverse can recreate it with its id."""
        obj = canonical_object(object)
        with self.engine.begin() as conn:
            row = self._row(conn, obj, record_id)
            if row is None:
                raise RecordNotFoundError(f"no {obj} {record_id!r}", connector=NAME, status=404)
            conn.execute(delete(TABLES[obj]).where(TABLES[obj].c.id == record_id))
        before = {k: v for k, v in row.items() if k not in _META and k != "id"}
        return Change(NAME, obj, record_id, "delete", before, {}, None)

    def set_owner(self, record_id: str, owner_id: str, *, object: str | None = None) -> Change:
        """Assign the record to an active owner; the inverse restores the previous owner."""
        obj = canonical_object(object) if object else object_of(record_id)
        if "owner_id" not in FIELDS[obj]:
            raise ConnectorRejectedError(f"{obj} has no owner", connector=NAME, status=400)
        owner = self.get("owner", owner_id)
        if not owner.get("active", True):
            raise ConnectorRejectedError(f"owner {owner_id} is inactive", connector=NAME, status=400)
        return self._write(obj, record_id, {"owner_id": owner_id}, "set_owner")

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
        current = self.get(obj, record_id)[field]
        if expected_from is not None and current != expected_from:
            raise ConnectorRejectedError(
                f"{obj} {record_id} is in {field} {current!r}, not {expected_from!r}",
                connector=NAME,
                status=409,
            )
        return self._write(obj, record_id, {field: to}, "stage_change")

    def _child(self, kind: str, record_id: str, object: str | None, fields: dict[str, Any]) -> Change:
        obj = canonical_object(object) if object else object_of(record_id)
        self.get(obj, record_id)
        change = self.create(kind, {"object": obj, "record_id": record_id, **fields})
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
        with self.engine.connect() as conn:
            row = self._row(conn, obj, change.record_id)
        if row is None:
            raise RecordNotFoundError(f"no {obj} {change.record_id!r}", connector=NAME, status=404)
        if change.op in WHOLE_RECORD_OPS:
            conflicts = conflicts_of(change, row)
            if row["archived"] or (conflicts and not force):
                return RestoreResult((), conflicts)
            undo = self._write(obj, change.record_id, {"archived": True}, "archive")
            return RestoreResult(tuple(sorted(change.after)), () if force else conflicts, undo)
        to_write, conflicts = plan_field_restore(change, row, force=force)
        if not to_write:
            return RestoreResult((), conflicts)
        op = {"archive": "unarchive", "unarchive": "archive"}.get(change.op, change.op)
        undo = self._write(obj, change.record_id, to_write, op)
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
        with self.engine.begin() as conn:
            for obj, rows in data.items():
                for row in rows:
                    self._insert(conn, obj, row["id"], {k: v for k, v in row.items() if k != "id"})
        return {obj: len(rows) for obj, rows in data.items()}

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every record (fields only, archived included) per object, ordered by id."""
        out: dict[str, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for obj, table in TABLES.items():
                rows = conn.execute(select(table).order_by(table.c.id)).all()
                out[obj] = [{k: v for k, v in r._mapping.items() if k not in _META[2:]} for r in rows]
        return out


def seed(path: str | Path, n: int = 300, seed: int = 7) -> SandboxCrm:
    """Create (or reuse) the sandbox SQLite file at `path` and fill it with sample data when empty."""
    crm = SandboxCrm(path)
    if crm.count("account") == 0:
        crm.seed(n, seed)
    return crm
