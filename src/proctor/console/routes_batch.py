"""Batch review: pick many pending approvals (or the next 10), read the manifest, vote on it as one event."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from proctor.approval_batch import MAX_CHUNK
from proctor.console.inbox_cards import card, names, title
from proctor.console.session import ConsoleUser, current_user, verify_csrf
from proctor.console.templating import render
from proctor.domain.approvals import APPROVER_ROLES
from proctor.domain.errors import ConflictError, ForbiddenError, RequestError
from proctor.worker import approvals_for

router = APIRouter()
User = Annotated[ConsoleUser, Depends(current_user)]
NEXT = 10


async def _refused(request: Request, user: ConsoleUser, error: str) -> Response:
    """The batch page back on the queue with `error` (400)."""
    queue = await run_in_threadpool(_queue, request.app.state.services, user)
    return render(
        request, "batch.html", user, status_code=400, queue=queue, manifest=None, outcome=None, error=error
    )


def _queue(services: Any, user: ConsoleUser) -> list[dict[str, Any]]:
    """The pending approvals as cards (riskiest first), each saying whether this person may vote on it."""
    views = approvals_for(services).list_approvals(user.workspace_id, limit=1000)
    people = names(services, user.workspace_id)
    return [card(services, v, user, people) for v in views]


def _manifest(services: Any, user: ConsoleUser, ids: list[str], take: int) -> dict[str, Any]:
    """The manifest of the chosen ids (or of the next `take` the person may vote on), with summaries."""
    queue = _queue(services, user)
    if take:
        ids = [c["a"]["id"] for c in queue if not c["refusal"] and not c["mine"]][:take]
    if not ids:
        return {"items": [], "count": 0, "manifest_hash": None}
    found = approvals_for(services).manifest(user.workspace_id, ids=ids)
    by_id = {c["a"]["id"]: c for c in queue}
    found["items"] = [{**i, "c": by_id.get(i["id"])} for i in found["items"]]
    return found


def _vote(
    services: Any, user: ConsoleUser, items: list[dict[str, str]], verb: str, reason: str | None
) -> Any:
    """Vote chunk by chunk (one audit event per chunk of up to 100); the merged results with names."""
    service = approvals_for(services)
    results: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    hashes: list[str] = []
    for start in range(0, len(items), MAX_CHUNK):
        done = service.batch(user.principal, items[start : start + MAX_CHUNK], verb, reason)  # type: ignore[arg-type]
        results.extend(done["results"])
        refused.extend(done["refused"])
        hashes.append(done["manifest_hash"])
    people = names(services, user.workspace_id)
    views = {v["id"]: v for v in service.list_approvals(user.workspace_id, status=None, limit=1000)}
    for r in (*results, *refused):
        view = views.get(r["id"])
        r["title"] = title(view["action"], view.get("params") or {}) if view else r["id"]
        r["action_id"] = view["action_id"] if view else None
        r["required"] = view["approvals_required"] if view else 1
        r["names"] = [people.get(u, u) for u in r.get("approved_by") or (view or {}).get("approved_by") or []]
    return {"results": results, "refused": refused, "hashes": hashes, "verb": verb}


@router.get("/batch")
async def batch_page(request: Request, user: User) -> Response:
    """The queue with checkboxes: pick items or take the next 10."""
    user.require(*APPROVER_ROLES)
    queue = await run_in_threadpool(_queue, request.app.state.services, user)
    return render(request, "batch.html", user, queue=queue, manifest=None, outcome=None, error=None)


@router.get("/batch/manifest")
async def manifest_page(
    request: Request,
    user: User,
    ids: Annotated[list[str] | None, Query()] = None,
    next: int = 0,
) -> Response:
    """The manifest of the selection: ids, content hashes, what each item does, the manifest hash."""
    user.require(*APPROVER_ROLES)
    services = request.app.state.services
    manifest = await run_in_threadpool(_manifest, services, user, list(ids or []), NEXT if next else 0)
    if not manifest["items"]:
        error = "Select at least one pending item you may approve (or use “Next 10”)."
        return await _refused(request, user, error)
    return render(request, "batch.html", user, queue=None, manifest=manifest, outcome=None, error=None)


@router.post("/batch/vote", dependencies=[Depends(verify_csrf)])
async def vote(request: Request, user: User) -> Response:
    """Vote on the manifest as one event: items whose content changed since are refused and listed."""
    user.require(*APPROVER_ROLES)
    form = await request.form()
    items = []
    for raw in form.getlist("item"):
        approval_id, _, content_hash = str(raw).partition(":")
        items.append({"id": approval_id, "content_hash": content_hash})
    verb = "reject" if form.get("verb") == "reject" else "approve"
    reason = str(form.get("reason") or "").strip() or None
    services = request.app.state.services
    try:
        if verb == "reject" and not reason:
            raise RequestError(
                "say why you reject these: the agents and the reps read the reason", field="reason"
            )
        outcome = await run_in_threadpool(_vote, services, user, items, verb, reason)
    except (ForbiddenError, ConflictError, RequestError) as exc:
        return await _refused(request, user, str(exc))
    return render(request, "batch.html", user, queue=None, manifest=None, outcome=outcome, error=None)
