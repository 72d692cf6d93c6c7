"""decide(policy, request) → Decision: a pure function of (policy, request, facts). Errors deny."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from proctor.domain.actions import CATALOGUE, ActionSpec, Catalogue, Category
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import RequestError
from proctor.domain.requests import ActionRequest
from proctor.policy.cel import CompiledExpression, compile_expression
from proctor.policy.compile import CompiledActionRule, CompiledBudget, CompiledPolicy
from proctor.policy.content import check_content
from proctor.policy.derived import Derived, derive
from proctor.policy.model import Limit
from proctor.policy.risk import score_risk
from proctor.policy.verdict import Verdict, denial

_A, _R, _D = Effect.ALLOW, Effect.REQUIRE_APPROVAL, Effect.DENY
MATURITY_NAMES = {0: "manual", 1: "draft-only", 2: "send-with-approval", 3: "autonomous in guardrails"}
# SPEC §5 maturity ceiling, level → effect per column:
# research, draft, enrichment, crm_write light, crm_write other, send, export
_CEILING: dict[int, tuple[Effect, ...]] = {
    0: (_D, _D, _D, _D, _D, _D, _D),
    1: (_A, _A, _D, _D, _D, _D, _D),
    2: (_A, _A, _A, _A, _R, _R, _R),
    3: (_A, _A, _A, _A, _A, _A, _R),
}
_COLUMN = {
    Category.RESEARCH: 0,
    Category.DRAFT: 1,
    Category.ENRICHMENT: 2,
    Category.SEND: 5,
    Category.EXPORT: 6,
}
_TAINTABLE = frozenset({Category.SEND, Category.CRM_WRITE, Category.EXPORT})


def ceiling(maturity: int, spec: ActionSpec) -> Effect:
    """The most an agent may do with `spec` at `maturity` (SPEC §5 table)."""
    column = _COLUMN.get(spec.category)
    if column is None:  # crm_write
        column = 3 if spec.light else 4
    return _CEILING[maturity][column]


@lru_cache(maxsize=1024)
def _ceiling_reason(level: int, spec: ActionSpec) -> tuple[Effect, str]:
    top = ceiling(level, spec)
    light = " (light)" if spec.light else ""
    return (
        top,
        f"maturity {level} ({MATURITY_NAMES[level]}) ceiling for {spec.category.value}{light} "
        f"actions is {top.value}",
    )


def _field_path(err: Mapping[str, Any]) -> str:
    return ".".join(str(p) for p in err["loc"]) or "request"


_validate_request = ActionRequest.__pydantic_validator__.validate_python


def _as_request(request: ActionRequest | Mapping[str, Any]) -> ActionRequest:
    if type(request) is not dict:  # a plain dict (the common case) skips the ABC checks
        if isinstance(request, ActionRequest):
            return request
        if not isinstance(request, Mapping):
            raise RequestError("the request must be a JSON object", field="request")
    try:
        return _validate_request(request)  # type: ignore[no-any-return]
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RequestError(err["msg"], field=_field_path(err)) from None


@lru_cache(maxsize=512)
def _constraint(source: str) -> CompiledExpression:
    return compile_expression(source)


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """What a decision on one action name needs from the policy, looked up once per policy."""

    spec: ActionSpec
    ceiling: Effect
    ceiling_reason: str
    rule: CompiledActionRule | None
    limits: tuple[Limit, ...]
    budgets: tuple[CompiledBudget, ...]
    taintable: bool
    content: bool  # send, draft and export actions run the content checks
    enforce: bool  # drafts report the checks without changing the effect
    send: bool  # sends are scored for risk
    allowed_reason: str
    rule_effect: Effect | None  # the rule's own effect when it is not allow, with its reason
    rule_reason: str
    rule_approvals: int
    obligations: tuple[str, ...]


def _plan(policy: CompiledPolicy, action: str, spec: ActionSpec) -> ActionPlan:
    top, top_reason = _ceiling_reason(policy.maturity, spec)
    rule = policy.rule_for(action)
    category = spec.category
    where = f"actions.{rule.pattern}" if rule else "policy"
    plan = ActionPlan(
        spec=spec,
        ceiling=top,
        ceiling_reason=top_reason,
        rule=rule,
        limits=policy.limits_for(action),
        budgets=policy.budgets_for(action),
        taintable=category in _TAINTABLE,
        content=category in (Category.SEND, Category.DRAFT, Category.EXPORT),
        enforce=category is not Category.DRAFT,
        send=category is Category.SEND,
        allowed_reason=f"{action} allowed by {where} at maturity {policy.maturity}",
        rule_effect=None if rule is None or rule.rule.effect is Effect.ALLOW else rule.rule.effect,
        rule_reason=f"{action} is {rule.rule.effect.value} by {where}" if rule else "",
        rule_approvals=rule.rule.approvals if rule else 1,
        obligations=tuple(f"approver_role:{r}" for r in rule.rule.approvers) if rule else (),
    )
    policy.plans[action] = plan
    return plan


def decide(
    policy: CompiledPolicy, request: ActionRequest | Mapping[str, Any], catalogue: Catalogue = CATALOGUE
) -> Decision:
    """Decide one request against a compiled policy. Pure; never raises; any error denies."""
    try:
        req = _as_request(request)
    except RequestError as exc:
        return denial(f"invalid request: {exc}", policy.version)
    try:
        return _decide(policy, req, catalogue)
    except RequestError as exc:
        return denial(f"invalid request: {exc}", policy.version)
    except Exception as exc:  # an error while deciding means deny, never allow
        return denial(f"evaluation error ({type(exc).__name__}): {exc}", policy.version)


def _decide(policy: CompiledPolicy, req: ActionRequest, catalogue: Catalogue) -> Decision:
    action = req.action
    spec = catalogue.get(action)
    if spec is None:
        return denial(f"unknown action {action!r} is not in the catalogue (default deny)", policy.version)
    plan = policy.plans.get(action)
    if plan is None or plan.spec is not spec:  # first use, or another catalogue
        plan = _plan(policy, action, spec)
    catalogue.validate_params(action, req.params)
    facts = req.facts
    verdict = Verdict()
    derived = derive(spec, req.params)
    activation: Activation | None = None

    def cel_input() -> Activation:
        nonlocal activation
        if activation is None:
            activation = Activation(policy, spec, req, derived)
        return activation

    if facts.agent_status != "active":
        verdict.deny(f"agent is {facts.agent_status}: every action is denied")
    if req.on_behalf_of is not None:
        _check_delegation(req, verdict, cel_input)

    if plan.ceiling is not Effect.ALLOW:
        verdict.add(plan.ceiling, plan.ceiling_reason)

    rule = plan.rule
    if rule is None:
        verdict.deny(f"no policy rule matches {action!r} (default deny)")
    else:
        if plan.rule_effect is not None:
            verdict.add(plan.rule_effect, plan.rule_reason, plan.rule_approvals)
            verdict.obligations.extend(plan.obligations)
        if rule.requires or rule.rules or rule.fields is not None:
            _apply_rule(rule, req, derived, verdict, cel_input)

    if facts.run_tainted and plan.taintable:
        run = f"run {req.run_id}" if req.run_id else "this run"
        verdict.add(
            Effect.REQUIRE_APPROVAL,
            f"{run} is tainted by a prompt injection in a tool output; "
            f"its {spec.category.value} actions need a human",
        )
    if plan.limits or plan.budgets:
        _check_limits(plan, req, verdict)

    if plan.content:
        found = check_content(policy, req, derived, verdict, enforce=plan.enforce)
        if plan.send:
            score_risk(policy, req, derived, found, verdict)

    if verdict.rank == 0:
        verdict.reasons[0].append(plan.allowed_reason)
    return verdict.decision(policy.version)


class Activation(dict[str, Any]):
    """The variables CEL conditions see (SPEC §5), each built on first use only."""

    __slots__ = ("_derived", "_policy", "_req", "_spec")

    def __init__(
        self, policy: CompiledPolicy, spec: ActionSpec, req: ActionRequest, derived: Derived
    ) -> None:
        super().__init__()
        self._policy, self._spec, self._req, self._derived = policy, spec, req, derived

    def __missing__(self, name: str) -> Any:
        req, spec = self._req, self._spec
        value: Any
        if name == "params":
            value = req.params
        elif name == "lists":
            value = self._policy.lists
        elif name == "resource":
            value = req.facts.resource
        elif name == "derived":
            value = self._derived.as_cel()
        elif name == "now":
            value = req.facts.now
        elif name == "facts":
            value = req.facts.model_dump(mode="python")
        elif name == "target":
            value = req.target.model_dump(mode="python", exclude_none=True)
        elif name == "principal":
            value = {
                "agent_id": req.agent_id,
                "on_behalf_of": req.on_behalf_of,
                "status": req.facts.agent_status,
            }
        elif name == "action":
            value = {"name": spec.name, "category": spec.category.value, "reversible": spec.reversible}
        else:
            raise KeyError(name)
        self[name] = value
        return value


def _truth(expr: CompiledExpression, activation: dict[str, Any], key: str) -> bool:
    value = expr(activation)
    if not isinstance(value, bool):
        raise TypeError(f"{key}: condition {expr.source!r} returned {type(value).__name__}, not bool")
    return value


def _apply_rule(
    rule: CompiledActionRule, req: ActionRequest, derived: Derived, verdict: Verdict, cel_input: Any
) -> None:
    """The action rule's `require`s, its conditional `rules` and its field rules (its effect: `_decide`)."""
    where = f"actions.{rule.pattern}"
    for item in rule.requires:
        try:
            ok = _truth(item.expr, cel_input(), item.key)
        except Exception as exc:
            verdict.deny(f"{item.message} ({item.key}: error: {exc})")
            continue
        if not ok:
            verdict.deny(f"{item.message} ({item.key})")
    for cond in rule.rules:
        try:
            hit = _truth(cond.when, cel_input(), cond.key)
        except Exception as exc:
            verdict.deny(f"{cond.rule.message} ({cond.key}: error: {exc})")
            continue
        if hit:
            verdict.add(cond.rule.effect, f"{cond.rule.message} ({cond.key})", cond.rule.approvals)
            verdict.obligations.extend(f"approver_role:{r}" for r in cond.rule.approvers)
    if rule.fields is not None and derived.field_names:
        fields = rule.fields
        for name in derived.field_names:
            if name in fields.deny:
                verdict.deny(f"field {name!r} may not be written by an agent ({where}.fields.deny)")
            elif name in fields.approve:
                verdict.add(
                    Effect.REQUIRE_APPROVAL, f"field {name!r} needs approval ({where}.fields.approve)"
                )
            elif name not in fields.allow and fields.default is not Effect.ALLOW:
                verdict.add(
                    fields.default,
                    f"field {name!r} is not listed in {where}.fields (default {fields.default.value})",
                )


