"""`proctor rollback action|run|batch|agent …`: revert an agent's writes newest first, or preview the diff."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from proctor.cli.admin import JsonOpt, WorkspaceOpt, open_services, operator, resolve_workspace
from proctor.cli.io import dumps
from proctor.domain.errors import RequestError

app = typer.Typer(
    no_args_is_help=True,
    help="Revert an action, a run, an approval batch or an agent's time window (newest first).",
)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the diff without writing anything.")]
Force = Annotated[bool, typer.Option("--force", help="Restore fields changed by someone else since.")]
_AGO = re.compile(r"^(\d+)([smhd])$")


def parse_time(value: str | None, field: str) -> datetime | None:
    """An RFC 3339 time, or a duration ago (`90m`, `1h`, `2d`); naive times are UTC."""
    if value is None:
        return None
    match = _AGO.match(value.strip())
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(match.group(1))})
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RequestError("expected an RFC 3339 time or a duration like 1h", field=field) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _run(
    scope: str,
    ref: str,
    workspace: str | None,
    dry_run: bool,
    force: bool,
    as_json: bool,
    since: datetime | None = None,
    until: datetime | None = None,
) -> None:
    from proctor.rollback import RollbackService, preview_text

    with open_services() as services:
        ws = resolve_workspace(services, workspace)
        result = RollbackService.of(services).run(
            ws, scope, ref, since=since, until=until, dry_run=dry_run, force=force, actor=operator()
        )
    typer.echo(dumps(result) if as_json else preview_text(result))


@app.command("action")
def rollback_action(
    action_id: Annotated[str, typer.Argument(help="The action id (act_…).")],
    workspace: WorkspaceOpt = None,
    dry_run: DryRun = False,
    force: Force = False,
    as_json: JsonOpt = False,
) -> None:
    """Revert one action."""
    _run("action", action_id, workspace, dry_run, force, as_json)


@app.command("run")
def rollback_run(
    run_id: Annotated[str, typer.Argument(help="The agent run id.")],
    workspace: WorkspaceOpt = None,
    dry_run: DryRun = False,
    force: Force = False,
    as_json: JsonOpt = False,
) -> None:
    """Revert every action of a run, newest first."""
    _run("run", run_id, workspace, dry_run, force, as_json)


@app.command("batch")
def rollback_batch(
    batch_id: Annotated[str, typer.Argument(help="The batch id the actions were submitted with.")],
    workspace: WorkspaceOpt = None,
    dry_run: DryRun = False,
    force: Force = False,
    as_json: JsonOpt = False,
) -> None:
    """Revert every action of an approval batch, newest first."""
    _run("batch", batch_id, workspace, dry_run, force, as_json)


@app.command("agent")
def rollback_agent(
    agent_id: Annotated[str, typer.Argument(help="The agent id (agt_…).")],
    since: Annotated[str, typer.Option("--since", help="Start: RFC 3339 or a duration ago (1h).")],
    until: Annotated[str | None, typer.Option("--until", help="End (default: now).")] = None,
    workspace: WorkspaceOpt = None,
    dry_run: DryRun = False,
    force: Force = False,
    as_json: JsonOpt = False,
) -> None:
    """Revert every action of an agent in a time window, newest first."""
    start, end = parse_time(since, "--since"), parse_time(until, "--until")
    _run("agent", agent_id, workspace, dry_run, force, as_json, start, end)
