"""The audit trail in the store: hash-chained append under a per-workspace lock, query, export, verify."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Select, func, insert, literal, select, update

from proctor.domain.audit import (
    GENESIS,
    AuditEvent,
    AuditFilters,
    ChainRow,
    VerifyProblem,
    VerifyReport,
    canonical,
    chain_hash,
    index_of,
    utc_stamp,
    verify_chain,
)
from proctor.domain.errors import NotFoundError, RequestError
from proctor.store.batch import index_values
from proctor.store.engine import Store, raw_cursor, sql_for
from proctor.store.ids import event_id
from proctor.store.secrets import Keyring, verify_signature
from proctor.store.tables import audit_checkpoints, audit_events, audit_heads

PAGE = 500
FAST_PAGE = 5000
PARALLEL_MIN = (
    200_000  # events: a shorter chain is verified in one process (a second one takes ~1 s to start)
)
_INDEX_COLUMNS = tuple(index_of({}))
_CHAIN_PAGE = (
    f"SELECT seq, id, prev_hash, hash, body, {', '.join(_INDEX_COLUMNS)} FROM audit_events"
    " WHERE workspace_id = ? AND seq > ? AND seq <= ? ORDER BY seq"
)


def event_dict(row: Any) -> dict[str, Any]:
    """A stored event as the JSON the API and exports return."""
    body: dict[str, Any] = orjson.loads(row.body)
    body["prev_hash"] = row.prev_hash
    body["hash"] = row.hash
    return body


def check_span(
    store: Store, ws: str, lo: int, hi: int, prev: str | None, marks: dict[int, tuple[str, str]]
) -> tuple[str, str] | None:
    """Check events lo+1..hi in a tight loop on the driver's cursor: each intact, indexed and linked to
    the one before; the first one's prev_hash must be `prev` (None: taken as stored, for the caller to
    compare). Returns (that first prev_hash, the last hash), or None on any doubt. Fills `marks`.

    The stored body is canonical JSON, so its bytes are hashed as stored (re-canonicalising only if they
    differ); the next page is read by a second thread while this one is checked."""
    sql = sql_for(store.dialect, _CHAIN_PAGE)

    def page(start: int) -> list[Any]:  # events start+1 .. start+FAST_PAGE, in a read transaction of its own
        with store.read() as conn, raw_cursor(conn) as cur:
            cur.execute(sql, (ws, start, min(start + FAST_PAGE, hi)))
            return list(cur.fetchall())

    sha256, loads, index = hashlib.sha256, orjson.loads, index_values
    last, first = lo, prev
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="proctor-verify") as pool:
            ahead = pool.submit(page, lo)
            while last < hi:
                rows = ahead.result()
                if last + FAST_PAGE < hi:
                    ahead = pool.submit(page, last + FAST_PAGE)
                if not rows:
                    return None
                for seq, eid, prev_hash, digest, text, *columns in rows:
                    if prev is None:
                        first = prev = prev_hash
                    if seq != last + 1 or prev_hash != prev:
                        return None
                    raw = text.encode()
                    body = loads(raw)
                    if body.get("seq") != seq or body.get("id") != eid:
                        return None
                    if (
                        sha256(prev_hash.encode() + raw).hexdigest() != digest
                        and chain_hash(prev_hash, body) != digest
                    ):
                        return None
                    if tuple(columns) != index(body):
                        return None
                    if seq in marks:
                        marks[seq] = (eid, digest)
                    last, prev = seq, digest
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return None
    if last != hi or first is None or prev is None:
        return None
    return first, prev


def _span_answer(out: bytes, returncode: int | None) -> tuple[str, str, dict[int, tuple[str, str]]] | None:
    """The answer of `python -m proctor.store.verify_span`, or None when it failed or found a doubt."""
    if returncode != 0:
        return None
    try:
        answer = orjson.loads(out)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        return None
    marks = {int(k): (str(v[0]), str(v[1])) for k, v in answer["marks"].items()}
    return str(answer["first"]), str(answer["last"]), marks


def checkpoint_message(ws: str, seq: int, head_hash: str, at: str) -> bytes:
    """The bytes a checkpoint signs."""
    return canonical({"workspace_id": ws, "seq": seq, "hash": head_hash, "at": at})


class AuditLog:
    """Appends, queries and verifies one workspace's chain; signs checkpoints every N events."""

    def __init__(self, store: Store, keyring: Keyring, checkpoint_every: int = 1000) -> None:
        self.store = store
        self.keyring = keyring
        self.checkpoint_every = checkpoint_every
        self.parallel_min = PARALLEL_MIN  # verify chains at least this long in two processes

    def create_head(self, conn: Connection, ws: str) -> None:
        """Start an empty chain for a new workspace."""
        conn.execute(insert(audit_heads).values(workspace_id=ws, seq=0, hash=GENESIS))

    def lock_head(self, conn: Connection, ws: str) -> tuple[int, str]:
        """Lock the workspace's chain head for this transaction (serialises writers per workspace)."""
        row = conn.execute(
            select(audit_heads.c.seq, audit_heads.c.hash)
            .where(audit_heads.c.workspace_id == ws)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError(f"no workspace {ws}")
        return int(row.seq), str(row.hash)

    def append(self, conn: Connection, ws: str, kind: str, at: datetime, **fields: Any) -> AuditEvent:
        """Append one event to the chain inside the caller's write transaction."""
        seq, prev = self.lock_head(conn, ws)
        seq += 1
        stamp = utc_stamp(at)
        draft = AuditEvent(id=event_id(), workspace_id=ws, seq=seq, kind=kind, at=stamp, **fields)
        body = draft.body()
        digest = chain_hash(prev, body)
        conn.execute(
            insert(audit_events).values(
                id=draft.id,
                workspace_id=ws,
                seq=seq,
                kind=kind,
                at=stamp,
                body=canonical(body).decode(),
                prev_hash=prev,
                hash=digest,
                **index_of(body),
            )
        )
        conn.execute(update(audit_heads).where(audit_heads.c.workspace_id == ws).values(seq=seq, hash=digest))
        if self.checkpoint_every > 0 and seq % self.checkpoint_every == 0:
            self.sign(conn, ws, seq, digest, stamp)
        return draft.model_copy(update={"prev_hash": prev, "hash": digest})

    def sign(self, conn: Connection, ws: str, seq: int, head_hash: str, at: str) -> dict[str, Any]:
        """Sign the chain at (seq, head_hash) and store the checkpoint in the caller's transaction."""
        signature = self.keyring.sign(checkpoint_message(ws, seq, head_hash, at))
        values = {"workspace_id": ws, "seq": seq, "hash": head_hash, "at": at}
        conn.execute(
            insert(audit_checkpoints).values(
                **values, public_key=self.keyring.public_key, signature=signature
            )
        )
        return {**values, "public_key": self.keyring.public_key, "signature": signature}

    def checkpoint(self, conn: Connection, ws: str, at: datetime) -> dict[str, Any]:
        """Sign the current head now (on demand)."""
        seq, head_hash = self.lock_head(conn, ws)
        return self.sign(conn, ws, seq, head_hash, utc_stamp(at))

    def _filtered(self, ws: str, filters: AuditFilters) -> Select[Any]:
        c = audit_events.c
        stmt = select(audit_events).where(c.workspace_id == ws)
        for name in ("agent_id", "user_id", "action", "effect", "kind", "run_id", "action_id"):
            value = getattr(filters, name)
            if value is not None:
                stmt = stmt.where(getattr(c, name) == value)
        if filters.record_id:
            padded = literal(" ") + c.record_ids + literal(" ")
            stmt = stmt.where(padded.contains(f" {filters.record_id} ", autoescape=True))
        if filters.since is not None:
            stmt = stmt.where(c.at >= utc_stamp(filters.since))
        if filters.until is not None:
            stmt = stmt.where(c.at < utc_stamp(filters.until))
        if filters.text:
            stmt = stmt.where(func.lower(c.body).contains(filters.text.lower(), autoescape=True))
        return stmt

    def query(
        self,
        conn: Connection,
        ws: str,
        filters: AuditFilters,
        cursor: str | None = None,
        limit: int = 100,
        *,
        descending: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of matching events in seq order, and the cursor of the next page (None at the end)."""
        if not 1 <= limit <= 1000:
            raise RequestError("limit must be between 1 and 1000", field="limit")
        stmt = self._filtered(ws, filters)
        if cursor:
            try:
                after = int(cursor)
            except ValueError:
                after = -1
            if not 0 <= after < 2**63:  # a cursor is an event's seq: a non-negative 64-bit integer
                raise RequestError("not a cursor returned by this API", field="cursor")
            stmt = stmt.where(audit_events.c.seq < after if descending else audit_events.c.seq > after)
        order = audit_events.c.seq.desc() if descending else audit_events.c.seq
        rows = conn.execute(stmt.order_by(order).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return [event_dict(r) for r in rows], (str(rows[-1].seq) if more and rows else None)

    def export(self, ws: str, filters: AuditFilters) -> Iterator[dict[str, Any]]:
        """Every matching event in seq order, page by page (never all in memory)."""
        cursor: str | None = None
        while True:
            with self.store.read() as conn:
                page, cursor = self.query(conn, ws, filters, cursor, PAGE)
            yield from page
            if cursor is None:
                return

    def _rows(self, ws: str, upto: int) -> Iterator[ChainRow]:
        last = 0
        while True:
            with self.store.read() as conn:
                rows = conn.execute(
                    select(audit_events)
                    .where(
                        audit_events.c.workspace_id == ws,
                        audit_events.c.seq > last,
                        audit_events.c.seq <= upto,
                    )
                    .order_by(audit_events.c.seq)
                    .limit(PAGE)
                ).all()
            for r in rows:
                index = {k: getattr(r, k) for k in index_of({})}
                yield ChainRow(int(r.seq), r.id, r.prev_hash, r.hash, r.body, index)
            if len(rows) < PAGE:
                return
            last = int(rows[-1].seq)

    def _fast_chain(self, ws: str, upto: int, head_hash: str, marks: dict[int, tuple[str, str]]) -> bool:
        """True when every event 1..upto is intact, linked and indexed and the head matches; fills
        `marks` (seq -> (id, hash)) for the seqs it is given (the checkpoints, so no extra reads).

        Long chains are split in two at the middle: a second process checks the upper half while this one
        checks the lower half, and the seam (the lower half's last hash = the upper half's first
        prev_hash) is compared afterwards, so the result is exactly that of one pass. Any doubt returns
        False and `verify` falls back to `verify_chain`, which names the first problem.
        """
        mid = upto // 2
        url = self.store.engine.url
        if upto < self.parallel_min or url.database in (None, "", ":memory:") or (os.cpu_count() or 1) < 2:
            span = check_span(self.store, ws, 0, upto, GENESIS, marks)
            return span is not None and span[1] == head_hash
        request = {
            "url": url.render_as_string(hide_password=False),
            "ws": ws,
            "lo": mid,
            "hi": upto,
            "marks": [k for k in marks if k > mid],
        }
        upper = subprocess.Popen(  # the upper half, checked while this process checks the lower half
            [sys.executable, "-m", "proctor.store.verify_span"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert upper.stdin is not None
        upper.stdin.write(orjson.dumps(request))  # small (a few KB): never fills the pipe
        upper.stdin.close()
        lower = check_span(self.store, ws, 0, mid, GENESIS, marks)
        if lower is None:
            upper.kill()
            upper.wait()
            return False
        assert upper.stdout is not None
        out = upper.stdout.read()
        high = _span_answer(out, upper.wait())
        if high is None:  # the second process failed (not necessarily the chain): check that half here
            upper_marks = {k: v for k, v in marks.items() if k > mid}
            span = check_span(self.store, ws, mid, upto, None, upper_marks)
            high = None if span is None else (span[0], span[1], upper_marks)
        if high is None:
            return False
        if high[0] != lower[1] or high[1] != head_hash:  # the seam, then the head
            return False
        marks.update(high[2])
        return True

    def verify(self, ws: str) -> VerifyReport:
        """Recompute the whole chain and check every signed checkpoint against it."""
        with self.store.read() as conn:
            head = conn.execute(
                select(audit_heads.c.seq, audit_heads.c.hash).where(audit_heads.c.workspace_id == ws)
            ).first()
            if head is None:
                raise NotFoundError(f"no workspace {ws}")
            checkpoints = conn.execute(
                select(audit_checkpoints)
                .where(audit_checkpoints.c.workspace_id == ws)
                .order_by(audit_checkpoints.c.seq)
            ).all()
        seq, digest = int(head.seq), str(head.hash)
        marks: dict[int, tuple[str, str]] = {int(cp.seq): ("", "") for cp in checkpoints}
        try:
            intact = self._fast_chain(ws, seq, digest, marks)
        except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            intact = False
        if intact:
            report = VerifyReport(ok=True, checked=seq, head_seq=seq, head_hash=digest)
        else:
            marks = {}
            report = verify_chain(self._rows(ws, seq), (seq, digest))
        if not report.ok:
            return report
        for n, cp in enumerate(checkpoints):
            problem = self._check_checkpoint(ws, cp, marks.get(int(cp.seq)))
            if problem is not None:
                return report.model_copy(update={"ok": False, "problem": problem, "checkpoints_checked": n})
        return report.model_copy(update={"checkpoints_checked": len(checkpoints)})

    def _check_checkpoint(self, ws: str, cp: Any, seen: tuple[str, str] | None) -> VerifyProblem | None:
        message = checkpoint_message(ws, int(cp.seq), cp.hash, cp.at)
        if not verify_signature(self.keyring.public_key, message, cp.signature):
            return VerifyProblem(
                seq=int(cp.seq),
                event_id=None,
                what="altered",
                detail=f"checkpoint {cp.id} at seq {cp.seq}: the Ed25519 signature does not verify",
            )
        if int(cp.seq) == 0:
            return None
        event_id: str | None
        stored: str | None
        if seen is not None and seen[0]:  # the event at cp.seq as the verifier read it
            event_id, stored = seen
        else:
            with self.store.read() as conn:
                row = conn.execute(
                    select(audit_events.c.id, audit_events.c.hash).where(
                        audit_events.c.workspace_id == ws, audit_events.c.seq == cp.seq
                    )
                ).first()
            event_id, stored = (row.id, row.hash) if row is not None else (None, None)
        if stored is None or stored != cp.hash:
            return VerifyProblem(
                seq=int(cp.seq),
                event_id=event_id,
                what="altered",
                detail=f"the chain at seq {cp.seq} does not match signed checkpoint {cp.id}",
            )
        return None

    def checkpoints(self, conn: Connection, ws: str) -> list[dict[str, Any]]:
        """Every signed checkpoint of a workspace, oldest first."""
        rows = conn.execute(
            select(audit_checkpoints)
            .where(audit_checkpoints.c.workspace_id == ws)
            .order_by(audit_checkpoints.c.seq)
        ).all()
        return [dict(r._mapping) for r in rows]
