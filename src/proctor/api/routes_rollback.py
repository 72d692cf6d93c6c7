"""`POST /v1/rollback`: preview or perform a rollback of an action, run, approval batch or agent window."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from proctor.api.deps import actor_of, require_roles, services_of
from proctor.api.schemas import ERRORS

router = APIRouter(tags=["rollback"], responses=ERRORS)
Manager = Annotated[Any, Depends(require_roles("admin", "manager"))]


class RollbackRequest(BaseModel):
    """What to roll back; `dry_run` returns the plan (per-action diffs and conflicts) without writing."""

    model_config = ConfigDict(extra="forbid")

    scope: Literal["action", "run", "batch", "agent"]
    id: str = Field(min_length=1, max_length=200, description="Action, run, batch or agent id")
    since: datetime | None = Field(default=None, description="Agent scope: changes at or after (RFC 3339)")
    until: datetime | None = Field(default=None, description="Agent scope: changes before (default now)")
    dry_run: bool = False
    force: bool = Field(default=False, description="Restore fields changed by someone else since")


class RollbackItem(BaseModel):
    """One recorded change and what the rollback did (or would do) with it."""

    change_id: int
    action_id: str
    action: str
    agent_id: str
    run_id: str | None = None
    at: str
    connector: str
    object: str
    record_id: str
    op: str
    status: str = Field(description="revert, partial, conflict, not_reversible, already_reverted or missing")
    diff: list[dict[str, Any]] = Field(description="field, before (current), after (restored)")
    conflicts: list[dict[str, Any]] = Field(description="field, expected, current, restore_to")
    reason: str = ""


class RollbackResult(BaseModel):
    """The plan (dry run) or result of a rollback, newest change first."""

    rollback_id: str | None
    workspace_id: str
    scope: str
    id: str
    since: str | None = None
    until: str | None = None
    dry_run: bool
    force: bool
    summary: dict[str, int]
    items: list[RollbackItem]


@router.post("/v1/rollback", response_model=RollbackResult, summary="Roll back (or preview)")
async def rollback(body: RollbackRequest, request: Request, user: Manager) -> Any:
    """Revert the changes of the scope newest first; conflicts are skipped unless `force`; audited."""
    from proctor.rollback import RollbackService

    service = RollbackService.of(services_of(request))
    return await run_in_threadpool(
        service.run,
        user.workspace_id,
        body.scope,
        body.id,
        since=body.since,
        until=body.until,
        dry_run=body.dry_run,
        force=body.force,
        actor=actor_of(user),
    )
