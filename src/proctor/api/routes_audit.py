"""Audit routes: search with cursor pagination, streaming JSONL export, chain verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, get_args

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from proctor.api.deps import Auditor, services_of
from proctor.api.schemas import ERRORS, AuditPage
from proctor.domain.audit import AuditFilters, EventKind, VerifyReport

router = APIRouter(tags=["audit"], responses=ERRORS)

_Id = Annotated[str | None, Query(min_length=1, max_length=200)]


class AuditQuery:
    """The filters shared by search and export (query parameters)."""

    def __init__(
        self,
        agent: Annotated[str | None, Query(min_length=1, max_length=40, description="Agent id")] = None,
        user: Annotated[str | None, Query(min_length=1, max_length=40, description="User id")] = None,
        action: Annotated[
            str | None, Query(min_length=1, max_length=200, description="e.g. email.send")
        ] = None,
        effect: Annotated[
            str | None, Query(pattern="^(allow|deny|require_approval)$", description="Decision effect")
        ] = None,
        kind: Annotated[
            str | None,
            Query(
                pattern=f"^({'|'.join(get_args(EventKind))})$",
                description="Event kind",
            ),
        ] = None,
        record_id: _Id = None,
        run_id: _Id = None,
        action_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
        since: Annotated[datetime | None, Query(description="Events at or after (RFC 3339)")] = None,
        until: Annotated[datetime | None, Query(description="Events before (RFC 3339)")] = None,
        q: Annotated[str | None, Query(min_length=1, max_length=200, description="Full-text search")] = None,
    ) -> None:
        self.filters = AuditFilters(
            agent_id=agent,
            user_id=user,
            action=action,
            effect=effect,
            kind=kind,
            record_id=record_id,
            run_id=run_id,
            action_id=action_id,
            since=since,
            until=until,
            text=q,
        )


Filters = Annotated[AuditQuery, Depends()]


@router.get("/v1/audit", response_model=AuditPage)
def audit_query(
    request: Request,
    user: Auditor,
    query: Filters,
    cursor: Annotated[
        str | None, Query(max_length=40, pattern="^[0-9]+$", description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """Search the caller's workspace audit trail, oldest first; follow `next_cursor` for more."""
    events, next_cursor = services_of(request).admin.audit_query(
        user.workspace_id, query.filters, cursor, limit
    )
    return {"events": events, "next_cursor": next_cursor}


def _jsonl(events: Iterator[Any]) -> Iterator[bytes]:
    for event in events:
        data = event.model_dump(mode="json") if hasattr(event, "model_dump") else event
        yield orjson.dumps(data) + b"\n"


@router.get(
    "/v1/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One event per line"}},
)
def audit_export(request: Request, user: Auditor, query: Filters) -> StreamingResponse:
    """Stream every matching event of the caller's workspace as JSON Lines."""
    events = services_of(request).admin.audit_export(user.workspace_id, query.filters)
    return StreamingResponse(_jsonl(iter(events)), media_type="application/x-ndjson")


@router.get("/v1/audit/verify", response_model=VerifyReport)
def audit_verify(request: Request, user: Auditor) -> Any:
    """Recompute the caller's workspace hash chain and name the first broken event."""
    return services_of(request).admin.audit_verify(user.workspace_id)
