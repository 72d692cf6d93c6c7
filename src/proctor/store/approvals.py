"""Approval rows: the queue, votes, single-use links, and the conditional updates that make claims atomic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from proctor.domain.errors import NotFoundError
from proctor.store.approval_tables import approval_links, approval_votes, approvals
from proctor.store.engine import Store
from proctor.store.tables import actions

Row = dict[str, Any]


def _row(row: Any) -> Row | None:
    return dict(row._mapping) if row is not None else None


def pending_without_approval(conn: Connection, ws: str | None, limit: int = 500) -> list[Row]:
    """Actions waiting for a human that have no approval row yet (the gate queues them; we pick them up)."""
    stmt = (
        select(actions)
        .outerjoin(approvals, approvals.c.action_id == actions.c.id)
        .where(actions.c.status == "pending_approval", approvals.c.id.is_(None))
    )
    if ws is not None:
        stmt = stmt.where(actions.c.workspace_id == ws)
    rows = conn.execute(stmt.order_by(actions.c.created_at).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


_INSERT_APPROVAL: dict[str, Any] = {}  # dialect -> INSERT … ON CONFLICT (action_id) DO NOTHING, built once


def insert_approval(store: Store, conn: Connection, values: Row) -> bool:
    """Create the approval of one action; False when another process created it first."""
    stmt = _INSERT_APPROVAL.get(store.dialect)
    if stmt is None:
        stmt = _INSERT_APPROVAL[store.dialect] = store.insert_ignore(approvals, ["action_id"])
    # values as parameters of one prepared statement: no statement building or cache key per row
    result = conn.execute(stmt, values)
    return bool(result.rowcount)


def get(conn: Connection, ws: str, approval_id: str, *, lock: bool = False) -> Row:
    """One approval of this workspace by approval id or action id; NotFoundError otherwise."""
    column = approvals.c.action_id if approval_id.startswith("act_") else approvals.c.id
    stmt = select(approvals).where(approvals.c.workspace_id == ws, column == approval_id)
    found = _row(conn.execute(stmt.with_for_update() if lock else stmt).first())
    if found is None:
        raise NotFoundError(f"no approval {approval_id}")
    return found


def get_any(conn: Connection, approval_id: str) -> Row | None:
    """One approval in any workspace (workers and signed links carry their workspace elsewhere)."""
    return _row(conn.execute(select(approvals).where(approvals.c.id == approval_id)).first())


def list_approvals(
    conn: Connection,
    ws: str,
    *,
    status: str | None = None,
    batch_id: str | None = None,
    ids: list[str] | None = None,
    limit: int = 100,
) -> list[Row]:
    """Approvals of this workspace, oldest first (the queue order)."""
    stmt = select(approvals).where(approvals.c.workspace_id == ws)
    if status is not None:
        stmt = stmt.where(approvals.c.status == status)
    if batch_id is not None:
        stmt = stmt.where(approvals.c.batch_id == batch_id)
    if ids is not None:
        stmt = stmt.where(approvals.c.id.in_(ids))
    rows = conn.execute(stmt.order_by(approvals.c.created_at, approvals.c.id).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def votes(conn: Connection, approval_id: str) -> list[Row]:
    """Every vote on one approval, oldest first."""
    rows = conn.execute(
        select(approval_votes)
        .where(approval_votes.c.approval_id == approval_id)
        .order_by(approval_votes.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def add_vote(store: Store, conn: Connection, values: Row) -> bool:
    """Record a vote; False when this person already voted on this exact content (counts once)."""
    stmt = store.insert_ignore(approval_votes, ["approval_id", "user_id", "content_hash"])
    return bool(conn.execute(stmt.values(**values)).rowcount)


def transition(conn: Connection, approval_id: str, old: tuple[str, ...], new: str, **values: Any) -> bool:
    """Atomic conditional UPDATE: move to `new` only from one of `old`; True when this call won."""
    result = conn.execute(
        update(approvals)
        .where(approvals.c.id == approval_id, approvals.c.status.in_(old))
        .values(status=new, **values)
    )
    return result.rowcount == 1


def change(conn: Connection, approval_id: str, **values: Any) -> None:
    """Update fields of one approval (the caller holds its lock)."""
    conn.execute(update(approvals).where(approvals.c.id == approval_id).values(**values))


def claim(conn: Connection, approval_id: str, worker: str, at: str) -> bool:
    """approved → executing WHERE status = approved: exactly one claimer gets rowcount 1."""
    return transition(
        conn,
        approval_id,
        ("approved",),
        "executing",
        claimed_by=worker,
        claimed_at=at,
        updated_at=at,
        attempts=approvals.c.attempts + 1,
    )


def reclaim(conn: Connection, row: Row, worker: str, at: str) -> bool:
    """Take over an `executing` claim whose holder stopped (compare-and-set on the old holder and time)."""
    result = conn.execute(
        update(approvals)
        .where(
            approvals.c.id == row["id"],
            approvals.c.status == "executing",
            approvals.c.claimed_by == row["claimed_by"],
            approvals.c.claimed_at == row["claimed_at"],
        )
        .values(claimed_by=worker, claimed_at=at, updated_at=at, attempts=approvals.c.attempts + 1)
    )
    return result.rowcount == 1


def finish(conn: Connection, approval_id: str, worker: str, status: str, at: str, reason: str | None) -> bool:
    """executing → executed|failed|cancelled, only by the worker that holds the claim."""
    result = conn.execute(
        update(approvals)
        .where(
            approvals.c.id == approval_id,
            approvals.c.status == "executing",
            approvals.c.claimed_by == worker,
        )
        .values(status=status, updated_at=at, reason=reason if reason is not None else approvals.c.reason)
    )
    return result.rowcount == 1


def by_status(conn: Connection, status: str, limit: int = 100) -> list[Row]:
    """Approvals in one status across workspaces (the worker's scan), oldest first."""
    rows = conn.execute(
        select(approvals).where(approvals.c.status == status).order_by(approvals.c.updated_at).limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def stale_claims(conn: Connection, before: str, limit: int = 100) -> list[Row]:
    """`executing` approvals claimed before `before` (their worker is presumed gone)."""
    rows = conn.execute(
        select(approvals)
        .where(approvals.c.status == "executing", approvals.c.claimed_at <= before)
        .order_by(approvals.c.claimed_at)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def overdue(conn: Connection, now: str, limit: int = 500) -> list[Row]:
    """Pending approvals whose time ran out."""
    rows = conn.execute(
        select(approvals)
        .where(approvals.c.status == "pending", approvals.c.expires_at <= now)
        .order_by(approvals.c.expires_at)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def unnotified(conn: Connection, limit: int = 100) -> list[Row]:
    """Pending approvals nobody was told about yet."""
    rows = conn.execute(
        select(approvals)
        .where(approvals.c.status == "pending", approvals.c.notified_at.is_(None))
        .order_by(approvals.c.created_at)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def claim_notification(conn: Connection, approval_id: str, at: str) -> bool:
    """Mark an approval notified; True for the one process that gets to send the notifications."""
    result = conn.execute(
        update(approvals)
        .where(approvals.c.id == approval_id, approvals.c.notified_at.is_(None))
        .values(notified_at=at)
    )
    return result.rowcount == 1


def set_action(conn: Connection, ws: str, action_id: str, old: tuple[str, ...], **values: Any) -> bool:
    """Conditional update of the governed action's row (status, outcome, request, decision)."""
    result = conn.execute(
        update(actions)
        .where(actions.c.workspace_id == ws, actions.c.id == action_id, actions.c.status.in_(old))
        .values(**values)
    )
    return result.rowcount == 1


def insert_link(conn: Connection, values: Row) -> None:
    """Remember an issued signed link (its id is the token's nonce)."""
    conn.execute(insert(approval_links).values(**values))


def use_link(conn: Connection, link_id: str, at: str) -> bool:
    """Spend a link: True exactly once, for the first use before anyone else."""
    result = conn.execute(
        update(approval_links)
        .where(and_(approval_links.c.id == link_id, approval_links.c.used_at.is_(None)))
        .values(used_at=at)
    )
    return result.rowcount == 1


def get_link(conn: Connection, link_id: str) -> Row | None:
    """One issued link."""
    return _row(conn.execute(select(approval_links).where(approval_links.c.id == link_id)).first())


def batch_votes(conn: Connection, ws: str, action_ids: list[str]) -> list[Row]:
    """Every vote cast in a batch on the approvals of these actions, oldest first, in one query."""
    if not action_ids:
        return []
    stmt = (
        select(
            approval_votes,
            approvals.c.action_id,
            approvals.c.action,
        )
        .join(approvals, approvals.c.id == approval_votes.c.approval_id)
        .where(
            approvals.c.workspace_id == ws,
            approvals.c.action_id.in_(action_ids),
            approval_votes.c.via == "batch",
        )
        .order_by(approval_votes.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(stmt).all()]
