"""`proctor workspaces|agents|users|delegations|keys|credentials …`: administration as the local operator."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from proctor.cli.io import dumps, read_object
from proctor.domain.errors import NotFoundError, RequestError

if TYPE_CHECKING:
    from proctor.bootstrap import Services
    from proctor.policy.compile import CompiledPolicy

DEFAULT_WORKSPACE = "default"

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace id or name (default: the only workspace, or the one `proctor init` created).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def operator() -> str:
    """The audit actor of CLI changes: `cli:<os user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@contextmanager
def open_services(*, migrate: bool = False) -> Iterator[Services]:
    """The wired services for the database of Settings (PROCTOR_HOME / PROCTOR_DATABASE_URL)."""
    from proctor.bootstrap import PolicySource, build
    from proctor.config import Settings

    settings = Settings()
    source: list[PolicySource] = []

    def policy() -> CompiledPolicy:
        # Admin commands rarely need the policy: compile it on first use, not on every start.
        if not source:
            source.append(PolicySource(Path(settings.policy_path)))
        return source[0]()

    services = build(settings, migrate=migrate, policy=policy)
    try:
        yield services
    finally:
        services.close()


def list_workspaces(services: Services) -> list[dict[str, Any]]:
    """Every workspace, oldest first."""
    from sqlalchemy import select

    from proctor.store.tables import workspaces

    with services.store.read() as conn:
        rows = conn.execute(select(workspaces).order_by(workspaces.c.created_at)).all()
    return [{str(k): v for k, v in r._mapping.items()} for r in rows]


def resolve_workspace(services: Services, given: str | None) -> str:
    """A workspace id from `--workspace` (id or name), or the default one."""
    known = list_workspaces(services)
    if given:
        for ws in known:
            if given in (ws["id"], ws["name"]):
                return str(ws["id"])
        raise NotFoundError(f"no workspace {given!r}")
    if len(known) == 1:
        return str(known[0]["id"])
    named = [ws for ws in known if ws["name"] == DEFAULT_WORKSPACE]
    if named:
        return str(named[0]["id"])
    if not known:
        raise NotFoundError("no workspace yet: run `proctor init` or `proctor workspaces create NAME`")
    raise RequestError("several workspaces exist: choose one with --workspace", field="--workspace")


def ensure_default_workspace(services: Services) -> dict[str, Any]:
    """The default workspace, created when the database has none."""
    known = list_workspaces(services)
    if known:
        named = [ws for ws in known if ws["name"] == DEFAULT_WORKSPACE]
        return named[0] if named else known[0]
    return services.admin.create_workspace(DEFAULT_WORKSPACE, actor=operator())


def console() -> Any:
    """A rich Console that never truncates ids when stdout is not a terminal."""
    from rich.console import Console

    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)


def table_of(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    """A rich Table of `rows` whose cells fold rather than truncate."""
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    return table


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    console().print(table_of(rows, columns))


def _show(rows: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    if as_json:
        typer.echo(dumps(rows))
    else:
        _table(rows, columns)


workspaces_app = typer.Typer(no_args_is_help=True, help="Workspaces (tenants).")
agents_app = typer.Typer(no_args_is_help=True, help="Agents, their API keys and quarantine.")
users_app = typer.Typer(no_args_is_help=True, help="People, their roles and personal tokens.")
delegations_app = typer.Typer(no_args_is_help=True, help="Agents acting on a person's behalf.")
keys_app = typer.Typer(no_args_is_help=True, help="Encryption keys of service credentials.")
credentials_app = typer.Typer(no_args_is_help=True, help="Connector credentials, encrypted at rest.")


@workspaces_app.command("create")
def workspaces_create(name: Annotated[str, typer.Argument(help="A name for the workspace.")]) -> None:
    """Create a workspace and print it as JSON."""
    with open_services() as s:
        typer.echo(dumps(s.admin.create_workspace(name, actor=operator())))


@workspaces_app.command("list")
def workspaces_list(as_json: JsonOpt = False) -> None:
    """List workspaces."""
    with open_services() as s:
        _show(list_workspaces(s), ["id", "name", "created_at"], as_json)


@workspaces_app.command("pause")
def workspaces_pause(workspace: WorkspaceOpt = None) -> None:
    """Stop every agent of a workspace at once (each is quarantined, `resume` releases exactly those)."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps({"workspace_id": ws, "paused": s.admin.pause_workspace(ws, actor=operator())}))


@workspaces_app.command("resume")
def workspaces_resume(workspace: WorkspaceOpt = None) -> None:
    """Release the agents a workspace pause stopped (agents quarantined for another reason stay)."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps({"workspace_id": ws, "resumed": s.admin.resume_workspace(ws, actor=operator())}))


@agents_app.command("create")
def agents_create(name: Annotated[str, typer.Argument()], workspace: WorkspaceOpt = None) -> None:
    """Create an agent and print it as JSON."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps(s.admin.create_agent(ws, name, actor=operator())))


@agents_app.command("list")
def agents_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List a workspace's agents."""
    with open_services() as s:
        rows = s.admin.list_agents(resolve_workspace(s, workspace))
    _show(rows, ["id", "name", "status", "status_reason", "created_at"], as_json)


@agents_app.command("show")
def agents_show(agent_id: Annotated[str, typer.Argument()], workspace: WorkspaceOpt = None) -> None:
    """Print one agent with its keys' metadata as JSON."""
    with open_services() as s:
        typer.echo(dumps(s.admin.get_agent(resolve_workspace(s, workspace), agent_id)))


@agents_app.command("key")
def agents_key(
    agent_id: Annotated[str, typer.Argument()],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", "-s", help="Action pattern the key may submit (repeatable)."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Issue an API key for an agent; the raw key is printed once (`key`) and never stored."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        meta, raw = s.admin.issue_agent_key(ws, agent_id, scope or ["*"], actor=operator())
    typer.echo(dumps({**meta, "key": raw}))
    typer.echo("store this key now: it is shown only once", err=True)


@agents_app.command("revoke-key")
def agents_revoke_key(
    agent_id: Annotated[str, typer.Argument()],
    key_id: Annotated[str, typer.Argument()],
    workspace: WorkspaceOpt = None,
) -> None:
    """Revoke one of an agent's API keys."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        agent = s.admin.get_agent(ws, agent_id)
        if key_id not in {k["id"] for k in agent.get("keys", [])}:
            raise NotFoundError(f"agent {agent_id} has no key {key_id}")
        typer.echo(dumps(s.admin.revoke_agent_key(ws, key_id, actor=operator())))


def _set_status(agent_id: str, status: str, reason: str | None, workspace: str | None) -> None:
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps(s.admin.set_agent_status(ws, agent_id, status, reason, actor=operator())))


ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (written to the audit trail).")]


@agents_app.command("quarantine")
def agents_quarantine(
    agent_id: Annotated[str, typer.Argument()], reason: ReasonOpt = None, workspace: WorkspaceOpt = None
) -> None:
    """Quarantine an agent: everything it submits is denied until released."""
    _set_status(agent_id, "quarantined", reason, workspace)


@agents_app.command("release")
def agents_release(
    agent_id: Annotated[str, typer.Argument()], reason: ReasonOpt = None, workspace: WorkspaceOpt = None
) -> None:
    """Release a quarantined agent."""
    _set_status(agent_id, "active", reason, workspace)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the email).")] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", "-r", help="admin, manager, rep, approver or auditor (repeatable)."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA timezone, e.g. Europe/Berlin.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a person and print them as JSON."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        user = s.admin.create_user(ws, email, name or email, role or ["rep"], timezone, actor=operator())
    typer.echo(dumps(user))


@users_app.command("list")
def users_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List a workspace's people."""
    with open_services() as s:
        rows = s.admin.list_users(resolve_workspace(s, workspace))
    for row in rows:
        row["roles"] = ",".join(row["roles"]) if not as_json else row["roles"]
    _show(rows, ["id", "email", "name", "roles", "timezone"], as_json)


@users_app.command("token")
def users_token(user_id: Annotated[str, typer.Argument()], workspace: WorkspaceOpt = None) -> None:
    """Issue a personal access token for the HTTP API; printed once (`token`)."""
    with open_services() as s:
        meta, raw = s.admin.issue_user_token(resolve_workspace(s, workspace), user_id, actor=operator())
    typer.echo(dumps({**meta, "token": raw}))
    typer.echo("store this token now: it is shown only once", err=True)


@users_app.command("set-password")
def users_set_password(
    user_id: Annotated[str, typer.Argument()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Set a person's console password (local sign-in); never echoed, stored as an Argon2id hash."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New console password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise RequestError("the passwords differ", field="password")
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        s.admin.set_password(ws, user_id, password, actor=operator())
    typer.echo(dumps({"user_id": user_id, "workspace_id": ws, "password": "set"}))


def parse_expiry(value: str, now: datetime | None = None) -> datetime:
    """An RFC 3339 timestamp (with timezone) or a duration from now: `30d`, `12h`, `90m`."""
    now = now or datetime.now(UTC)
    units = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
    text = value.strip()
    if len(text) > 1 and text[-1] in units and text[:-1].isdigit():
        return now + timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RequestError("use an RFC 3339 time or a duration like 30d", field="--expires") from None
    if parsed.tzinfo is None:
        raise RequestError("the time needs a timezone (e.g. Z)", field="--expires")
    return parsed


@delegations_app.command("create")
def delegations_create(
    user: Annotated[str, typer.Option("--user", help="The delegating user's id.")],
    agent: Annotated[str, typer.Option("--agent", help="The agent's id.")],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="Action pattern (repeatable).")],
    expires: Annotated[str, typer.Option("--expires", help="RFC 3339 time or duration (30d).")],
    constraint: Annotated[
        list[str] | None, typer.Option("--constraint", help="A CEL condition that must hold (repeatable).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Let an agent act on a user's behalf within scopes until the expiry."""
    constraints: list[Mapping[str, str]] = [{"expr": c} for c in constraint or []]
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        dlg = s.admin.create_delegation(
            ws, user, agent, scope, parse_expiry(expires), constraints, actor=operator()
        )
    typer.echo(dumps(dlg))


@delegations_app.command("list")
def delegations_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """List a workspace's delegations."""
    with open_services() as s:
        rows = s.admin.list_delegations(resolve_workspace(s, workspace))
    for row in rows:
        row["scopes"] = ",".join(row["scopes"]) if not as_json else row["scopes"]
    _show(rows, ["id", "user_id", "agent_id", "scopes", "expires_at", "revoked_at"], as_json)


@delegations_app.command("revoke")
def delegations_revoke(
    delegation_id: Annotated[str, typer.Argument()], workspace: WorkspaceOpt = None
) -> None:
    """Revoke a delegation."""
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps(s.admin.revoke_delegation(ws, delegation_id, actor=operator())))


@keys_app.command("rotate")
def keys_rotate(
    new_key: Annotated[
        str | None, typer.Option("--new-key", help="A Fernet key to rotate to (default: a fresh one).")
    ] = None,
) -> None:
    """Make a new key the encryption key and re-encrypt every stored credential with it."""
    from proctor.store.secrets import new_fernet_key

    with open_services() as s:
        count = s.admin.rotate_keys(new_key or new_fernet_key(), actor=operator())
    typer.echo(dumps({"rotated": True, "credentials_reencrypted": count}))


@credentials_app.command("set")
def credentials_set(
    connector: Annotated[str, typer.Argument(help="e.g. hubspot, smtp, clearbit")],
    from_file: Annotated[str, typer.Option("--from-file", help="JSON/YAML object of credentials, or -.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Store a connector's credentials (encrypted); prints metadata only, never the secret."""
    credentials = read_object(from_file)
    with open_services() as s:
        ws = resolve_workspace(s, workspace)
        typer.echo(dumps(s.admin.set_service_credentials(ws, connector, credentials, actor=operator())))