def _check_delegation(req: ActionRequest, verdict: Verdict, cel_input: Any) -> None:
    """With on_behalf_of: a live delegation from that user must cover the action (SPEC §5)."""
    user = req.on_behalf_of
    delegation = req.facts.delegation
    if delegation is None:
        verdict.deny(f"no delegation from {user} to this agent")
        return
    if delegation.user != user:
        verdict.deny(f"the delegation is from {delegation.user}, not {user}")
    if delegation.revoked:
        verdict.deny(f"the delegation from {user} was revoked")
    if not any(fnmatchcase(req.action, scope) for scope in delegation.scopes):
        verdict.deny(
            f"the delegation from {user} does not cover {req.action} (scopes: {', '.join(delegation.scopes)})"
        )
    now = req.facts.now
    if now is None:
        verdict.deny("facts.now is needed to check the delegation's expiry")
    elif now >= delegation.expires_at:
        verdict.deny(f"the delegation from {user} expired at {delegation.expires_at.isoformat()}")
    for i, constraint in enumerate(delegation.constraints):
        message = constraint.message or f"delegation constraint {constraint.expr!r} does not hold"
        try:
            if not _truth(_constraint(constraint.expr), cel_input(), f"delegation.constraints[{i}]"):
                verdict.deny(message)
        except Exception as exc:
            verdict.deny(f"{message} (error: {exc})")


def _check_limits(plan: ActionPlan, req: ActionRequest, verdict: Verdict) -> None:
    """Limits deny when usage + 1 > max; budgets when usage + metric > max (usage from facts)."""
    usage = req.facts.usage
    for limit in plan.limits:
        used = usage.get(limit.name, 0.0)
        if used + 1 > limit.max:
            verdict.deny(
                f"limit {limit.name} reached: {used:g} of {limit.max} per {limit.per} in {limit.window}"
            )
    for item in plan.budgets:
        value: Any = req.params
        for part in item.path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            value = 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            verdict.deny(f"budget {item.budget.name}: {item.budget.metric} is not a number")
            continue
        budget = item.budget
        used = usage.get(budget.name, 0.0)
        if used + value > budget.max:
            verdict.deny(
                f"budget {budget.name} exceeded: {used:g} + {value:g} > {budget.max:g} "
                f"per {budget.per} in {budget.window}"
            )
