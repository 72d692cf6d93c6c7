"""The policy document (SPEC §5) as pydantic models: unknown keys and bad values are errors."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from proctor.domain.decisions import Effect

_WINDOW = re.compile(r"^(\d+)([smhdw])$")
_WINDOW_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

TRIGGERS = (
    "new_domain",
    "new_persona",
    "sensitive_topic",
    "attachment",
    "unverified_email",
    "high_value_account",
    "first_touch",
    "pii_in_body",
)

Approvals = Annotated[int, Field(ge=1, le=5)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Require(_Strict):
    """A CEL condition that must be true; when false the action is denied with `message`."""

    expr: str = Field(min_length=1)
    message: str = Field(min_length=1)


class Rule(_Strict):
    """A conditional tightening: when `when` holds, apply `effect` (default require_approval)."""

    when: str = Field(min_length=1)
    effect: Effect = Effect.REQUIRE_APPROVAL
    approvals: Approvals = 1
    message: str = Field(min_length=1)
    approvers: list[str] = Field(default_factory=list)


class FieldRules(_Strict):
    """Per-field treatment of CRM writes; fields in no list get `default`."""

    allow: list[str] = Field(default_factory=list)
    approve: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    default: Effect = Effect.REQUIRE_APPROVAL

    @model_validator(mode="after")
    def _disjoint(self) -> FieldRules:
        seen: dict[str, str] = {}
        for group in ("allow", "approve", "deny"):
            for name in getattr(self, group):
                if name in seen:
                    raise ValueError(f"field {name!r} is listed under both {seen[name]} and {group}")
                seen[name] = group
        return self


class ActionRule(_Strict):
    """What the policy says about actions matching one glob pattern."""

    effect: Effect
    approvals: Approvals = 1
    approvers: list[str] = Field(default_factory=list)
    require: list[Require] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    fields: FieldRules | None = None


class RiskConfig(_Strict):
    """Trigger weights and the thresholds that turn a score into approvals."""

    triggers: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    require_approval_at: int = Field(default=30, ge=0)
    two_person_at: int = Field(default=80, ge=0)
    bulk_send_two_person_over: int = Field(default=50, ge=1)

    @field_validator("triggers")
    @classmethod
    def _known_triggers(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(TRIGGERS))
        if unknown:
            raise ValueError(f"unknown risk trigger {unknown[0]!r}; known: {', '.join(TRIGGERS)}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> RiskConfig:
        if self.two_person_at < self.require_approval_at:
            raise ValueError("two_person_at must be at least require_approval_at")
        return self


def window_seconds(window: str) -> int:
    """Parse a window such as '1h', '30d' or '15m' into seconds."""
    match = _WINDOW.match(window)
    if not match:
        raise ValueError(f"window {window!r} must look like 30s, 15m, 1h, 1d or 2w")
    return int(match.group(1)) * _WINDOW_SECONDS[match.group(2)]


class _Windowed(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    action: str = Field(min_length=1)
    window: str

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        window_seconds(value)
        return value


class Limit(_Windowed):
    """A named count limit: deny when usage + 1 > max within the window, per key."""

    per: Literal["agent", "sender", "recipient_domain", "segment", "workspace"]
    max: int = Field(ge=0)


class Budget(_Windowed):
    """A named sum budget over a metric (a request path such as params.cost_usd)."""

    metric: str = Field(pattern=r"^params(\.[A-Za-z_][A-Za-z0-9_]*)+$")
    per: Literal["agent", "sender", "recipient_domain", "segment", "workspace"] = "workspace"
    max: float = Field(ge=0)


class ContentConfig(_Strict):
    """The effect of each outbound content check, and the fields that never leave."""

    blocked_terms: Effect = Effect.DENY
    competitors: Effect = Effect.REQUIRE_APPROVAL
    restricted_industries: Effect = Effect.DENY
    pii: Effect = Effect.REQUIRE_APPROVAL
    protected_fields: list[str] = Field(default_factory=list)


class EvidenceConfig(_Strict):
    """'No receipts, no send': which actions need evidence, and what an unsupported claim costs."""

    required_for: list[str] = Field(default_factory=list)
    unsupported_claims: Effect = Effect.REQUIRE_APPROVAL
    min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)


class ApprovalsConfig(_Strict):
    """How long a pending approval waits before it expires (expiry denies); unset: the server's setting."""

    expire_after_hours: float | None = Field(default=None, gt=0, le=24 * 90)


class FirewallConfig(_Strict):
    """How tool outputs are scanned for indirect prompt injection."""

    scan_tool_outputs: bool = True
    on_injection: Literal["taint_run", "block", "log"] = "taint_run"


class PolicyDocument(_Strict):
    """A whole policy file."""

    version: Literal[1]
    name: str = Field(min_length=1)
    maturity: Literal[0, 1, 2, 3]
    lists: dict[str, list[str]] = Field(default_factory=dict)
    actions: dict[str, ActionRule] = Field(default_factory=dict)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    limits: list[Limit] = Field(default_factory=list)
    budgets: list[Budget] = Field(default_factory=list)
    content: ContentConfig = Field(default_factory=ContentConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    firewall: FirewallConfig = Field(default_factory=FirewallConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)

    @field_validator("actions")
    @classmethod
    def _patterns(cls, value: dict[str, ActionRule]) -> dict[str, ActionRule]:
        for pattern in value:
            if not re.fullmatch(r"[A-Za-z0-9_.*-]+", pattern):
                raise ValueError(
                    f"action pattern {pattern!r} may hold only letters, digits, '_', '.', '-', '*'"
                )
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> PolicyDocument:
        names = [item.name for item in (*self.limits, *self.budgets)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"limit/budget name {dupes[0]!r} is used twice")
        return self
