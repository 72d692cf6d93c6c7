"""`proctor firewall …`: scan tool outputs for indirect prompt injection."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Scan tool outputs for indirect prompt injection.")
