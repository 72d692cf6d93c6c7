"""The sandbox CRM's SQLite file: plain SQL, per-thread read connections and group-committed writes.

Reads run on a connection of the calling thread (WAL: they never wait for a writer). Every write is a
small function of the write connection; one writer thread per file runs the writes queued by
concurrent callers in ONE transaction (`BEGIN IMMEDIATE`, which also serialises writers of other
processes on the same file), each inside its own savepoint so a failing write undoes only itself,
and commits once: one fsync (`synchronous=FULL`) for the whole batch. A caller gets its result only
after that commit, so nothing is answered before it is durable.

`run_async(job)` runs a whole job (a connector call) in the writer thread from an event loop, with
no worker thread in between: the writes it makes through `write` join the batch's transaction inline
(each in its own savepoint, as a queued write would be), and the loop is woken after the commit.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from proctor.store.writer import AsyncWaiter, Stop, Waiter, drain, resolve

T = TypeVar("T")
Write = Callable[[sqlite3.Connection], Any]
SQL_TYPES: dict[type, str] = {str: "VARCHAR", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}
MAX_BATCH = 256
IDLE_SECONDS = 2.0  # the writer thread ends after this long without work (started again on demand)


def create_statements(fields: dict[str, dict[str, type]]) -> list[str]:
    """`CREATE TABLE IF NOT EXISTS` for every object: id, version, archived, timestamps, then its fields."""
    out = []
    for obj, columns in fields.items():
        cols = ", ".join(f"{name} {SQL_TYPES[kind]}" for name, kind in columns.items())
        out.append(
            f"CREATE TABLE IF NOT EXISTS {obj} (id VARCHAR NOT NULL PRIMARY KEY, version INTEGER NOT NULL,"
            f" archived BOOLEAN NOT NULL, created_at VARCHAR NOT NULL, updated_at VARCHAR NOT NULL, {cols})"
        )
    return out


class _Reader:
    """A thread's read connection; dropped (and the connection closed) when its thread ends."""

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn


class SandboxFile:
    """One SQLite file (or a private in-memory database) with group-committed writes."""

    def __init__(self, path: str, schema: list[str]) -> None:
        self.path = path
        self.memory = path == ":memory:"
        self._local = threading.local()
        self._readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Write, Waiter] | Stop] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # in memory every thread must share one connection (each would otherwise get its own database)
        self._shared_lock = threading.RLock()
        self._writer = self._connect()
        self._writer.executescript(";\n".join(schema))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path if not self.memory else ":memory:",
            timeout=60,
            isolation_level=None,  # autocommit: transactions are begun explicitly
            check_same_thread=False,
        )
        if not self.memory:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # durable: one fsync per commit
            conn.execute("PRAGMA busy_timeout=60000")
        return conn

    def read(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one SELECT on this thread's connection (committed data only)."""
        if self.memory:
            with self._shared_lock:
                return self._writer.execute(sql, params).fetchall()
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = _Reader(self._connect())
            with self._lock:
                self._readers.add(reader)
        return reader.conn.execute(sql, params).fetchall()

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the write connection inside a group-committed transaction; its result once durable.

        `fn`'s exception (after its savepoint is rolled back) is raised here; a failed commit raises
        sqlite3.Error for every write of the batch. Called from a job of `run_async` (in the writer
        thread), `fn` runs at once in that job's transaction, in a savepoint of its own."""
        if getattr(self._local, "writer", False):  # the writer thread, running a job's writes
            return self._inline(fn)
        future: Future[Any] = Future()
        self._put((fn, future))
        result: T = future.result()
        return result

    def run_async(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """Run `job` in the writer thread inside the next batch (its `write`s join the transaction);
        await its result, delivered on the calling event loop only after the batch committed."""
        waiter = AsyncWaiter(asyncio.get_running_loop())
        self._put((lambda _conn: job(), waiter))
        return waiter.future

    def _put(self, item: tuple[Write, Waiter]) -> None:
        with self._lock:
            self._queue.put(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sandbox-crm-writer", daemon=True)
                self._thread.start()

    def _inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._writer
        conn.execute("SAVEPOINT inline")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK TO inline")
            conn.execute("RELEASE inline")
            raise
        conn.execute("RELEASE inline")
        return result

    def _loop(self) -> None:
        self._local.writer = True  # thread-local: a later thread reusing this id is not the writer
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            if isinstance(first, Stop):
                return
            items, stop = drain(self._queue, first, MAX_BATCH)
            with self._shared_lock:
                self._commit(items)
            if stop:
                return

    def _commit(self, items: list[tuple[Write, Waiter]]) -> None:
        conn = self._writer
        outcomes: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, _ in items:
                conn.execute("SAVEPOINT w")
                try:
                    outcomes.append(fn(conn))
                except BaseException as exc:  # this write only: undo its statements, keep the batch
                    conn.execute("ROLLBACK TO w")
                    outcomes.append(exc)
                conn.execute("RELEASE w")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            resolve(items, [exc] * len(items))
            return
        resolve(items, outcomes)

    def close(self) -> None:
        """Finish queued writes, stop the writer thread and close every connection."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._queue.put(Stop())
        if thread is not None:
            thread.join()
        with self._lock:
            self._thread = None
            readers = list(self._readers)
        for reader in readers:
            reader.conn.close()
        self._writer.close()
