"""`proctor audit query|verify|export`: search the trail, verify its hash chain, export JSON Lines."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from proctor.cli.admin import JsonOpt, WorkspaceOpt, console, open_services, resolve_workspace, table_of
from proctor.cli.io import dumps
from proctor.domain.audit import AuditFilters
from proctor.domain.errors import RequestError

app = typer.Typer(no_args_is_help=True, help="Search, verify and export the tamper-evident audit trail.")

AgentOpt = Annotated[str | None, typer.Option("--agent", help="Agent id.")]
UserOpt = Annotated[str | None, typer.Option("--user", help="User id (the delegating or acting person).")]
ActionOpt = Annotated[str | None, typer.Option("--action", help="Action name, e.g. email.send.")]
EffectOpt = Annotated[str | None, typer.Option("--effect", help="allow, deny or require_approval.")]
KindOpt = Annotated[
    str | None, typer.Option("--kind", help="request, decision, outcome, admin, tool_output…")
]
RecordOpt = Annotated[str | None, typer.Option("--record", "--record-id", help="CRM record or account id.")]
RunOpt = Annotated[str | None, typer.Option("--run", "--run-id", help="Run id.")]
ActionIdOpt = Annotated[str | None, typer.Option("--action-id", help="Action id (act_…).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Events at or after (RFC 3339).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Events before (RFC 3339).")]
TextOpt = Annotated[str | None, typer.Option("--q", "--text", help="Full-text search in event bodies.")]


def _time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RequestError("not an RFC 3339 time", field=field) from None
    if parsed.tzinfo is None:
        raise RequestError("the time needs a timezone (e.g. Z)", field=field)
    return parsed


def build_filters(
    agent: str | None = None,
    user: str | None = None,
    action: str | None = None,
    effect: str | None = None,
    kind: str | None = None,
    record: str | None = None,
    run: str | None = None,
    action_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    text: str | None = None,
) -> AuditFilters:
    """AuditFilters from CLI options; bad values name the option."""
    if effect is not None and effect not in ("allow", "deny", "require_approval"):
        raise RequestError("must be allow, deny or require_approval", field="--effect")
    return AuditFilters(
        agent_id=agent,
        user_id=user,
        action=action,
        effect=effect,
        kind=kind,
        record_id=record,
        run_id=run,
        action_id=action_id,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
        text=text,
    )


def _summary(event: dict[str, Any]) -> dict[str, Any]:
    actor = event.get("actor") or {}
    decision = event.get("decision") or {}
    detail = event.get("detail") or {}
    who = actor.get("agent_id") or actor.get("by") or ""
    if actor.get("user_id"):
        who = f"{who} for {actor['user_id']}"
    what = event.get("action") or detail.get("change") or ""
    return {
        "seq": event.get("seq"),
        "at": event.get("at"),
        "kind": event.get("kind"),
        "who": who,
        "what": what,
        "effect": decision.get("effect") or (event.get("outcome") or {}).get("status"),
        "action_id": event.get("action_id"),
        "run_id": event.get("run_id"),
    }


@app.command("query")
def query_command(
    agent: AgentOpt = None,
    user: UserOpt = None,
    action: ActionOpt = None,
    effect: EffectOpt = None,
    kind: KindOpt = None,
    record: RecordOpt = None,
    run: RunOpt = None,
    action_id: ActionIdOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    text: TextOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Events per page.")] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="`next_cursor` of a previous page.")] = None,
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest events first.")] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the audit trail; `--json` prints `{"events": […], "next_cursor": …}`."""
    filters = build_filters(agent, user, action, effect, kind, record, run, action_id, since, until, text)
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        events, next_cursor = s.admin.audit_query(ws, filters, cursor, limit, descending=newest_first)
    if as_json:
        typer.echo(dumps({"events": events, "next_cursor": next_cursor}))
        return
    columns = ["seq", "at", "kind", "who", "what", "effect", "action_id", "run_id"]
    out = console()
    out.print(table_of([_summary(e) for e in events], columns))
    if next_cursor:
        out.print(f"more: --cursor {next_cursor}")


@app.command("verify")
def verify_command(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute the hash chain and check signed checkpoints; exit 1 naming the first bad event."""
    with open_services() as s:
        report = s.admin.audit_verify(resolve_workspace(s, workspace))
    if as_json:
        typer.echo(dumps(report.model_dump(mode="json")))
    elif report.ok:
        typer.echo(
            f"ok: {report.checked} events verified, head seq {report.head_seq} ({report.head_hash[:16]}…), "
            f"{report.checkpoints_checked} signed checkpoints"
        )
    if not report.ok:
        problem = report.problem
        if problem is not None:
            name = problem.event_id or "(missing event)"
            typer.echo(
                f"audit chain broken at seq {problem.seq}: event {name} {problem.what}: {problem.detail}",
                err=True,
            )
        else:
            typer.echo("audit chain broken", err=True)
        raise typer.Exit(1)


@app.command("export")
def export_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")] = None,
    agent: AgentOpt = None,
    user: UserOpt = None,
    action: ActionOpt = None,
    effect: EffectOpt = None,
    kind: KindOpt = None,
    record: RecordOpt = None,
    run: RunOpt = None,
    action_id: ActionIdOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    text: TextOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Stream matching events as JSON Lines, oldest first (never all in memory)."""
    filters = build_filters(agent, user, action, effect, kind, record, run, action_id, since, until, text)
    count = 0
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        if out is None:
            sink = sys.stdout.buffer
            for event in s.admin.audit_export(ws, filters):
                sink.write(orjson.dumps(event) + b"\n")
                count += 1
            sink.flush()
        else:
            tmp = out.with_name(f".{out.name}.part")
            with tmp.open("wb") as fh:
                for event in s.admin.audit_export(ws, filters):
                    fh.write(orjson.dumps(event) + b"\n")
                    count += 1
            tmp.replace(out)
            typer.echo(f"exported {count} events to {out}", err=True)
