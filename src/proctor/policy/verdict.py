"""The combining rule (SPEC §4): collect what every source says; the most restrictive wins."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from proctor.domain.decisions import RANK, Check, Decision, Effect, Risk

M = TypeVar("M", bound=BaseModel)
NO_RISK = Risk()
_EFFECTS = (Effect.ALLOW, Effect.REQUIRE_APPROVAL, Effect.DENY)
_PASSED: dict[tuple[str, str], Check] = {}


def built(cls: type[M], values: dict[str, Any]) -> M:
    """A model from values the engine produced itself (every field given): no validation, no copying.

    `model_construct` walks the fields in Python; on the decision path that costs more than the
    decision, so the engine fills the instance directly, as `model_construct` does in the end.
    """
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class Verdict:
    """Accumulates effects, reasons, checks and obligations from every source of a decision."""

    __slots__ = ("approvals", "checks", "obligations", "rank", "reasons", "risk")

    def __init__(self) -> None:
        self.rank = 0
        self.approvals = 0
        self.reasons: tuple[list[str], list[str], list[str]] = ([], [], [])
        self.checks: list[Check] = []
        self.obligations: list[str] = []
        self.risk = NO_RISK

    def add(self, effect: Effect, reason: str, approvals: int = 1) -> None:
        """Record what one source says; deny > require_approval > allow, approvals take the max."""
        rank = RANK[effect]
        self.reasons[rank].append(reason)
        if rank > self.rank:
            self.rank = rank
        if effect is Effect.REQUIRE_APPROVAL and approvals > self.approvals:
            self.approvals = approvals

    def deny(self, reason: str) -> None:
        """Shorthand for add(DENY, reason)."""
        self.add(Effect.DENY, reason)

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        """Report a check in the decision."""
        if passed:  # a passed check says the same thing every time: one shared (frozen) instance
            key = (name, detail)
            found = _PASSED.get(key)
            if found is None:
                found = built(Check, {"name": name, "passed": True, "detail": detail})
                if len(_PASSED) < 1024:
                    _PASSED[key] = found
            self.checks.append(found)
        else:
            self.checks.append(built(Check, {"name": name, "passed": passed, "detail": detail}))

    @property
    def denied(self) -> bool:
        """True once any source has denied."""
        return self.rank == 2

    def decision(self, policy_version: str) -> Decision:
        """The final Decision: the reasons of the winning level, approvals only for require_approval."""
        effect = _EFFECTS[self.rank]
        reasons = self.reasons[self.rank]
        if not reasons:  # never answer a restrictive effect without a reason
            reasons = [f"{effect.value} (no reason recorded)"]
        elif len(reasons) > 1:
            reasons = list(dict.fromkeys(reasons))
        obligations = self.obligations
        if len(obligations) > 1:
            obligations = list(dict.fromkeys(obligations))
        return built(
            Decision,
            {
                "effect": effect,
                "approvals_required": max(1, self.approvals) if self.rank == 1 else 0,
                "risk": self.risk,
                "reasons": reasons,
                "checks": self.checks,
                "obligations": obligations,
                "policy_version": policy_version,
            },
        )


def denial(reason: str, policy_version: str) -> Decision:
    """A deny decision with one reason (used for errors and malformed requests)."""
    return Decision.model_construct(
        effect=Effect.DENY,
        approvals_required=0,
        risk=Risk(),
        reasons=[reason],
        checks=[],
        obligations=[],
        policy_version=policy_version,
    )
