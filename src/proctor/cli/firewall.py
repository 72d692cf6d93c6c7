"""`proctor firewall …`: scan tool outputs for indirect prompt injection."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from proctor.inspect.injection import scan

app = typer.Typer(no_args_is_help=True, help="Scan tool outputs for indirect prompt injection.")


@app.callback()
def _firewall() -> None:
    """Scan tool outputs for indirect prompt injection."""


class InputError(Exception):
    """A bad input line: not JSON, not an object, or no string `text`."""


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def read_jsonl(lines: list[bytes], name: str) -> list[str]:
    """Texts from JSONL lines `{"text": …}`; raises InputError naming the first bad line."""
    texts: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{name}: line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f'{name}: line {number}: expected an object like {{"text": "…"}}')
        if "text" not in obj:
            raise InputError(f'{name}: line {number}: missing field "text"')
        if not isinstance(obj["text"], str):
            raise InputError(f'{name}: line {number}: field "text" must be a string')
        texts.append(obj["text"])
    return texts


@app.command("scan")
def scan_command(
    text_arg: Annotated[str | None, typer.Argument(metavar="[TEXT]", help="One text to scan.")] = None,
    jsonl: Annotated[
        str | None, typer.Option("--jsonl", help='JSONL file of {"text": …} lines, or - for stdin.')
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="One text to scan.")] = None,
) -> None:
    """Print one JSON line {"verdict", "score", "findings"} per input text."""
    given = [x for x in (text_arg, text) if x is not None]
    if jsonl is not None and given:
        _fail("give either --jsonl or a text, not both")
    if len(given) > 1:
        _fail("give the text once: either as an argument or with --text")
    if jsonl is None and not given:
        _fail('nothing to scan: give --jsonl FILE|- or --text "…"')
    if jsonl is None:
        texts = given
    else:
        name = "stdin" if jsonl == "-" else jsonl
        try:
            raw = sys.stdin.buffer.read() if jsonl == "-" else Path(jsonl).read_bytes()
        except OSError as exc:
            _fail(f"cannot read {name}: {exc.strerror or exc}")
            return
        try:
            texts = read_jsonl(raw.splitlines(), name)
        except InputError as exc:
            _fail(str(exc))
            return
    out = sys.stdout.buffer
    for item in texts:
        out.write(orjson.dumps(scan(item).to_dict()) + b"\n")
    out.flush()
