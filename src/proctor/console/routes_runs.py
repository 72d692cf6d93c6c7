"""Runs and actions: every step from the audit trail, before/after diffs, revert with a conflict preview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from proctor.console import run_timeline as timeline
from proctor.console.inbox_cards import card, names
from proctor.console.routes_auth import safe_next
from proctor.console.session import ConsoleUser, current_user, verify_csrf
from proctor.console.templating import flash, render
from proctor.domain.errors import NotFoundError, RequestError
from proctor.worker import approvals_for

router = APIRouter()
User = Annotated[ConsoleUser, Depends(current_user)]
REVERTERS = ("admin", "manager")
SCOPES = ("action", "run")


def _run(services: Any, user: ConsoleUser, run_id: str) -> dict[str, Any]:
    ws = user.workspace_id
    found = timeline.events(services, ws, {"run_id": run_id})
    if not found:
        raise NotFoundError(f"no run {run_id} in this workspace")
    people = names(services, ws)
    steps = [timeline.step(e, people) for e in found]
    action_ids = list(dict.fromkeys(e["action_id"] for e in found if e.get("action_id")))
    steps.extend(timeline.batch_votes(services, ws, action_ids, people))
    steps.sort(key=lambda s: (s["at"], s["seq"]))
    agents = sorted({people.get(a["agent_id"], a["agent_id"]) for a in _actions(services, ws, run_id)})
    return {
        "run_id": run_id,
        "steps": steps,
        "diffs": timeline.diffs(services, ws, "run", run_id),
        "agents": agents,
        "actions": len(action_ids),
    }


def _actions(services: Any, ws: str, run_id: str) -> list[dict[str, Any]]:
    return list(services.gate.list_actions(ws, run_id=run_id, limit=1000))


def _action(services: Any, user: ConsoleUser, action_id: str) -> dict[str, Any]:
    ws = user.workspace_id
    action = services.gate.get_action(ws, action_id)  # NotFoundError across workspaces
    people = names(services, ws)
    steps = [timeline.step(e, people) for e in timeline.events(services, ws, {"action_id": action_id})]
    steps.extend(timeline.batch_votes(services, ws, [action_id], people))
    steps.sort(key=lambda s: (s["at"], s["seq"]))
    try:
        approval = card(services, approvals_for(services).get(ws, action_id), user, people)
    except NotFoundError:
        approval = None
    return {
        "a": action,
        "agent": people.get(action["agent_id"], action["agent_id"]),
        "rep": people.get(action["on_behalf_of"], action["on_behalf_of"]) if action["on_behalf_of"] else None,
        "steps": steps,
        "diffs": timeline.diffs(services, ws, "action", action_id),
        "approval": approval,
    }


@router.get("/runs")
async def runs(request: Request, user: User) -> Response:
    """Recent runs of the workspace, newest first, and actions that belong to no run."""
    found, loose = await run_in_threadpool(timeline.runs, request.app.state.services, user.workspace_id)
    people = await run_in_threadpool(names, request.app.state.services, user.workspace_id)
    return render(request, "run_list.html", user, runs=found, loose=loose, people=people)


@router.get("/runs/{run_id}")
async def run(request: Request, run_id: str, user: User) -> Response:
    """Every step of one run, the CRM diffs, and revert buttons."""
    data = await run_in_threadpool(_run, request.app.state.services, user, run_id)
    return render(request, "run.html", user, can_revert=user.has(*REVERTERS), back=request.url.path, **data)


@router.get("/actions/{action_id}")
async def action(request: Request, action_id: str, user: User) -> Response:
    """One action: request, decision, approval, outcome, diffs and revert."""
    data = await run_in_threadpool(_action, request.app.state.services, user, action_id)
    return render(
        request,
        "action.html",
        user,
        can_revert=user.has(*REVERTERS),
        back=request.url.path,
        c=data["approval"],
        **data,
    )


def _scope(scope: str) -> str:
    if scope not in SCOPES:
        raise RequestError(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    return scope


@router.get("/revert")
async def revert_preview(request: Request, user: User, scope: str, id: str, back: str = "") -> Response:
    """The dry run: what a revert would restore, what conflicts, what cannot be undone."""
    user.require(*REVERTERS)
    plan = await run_in_threadpool(
        timeline.preview, request.app.state.services, user.workspace_id, _scope(scope), id
    )
    template = "run_revert.html" if request.headers.get("hx-request") else "run_revert_page.html"
    return render(request, template, user, plan=plan, back=safe_next(back))


@router.post("/revert", dependencies=[Depends(verify_csrf)])
async def revert(
    request: Request,
    user: User,
    scope: Annotated[str, Form()],
    id: Annotated[str, Form()],
    back: Annotated[str, Form()] = "",
    force: Annotated[str, Form()] = "",
) -> Response:
    """Revert for real; conflicting fields are skipped unless the person ticked “force”."""
    user.require(*REVERTERS)
    done = await run_in_threadpool(
        timeline.revert,
        request.app.state.services,
        user.workspace_id,
        _scope(scope),
        id,
        force == "on",
        user.actor,
    )
    summary = done["summary"]
    restored = summary.get("revert", 0) + summary.get("partial", 0)
    parts = [f"{n} {status.replace('_', ' ')}" for status, n in sorted(summary.items())]
    kind = "ok" if restored and not summary.get("conflict") else "error"
    flash(
        request,
        f"Revert {'done' if restored else 'changed nothing'}: {', '.join(parts) or 'nothing recorded'}.",
        kind,
    )
    return RedirectResponse(safe_next(back), status_code=303)
