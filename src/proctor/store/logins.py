"""Console sign-in rows: a user's local password hash and linked OIDC identity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from proctor.domain.errors import NotFoundError
from proctor.store.tables import user_logins, users, workspaces


def _upsert(conn: Connection, ws: str, user_id: str, at: str, **values: Any) -> None:
    found = conn.execute(select(user_logins.c.user_id).where(user_logins.c.user_id == user_id)).first()
    if found is None:
        conn.execute(insert(user_logins).values(user_id=user_id, workspace_id=ws, updated_at=at, **values))
    else:
        conn.execute(
            update(user_logins).where(user_logins.c.user_id == user_id).values(updated_at=at, **values)
        )


def set_password_hash(conn: Connection, ws: str, user_id: str, password_hash: str | None, at: str) -> None:
    """Store (or clear, with None) the password hash of a user of `ws`."""
    row = conn.execute(select(users.c.id).where(users.c.workspace_id == ws, users.c.id == user_id)).first()
    if row is None:
        raise NotFoundError(f"no user {user_id}")
    _upsert(conn, ws, user_id, at, password_hash=password_hash)


def link_oidc(conn: Connection, ws: str, user_id: str, issuer: str, subject: str, at: str) -> None:
    """Remember that OIDC (`issuer`, `subject`) signs in as this user."""
    _upsert(conn, ws, user_id, at, oidc_issuer=issuer, oidc_subject=subject)


def candidates(conn: Connection, email: str) -> list[dict[str, Any]]:
    """Every user with this email (any workspace), with the workspace name and password hash."""
    query = (
        select(
            users.c.id,
            users.c.workspace_id,
            users.c.email,
            users.c.name,
            users.c.roles,
            users.c.timezone,
            workspaces.c.name.label("workspace_name"),
            user_logins.c.password_hash,
        )
        .join(workspaces, workspaces.c.id == users.c.workspace_id)
        .outerjoin(user_logins, user_logins.c.user_id == users.c.id)
        .where(users.c.email == email)
        .order_by(workspaces.c.name)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def by_oidc(conn: Connection, issuer: str, subject: str) -> dict[str, Any] | None:
    """The user linked to this OIDC identity, or None."""
    query = (
        select(users, workspaces.c.name.label("workspace_name"))
        .join(user_logins, user_logins.c.user_id == users.c.id)
        .join(workspaces, workspaces.c.id == users.c.workspace_id)
        .where(user_logins.c.oidc_issuer == issuer, user_logins.c.oidc_subject == subject)
    )
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def session_user(conn: Connection, ws: str, user_id: str) -> dict[str, Any] | None:
    """The current row of a signed-in user (roles may have changed since sign-in), or None."""
    query = (
        select(users, workspaces.c.name.label("workspace_name"))
        .join(workspaces, workspaces.c.id == users.c.workspace_id)
        .where(users.c.workspace_id == ws, users.c.id == user_id)
    )
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def spend_link(conn: Connection, ws: str, user_id: str, issued: str) -> bool:
    """Mark a sign-in link issued at `issued` as used; False when it (or a newer one) was used already."""
    used = conn.execute(select(user_logins.c.link_used_at).where(user_logins.c.user_id == user_id)).first()
    if used is not None and used[0] is not None and used[0] >= issued:
        return False
    if used is None:
        _upsert(conn, ws, user_id, issued, link_used_at=issued)
    else:
        conn.execute(update(user_logins).where(user_logins.c.user_id == user_id).values(link_used_at=issued))
    return True
