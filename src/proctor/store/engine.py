"""Engines and transactions: SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE for writes) or PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)

from proctor.domain.errors import ConflictError, StoreError

_IMMEDIATE = "proctor_immediate"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


_LONG_NUMBER = re.compile(r"\d{18}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{18}")


def loads_json(text: str | bytes) -> Any:
    """A JSON column's value, exactly as `json.loads` gives it, parsed by orjson when that is the same:
    orjson turns integers beyond 64 bits into floats and refuses what json accepts beyond the standard
    (NaN, lone surrogates), so text holding a long digit run, or that orjson refuses, goes to json."""
    if isinstance(text, str):
        long = _LONG_NUMBER.search(text) is not None
    else:
        long = _LONG_NUMBER_BYTES.search(text) is not None
    if not long:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        try:  # straight on the driver: exec_driver_sql costs ~0.1 ms of Python per transaction
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if immediate else "BEGIN"
            )
        except sqlite3.Error as exc:
            raise OperationalError("BEGIN", None, exc) from exc


IDLE_PING_SECONDS = 10.0  # PostgreSQL: a pooled connection idle this long is pinged before use


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle for IDLE_PING_SECONDS (a server restart
    or a dropped idle connection is then replaced, as `pool_pre_ping` would), not on every checkout:
    the ping is a round trip, and a busy server checks a connection out for every request. A connection
    that breaks while in use invalidates the pool's older connections (SQLAlchemy's disconnect
    handling), so they are replaced too."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # any failure: drop this connection, the pool connects a new one
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def create_store_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An Engine for `url` with Proctor's pragmas; raises StoreError for an unusable URL."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 60},
                json_deserializer=loads_json,
                pool_size=pool_size,
                max_overflow=40,
                pool_timeout=60,
            )
            _sqlite_pragmas(engine)
            return engine
        if parsed.get_backend_name() == "postgresql":
            engine = create_engine(
                url, json_deserializer=loads_json, pool_size=pool_size, max_overflow=40, pool_timeout=60
            )
            _ping_when_idle(engine)
            return engine
    except (ArgumentError, SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database URL: {exc}") from exc
    raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def sql_for(dialect: str, sql: str) -> str:
    """A hand-written statement with `?` placeholders in the driver's paramstyle (psycopg: `%s`)."""
    return sql.replace("?", "%s") if dialect == "postgresql" else sql


def in_list(n: int) -> str:
    """`(?, ?, …)`: n placeholders for a hand-written `IN` list."""
    return "(" + ", ".join("?" * n) + ")"


@contextmanager
def raw_cursor(conn: Connection) -> Iterator[Any]:
    """A DBAPI cursor inside `conn`'s open transaction (no statement building, no bind processing);
    driver errors become ConflictError (integrity) or StoreError, as they do through SQLAlchemy."""
    dbapi: Any = conn.dialect.dbapi
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cur
    except dbapi.IntegrityError as exc:
        raise ConflictError(f"conflicts with stored data: {exc}") from exc
    except dbapi.Error as exc:
        raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
    finally:
        cur.close()


MAX_HELD = 4  # threads that keep their own read connection (the event loop's is the one that matters)


class _Held:
    """A read connection kept by one thread, outside the pool; closed when its thread ends."""

    __slots__ = ("__weakref__", "conn", "fairy", "used")

    def __init__(self, fairy: Any, conn: Any) -> None:
        self.fairy = fairy
        self.conn = conn
        self.used = time.monotonic()
        weakref.finalize(self, _close_quietly, fairy)

    def close(self) -> None:
        """Close the connection (errors ignored: it is being dropped)."""
        _close_quietly(self.fairy)


def _close_quietly(fairy: Any) -> None:
    with contextlib.suppress(Exception):
        fairy.close()


