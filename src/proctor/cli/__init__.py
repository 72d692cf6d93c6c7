"""The `proctor` command line (Typer)."""

from __future__ import annotations

import typer

from proctor.cli import firewall

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Proctor: the control plane for AI sales agents.")
app.add_typer(firewall.app, name="firewall")


def main() -> None:
    """Entry point of the `proctor` script."""
    app()
