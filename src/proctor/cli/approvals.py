"""`proctor approvals list|show|approve|reject` (as a user) and `proctor worker` (the outbox runner)."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Annotated, Any

import typer

from proctor.cli.admin import JsonOpt, WorkspaceOpt, console, open_services, resolve_workspace, table_of
from proctor.cli.io import dumps, read_object
from proctor.domain.errors import ProctorError

app = typer.Typer(no_args_is_help=True, help="Actions waiting for a human: list, show, approve, reject.")
AsOpt = Annotated[str, typer.Option("--as", help="Act as this user (id or email); their roles apply.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (shown to the agent on rejection).")]
COLUMNS = ["id", "action", "status", "agent_id", "on_behalf_of", "risk", "approvals_required", "expires_at"]


def _print(data: Any, as_json: bool) -> None:
    if as_json or not isinstance(data, list):
        typer.echo(dumps(data))
        return
    rows = [{**d, "risk": (d.get("risk") or {}).get("score")} for d in data]
    console().print(table_of(rows, COLUMNS))


@app.command("list")
def list_command(
    workspace: WorkspaceOpt = None,
    status: Annotated[str, typer.Option("--status", help="pending, approved, … or all.")] = "pending",
    batch: Annotated[str | None, typer.Option("--batch", help="Only this batch id.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The approval queue (oldest first)."""
    from proctor.worker import approvals_for

    with open_services() as services:
        ws = resolve_workspace(services, workspace)
        found = approvals_for(services).list_approvals(
            ws, status=None if status == "all" else status, batch_id=batch
        )
    _print(found, as_json)


@app.command("show")
def show_command(approval_id: str, workspace: WorkspaceOpt = None) -> None:
    """One approval as JSON: risk, triggers, evidence, checks, the delegating rep, votes."""
    from proctor.worker import approvals_for

    with open_services() as services:
        view = approvals_for(services).get(resolve_workspace(services, workspace), approval_id)
    typer.echo(dumps(view))


@app.command("approve")
def approve_command(
    approval_id: str,
    as_user: AsOpt,
    workspace: WorkspaceOpt = None,
    reason: ReasonOpt = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Edited params: a JSON/YAML file, or - for stdin.")
    ] = None,
    content_hash: Annotated[
        str | None, typer.Option("--content-hash", help="Refuse if the content changed since this hash.")
    ] = None,
) -> None:
    """Approve as a user (optionally with edited params, decided again by the policy)."""
    from proctor.worker import approvals_for

    edited = read_object(params) if params is not None else None
    with open_services() as services:
        service = approvals_for(services)
        ws = resolve_workspace(services, workspace)
        user = service.user(ws, as_user)
        view = service.vote(
            user, approval_id, "approve", reason=reason, params=edited, expected_hash=content_hash, via="cli"
        )
    typer.echo(dumps(view))


@app.command("reject")
def reject_command(
    approval_id: str, as_user: AsOpt, workspace: WorkspaceOpt = None, reason: ReasonOpt = None
) -> None:
    """Reject as a user; the agent sees status rejected with the reason."""
    from proctor.worker import approvals_for

    with open_services() as services:
        service = approvals_for(services)
        user = service.user(resolve_workspace(services, workspace), as_user)
        view = service.vote(user, approval_id, "reject", reason=reason, via="cli")
    typer.echo(dumps(view))


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="One pass, print what it did, exit.")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.05, help="Seconds between passes.")] = 1.0,
    lease: Annotated[
        float, typer.Option("--lease", min=0.0, help="Seconds before a dead worker's claim is taken over.")
    ] = 300.0,
    pause_after_claim: Annotated[
        float, typer.Option("--pause-after-claim", min=0.0, hidden=True, help="Testing: sleep after a claim.")
    ] = 0.0,
) -> None:
    """Execute approved actions exactly once, expire and announce approvals; runs until stopped."""
    from proctor.runtime import settle_heap
    from proctor.worker import worker_for

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with open_services(migrate=True) as services:
        worker = worker_for(services, lease=timedelta(seconds=lease), pause_after_claim=pause_after_claim)
        settle_heap()  # a long-running process: keep the start-up heap out of full GC passes
        while True:
            try:
                counts = worker.run_once()
            except ProctorError as exc:
                if once:
                    raise
                typer.echo(f"worker pass failed: {exc}", err=True)
                counts = {}
            if once:
                typer.echo(dumps({"worker": worker.name, **counts}))
                return
            if stop.wait(interval):
                return
