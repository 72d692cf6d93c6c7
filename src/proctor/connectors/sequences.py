"""Outbound sequences: enrollments and their timed steps in a small SQLite file per workspace.

A step is due once its delay (counted from the enrollment, cumulative) has passed; only the
enrollment's next step is ever due, so one scheduler pass sends at most one step per enrollment.
Pausing keeps the future steps (resume makes them due again); cancelling retracts every future step.
Time comes from an injectable clock. A step is `pending` until it is `sent`, `skipped` (the policy,
an approver or a pause said no), `failed` or `unknown` (never re-sent), or `retracted` by a cancel;
each step remembers the gate action that sends it, so a step is never submitted twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from proctor.connectors.base import Enrollment
from proctor.connectors.errors import ConnectorRejectedError, RecordNotFoundError

NAME = "sequences"
Status = Literal["active", "paused", "cancelled", "finished"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS enrollments (
    id TEXT PRIMARY KEY,
    sequence_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    status TEXT NOT NULL,
    next_step INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    created_at REAL NOT NULL,
    action_id TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    enrollment_id TEXT NOT NULL REFERENCES enrollments(id),
    n INTEGER NOT NULL,
    due_at REAL NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    message_id TEXT,
    sent_at REAL,
    action_id TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    noted TEXT,
    PRIMARY KEY (enrollment_id, n)
);
"""
# Columns added after the first release: (table, column, declaration) for files created before them.
_ADDED = (
    ("enrollments", "action_id", "TEXT"),
    ("steps", "action_id", "TEXT"),
    ("steps", "attempt", "INTEGER NOT NULL DEFAULT 0"),
    ("steps", "reason", "TEXT"),
    ("steps", "noted", "TEXT"),
)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class DueStep:
    """One step whose time has come: who, to whom, what, and where its enrollment and send stand."""

    enrollment_id: str
    n: int
    agent_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    sequence_id: str = ""
    record_id: str = ""
    steps: int = 1  # how many steps the enrollment has
    status: str = "active"  # the enrollment's status when the step was read
    reason: str | None = None  # why the enrollment is paused, when it is
    enrolled_by: str | None = None  # the gate action that enrolled the record
    action_id: str | None = None  # the gate action sending this step, once submitted
    attempt: int = 0

    def note_key(self) -> str:
        """What a skip of this step is noted under (one audit event per enrollment state)."""
        return f"{self.status}:{self.reason or ''}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sequences:
    """Implements SequenceConnector over one SQLite file (one workspace)."""

    name = NAME

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or _utc_now
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        for table, column, declaration in _ADDED:
            have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def _epoch(self, now: datetime | None) -> float:
        return (now or self.clock()).timestamp()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def enroll(
        self,
        record_id: str,
        sequence_id: str,
        *,
        to: tuple[str, ...] = (),
        sender: str = "",
        steps: list[dict[str, Any]] | None = None,
        agent_id: str = "",
        action_id: str | None = None,
        now: datetime | None = None,
    ) -> Enrollment:
        """Enrol a record (by gate action `action_id`); steps: {delay_s, subject, body}, delays cumulative."""
        if not steps:
            raise ConnectorRejectedError("a sequence needs at least one step", connector=NAME)
        if not to or not sender:
            raise ConnectorRejectedError("a sequence needs `to` and `from`", connector=NAME)
        start = self._epoch(now)
        enrollment_id = f"enr_{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO enrollments (id, sequence_id, record_id, agent_id, sender, recipients,"
                " status, next_step, reason, created_at, action_id)"
                " VALUES (?, ?, ?, ?, ?, ?, 'active', 0, NULL, ?, ?)",
                (
                    enrollment_id,
                    sequence_id,
                    record_id,
                    agent_id,
                    sender,
                    json.dumps(list(to)),
                    start,
                    action_id,
                ),
            )
            due = start
            for n, step in enumerate(steps):
                due += float(step.get("delay_s") or 0)
                self._db.execute(
                    "INSERT INTO steps (enrollment_id, n, due_at, subject, body) VALUES (?, ?, ?, ?, ?)",
                    (enrollment_id, n, due, str(step.get("subject") or ""), str(step.get("body") or "")),
                )
            self._db.execute("COMMIT")
        return self.get(enrollment_id)

    def get(self, enrollment_id: str) -> Enrollment:
        """The enrollment; RecordNotFoundError when absent."""
        row = self._db.execute("SELECT * FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
        if row is None:
            raise RecordNotFoundError(f"no enrollment {enrollment_id}", connector=NAME)
        return Enrollment(
            enrollment_id=row["id"],
            sequence_id=row["sequence_id"],
            record_id=row["record_id"],
            status=cast(Status, row["status"]),
            next_step=int(row["next_step"]),
        )

    def _set(
        self, enrollment_id: str, status: Status, allowed: tuple[str, ...], reason: str | None
    ) -> Enrollment:
        current = self.get(enrollment_id)
        if current.status not in allowed:
            raise ConnectorRejectedError(
                f"enrollment {enrollment_id} is {current.status}: cannot become {status}", connector=NAME
            )
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE enrollments SET status = ?, reason = ? WHERE id = ?", (status, reason, enrollment_id)
            )
            if status == "cancelled":
                self._db.execute(
                    "UPDATE steps SET status = 'retracted' WHERE enrollment_id = ? AND status = 'pending'",
                    (enrollment_id,),
                )
            elif status == "active":  # a later pause is reported again
                self._db.execute("UPDATE steps SET noted = NULL WHERE enrollment_id = ?", (enrollment_id,))
            self._db.execute("COMMIT")
        return self.get(enrollment_id)

    def pause(self, enrollment_id: str, reason: str | None = None) -> Enrollment:
        """Pause future steps (idempotent for a paused enrollment)."""
        return self._set(enrollment_id, "paused", ("active", "paused"), reason)

    def resume(self, enrollment_id: str) -> Enrollment:
        """Resume a paused enrollment: its pending steps become due again."""
        return self._set(enrollment_id, "active", ("paused", "active"), None)

    def cancel(self, enrollment_id: str) -> Enrollment:
        """Cancel: every future step is retracted for good (steps already sent stay sent)."""
        return self._set(enrollment_id, "cancelled", ("active", "paused", "cancelled"), None)

    def due(self, now: datetime | None = None) -> list[DueStep]:
        """The next step of every enrollment whose time has come: active ones, and paused or cancelled ones
        whose current state has not been noted on the step yet (so each skip is reported once)."""
        rows = self._db.execute(
            "SELECT e.id, e.agent_id, e.sender, e.recipients, e.sequence_id, e.record_id,"
            " e.status AS e_status, e.reason AS e_reason, e.action_id AS enrolled_by,"
            " s.n, s.subject, s.body, s.action_id,"
            " s.attempt, (SELECT COUNT(*) FROM steps c WHERE c.enrollment_id = e.id) AS total"
            " FROM enrollments e JOIN steps s ON s.enrollment_id = e.id AND s.n = e.next_step"
            " WHERE s.due_at <= ? AND ("
            "   (e.status = 'active' AND s.status = 'pending')"
            "   OR (e.status IN ('paused', 'cancelled') AND s.status IN ('pending', 'retracted')"
            "       AND s.noted IS NOT (e.status || ':' || COALESCE(e.reason, ''))))"
            " ORDER BY s.due_at",
            (self._epoch(now),),
        ).fetchall()
        return [
            DueStep(
                enrollment_id=r["id"],
                n=int(r["n"]),
                agent_id=r["agent_id"],
                sender=r["sender"],
                to=tuple(json.loads(r["recipients"])),
                subject=r["subject"],
                body=r["body"],
                sequence_id=r["sequence_id"],
                record_id=r["record_id"],
                steps=int(r["total"]),
                status=r["e_status"],
                reason=r["e_reason"],
                enrolled_by=r["enrolled_by"],
                action_id=r["action_id"],
                attempt=int(r["attempt"]),
            )
            for r in rows
        ]

    def steps(self, enrollment_id: str) -> list[dict[str, Any]]:
        """Every step of an enrollment: status (pending, sent, skipped, failed, unknown, retracted), why."""
        rows = self._db.execute(
            "SELECT n, subject, status, message_id, action_id, attempt, reason FROM steps"
            " WHERE enrollment_id = ? ORDER BY n",
            (enrollment_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def attach(self, enrollment_id: str, n: int, action_id: str) -> None:
        """Remember the gate action that sends step `n` (later passes follow it instead of resubmitting)."""
        with self._lock:
            self._db.execute(
                "UPDATE steps SET action_id = ? WHERE enrollment_id = ? AND n = ?",
                (action_id, enrollment_id, n),
            )

    def retry(self, enrollment_id: str, n: int, due_at: datetime) -> None:
        """Forget step `n`'s action so that a fresh attempt is submitted at `due_at`."""
        with self._lock:
            self._db.execute(
                "UPDATE steps SET action_id = NULL, attempt = attempt + 1, due_at = ?"
                " WHERE enrollment_id = ? AND n = ?",
                (due_at.timestamp(), enrollment_id, n),
            )

    def note(self, enrollment_id: str, n: int, key: str) -> None:
        """Record that step `n`'s skip under this enrollment state was reported."""
        with self._lock:
            self._db.execute(
                "UPDATE steps SET noted = ? WHERE enrollment_id = ? AND n = ?", (key, enrollment_id, n)
            )

    def mark_sent(self, enrollment_id: str, n: int, message_id: str, now: datetime | None = None) -> None:
        """Record step `n` as sent and advance; the enrollment finishes after its last step."""
        self._close(enrollment_id, n, "sent", None, message_id=message_id, now=now)

    def skip(self, enrollment_id: str, n: int, reason: str) -> None:
        """Step `n` will not be sent (denied, rejected, expired): record why and move to the next step."""
        self._close(enrollment_id, n, "skipped", reason)

    def halt(self, enrollment_id: str, n: int, status: Literal["failed", "unknown"], reason: str) -> None:
        """Step `n` failed or its outcome is unknown: never re-send it; pause the enrollment for a person."""
        self._close(enrollment_id, n, status, reason, pause=True)

    def _close(
        self,
        enrollment_id: str,
        n: int,
        status: str,
        reason: str | None,
        *,
        message_id: str | None = None,
        now: datetime | None = None,
        pause: bool = False,
    ) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            sent_at = self._epoch(now) if status == "sent" else None
            self._db.execute(
                "UPDATE steps SET status = ?, reason = ?, message_id = ?, sent_at = ?"
                " WHERE enrollment_id = ? AND n = ?",
                (status, reason, message_id, sent_at, enrollment_id, n),
            )
            left = self._db.execute(
                "SELECT COUNT(*) FROM steps WHERE enrollment_id = ? AND status = 'pending'", (enrollment_id,)
            ).fetchone()[0]
            self._db.execute(
                "UPDATE enrollments SET next_step = ?, status = CASE"
                " WHEN ? = 0 AND status IN ('active', 'paused') THEN 'finished'"
                " WHEN ? AND status = 'active' THEN 'paused' ELSE status END,"
                " reason = CASE WHEN ? THEN ? ELSE reason END WHERE id = ?",
                (n + 1, left, pause, pause, f"step {n + 1}: {reason}", enrollment_id),
            )
            self._db.execute("COMMIT")


def _enrollment_id(params: dict[str, Any], target: dict[str, Any]) -> str:
    found = params.get("enrollment_id") or target.get("enrollment_id")
    if not found:
        raise ConnectorRejectedError("`enrollment_id` is required", connector=NAME)
    return str(found)


def run_action(
    sequences: Sequences,
    action: str,
    agent_id: str,
    params: dict[str, Any],
    target: dict[str, Any],
    action_id: str | None = None,
) -> dict[str, Any]:
    """Run a sequence action; `sequence.pause` with `resume: true` (or `action: resume`) resumes."""
    if action == "sequence.enroll":
        steps = params.get("steps")
        if not steps:
            steps = [{"delay_s": 0, "subject": params.get("subject"), "body": params.get("body")}]
        to = params.get("to")
        recipients = (to,) if isinstance(to, str) else tuple(str(a) for a in (to or ()))
        enrollment = sequences.enroll(
            str(params.get("record_id") or target.get("record_id") or ""),
            str(params.get("sequence_id") or "default"),
            to=recipients,
            sender=str(params.get("from") or params.get("from_") or ""),
            steps=[dict(s) for s in steps],
            agent_id=agent_id,
            action_id=action_id,
        )
    elif action == "sequence.pause":
        enrollment_id = _enrollment_id(params, target)
        if params.get("resume") is True or params.get("action") == "resume":
            enrollment = sequences.resume(enrollment_id)
        else:
            enrollment = sequences.pause(enrollment_id, reason=f"paused by {agent_id}")
    elif action == "sequence.cancel":
        enrollment = sequences.cancel(_enrollment_id(params, target))
    else:
        raise ConnectorRejectedError(f"no sequence action {action!r}", connector=NAME)
    return {
        "ok": True,
        "connector": NAME,
        "enrollment_id": enrollment.enrollment_id,
        "sequence_id": enrollment.sequence_id,
        "record_id": enrollment.record_id,
        "status": enrollment.status,
        "next_step": enrollment.next_step,
    }
