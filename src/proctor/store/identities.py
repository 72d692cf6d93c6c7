"""Workspaces, agents, users, API keys / personal tokens and delegations; every query scoped by workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, insert, select, update

from proctor.domain.audit import utc_stamp
from proctor.domain.errors import AuthError, NotFoundError
from proctor.domain.identity import (
    Agent,
    ApiKey,
    Delegation,
    User,
    Workspace,
    hash_secret,
    new_id,
    new_secret,
    parse_prefix,
    secret_matches,
)
from proctor.store.tables import agents, api_keys, delegations, users, workspaces


def create_workspace(conn: Connection, name: str, at: str) -> Workspace:
    """Insert a workspace."""
    ws = Workspace(id=new_id("ws"), name=name, created_at=at)
    conn.execute(insert(workspaces).values(**ws.model_dump()))
    return ws


def get_workspace(conn: Connection, ws: str) -> Workspace:
    """One workspace, or NotFoundError."""
    row = conn.execute(select(workspaces).where(workspaces.c.id == ws)).first()
    if row is None:
        raise NotFoundError(f"no workspace {ws}")
    return Workspace.model_validate(dict(row._mapping))


def create_agent(conn: Connection, ws: str, name: str, at: str) -> Agent:
    """Insert an active agent."""
    agent = Agent(id=new_id("agt"), workspace_id=ws, name=name, created_at=at)
    conn.execute(insert(agents).values(**agent.model_dump()))
    return agent


def get_agent(conn: Connection, ws: str, agent_id: str, *, lock: bool = False) -> Agent:
    """One agent of this workspace, or NotFoundError."""
    stmt = select(agents).where(agents.c.workspace_id == ws, agents.c.id == agent_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFoundError(f"no agent {agent_id}")
    return Agent.model_validate(dict(row._mapping))


def list_agents(conn: Connection, ws: str) -> list[Agent]:
    """Every agent of this workspace."""
    rows = conn.execute(select(agents).where(agents.c.workspace_id == ws).order_by(agents.c.created_at))
    return [Agent.model_validate(dict(r._mapping)) for r in rows]


def set_agent_status(conn: Connection, ws: str, agent_id: str, status: str, reason: str | None) -> Agent:
    """Change an agent's status (active, quarantined, disabled)."""
    get_agent(conn, ws, agent_id, lock=True)
    conn.execute(
        update(agents)
        .where(agents.c.workspace_id == ws, agents.c.id == agent_id)
        .values(status=status, status_reason=reason)
    )
    return get_agent(conn, ws, agent_id)


def create_user(
    conn: Connection, ws: str, email: str, name: str, roles: list[str], timezone: str | None, at: str
) -> User:
    """Insert a user with roles."""
    user = User.model_validate(
        {
            "id": new_id("usr"),
            "workspace_id": ws,
            "email": email,
            "name": name,
            "roles": roles,
            "timezone": timezone,
            "created_at": at,
        }
    )
    conn.execute(insert(users).values(**user.model_dump(mode="json")))
    return user


def get_user(conn: Connection, ws: str, user_id: str) -> User:
    """One user of this workspace, or NotFoundError."""
    row = conn.execute(select(users).where(users.c.workspace_id == ws, users.c.id == user_id)).first()
    if row is None:
        raise NotFoundError(f"no user {user_id}")
    return User.model_validate(dict(row._mapping))


def list_users(conn: Connection, ws: str) -> list[User]:
    """Every user of this workspace."""
    rows = conn.execute(select(users).where(users.c.workspace_id == ws).order_by(users.c.created_at))
    return [User.model_validate(dict(r._mapping)) for r in rows]


def issue_key(
    conn: Connection, ws: str, kind: Literal["agent", "user"], owner_id: str, scopes: list[str], at: str
) -> tuple[ApiKey, str]:
    """Create a key; returns its metadata and the raw secret (shown once, stored only as a hash)."""
    prefix, raw = new_secret(kind)
    meta = ApiKey(
        id=new_id("key"),
        workspace_id=ws,
        owner_kind=kind,
        owner_id=owner_id,
        prefix=prefix,
        scopes=scopes,
        created_at=at,
    )
    conn.execute(insert(api_keys).values(**meta.model_dump(), secret_hash=hash_secret(raw)))
    return meta, raw