@contextmanager
def _translated() -> Iterator[None]:
    """Driver errors as the store's own: a constraint violation is a ConflictError, the rest StoreError."""
    try:
        yield
    except IntegrityError as exc:
        raise ConflictError(f"conflicts with stored data: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc


class Store:
    """The database: `write()` and `read()` transactions with driver errors translated to StoreError."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._held_lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A Store for a database URL."""
        return cls(create_store_engine(url))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE); commits on success, rolls back on error."""
        with self._transaction(immediate=True) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction."""
        with self._transaction(immediate=False) as conn:
            yield conn

    @contextmanager
    def raw_read(self) -> Iterator[Any]:
        """A DBAPI cursor for a few plain reads, without SQLAlchemy's Connection/transaction objects or a
        pool checkout: each SELECT on its own (PostgreSQL: in autocommit, so no BEGIN and no ROLLBACK
        round trip around them), on a connection this thread keeps (up to MAX_HELD threads; others
        check one out of the pool). Driver errors become StoreError and drop the kept connection."""
        held = self._held_connection()
        if held is None:
            with self._pooled_read() as cur:
                yield cur
            return
        driver: Any = self.engine.dialect.dbapi
        try:
            cur = held.conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
        except driver.Error as exc:
            self._drop_held(held)
            raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
        held.used = time.monotonic()

    def _held_connection(self) -> _Held | None:
        """This thread's kept read connection (opened on first use, replaced after IDLE_PING_SECONDS
        idle as the pool would ping it); None when MAX_HELD threads already keep one."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and time.monotonic() - held.used < IDLE_PING_SECONDS:
            return held
        if held is not None:
            self._drop_held(held)
        with self._held_lock:
            if self._closed or len(self._held) >= MAX_HELD:
                return None
            try:
                fairy = self.engine.raw_connection()
            except SQLAlchemyError as exc:
                raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
            fairy.detach()  # outside the pool: closed with its thread, on error or by close()
            conn: Any = fairy.dbapi_connection
            if self.dialect == "postgresql":
                conn.autocommit = True
            held = _Held(fairy, conn)
            self._held.add(held)
        self._local.held = held
        return held

    def _drop_held(self, held: _Held) -> None:
        with self._held_lock:
            self._held.discard(held)
        if getattr(self._local, "held", None) is held:
            self._local.held = None
        held.close()

    @contextmanager
    def _pooled_read(self) -> Iterator[Any]:
        try:
            dbapi = self.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
        driver: Any = self.engine.dialect.dbapi
        pg: Any = dbapi.driver_connection if self.dialect == "postgresql" else None
        try:
            if pg is not None:
                pg.autocommit = True
            cur = dbapi.cursor()
            try:
                yield cur
            finally:
                cur.close()
        except driver.Error as exc:
            raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
        finally:
            if pg is not None:
                try:
                    pg.autocommit = False  # as every other user of the pool expects
                except driver.Error:
                    dbapi.invalidate()  # a broken connection never goes back to the pool
            dbapi.close()  # back to the pool

    def connect_for_writes(self) -> Connection:
        """A Connection one writer thread keeps for `write_on` (SQLite: its transactions BEGIN IMMEDIATE)."""
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {type(exc).__name__}: {exc}") from exc
        if self.dialect == "sqlite":
            conn = conn.execution_options(**{_IMMEDIATE: True})
        return conn

    @contextmanager
    def write_on(self, conn: Connection) -> Iterator[Connection]:
        """`write()` on a connection from `connect_for_writes` that the caller keeps between transactions
        (no pool checkout and Connection set-up each time); the caller drops it after an error."""
        with _translated(), conn.begin():
            yield conn

    @contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[Connection]:
        with _translated(), self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(**{_IMMEDIATE: immediate})
            with conn.begin():
                yield conn

    def insert_ignore(self, table: Table, conflict: list[str]) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING for either dialect."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict)

    def close(self) -> None:
        """Release every pooled connection and every kept read connection."""
        with self._held_lock:
            self._closed = True
            held, self._held = list(self._held), weakref.WeakSet()
        for item in held:
            item.close()
        self.engine.dispose()
