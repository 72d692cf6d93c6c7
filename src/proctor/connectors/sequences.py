"""Outbound sequences: enrollments and their timed steps in a small SQLite file per workspace.

A step is due once its delay (counted from the enrollment, cumulative) has passed; only the
enrollment's next step is ever due, so one scheduler pass sends at most one step per enrollment.
Pausing keeps the future steps (resume makes them due again); cancelling retracts every future step.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
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
    created_at REAL NOT NULL
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
    PRIMARY KEY (enrollment_id, n)
);
"""


@dataclass(frozen=True, slots=True)
class DueStep:
    """One step ready to send: who, to whom, what."""

    enrollment_id: str
    n: int
    agent_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str


def _epoch(now: datetime | None) -> float:
    return (now or datetime.now(UTC)).timestamp()


class Sequences:
    """Implements SequenceConnector over one SQLite file (one workspace)."""

    name = NAME

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)

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
        now: datetime | None = None,
    ) -> Enrollment:
        """Enrol a record; each step is {delay_s, subject, body}, delays cumulative from now."""
        if not steps:
            raise ConnectorRejectedError("a sequence needs at least one step", connector=NAME)
        if not to or not sender:
            raise ConnectorRejectedError("a sequence needs `to` and `from`", connector=NAME)
        start = _epoch(now)
        enrollment_id = f"enr_{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO enrollments VALUES (?, ?, ?, ?, ?, ?, 'active', 0, NULL, ?)",
                (enrollment_id, sequence_id, record_id, agent_id, sender, json.dumps(list(to)), start),
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
        """The next step of every active enrollment whose time has come."""
        rows = self._db.execute(
            "SELECT e.id, e.agent_id, e.sender, e.recipients, s.n, s.subject, s.body"
            " FROM enrollments e JOIN steps s ON s.enrollment_id = e.id AND s.n = e.next_step"
            " WHERE e.status = 'active' AND s.status = 'pending' AND s.due_at <= ? ORDER BY s.due_at",
            (_epoch(now),),
        ).fetchall()
        return [
            DueStep(
                r["id"],
                int(r["n"]),
                r["agent_id"],
                r["sender"],
                tuple(json.loads(r["recipients"])),
                r["subject"],
                r["body"],
            )
            for r in rows
        ]

    def steps(self, enrollment_id: str) -> list[dict[str, Any]]:
        """Every step of an enrollment with its status (pending, sent, retracted)."""
        rows = self._db.execute(
            "SELECT n, subject, status, message_id FROM steps WHERE enrollment_id = ? ORDER BY n",
            (enrollment_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def mark_sent(self, enrollment_id: str, n: int, message_id: str, now: datetime | None = None) -> None:
        """Record step `n` as sent and advance; the enrollment finishes after its last step."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE steps SET status = 'sent', message_id = ?, sent_at = ?"
                " WHERE enrollment_id = ? AND n = ?",
                (message_id, _epoch(now), enrollment_id, n),
            )
            left = self._db.execute(
                "SELECT COUNT(*) FROM steps WHERE enrollment_id = ? AND status = 'pending'", (enrollment_id,)
            ).fetchone()[0]
            self._db.execute(
                "UPDATE enrollments SET next_step = ?, status = CASE WHEN ? = 0 AND status = 'active'"
                " THEN 'finished' ELSE status END WHERE id = ?",
                (n + 1, left, enrollment_id),
            )
            self._db.execute("COMMIT")


def _enrollment_id(params: dict[str, Any], target: dict[str, Any]) -> str:
    found = params.get("enrollment_id") or target.get("enrollment_id")
    if not found:
        raise ConnectorRejectedError("`enrollment_id` is required", connector=NAME)
    return str(found)


def run_action(
    sequences: Sequences, action: str, agent_id: str, params: dict[str, Any], target: dict[str, Any]
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
