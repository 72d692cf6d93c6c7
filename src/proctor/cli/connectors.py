"""`proctor smtp-sink` and `proctor connectors …`: the local mail sink, the registry, the sandbox CRM."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from proctor.cli.io import dumps
from proctor.connectors.errors import ConnectorError
from proctor.connectors.registry import ConnectorRegistry

if TYPE_CHECKING:
    from proctor.connectors.smtp_sink import StoredMessage

app = typer.Typer(no_args_is_help=True, help="Connectors: list them, seed the sandbox CRM.")


@app.callback()
def _connectors() -> None:
    """Connectors: list them, seed the sandbox CRM."""


def _line(msg: StoredMessage) -> str:
    return f"#{msg.n} {msg.at} {msg.mail_from} → {', '.join(msg.rcpt_to)}: {msg.subject} {msg.message_id}"


def smtp_sink_command(
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.")] = 8025,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the .eml files and deliveries.jsonl.")
    ] = Path("smtp-sink"),
    list_: Annotated[bool, typer.Option("--list", help="Show what was delivered, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --list: one JSON object per line.")] = False,
    reject: Annotated[
        list[str] | None, typer.Option("--reject", help="Answer 550 to this address or @domain.")
    ] = None,
    defer: Annotated[
        list[str] | None, typer.Option("--defer", help="Answer 451 to this address or @domain.")
    ] = None,
) -> None:
    """Run a local SMTP sink that stores every delivered message (or --list what it stored)."""
    from proctor.connectors.smtp_sink import SmtpSink, read_deliveries

    if list_:
        messages = read_deliveries(directory)
        for msg in messages:
            if as_json:
                row = {
                    "n": msg.n, "at": msg.at, "from": msg.mail_from, "to": list(msg.rcpt_to),
                    "subject": msg.subject, "message_id": msg.message_id, "file": str(msg.path),
                }  # fmt: skip
                print(orjson.dumps(row).decode())
            else:
                print(_line(msg))
        if not messages and not as_json:
            print(f"no messages in {directory}", file=sys.stderr)
        return
    sink = SmtpSink(
        directory,
        host=host,
        port=port,
        reject=frozenset(reject or ()),
        defer=frozenset(defer or ()),
        on_message=lambda msg: print(_line(msg), flush=True),
    )
    try:
        sink.start()
    except ConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(
        f"smtp-sink listening on {sink.host}:{sink.port}, storing in {directory} (Ctrl-C to stop)", flush=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


@app.command("list")
def list_command() -> None:
    """Print every connector (built-in and entry point) with its capabilities, as JSON."""
    registry = ConnectorRegistry()
    print(dumps({"connectors": registry.describe(), "skipped": registry.skipped}))


@app.command("seed")
def seed_command(
    path: Annotated[Path, typer.Argument(help="The sandbox CRM's SQLite file (created when missing).")],
    n: Annotated[int, typer.Option("--n", min=20, help="About how many records.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 7,
) -> None:
    """Create the sandbox CRM at PATH with deterministic sample data; prints the counts as JSON."""
    from proctor.connectors.sandbox_crm import SandboxCrm

    crm = SandboxCrm(path)
    if crm.count("account"):
        print(f"error: {path} already holds data; choose a new file", file=sys.stderr)
        raise typer.Exit(2)
    counts = crm.seed(n, seed)
    print(dumps({"path": str(path), "counts": counts, "total": sum(counts.values())}))
