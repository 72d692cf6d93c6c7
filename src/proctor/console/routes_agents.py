"""Agents: status, maturity, keys, delegations; quarantine / release and a workspace-wide pause."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from proctor.admin import PAUSE_PREFIX
from proctor.api.deps import READ_ROLES
from proctor.console.session import ConsoleUser, current_user, verify_csrf
from proctor.console.templating import flash, render
from proctor.domain.errors import NotFoundError
from proctor.policy.evaluate import MATURITY_NAMES

router = APIRouter()

OPERATOR_ROLES = ("admin", "manager")  # quarantine and release
OVERSIGHT_ROLES = READ_ROLES  # see every key and delegation
CSRF = [Depends(verify_csrf)]
User = Annotated[ConsoleUser, Depends(current_user)]


def _back() -> RedirectResponse:
    return RedirectResponse("/console/agents", status_code=303)


def _overview(services: Any, user: ConsoleUser) -> dict[str, Any]:
    """Agents with their keys and delegations (a rep sees only their own delegations)."""
    admin, ws = services.admin, user.workspace_id
    people = {u["id"]: u for u in admin.list_users(ws)}
    oversight = user.has(*OVERSIGHT_ROLES)
    delegations = admin.list_delegations(ws)
    if not oversight:
        delegations = [d for d in delegations if d["user_id"] == user.user_id]
    agents = []
    for agent in admin.list_agents(ws):
        # keys are read per agent, so only for the people who see them
        agent["keys"] = admin.get_agent(ws, agent["id"]).get("keys", []) if oversight else []
        agent["delegations"] = [
            {**d, "user_name": people.get(d["user_id"], {}).get("name", d["user_id"])}
            for d in delegations
            if d["agent_id"] == agent["id"]
        ]
        agent["paused"] = (agent.get("status_reason") or "").startswith(PAUSE_PREFIX)
        agents.append(agent)
    return {"agents": agents}


@router.get("/agents")
async def agents_page(request: Request, user: User) -> Response:
    """Every agent of the workspace with what it may do and who it acts for."""
    services = request.app.state.services
    data = await run_in_threadpool(_overview, services, user)
    policy = services.policy()
    active = [a for a in data["agents"] if a["status"] == "active"]
    paused = [a for a in data["agents"] if a["paused"]]
    return render(
        request,
        "agents.html",
        user,
        agents=data["agents"],
        maturity=policy.maturity,
        maturity_name=MATURITY_NAMES.get(policy.maturity, ""),
        policy_name=policy.name,
        can_operate=user.has(*OPERATOR_ROLES),
        is_admin=user.has("admin"),
        oversight=user.has(*OVERSIGHT_ROLES),
        any_active=bool(active),
        any_paused=bool(paused),
    )


@router.post("/agents/pause", dependencies=CSRF)
async def pause(request: Request, user: User) -> Response:
    """Quarantine every active agent of the workspace (admin)."""
    user.require("admin")
    paused = await run_in_threadpool(
        request.app.state.services.admin.pause_workspace, user.workspace_id, actor=user.actor
    )
    flash(
        request, f"Workspace paused: {len(paused)} agent(s) quarantined. Every action they submit is denied."
    )
    return _back()


@router.post("/agents/resume", dependencies=CSRF)
async def resume(request: Request, user: User) -> Response:
    """Release the agents a workspace pause quarantined (admin)."""
    user.require("admin")
    resumed = await run_in_threadpool(
        request.app.state.services.admin.resume_workspace, user.workspace_id, actor=user.actor
    )
    flash(request, f"Workspace resumed: {len(resumed)} agent(s) released.")
    return _back()


@router.post("/agents/{agent_id}/quarantine", dependencies=CSRF)
async def quarantine(
    request: Request, user: User, agent_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Quarantine one agent with a reason (admin, manager)."""
    user.require(*OPERATOR_ROLES)
    if not reason.strip():
        flash(request, "Give a reason for the quarantine: it is recorded in the audit trail.", "error")
        return _back()
    agent = await run_in_threadpool(
        request.app.state.services.admin.set_agent_status,
        user.workspace_id,
        agent_id,
        "quarantined",
        reason.strip(),
        actor=user.actor,
    )
    flash(request, f"{agent['name']} is quarantined: every action it submits is denied until released.")
    return _back()


@router.post("/agents/{agent_id}/release", dependencies=CSRF)
async def release(
    request: Request, user: User, agent_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Release a quarantined agent (admin, manager)."""
    user.require(*OPERATOR_ROLES)
    agent = await run_in_threadpool(
        request.app.state.services.admin.set_agent_status,
        user.workspace_id,
        agent_id,
        "active",
        reason.strip() or None,
        actor=user.actor,
    )
    flash(request, f"{agent['name']} is active again.")
    return _back()


def _revoke_key(services: Any, user: ConsoleUser, agent_id: str, key_id: str) -> dict[str, Any]:
    agent = services.admin.get_agent(user.workspace_id, agent_id)
    if key_id not in {k["id"] for k in agent.get("keys", [])}:
        raise NotFoundError(f"agent {agent_id} has no key {key_id}")
    return dict(services.admin.revoke_agent_key(user.workspace_id, key_id, actor=user.actor))


@router.post("/agents/{agent_id}/keys/{key_id}/revoke", dependencies=CSRF)
async def revoke_key(request: Request, user: User, agent_id: str, key_id: str) -> Response:
    """Revoke one of an agent's keys (admin); it is refused from then on."""
    user.require("admin")
    meta = await run_in_threadpool(_revoke_key, request.app.state.services, user, agent_id, key_id)
    flash(request, f"Key {meta['prefix']}… revoked: requests with it are refused from now on.")
    return _back()


def _revoke_delegation(services: Any, user: ConsoleUser, delegation_id: str) -> dict[str, Any]:
    found = [d for d in services.admin.list_delegations(user.workspace_id) if d["id"] == delegation_id]
    if not found:
        raise NotFoundError(f"no delegation {delegation_id}")
    if found[0]["user_id"] != user.user_id:
        user.require("admin")
    return dict(services.admin.revoke_delegation(user.workspace_id, delegation_id, actor=user.actor))


@router.post("/delegations/{delegation_id}/revoke", dependencies=CSRF)
async def revoke_delegation(request: Request, user: User, delegation_id: str) -> Response:
    """Revoke a delegation (admin, or the person who granted it)."""
    await run_in_threadpool(_revoke_delegation, request.app.state.services, user, delegation_id)
    flash(request, "Delegation revoked: the agent can no longer act on that person's behalf.")
    return _back()
