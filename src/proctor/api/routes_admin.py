"""People-facing admin routes: agents and their keys, quarantine, users, delegations (workspace-scoped)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from proctor.api.deps import Admin, Reader, actor_of, services_of
from proctor.api.schemas import (
    ERRORS,
    AgentCreate,
    AgentDetail,
    DelegationCreate,
    IssuedKey,
    KeyCreate,
    StatusChange,
    UserCreate,
)
from proctor.domain.errors import NotFoundError
from proctor.domain.identity import Agent, ApiKey, Delegation, User

router = APIRouter(responses=ERRORS)

AgentId = Annotated[str, Path(min_length=1, max_length=40, description="An agent id (`agt_…`)")]
KeyId = Annotated[str, Path(min_length=1, max_length=40, description="A key id (`key_…`)")]
DelegationId = Annotated[str, Path(min_length=1, max_length=40, description="A delegation id (`dlg_…`)")]


def _admin(request: Request) -> Any:
    return services_of(request).admin


def _issued(meta: Any, raw: str) -> IssuedKey:
    data = meta.model_dump() if hasattr(meta, "model_dump") else dict(meta)
    return IssuedKey(**data, key=raw)


@router.post("/v1/agents", status_code=201, response_model=Agent, tags=["agents"])
def create_agent(body: AgentCreate, request: Request, user: Admin) -> Any:
    """Create an agent (a system identity) in the caller's workspace."""
    return _admin(request).create_agent(user.workspace_id, body.name, actor=actor_of(user))


@router.get("/v1/agents", response_model=list[Agent], tags=["agents"])
def list_agents(request: Request, user: Reader) -> Any:
    """Every agent of the caller's workspace."""
    return _admin(request).list_agents(user.workspace_id)


@router.get("/v1/agents/{agent_id}", response_model=AgentDetail, tags=["agents"])
def get_agent(agent_id: AgentId, request: Request, user: Reader) -> Any:
    """One agent of the caller's workspace, with its keys' metadata."""
    return _admin(request).get_agent(user.workspace_id, agent_id)


@router.post("/v1/agents/{agent_id}/keys", status_code=201, response_model=IssuedKey, tags=["agents"])
def issue_agent_key(agent_id: AgentId, request: Request, user: Admin, body: KeyCreate | None = None) -> Any:
    """Issue an API key for an agent; the raw key is in `key` and is shown only this once."""
    scopes = body.scopes if body is not None else ["*"]
    meta, raw = _admin(request).issue_agent_key(user.workspace_id, agent_id, scopes, actor=actor_of(user))
    return _issued(meta, raw)


@router.delete("/v1/agents/{agent_id}/keys/{key_id}", response_model=ApiKey, tags=["agents"])
def revoke_agent_key(agent_id: AgentId, key_id: KeyId, request: Request, user: Admin) -> Any:
    """Revoke one of an agent's keys; it answers 401 from then on."""
    admin = _admin(request)
    agent = admin.get_agent(user.workspace_id, agent_id)
    if key_id not in {k["id"] for k in agent.get("keys", [])}:
        raise NotFoundError(f"agent {agent_id} has no key {key_id}")
    return admin.revoke_agent_key(user.workspace_id, key_id, actor=actor_of(user))


@router.post("/v1/agents/{agent_id}/quarantine", response_model=Agent, tags=["agents"])
def quarantine_agent(
    agent_id: AgentId, request: Request, user: Admin, body: StatusChange | None = None
) -> Any:
    """Quarantine an agent: everything it submits is denied until released."""
    reason = body.reason if body is not None else None
    return _admin(request).set_agent_status(
        user.workspace_id, agent_id, "quarantined", reason, actor=actor_of(user)
    )


@router.post("/v1/agents/{agent_id}/release", response_model=Agent, tags=["agents"])
def release_agent(agent_id: AgentId, request: Request, user: Admin, body: StatusChange | None = None) -> Any:
    """Release a quarantined agent."""
    reason = body.reason if body is not None else None
    return _admin(request).set_agent_status(
        user.workspace_id, agent_id, "active", reason, actor=actor_of(user)
    )


@router.post("/v1/users", status_code=201, response_model=User, tags=["users"])
def create_user(body: UserCreate, request: Request, user: Admin) -> Any:
    """Add a person to the caller's workspace."""
    return _admin(request).create_user(
        user.workspace_id,
        body.email,
        body.name,
        [str(r) for r in body.roles],
        body.timezone,
        actor=actor_of(user),
    )


@router.get("/v1/users", response_model=list[User], tags=["users"])
def list_users(request: Request, user: Reader) -> Any:
    """Every person of the caller's workspace."""
    return _admin(request).list_users(user.workspace_id)


@router.post("/v1/delegations", status_code=201, response_model=Delegation, tags=["delegations"])
def create_delegation(body: DelegationCreate, request: Request, user: Admin) -> Any:
    """Let an agent act on a user's behalf within scopes until `expires_at`."""
    return _admin(request).create_delegation(
        user.workspace_id,
        body.user_id,
        body.agent_id,
        body.scopes,
        body.expires_at,
        [c.model_dump(exclude_none=True) for c in body.constraints],
        actor=actor_of(user),
    )


@router.get("/v1/delegations", response_model=list[Delegation], tags=["delegations"])
def list_delegations(request: Request, user: Reader) -> Any:
    """Every delegation of the caller's workspace."""
    return _admin(request).list_delegations(user.workspace_id)


@router.delete("/v1/delegations/{delegation_id}", response_model=Delegation, tags=["delegations"])
def revoke_delegation(delegation_id: DelegationId, request: Request, user: Admin) -> Any:
    """Revoke a delegation; the agent can no longer act on that user's behalf."""
    return _admin(request).revoke_delegation(user.workspace_id, delegation_id, actor=actor_of(user))
