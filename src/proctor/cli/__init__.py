"""The `proctor` command line (Typer). Bad input prints one line and exits 2; never a traceback."""

from __future__ import annotations

import sys

import typer

from proctor.cli import demo, firewall, inspect, policy
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


def main() -> None:
    """Entry point of the `proctor` script."""
    try:
        app()
    except ProctorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
