"""Approval routes: the queue, approve/reject (with edits), batch manifests, signed-link landing pages."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from proctor.api.deps import Caller, User, services_of
from proctor.api.schemas import ERRORS
from proctor.domain.errors import ForbiddenError, RequestError

log = logging.getLogger("proctor.api")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the approval worker inside the API process (`proctor serve`) while the app is up."""
    runner: Any = None
    services = getattr(app.state, "services", None)
    settings = getattr(services, "settings", None)
    if settings is not None and getattr(settings, "approval_worker", True):
        from proctor.worker import Runner, worker_for

        try:
            runner = Runner(worker_for(services))
            runner.start()
        except Exception as exc:  # the API serves even when the worker cannot start
            log.warning("approval worker not started: %s", exc)
            runner = None
    try:
        yield
    finally:
        if runner is not None:
            await run_in_threadpool(runner.stop)


router = APIRouter(tags=["approvals"], lifespan=_lifespan)


def _service(request: Request) -> Any:
    from proctor.worker import approvals_for

    return approvals_for(services_of(request))


def _people_only(caller: Any) -> None:
    if getattr(caller, "user_id", None) is None:
        raise ForbiddenError("agents never approve: use a personal token")


class VoteBody(BaseModel):
    """An approver's vote: an optional reason; when approving, optionally edited params and the hash seen."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)
    params: dict[str, Any] | None = None
    content_hash: str | None = Field(default=None, min_length=64, max_length=64)


class CancelBody(BaseModel):
    """Why a pending action is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class ManifestItem(BaseModel):
    """One manifest entry: the approval and the content hash the approver saw."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    content_hash: str = Field(min_length=64, max_length=64)


class BatchBody(BaseModel):
    """A chunk of a manifest to approve or reject together (one audit event)."""

    model_config = ConfigDict(extra="forbid")

    items: list[ManifestItem] = Field(min_length=1, max_length=100)
    decision: Literal["approve", "reject"] = "approve"
    reason: str | None = Field(default=None, max_length=2000)


@router.get("/v1/approvals", responses=ERRORS)
def list_approvals(
    request: Request,
    caller: User,
    status: Annotated[str | None, Query(max_length=20)] = "pending",
    batch_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The workspace's approvals (default: pending) with risk, triggers, evidence and checks."""
    status_filter = None if status in (None, "", "all") else status
    found = _service(request).list_approvals(
        caller.workspace_id, status=status_filter, batch_id=batch_id, limit=limit
    )
    return {"approvals": found}


@router.get("/v1/approvals/manifest", responses=ERRORS)
def get_manifest(
    request: Request,
    caller: User,
    batch_id: Annotated[str | None, Query(max_length=200)] = None,
    ids: Annotated[list[str] | None, Query(max_length=1000)] = None,
) -> Any:
    """The manifest of a batch's pending approvals: ids and content hashes, to approve in chunks."""
    return _service(request).manifest(caller.workspace_id, batch_id=batch_id, ids=ids)


@router.post("/v1/approvals/batch", responses=ERRORS)
def approve_batch(body: BatchBody, request: Request, caller: User) -> Any:
    """Approve or reject one chunk of a manifest; items whose content changed are refused."""
    items = [i.model_dump() for i in body.items]
    return _service(request).batch(caller, items, body.decision, body.reason)


Token = Annotated[str, Path(min_length=16, max_length=4096, description="The signed link token")]
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
}


@router.get("/v1/approvals/links/{token}", responses={**ERRORS, **_HTML})
def link_landing(token: Token, request: Request) -> Any:
    """A signed link's confirm page (GET never acts): what is asked, and a button that POSTs."""
    from proctor.worker import links_for

    links = links_for(services_of(request))
    claims = links.check(token)
    view = links.service.get(claims["w"], claims["a"])
    verb = html.escape(str(claims["v"]))
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(view.get(k)))}</td></tr>"
        for k in ("action", "agent_id", "on_behalf_of", "risk", "reasons", "intent", "params", "content_hash")
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Proctor: {verb}</title></head><body>"
        f"<h1>{verb.capitalize()} {html.escape(view['action'])}?</h1><table>{rows}</table>"
        f"<form method='post'><label>Reason <input name='reason'></label>"
        f"<button type='submit'>{verb.capitalize()}</button></form></body></html>"
    )
    return HTMLResponse(page)


@router.post("/v1/approvals/links/{token}", responses={**ERRORS, **_HTML})
async def link_act(token: Token, request: Request) -> Any:
    """Spend a signed link: cast its vote once (form or JSON body with an optional reason)."""
    from proctor.worker import links_for

    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    reason: str | None = None
    if "form" in ctype:
        reason = (parse_qs(raw.decode(errors="replace")).get("reason") or [""])[0] or None
    links = links_for(services_of(request))
    view = await run_in_threadpool(links.redeem, token, reason)
    if "form" in ctype:
        text = html.escape(f"{view['action']} is now {view['status']}")
        return HTMLResponse(f"<!doctype html><html><body><h1>{text}</h1></body></html>")
    return view


@router.get("/v1/approvals/{approval_id}", responses=ERRORS)
def get_approval(approval_id: str, request: Request, caller: Caller) -> Any:
    """One approval (by approval id or action id) with everything an approver needs."""
    return _service(request).get(caller.workspace_id, approval_id)


@router.post("/v1/approvals/{approval_id}/approve", responses=ERRORS)
def approve(approval_id: str, body: VoteBody, request: Request, caller: User) -> Any:
    """Approve (optionally with edited params: the diff is recorded and the policy decides again)."""
    _people_only(caller)
    service = _service(request)
    edits, seen = body.params, body.content_hash
    return service.vote(caller, approval_id, "approve", reason=body.reason, params=edits, expected_hash=seen)


@router.post("/v1/approvals/{approval_id}/reject", responses=ERRORS)
def reject(approval_id: str, body: VoteBody, request: Request, caller: User) -> Any:
    """Reject with a reason; the agent sees status rejected and the reason on its action."""
    _people_only(caller)
    if body.params is not None:
        raise RequestError("edits come with an approval, not a rejection", field="params")
    return _service(request).vote(
        caller, approval_id, "reject", reason=body.reason, expected_hash=body.content_hash
    )


@router.post("/v1/approvals/{approval_id}/cancel", responses=ERRORS)
def cancel(approval_id: str, body: CancelBody, request: Request, caller: Caller) -> Any:
    """Withdraw a pending action: the agent that asked, or a manager/admin."""
    return _service(request).cancel(caller, approval_id, body.reason)
