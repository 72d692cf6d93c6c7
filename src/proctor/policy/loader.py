"""YAML → PolicyDocument, with file:line:key in every error, and the policy version hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from proctor.domain.errors import PolicyError
from proctor.policy.model import PolicyDocument

Loc = tuple[str | int, ...]


def _construct(node: yaml.Node, path: Loc, lines: dict[Loc, int], file: str) -> Any:
    """Build plain Python data from a YAML node, recording the line of every path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader(stream="").construct_object(key_node)  # scalars only
            if not isinstance(key, str | int | float | bool) or key is None:
                raise PolicyError(
                    "mapping keys must be plain scalars",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    key=_dotted(path),
                )
            if key in out:
                raise PolicyError(
                    f"duplicate key {key!r}",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    key=_dotted((*path, str(key))),
                )
            child = (*path, str(key))
            lines[child] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child, lines, file)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(stream="").construct_object(node)


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc) or "<document>"


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def parse_yaml(text: str, *, file: str = "<policy>") -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text into data plus a map from key path to line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise PolicyError(f"invalid YAML: {exc.problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", file=file) from None
    if node is None:
        raise PolicyError("the policy is empty", file=file)
    lines: dict[Loc, int] = {}
    return _construct(node, (), lines, file), lines


def _validation_error(exc: ValidationError, lines: dict[Loc, int], file: str) -> PolicyError:
    err = exc.errors()[0]
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    return PolicyError(msg, file=file, line=_line_for(loc, lines), key=_dotted(loc))


def document_from_yaml(text: str, *, file: str = "<policy>") -> tuple[PolicyDocument, dict[Loc, int]]:
    """Validate YAML text as a policy document; PolicyError names file, line and key."""
    data, lines = parse_yaml(text, file=file)
    return document_from_data(data, lines=lines, file=file), lines


def document_from_data(
    data: Any, *, lines: dict[Loc, int] | None = None, file: str = "<policy>"
) -> PolicyDocument:
    """Validate already-parsed data as a policy document; PolicyError names the key (and line if known)."""
    if not isinstance(data, dict):
        raise PolicyError("the policy must be a mapping of top-level keys", file=file, line=1)
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, lines or {}, file) from None


def policy_version(document: PolicyDocument) -> str:
    """The SHA-256 of the policy's canonical form (sorted keys, defaults filled in), as 'sha256:…'."""
    canonical = orjson.dumps(document.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def read_policy_text(path: str | Path) -> tuple[str, str]:
    """Read a policy file; returns (text, display name). Raises PolicyError if unreadable."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except FileNotFoundError:
        raise PolicyError("file not found", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", file=str(p)) from None
