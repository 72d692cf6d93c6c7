"""The single writer: one thread per database commits the write sets of concurrent requests together.

A request builds a job (everything it can compute without the write lock), enqueues it and waits on
a future. The writer thread drains the queue, opens ONE write transaction, locks the chain heads and
usage counters the batch touches, lets every job apply itself in queue order (chain seq/hash and
counter reservations assigned in that order), flushes all rows with executemany and commits once
(one fsync for the whole batch) on a connection the thread keeps between batches. Futures are
resolved only after the commit: the audit rows are durable before any answer goes out.

When a batch fails as a whole, it is rolled back and every job is retried in its own transaction,
so one bad job only fails itself.

Waiters on an event loop (`enqueue_async`) are woken with ONE `call_soon_threadsafe` per loop and
batch rather than one per job. The writer spends most of its time in driver calls that release the
GIL; to get it back quickly while request threads compute, the process's switch interval is lowered
to `SWITCH_INTERVAL` (never raised) when the writer thread starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from proctor.domain.errors import ProctorError
from proctor.store.batch import Batch, CounterKey
from proctor.store.engine import IDLE_PING_SECONDS

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from proctor.store.engine import Store

MAX_BATCH = 512
SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005


class Job(Protocol):
    """One request's write set."""

    workspace_id: str

    def slots(self) -> list[CounterKey]:
        """The usage counters the job reads and may reserve (locked for the batch)."""
        ...

    def apply(self, batch: Batch) -> Any:
        """Apply the job to the batch; return its result, or a ProctorError it failed with before writing."""
        ...


class Stop:
    """The sentinel that ends a batching thread's loop."""


_STOP = Stop()
T = TypeVar("T")


def drain(pending: queue.SimpleQueue[T | Stop], first: T, limit: int) -> tuple[list[T], bool]:
    """`first` plus whatever else is queued (up to `limit` items) without waiting; True if a Stop came."""
    items = [first]
    while len(items) < limit:
        try:
            nxt = pending.get_nowait()
        except queue.Empty:
            break
        if isinstance(nxt, Stop):
            return items, True
        items.append(nxt)
    return items, False


class AsyncWaiter:
    """An asyncio future and its loop: resolved from the writer thread in one callback per batch."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()


Waiter = Future[Any] | AsyncWaiter
Item = tuple[Job, Waiter]


def _settle(done: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in done:
        if future.cancelled():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def resolve(items: list[tuple[Any, Waiter]], outcomes: list[Any]) -> None:
    """Resolve every waiter with its result or exception; event-loop waiters one callback per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for (_, waiter), outcome in zip(items, outcomes, strict=True):
        if isinstance(waiter, AsyncWaiter):
            by_loop.setdefault(waiter.loop, []).append((waiter.future, outcome))
        elif isinstance(outcome, BaseException):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)
    for loop, done in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, done)


class Writer:
    """Group commit for one Store: `run(job)` blocks until the job's batch is committed."""

    def __init__(
        self,
        store: Store,
        *,
        checkpoint: Callable[..., Any] | None = None,
        checkpoint_every: int = 0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.store = store
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Item | Stop] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.jobs = 0
        self._conn: Connection | None = None  # kept by the writer thread between batches
        self._conn_used = 0.0

    def run(self, job: Job) -> Any:
        """Enqueue the job and wait for its committed result (or its error)."""
        return self.enqueue(job).result()

    def enqueue(self, job: Job) -> Future[Any]:
        """Enqueue the job; its future resolves once its batch committed."""
        future: Future[Any] = Future()
        self._put((job, future))
        return future

    def enqueue_async(self, job: Job) -> asyncio.Future[Any]:
        """Enqueue the job from a running event loop; await the result (woken once per batch)."""
        waiter = AsyncWaiter(asyncio.get_running_loop())
        self._put((job, waiter))
        return waiter.future

    def _put(self, item: Item) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                if sys.getswitchinterval() > SWITCH_INTERVAL:
                    sys.setswitchinterval(SWITCH_INTERVAL)
                self._thread = threading.Thread(target=self._loop, name="proctor-writer", daemon=True)
                self._thread.start()
            self._queue.put(item)

    def stop(self) -> None:
        """Finish every queued job, then stop the thread (a later `run` starts it again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(_STOP)
        thread.join()

    def _loop(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if isinstance(first, Stop):
                    return
                items, stop = drain(self._queue, first, self.max_batch)
                self._commit(items)
                if stop:
                    return
        finally:
            self._drop_connection()

    def _connection(self) -> Connection:
        """The connection this thread keeps between batches; a fresh one from the pool (which pings it)
        after IDLE_PING_SECONDS without a batch, as a checkout per batch would get."""
        if self._conn is not None and time.monotonic() - self._conn_used >= IDLE_PING_SECONDS:
            self._drop_connection()
        if self._conn is None:
            self._conn = self.store.connect_for_writes()
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # broken or not, it goes back (SQLAlchemy invalidates)
                conn.close()

    def _commit(self, items: list[Item]) -> None:
        try:
            results = self._transaction([job for job, _ in items])
        except BaseException as exc:
            if len(items) > 1:
                for item in items:  # isolate the failing job: each alone in its own transaction
                    self._commit([item])
                return
            err = exc if isinstance(exc, ProctorError | Exception) else RuntimeError(repr(exc))
            resolve(items, [err])
            return
        self.batches += 1
        self.jobs += len(items)
        resolve(items, results)

    def _transaction(self, jobs: list[Job]) -> list[Any]:
        try:
            with self.store.write_on(self._connection()) as conn:
                batch = Batch(conn, self.store.dialect, self.checkpoint)
                batch.checkpoint_every = self.checkpoint_every
                batch.lock((j.workspace_id for j in jobs), (s for j in jobs for s in j.slots()))
                results = [job.apply(batch) for job in jobs]
                batch.flush()
        except BaseException:
            self._drop_connection()  # whatever broke, the next transaction starts on a fresh connection
            raise
        self._conn_used = time.monotonic()
        return results
