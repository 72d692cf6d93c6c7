"""What the engine answers (SPEC §4): a Decision with its effect, risk, reasons and checks."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Effect(StrEnum):
    """The three outcomes; RANK orders them from least to most restrictive."""

    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


RANK: dict[Effect, int] = {Effect.ALLOW: 0, Effect.REQUIRE_APPROVAL: 1, Effect.DENY: 2}


class Risk(BaseModel):
    """The risk score of an action and the triggers that fired."""

    model_config = ConfigDict(frozen=True)

    score: int = 0
    triggers: list[str] = Field(default_factory=list)


class Check(BaseModel):
    """One content, evidence or schema check and its result."""

    model_config = ConfigDict(frozen=True)

    name: str
    passed: bool
    detail: str = ""


class Decision(BaseModel):
    """The answer for one request; the shape `proctor decide` prints."""

    model_config = ConfigDict(frozen=True)

    effect: Effect
    approvals_required: int = 0
    risk: Risk = Field(default_factory=Risk)
    reasons: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    obligations: list[str] = Field(default_factory=list)
    policy_version: str = ""

    @property
    def allowed(self) -> bool:
        """True when the action may run now without a human."""
        return self.effect is Effect.ALLOW