def list_keys(conn: Connection, ws: str, owner_id: str) -> list[ApiKey]:
    """The keys of one agent or user (metadata only)."""
    rows = conn.execute(
        select(api_keys).where(api_keys.c.workspace_id == ws, api_keys.c.owner_id == owner_id)
    )
    return [ApiKey.model_validate(dict(r._mapping)) for r in rows]


def revoke_key(conn: Connection, ws: str, key_id: str, at: str) -> ApiKey:
    """Revoke a key of this workspace (idempotent)."""
    row = conn.execute(select(api_keys).where(api_keys.c.workspace_id == ws, api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFoundError(f"no key {key_id}")
    if row.revoked_at is None:
        conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=at))
    return ApiKey.model_validate({**dict(row._mapping), "revoked_at": row.revoked_at or at})


def find_key(conn: Connection, raw: str, kind: Literal["agent", "user"]) -> tuple[ApiKey, dict[str, Any]]:
    """The live key matching a raw bearer secret and its owner row; AuthError otherwise."""
    prefix = parse_prefix(raw.strip())
    expected = "pa" if kind == "agent" else "pu"
    if prefix is None or not raw.strip().startswith(expected + "_"):
        raise AuthError(f"not a valid {kind} credential")
    row = conn.execute(select(api_keys).where(api_keys.c.prefix == prefix)).first()
    if row is None or not secret_matches(raw.strip(), row.secret_hash) or row.owner_kind != kind:
        raise AuthError(f"unknown {kind} credential")
    if row.revoked_at is not None:
        raise AuthError(f"{kind} credential {row.id} was revoked")
    table = agents if kind == "agent" else users
    owner = conn.execute(
        select(table).where(table.c.workspace_id == row.workspace_id, table.c.id == row.owner_id)
    ).first()
    if owner is None:
        raise AuthError(f"the owner of credential {row.id} no longer exists")
    return ApiKey.model_validate(dict(row._mapping)), dict(owner._mapping)


def _delegation(row: Any) -> Delegation:
    data = dict(row._mapping)
    data["expires_at"] = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
    return Delegation.model_validate(data)


def create_delegation(
    conn: Connection,
    ws: str,
    user_id: str,
    agent_id: str,
    scopes: list[str],
    expires_at: datetime,
    constraints: list[dict[str, str]],
    at: str,
) -> Delegation:
    """Insert a delegation after checking that user and agent belong to this workspace."""
    get_user(conn, ws, user_id)
    get_agent(conn, ws, agent_id)
    dlg_id = new_id("dlg")
    values = {
        "id": dlg_id,
        "workspace_id": ws,
        "user_id": user_id,
        "agent_id": agent_id,
        "scopes": scopes,
        "constraints": constraints,
        "expires_at": utc_stamp(expires_at),
        "created_at": at,
    }
    conn.execute(insert(delegations).values(**values))
    return _delegation(conn.execute(select(delegations).where(delegations.c.id == dlg_id)).one())


def revoke_delegation(conn: Connection, ws: str, dlg_id: str, at: str) -> Delegation:
    """Revoke a delegation of this workspace (idempotent)."""
    row = conn.execute(
        select(delegations).where(delegations.c.workspace_id == ws, delegations.c.id == dlg_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no delegation {dlg_id}")
    if row.revoked_at is None:
        conn.execute(update(delegations).where(delegations.c.id == dlg_id).values(revoked_at=at))
    return _delegation(conn.execute(select(delegations).where(delegations.c.id == dlg_id)).one())


def list_delegations(conn: Connection, ws: str) -> list[Delegation]:
    """Every delegation of this workspace."""
    rows = conn.execute(
        select(delegations).where(delegations.c.workspace_id == ws).order_by(delegations.c.created_at)
    )
    return [_delegation(r) for r in rows]


def find_delegation(
    conn: Connection, ws: str, user_id: str, agent_id: str, now: datetime
) -> Delegation | None:
    """The best delegation from user to agent: a live one if any, else the latest (revoked/expired) one."""
    rows = conn.execute(
        select(delegations).where(
            delegations.c.workspace_id == ws,
            delegations.c.user_id == user_id,
            delegations.c.agent_id == agent_id,
        )
    ).all()
    found = [_delegation(r) for r in rows]
    live = [d for d in found if d.revoked_at is None and d.expires_at > now]
    pool = live or found
    return max(pool, key=lambda d: d.expires_at) if pool else None
