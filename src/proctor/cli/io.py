"""Reading requests and documents for the CLI: files or stdin, JSON or YAML, errors that name the input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import yaml

from proctor.domain.errors import RequestError


def read_text(source: str | None) -> tuple[str, str]:
    """Read FILE, or stdin for '-' or None; returns (text, display name)."""
    if source is None or source == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        raise RequestError("file not found", field=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError(f"cannot read: {exc}", field=str(path)) from None


def parse_document(text: str, name: str) -> Any:
    """Parse JSON (or YAML, a superset) text; errors name the input and the line."""
    stripped = text.lstrip()
    if not stripped:
        raise RequestError("the input is empty", field=name)
    if stripped[0] in "{[":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise RequestError(f"invalid JSON: {exc}", field=name) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RequestError(f"invalid JSON/YAML{where}: {getattr(exc, 'problem', exc)}", field=name) from None


def read_object(source: str | None) -> dict[str, Any]:
    """Read one JSON/YAML object from FILE or stdin."""
    text, name = read_text(source)
    data = parse_document(text, name)
    if not isinstance(data, dict):
        raise RequestError("expected a JSON object", field=name)
    return data


def dumps(data: Any) -> str:
    """Pretty JSON for humans and machines alike."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
