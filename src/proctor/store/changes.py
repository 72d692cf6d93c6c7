"""Recorded connector changes (before/after + inverse; irreversible sends): scope queries, revert marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from proctor.domain.audit import utc_stamp
from proctor.domain.errors import RequestError
from proctor.store.tables import changes

INSERT_CHANGE = insert(changes)
SCOPES = ("action", "run", "batch", "agent")


def in_scope(
    conn: Connection,
    ws: str,
    scope: str,
    ref: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100_000,
) -> list[dict[str, Any]]:
    """The change rows of one action, run, approval batch, or agent (in [since, until)), newest first."""
    c = changes.c
    stmt = select(changes).where(c.workspace_id == ws)
    if scope == "action":
        stmt = stmt.where(c.action_id == ref)
    elif scope == "run":
        stmt = stmt.where(c.run_id == ref)
    elif scope == "batch":
        stmt = stmt.where(c.batch_id == ref)
    elif scope == "agent":
        stmt = stmt.where(c.agent_id == ref)
        if since is not None:
            stmt = stmt.where(c.at >= utc_stamp(since))
        if until is not None:
            stmt = stmt.where(c.at < utc_stamp(until))
    else:
        raise RequestError(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    rows = conn.execute(stmt.order_by(c.at.desc(), c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def mark_reverted(conn: Connection, ws: str, change_id: int, rollback_id: str, at: str) -> None:
    """Mark one change as reverted by a rollback."""
    conn.execute(
        update(changes)
        .where(changes.c.workspace_id == ws, changes.c.id == change_id)
        .values(reverted_at=at, reverted_by=rollback_id)
    )


def for_action(conn: Connection, ws: str, action_id: str) -> list[dict[str, Any]]:
    """The change rows of one action, oldest first."""
    rows = conn.execute(
        select(changes)
        .where(changes.c.workspace_id == ws, changes.c.action_id == action_id)
        .order_by(changes.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert change rows (outside the group-commit writer, e.g. for a reconciled send)."""
    if rows:
        conn.execute(INSERT_CHANGE, rows)
