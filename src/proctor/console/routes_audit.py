"""The audit explorer: the filters of `GET /v1/audit`, cursor pages, JSONL export and chain verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from proctor.api.deps import AUDIT_ROLES
from proctor.console.session import ConsoleUser, current_user
from proctor.console.templating import render
from proctor.domain.audit import AuditFilters, EventKind
from proctor.domain.errors import RequestError

router = APIRouter()

PAGE_SIZE = 50
EFFECTS = ("allow", "require_approval", "deny")
KINDS: tuple[str, ...] = get_args(EventKind)
# form field → (AuditFilters field, human label)
TEXT_FIELDS = {
    "agent": ("agent_id", "Agent"),
    "user": ("user_id", "User"),
    "action": ("action", "Action"),
    "effect": ("effect", "Decision"),
    "kind": ("kind", "Event kind"),
    "record_id": ("record_id", "Record id"),
    "run_id": ("run_id", "Run id"),
    "action_id": ("action_id", "Action id"),
    "q": ("text", "Text"),
}
TIME_FIELDS = {"since": "From", "until": "Until"}


def _when(value: str, label: str) -> datetime:
    """A datetime-local (taken as UTC) or RFC 3339 value; RequestError naming the field otherwise."""
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(f"not a date and time ({value!r})", field=label) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_filters(params: dict[str, str]) -> tuple[AuditFilters, dict[str, str]]:
    """The AuditFilters of the query string, and the non-empty form values to echo back."""
    values = {k: params[k].strip() for k in (*TEXT_FIELDS, *TIME_FIELDS) if params.get(k, "").strip()}
    if values.get("effect") and values["effect"] not in EFFECTS:
        raise RequestError(f"must be one of {', '.join(EFFECTS)}", field="Decision")
    if values.get("kind") and values["kind"] not in KINDS:
        raise RequestError(f"must be one of {', '.join(KINDS)}", field="Event kind")
    fields: dict[str, Any] = {TEXT_FIELDS[k][0]: v for k, v in values.items() if k in TEXT_FIELDS}
    for key, label in TIME_FIELDS.items():
        if key in values:
            fields[key] = _when(values[key], label)
    return AuditFilters(**fields), values


def _summary(event: dict[str, Any]) -> dict[str, Any]:
    """What one table row shows of an event."""
    actor = event.get("actor") or {}
    decision = event.get("decision") or {}
    outcome = event.get("outcome") or {}
    detail = event.get("detail") or {}
    params = event.get("params") or {}
    target = event.get("target") or {}
    reasons = decision.get("reasons") or []
    what = (
        detail.get("change")
        or (reasons[0] if reasons else None)
        or outcome.get("status")
        or detail.get("status")
        or ""
    )
    return {
        "seq": event.get("seq"),
        "at": str(event.get("at", ""))[:19].replace("T", " "),
        "kind": event.get("kind"),
        "action": event.get("action") or "",
        "effect": decision.get("effect") or "",
        "agent": actor.get("agent_id") or "",
        "user": actor.get("user_id") or actor.get("by") or "",
        "action_id": event.get("action_id"),
        "run_id": event.get("run_id"),
        "record_id": target.get("record_id") or params.get("record_id") or "",
        "what": str(what),
    }


def _people(services: Any, ws: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return services.admin.list_agents(ws), services.admin.list_users(ws)


@router.get("/audit")
async def audit_page(request: Request, user: Annotated[ConsoleUser, Depends(current_user)]) -> Response:
    """Search the workspace's audit trail, newest first, with the chain's status loaded alongside."""
    user.require(*AUDIT_ROLES)
    services = request.app.state.services
    params = dict(request.query_params)
    agents, users = await run_in_threadpool(_people, services, user.workspace_id)
    error: str | None = None
    events: list[dict[str, Any]] = []
    next_cursor: str | None = None
    values: dict[str, str] = {}
    try:
        filters, values = parse_filters(params)
        cursor = params.get("cursor") or None
        if cursor is not None and not cursor.isdigit():
            raise RequestError("not a page of this list: start again from the newest events")
        events, next_cursor = await run_in_threadpool(
            services.admin.audit_query, user.workspace_id, filters, cursor, PAGE_SIZE, descending=True
        )
    except RequestError as exc:
        error = str(exc)
    query = urlencode(values)
    return render(
        request,
        "audit.html",
        user,
        status_code=400 if error else 200,
        rows=[_summary(e) for e in events],
        values=values,
        error=error,
        agents=agents,
        users=users,
        effects=EFFECTS,
        kinds=KINDS,
        query=query,
        next_url=f"?{urlencode({**values, 'cursor': next_cursor})}" if next_cursor else None,
        first_url=f"?{query}" if params.get("cursor") else None,
        filtered=bool(values),
    )


def _jsonl(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        yield orjson.dumps(event) + b"\n"


@router.get("/audit/export")
async def audit_export(request: Request, user: Annotated[ConsoleUser, Depends(current_user)]) -> Response:
    """Download every matching event as JSON Lines, streamed page by page."""
    user.require(*AUDIT_ROLES)
    filters, _ = parse_filters(dict(request.query_params))
    events = request.app.state.services.admin.audit_export(user.workspace_id, filters)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        _jsonl(iter(events)),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'},
    )


@router.get("/audit/verify")
async def audit_verify(request: Request, user: Annotated[ConsoleUser, Depends(current_user)]) -> Response:
    """Recompute the hash chain: ok, or the first altered, removed or reordered event."""
    user.require(*AUDIT_ROLES)
    report = await run_in_threadpool(request.app.state.services.admin.audit_verify, user.workspace_id)
    template = "audit_chain.html" if request.headers.get("hx-request") else "audit_verify.html"
    return render(request, template, user, report=report)
