"""The inbox: pending approvals riskiest first; approve, edit-then-approve or reject, one card at a time."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from proctor.console.inbox_cards import card, names
from proctor.console.session import ConsoleUser, current_user, verify_csrf
from proctor.console.templating import flash, render
from proctor.domain.errors import ConflictError, ForbiddenError, RequestError
from proctor.store import actions as action_rows
from proctor.worker import approvals_for

router = APIRouter()
User = Annotated[ConsoleUser, Depends(current_user)]
Refused = (ForbiddenError, ConflictError, RequestError)
SAID = {"approve": "Approved", "reject": "Rejected", "edit": "Edited and approved"}


def _cards(services: Any, user: ConsoleUser) -> list[dict[str, Any]]:
    service = approvals_for(services)
    views = service.list_approvals(user.workspace_id)
    people = names(services, user.workspace_id)
    return [card(services, v, user, people) for v in views]


def _edited_params(services: Any, ws: str, action_id: str, form: dict[str, str]) -> dict[str, Any]:
    """The stored (unredacted) params with the person's edits: subject/body, or the whole JSON."""
    with services.store.read() as conn:
        params = dict(action_rows.get_action(conn, ws, action_id)["request"].get("params") or {})
    if form.get("params_json") is not None:
        try:
            edited = json.loads(form["params_json"])
        except ValueError as exc:
            raise RequestError(f"the parameters are not valid JSON: {exc}", field="params") from None
        if not isinstance(edited, dict):
            raise RequestError("the parameters must be a JSON object", field="params")
        return edited
    for key in ("subject", "body"):
        if form.get(key) is not None:
            params[key] = form[key]
    return params


def _vote(
    services: Any, user: ConsoleUser, approval_id: str, verb: str, form: dict[str, str]
) -> tuple[dict[str, Any], str | None]:
    """Cast the vote; the card (fresh) and the service's refusal, if any (NotFound propagates: a 404)."""
    service = approvals_for(services)
    ws = user.workspace_id
    view = service.get(ws, approval_id)
    error: str | None = None
    reason = (form.get("reason") or "").strip() or None
    try:
        if verb == "reject" and not reason:
            raise RequestError("say why you reject it: the agent and the rep read the reason", field="reason")
        params = _edited_params(services, ws, view["action_id"], form) if verb == "edit" else None
        view = service.vote(
            user.principal,
            view["id"],
            "reject" if verb == "reject" else "approve",
            reason=reason,
            params=params,
            expected_hash=form.get("expected_hash") or None,
            via="console",
        )
    except Refused as exc:
        error = str(exc)
        view = service.get(ws, view["id"])
    return card(services, view, user, names(services, ws)), error


def _message(c: dict[str, Any], verb: str) -> str:
    a = c["a"]
    if a["status"] == "pending" and verb != "reject":
        got, need = len(a["approved_by"]), c["required"]
        return f"{SAID[verb]} {c['title']}: {got} of {need} approvals, waiting for another person."
    if a["status"] == "cancelled":
        return f"{c['title']}: {a['reason'] or 'cancelled'}"
    return f"{SAID[verb] if a['status'] != 'rejected' else 'Rejected'} {c['title']}."


@router.get("/inbox")
async def inbox(request: Request, user: User) -> Response:
    """Pending approvals of the person's workspace, riskiest first."""
    cards = await run_in_threadpool(_cards, request.app.state.services, user)
    return render(request, "inbox.html", user, cards=cards)


async def _act(request: Request, user: ConsoleUser, approval_id: str, verb: str) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    c, error = await run_in_threadpool(_vote, request.app.state.services, user, approval_id, verb, form)
    message = None if error else _message(c, verb)
    if request.headers.get("hx-request"):
        return render(request, "approval_card.html", user, c=c, error=error, message=message, oob=True)
    if error:
        flash(request, error, "error")
    elif message:
        flash(request, message)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/inbox", status_code=303)


@router.post("/inbox/{approval_id}/approve", dependencies=[Depends(verify_csrf)])
async def approve(request: Request, approval_id: str, user: User) -> Response:
    """Approve the approval's current content (its content hash must be the one the person saw)."""
    return await _act(request, user, approval_id, "approve")


@router.post("/inbox/{approval_id}/edit", dependencies=[Depends(verify_csrf)])
async def edit(request: Request, approval_id: str, user: User) -> Response:
    """Edit the draft, have the policy decide again, and approve the edited content."""
    return await _act(request, user, approval_id, "edit")


@router.post("/inbox/{approval_id}/reject", dependencies=[Depends(verify_csrf)])
async def reject(request: Request, approval_id: str, user: User) -> Response:
    """Reject with a reason."""
    return await _act(request, user, approval_id, "reject")
