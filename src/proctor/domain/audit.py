"""The audit trail, pure: events, canonical JSON, the per-workspace SHA-256 hash chain and its verifier."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

GENESIS = "0" * 64
REDACTED = "[redacted]"
EventKind = Literal[
    "request",
    "decision",
    "execution",
    "outcome",
    "admin",
    "tool_output",
    "checkpoint",
    "approval",
    "rollback",
]
Problem = Literal["altered", "removed", "reordered"]


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTC datetimes (orjson)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """sha256(prev_hash + canonical(body)), hex."""
    return hashlib.sha256(prev_hash.encode() + canonical(dict(body))).hexdigest()


def utc_stamp(value: datetime) -> str:
    """A fixed-width, sortable UTC timestamp: 2026-11-24T10:00:00.000000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def redact(value: Any, protected: Iterable[str]) -> Any:
    """A copy of `value` with every key named in `protected` replaced by "[redacted]" (recursively)."""
    names = frozenset(protected)
    if not names:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {k: (REDACTED if k in names else walk(v)) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


class AuditEvent(BaseModel):
    """One append-only step of the trail; everything but `hash` and `prev_hash` is hashed."""

    model_config = ConfigDict(frozen=True)

    id: str
    workspace_id: str
    seq: int
    kind: EventKind
    at: str
    actor: dict[str, Any] = Field(default_factory=dict)
    action_id: str | None = None
    run_id: str | None = None
    action: str | None = None
    intent: str | None = None
    plan: list[str] = Field(default_factory=list)
    params: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    data_accessed: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    versions: dict[str, Any] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def body(self) -> dict[str, Any]:
        """The hashed part of the event."""
        return self.model_dump(mode="json", exclude={"hash", "prev_hash"})


_BODY_FIELDS = tuple(name for name in AuditEvent.model_fields if name not in ("hash", "prev_hash"))
_TEMPLATE: dict[str, Any] = dict.fromkeys(_BODY_FIELDS)
_KINDS = frozenset(EventKind.__args__)  # type: ignore[attr-defined]
_REQUIRED = frozenset({"id", "workspace_id", "seq", "kind", "at"})
_STRINGS = frozenset({"id", "workspace_id", "at"})
_OPTIONAL_STRINGS = frozenset({"action_id", "run_id", "action", "intent"})
_DICTS = frozenset({"actor", "versions", "detail"})  # a dict, never None
_OPTIONAL_DICTS = frozenset(
    {"params", "target", "data_accessed", "decision", "changes", "outcome", "evidence"}
)


def _plain(value: Any) -> bool:
    """True when `value` is JSON as pydantic's JSON mode leaves it unchanged: str, int, bool, None,
    finite floats, lists and str-keyed dicts of those (exact types, no subclasses)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            inner = type(item)
            if not (inner is str or inner is int or inner is bool or item is None or _plain(item)):
                return False
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    return kind is float and math.isfinite(value)


def _fits(name: str, value: Any) -> bool:
    """True when one field's value has its declared type and needs no conversion."""
    if name in _STRINGS:
        return type(value) is str
    if name in _OPTIONAL_STRINGS:
        return value is None or type(value) is str
    if name in _DICTS or (name in _OPTIONAL_DICTS and value is not None):
        return type(value) is dict and _plain(value)
    if name == "seq":
        return type(value) is int
    if name == "kind":
        return value in _KINDS
    if name == "plan":
        return type(value) is list and all(type(step) is str for step in value)
    return name in _OPTIONAL_DICTS  # None for an optional dict; False for an unknown field


def event_body(**fields: Any) -> dict[str, Any]:
    """`AuditEvent(**fields).body()` without building the model when every field already has its
    declared type as plain JSON (the hot path's events); anything else goes through the model, which
    validates and converts it. Values are not copied: callers pass fresh or never-mutated structures."""
    if not (fields.keys() >= _REQUIRED and all(_fits(name, value) for name, value in fields.items())):
        return AuditEvent(**fields).body()  # a missing, unknown or unconverted field: the model decides
    body = {**_TEMPLATE, **fields}
    for name in ("actor", "plan", "versions", "detail"):
        if name not in fields:
            body[name] = [] if name == "plan" else {}
    return body


def index_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The query columns an event row carries, derived from its body (verify checks they agree)."""
    actor = body.get("actor") or {}
    decision = body.get("decision") or {}
    data = body.get("data_accessed") or {}
    target = body.get("target") or {}
    params = body.get("params") or {}
    records = sorted(
        {str(r) for r in data.get("record_ids", []) if r}
        | {str(target[k]) for k in ("record_id", "account_id") if target.get(k)}
        | {str(params[k]) for k in ("record_id", "record") if isinstance(params.get(k), str | int)}
    )
    return {
        "agent_id": actor.get("agent_id"),
        "user_id": actor.get("user_id"),
        "action": body.get("action"),
        "effect": decision.get("effect"),
        "run_id": body.get("run_id"),
        "action_id": body.get("action_id"),
        "record_ids": " ".join(records),
    }


class AuditFilters(BaseModel):
    """What an audit query may filter on; all optional, combined with AND."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_id: str | None = None
    user_id: str | None = None
    action: str | None = None
    effect: str | None = None
    kind: str | None = None
    record_id: str | None = None
    run_id: str | None = None
    action_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ChainRow:
    """What the verifier reads of one stored row."""

    seq: int
    id: str
    prev_hash: str
    hash: str
    body: str
    index: dict[str, Any] = field(default_factory=dict)


class VerifyProblem(BaseModel):
    """The first place the chain breaks."""

    seq: int
    event_id: str | None
    what: Problem
    detail: str


class VerifyReport(BaseModel):
    """The answer of `audit verify`."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: VerifyProblem | None = None
    checkpoints_checked: int = 0


def _problem(row: ChainRow, what: Problem, detail: str, checked: int, head: tuple[int, str]) -> VerifyReport:
    return VerifyReport(
        ok=False,
        checked=checked,
        head_seq=head[0],
        head_hash=head[1],
        problem=VerifyProblem(seq=row.seq, event_id=row.id, what=what, detail=detail),
    )


def verify_chain(rows: Iterable[ChainRow], head: tuple[int, str] | None = None) -> VerifyReport:
    """Walk rows in seq order; name the first altered, removed or reordered event."""
    prev_seq, prev_hash = 0, GENESIS
    hashes: set[str] = set()
    checked = 0
    stored_head = head or (0, GENESIS)
    for row in rows:
        try:
            body = orjson.loads(row.body)
        except orjson.JSONDecodeError:
            return _problem(row, "altered", "the stored body is not JSON", checked, stored_head)
        if row.seq != prev_seq + 1 and body.get("seq") == row.seq:
            missing = prev_seq + 1
            return _problem(
                row,
                "removed",
                f"events {missing}..{row.seq - 1} are missing before this one",
                checked,
                stored_head,
            )
        if body.get("seq") != row.seq or body.get("id") != row.id:
            return _problem(
                row,
                "reordered",
                f"row at seq {row.seq} holds event {body.get('id')} (seq {body.get('seq')})",
                checked,
                stored_head,
            )
        if chain_hash(row.prev_hash, body) != row.hash:
            return _problem(
                row, "altered", "the event's content does not match its hash", checked, stored_head
            )
        if row.prev_hash != prev_hash:
            what: Problem = "reordered" if row.prev_hash in hashes else "altered"
            return _problem(row, what, "prev_hash does not link to the previous event", checked, stored_head)
        if row.index and row.index != index_of(body):
            return _problem(
                row, "altered", "the row's query columns disagree with its body", checked, stored_head
            )
        hashes.add(row.hash)
        prev_seq, prev_hash = row.seq, row.hash
        checked += 1
    if head is not None and (head[0] != prev_seq or head[1] != prev_hash):
        return VerifyReport(
            ok=False,
            checked=checked,
            head_seq=head[0],
            head_hash=head[1],
            problem=VerifyProblem(
                seq=prev_seq + 1,
                event_id=None,
                what="removed",
                detail=f"the chain head is at seq {head[0]} but the last stored event is seq {prev_seq}",
            ),
        )
    return VerifyReport(ok=True, checked=checked, head_seq=prev_seq, head_hash=prev_hash)
