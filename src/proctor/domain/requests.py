"""What an agent submits (SPEC §3): ActionRequest with its Evidence, and the Facts a decision reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(_Model):
    """A buying signal the agent relied on."""

    kind: str
    name: str
    source: str | None = None


class EvidenceFact(_Model):
    """One sourced statement the agent may use in outbound content."""

    text: str
    source: str | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class Evidence(_Model):
    """The receipt attached to an action: signals, facts, reasoning and sources."""

    signals: list[Signal] = Field(default_factory=list)
    facts: list[EvidenceFact] = Field(default_factory=list)
    reasoning: str | None = None
    sources: list[str] = Field(default_factory=list)


class Target(BaseModel):
    """The CRM record an action is about."""

    model_config = ConfigDict(extra="allow", frozen=True)

    object: str | None = None
    record_id: str | None = None
    account_id: str | None = None


class Versions(BaseModel):
    """Model and prompt versions that produced the action (written to the audit trail)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    model: str | None = None
    prompt_template: str | None = None


class Batch(_Model):
    """An action proposed as part of a batch of `size` actions (bulk sends need two people)."""

    id: str | None = None
    size: int = Field(ge=1)


class DelegationConstraint(_Model):
    """A CEL condition that must hold for a delegated action."""

    expr: str
    message: str | None = None


class DelegationFact(_Model):
    """A delegation as the decision sees it."""

    user: str
    scopes: list[str] = Field(min_length=1)
    expires_at: AwareDatetime
    constraints: list[DelegationConstraint] = Field(default_factory=list)
    revoked: bool = False


class Facts(_Model):
    """What the store knows at decision time. Absent facts mean 'nothing known'."""

    now: AwareDatetime | None = None
    agent_status: Literal["active", "quarantined", "disabled"] = "active"
    delegation: DelegationFact | None = None
    run_tainted: bool = False
    known_recipient_domains: list[str] = Field(default_factory=list)
    known_personas: list[str] = Field(default_factory=list)
    email_verified: bool | None = None
    resource: dict[str, Any] = Field(default_factory=dict)
    usage: dict[str, float] = Field(default_factory=dict)


# Shared defaults for an absent target or versions: both are frozen and hold no containers, so one
# instance serves every request (building a fresh one cost more than validating the rest of it).
_NO_TARGET = Target()
_NO_VERSIONS = Versions()


class ActionRequest(_Model):
    """One action an agent asks to perform (SPEC §3)."""

    action: str = Field(min_length=1)
    agent_id: str | None = None
    run_id: str | None = None
    on_behalf_of: str | None = None
    intent: str | None = None
    plan: list[str] = Field(default_factory=list)
    target: Target = Field(default_factory=lambda: _NO_TARGET)
    params: dict[str, Any] = Field(default_factory=dict)
    evidence: Evidence | None = None
    versions: Versions = Field(default_factory=lambda: _NO_VERSIONS)
    idempotency_key: str | None = None
    batch: Batch | None = None
    facts: Facts = Field(default_factory=Facts)


def utc_iso(value: datetime) -> str:
    """Format an aware datetime as an RFC 3339 UTC string."""
    return value.isoformat().replace("+00:00", "Z")
