"""The `proctor` command line (Typer). Bad input prints one line and exits 2; never a traceback."""

from __future__ import annotations

import sys

import typer

from proctor.cli import admin as admin_cli
from proctor.cli import approvals as approvals_cli
from proctor.cli import audit as audit_cli
from proctor.cli import connectors as connectors_cli
from proctor.cli import demo, firewall, inspect, policy
from proctor.cli import rollback as rollback_cli
from proctor.cli import server as server_cli
from proctor.domain.errors import ProctorError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Proctor: the control plane for AI sales agents.",
)
app.command("decide")(policy.decide_command)
app.add_typer(policy.app, name="policy")
app.command("inspect")(inspect.inspect_command)
app.add_typer(firewall.app, name="firewall")
app.command("demo")(demo.demo_command)
app.command("init")(server_cli.init_command)
app.command("serve")(server_cli.serve_command)
app.add_typer(server_cli.db_app, name="db")
app.add_typer(admin_cli.workspaces_app, name="workspaces")
app.add_typer(admin_cli.agents_app, name="agents")
app.add_typer(admin_cli.users_app, name="users")
app.add_typer(admin_cli.delegations_app, name="delegations")
app.add_typer(admin_cli.keys_app, name="keys")
app.add_typer(admin_cli.credentials_app, name="credentials")
app.add_typer(audit_cli.app, name="audit")
app.command("smtp-sink")(connectors_cli.smtp_sink_command)
app.add_typer(connectors_cli.app, name="connectors")
app.add_typer(rollback_cli.app, name="rollback")
app.add_typer(approvals_cli.app, name="approvals")
app.command("worker")(approvals_cli.worker_command)


def main() -> None:
    """Entry point of the `proctor` script."""
    try:
        app()
    except ProctorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
