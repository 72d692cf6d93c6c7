"""Submitted actions: insert, idempotency lookup, status and outcome; scoped by workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from proctor.domain.errors import NotFoundError
from proctor.store.tables import actions


def insert_action(conn: Connection, values: dict[str, Any]) -> None:
    """Insert one action row."""
    conn.execute(insert(actions).values(**values))


def find_by_idempotency(conn: Connection, ws: str, agent_id: str, key: str) -> dict[str, Any] | None:
    """The action an agent already submitted with this idempotency key, if any."""
    row = conn.execute(
        select(actions).where(
            actions.c.workspace_id == ws, actions.c.agent_id == agent_id, actions.c.idempotency_key == key
        )
    ).first()
    return dict(row._mapping) if row is not None else None


def get_action(conn: Connection, ws: str, action_id: str, *, lock: bool = False) -> dict[str, Any]:
    """One action of this workspace, or NotFoundError (other workspaces' actions are never revealed)."""
    stmt = select(actions).where(actions.c.workspace_id == ws, actions.c.id == action_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFoundError(f"no action {action_id}")
    return dict(row._mapping)


def set_result(
    conn: Connection,
    ws: str,
    action_id: str,
    *,
    status: str,
    at: str,
    outcome: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Record an action's new status with its outcome and before/after changes."""
    conn.execute(
        update(actions)
        .where(actions.c.workspace_id == ws, actions.c.id == action_id)
        .values(status=status, outcome=outcome, changes=changes, updated_at=at)
    )


def list_actions(
    conn: Connection, ws: str, *, status: str | None = None, run_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Recent actions of this workspace, newest first."""
    stmt = select(actions).where(actions.c.workspace_id == ws)
    if status is not None:
        stmt = stmt.where(actions.c.status == status)
    if run_id is not None:
        stmt = stmt.where(actions.c.run_id == run_id)
    rows = conn.execute(stmt.order_by(actions.c.created_at.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def claim(conn: Connection, ws: str, action_id: str, at: str) -> bool:
    """Claim an allowed or approved action for execution (→ executing); True for the one winner."""
    done = conn.execute(
        update(actions)
        .where(
            actions.c.workspace_id == ws,
            actions.c.id == action_id,
            actions.c.status.in_(("allowed", "approved")),
        )
        .values(status="executing", updated_at=at)
    )
    return bool(done.rowcount)


def record_attempt(conn: Connection, ws: str, action_id: str, outcome: dict[str, Any], at: str) -> None:
    """Record a send attempt on an executing action before the send (what a crash would leave behind)."""
    conn.execute(
        update(actions)
        .where(actions.c.workspace_id == ws, actions.c.id == action_id, actions.c.status == "executing")
        .values(outcome=outcome, updated_at=at)
    )


def stale_executing(conn: Connection, before: str, limit: int = 100) -> list[dict[str, Any]]:
    """Actions of any workspace `executing` with nothing recorded since `before` (process maybe gone)."""
    rows = conn.execute(
        select(actions)
        .where(actions.c.status == "executing", actions.c.updated_at <= before)
        .order_by(actions.c.updated_at)
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def settle_unknown(
    conn: Connection,
    ws: str,
    action_id: str,
    before: str,
    outcome: dict[str, Any],
    at: str,
    changes: dict[str, Any] | None = None,
) -> bool:
    """Mark a still-stale executing action `outcome_unknown` (conditional UPDATE): True for the one winner."""
    done = conn.execute(
        update(actions)
        .where(
            actions.c.workspace_id == ws,
            actions.c.id == action_id,
            actions.c.status == "executing",
            actions.c.updated_at <= before,
        )
        .values(status="outcome_unknown", outcome=outcome, changes=changes, updated_at=at)
    )
    return bool(done.rowcount)


def policy_versions(conn: Connection, ws: str) -> list[dict[str, Any]]:
    """Each policy version a workspace's actions were decided under: first/last seen and how many."""
    query = (
        select(
            actions.c.policy_version,
            func.min(actions.c.created_at).label("first_seen"),
            func.max(actions.c.created_at).label("last_seen"),
            func.count().label("decisions"),
        )
        .where(actions.c.workspace_id == ws)
        .group_by(actions.c.policy_version)
        .order_by(func.max(actions.c.created_at).desc())
    )
    return [dict(r._mapping) for r in conn.execute(query)]
