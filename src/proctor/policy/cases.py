"""Policy test cases: a request and the decision fields it must produce (`proctor policy test`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proctor.domain.decisions import Decision
from proctor.domain.errors import PolicyError
from proctor.policy.compile import CompiledPolicy
from proctor.policy.evaluate import decide

_EXPECTABLE = {"effect", "approvals_required", "risk_score", "triggers", "reasons_contain", "checks_failed"}


@dataclass(frozen=True, slots=True)
class Case:
    """One named case from a tests file."""

    name: str
    request: dict[str, Any]
    expect: dict[str, Any]


@dataclass(slots=True)
class CaseResult:
    """The outcome of one case: the decision and every expectation that did not hold."""

    case: Case
    decision: Decision
    mismatches: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.mismatches


def parse_cases(data: Any, *, file: str) -> tuple[str | None, list[Case]]:
    """Validate a tests document: {policy?: path, cases: [{name, request, expect}]}."""
    if not isinstance(data, dict):
        raise PolicyError("a tests file must be a mapping with 'cases'", file=file, line=1)
    unknown = sorted(set(data) - {"policy", "cases"})
    if unknown:
        raise PolicyError(f"unknown key {unknown[0]!r}", file=file, key=unknown[0])
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise PolicyError("'cases' must be a non-empty list", file=file, key="cases")
    cases: list[Case] = []
    for i, raw in enumerate(raw_cases):
        key = f"cases[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict):
            raise PolicyError("each case needs a 'request' mapping", file=file, key=key)
        expect = raw.get("expect")
        if not isinstance(expect, dict) or not expect:
            raise PolicyError("each case needs an 'expect' mapping", file=file, key=f"{key}.expect")
        bad = sorted(set(expect) - _EXPECTABLE)
        if bad:
            raise PolicyError(
                f"cannot expect {bad[0]!r}; use one of {', '.join(sorted(_EXPECTABLE))}",
                file=file,
                key=f"{key}.expect.{bad[0]}",
            )
        extra = sorted(set(raw) - {"name", "request", "expect"})
        if extra:
            raise PolicyError(f"unknown key {extra[0]!r}", file=file, key=f"{key}.{extra[0]}")
        cases.append(Case(str(raw.get("name") or key), raw["request"], expect))
    policy = data.get("policy")
    if policy is not None and not isinstance(policy, str):
        raise PolicyError("'policy' must be a path", file=file, key="policy")
    return policy, cases


def run_case(policy: CompiledPolicy, case: Case) -> CaseResult:
    """Decide the case's request and compare each expected field."""
    decision = decide(policy, case.request)
    result = CaseResult(case, decision)
    actual: dict[str, Any] = {
        "effect": decision.effect.value,
        "approvals_required": decision.approvals_required,
        "risk_score": decision.risk.score,
        "triggers": sorted(decision.risk.triggers),
    }
    for key, want in case.expect.items():
        if key == "reasons_contain":
            wanted = [want] if isinstance(want, str) else list(want)
            for text in wanted:
                if not any(text.lower() in r.lower() for r in decision.reasons):
                    result.mismatches.append((key, text, decision.reasons))
        elif key == "checks_failed":
            got = sorted(c.name for c in decision.checks if not c.passed)
            if sorted(want) != got:
                result.mismatches.append((key, sorted(want), got))
        elif key == "triggers":
            if sorted(want) != actual[key]:
                result.mismatches.append((key, sorted(want), actual[key]))
        elif actual[key] != want:
            result.mismatches.append((key, want, actual[key]))
    return result
