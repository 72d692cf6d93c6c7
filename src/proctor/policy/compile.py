"""PolicyDocument → CompiledPolicy: CEL compiled once, rules indexed by action, matchers built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from proctor.domain.decisions import Effect
from proctor.domain.errors import PolicyError
from proctor.inspect.terms import TermMatcher
from proctor.policy.cel import CelSyntaxError, CompiledExpression, compile_expression
from proctor.policy.loader import (
    Loc,
    document_from_data,
    document_from_yaml,
    policy_version,
    read_policy_text,
)
from proctor.policy.model import ActionRule, Budget, FieldRules, Limit, PolicyDocument, Rule


@dataclass(frozen=True, slots=True)
class CompiledRequire:
    """A compiled `require` entry and where it came from."""

    expr: CompiledExpression
    message: str
    key: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A compiled conditional rule and where it came from."""

    when: CompiledExpression
    rule: Rule
    key: str


@dataclass(frozen=True, slots=True)
class CompiledFields:
    """Field rules as sets for O(1) lookups."""

    allow: frozenset[str]
    approve: frozenset[str]
    deny: frozenset[str]
    default: Effect


@dataclass(frozen=True, slots=True)
class CompiledActionRule:
    """Everything the engine needs about the rule matching one action name."""

    pattern: str
    rule: ActionRule
    requires: tuple[CompiledRequire, ...]
    rules: tuple[CompiledRule, ...]
    fields: CompiledFields | None

    @property
    def needs_activation(self) -> bool:
        """True when evaluating this rule runs CEL."""
        return bool(self.requires or self.rules)


@dataclass(frozen=True, slots=True)
class CompiledBudget:
    """A budget with its metric path split once."""

    budget: Budget
    path: tuple[str, ...]


@dataclass(slots=True)
class CompiledPolicy:
    """A policy ready to evaluate: build it with `compile_policy` or `load_policy`."""

    document: PolicyDocument
    version: str
    source: str
    lists: dict[str, list[str]]
    _rules: tuple[tuple[str, CompiledActionRule], ...]
    blocked_terms: TermMatcher
    competitors: TermMatcher
    restricted_industries: frozenset[str]
    high_value_accounts: frozenset[str]
    protected_fields: frozenset[str]
    weights: dict[str, int]
    _rule_cache: dict[str, CompiledActionRule | None] = field(default_factory=dict)
    _limit_cache: dict[str, tuple[Limit, ...]] = field(default_factory=dict)
    _budget_cache: dict[str, tuple[CompiledBudget, ...]] = field(default_factory=dict)
    _evidence_cache: dict[str, bool] = field(default_factory=dict)
    # What the engine needs about one action name, built on first use (policy.evaluate.ActionPlan).
    plans: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The policy's name."""
        return self.document.name

    @property
    def maturity(self) -> int:
        """The policy's maturity level (0-3)."""
        return self.document.maturity

    def rule_for(self, action: str) -> CompiledActionRule | None:
        """The most specific rule whose pattern matches `action` (exact beats glob), or None."""
        try:
            return self._rule_cache[action]
        except KeyError:
            pass
        best: CompiledActionRule | None = None
        best_key: tuple[int, int, int] | None = None
        for index, (pattern, compiled) in enumerate(self._rules):
            if fnmatchcase(action, pattern):
                key = (int("*" not in pattern), len(pattern.replace("*", "")), -index)
                if best_key is None or key > best_key:
                    best, best_key = compiled, key
        self._rule_cache[action] = best
        return best

    def limits_for(self, action: str) -> tuple[Limit, ...]:
        """The limits whose action pattern matches `action`."""
        try:
            return self._limit_cache[action]
        except KeyError:
            found = tuple(lim for lim in self.document.limits if fnmatchcase(action, lim.action))
            self._limit_cache[action] = found
            return found

    def budgets_for(self, action: str) -> tuple[CompiledBudget, ...]:
        """The budgets whose action pattern matches `action`."""
        try:
            return self._budget_cache[action]
        except KeyError:
            found = tuple(
                CompiledBudget(b, tuple(b.metric.split(".")[1:]))
                for b in self.document.budgets
                if fnmatchcase(action, b.action)
            )
            self._budget_cache[action] = found
            return found

    def evidence_required(self, action: str) -> bool:
        """True when the evidence check gates `action` (evidence.required_for)."""
        try:
            return self._evidence_cache[action]
        except KeyError:
            found = any(fnmatchcase(action, p) for p in self.document.evidence.required_for)
            self._evidence_cache[action] = found
            return found


def _compile_expr(source: str, key: Loc, lines: dict[Loc, int], file: str) -> CompiledExpression:
    try:
        return compile_expression(source)
    except CelSyntaxError as exc:
        line = lines.get(key)
        raise PolicyError(
            f"invalid CEL expression {source!r}: {exc}",
            file=file,
            line=line,
            key=".".join(str(p) for p in key),
        ) from None


def _compile_rule(pattern: str, rule: ActionRule, lines: dict[Loc, int], file: str) -> CompiledActionRule:
    base: Loc = ("actions", pattern)
    requires = tuple(
        CompiledRequire(
            _compile_expr(r.expr, (*base, "require", i, "expr"), lines, file),
            r.message,
            f"actions.{pattern}.require[{i}]",
        )
        for i, r in enumerate(rule.require)
    )
    rules = tuple(
        CompiledRule(
            _compile_expr(r.when, (*base, "rules", i, "when"), lines, file),
            r,
            f"actions.{pattern}.rules[{i}]",
        )
        for i, r in enumerate(rule.rules)
    )
    fields: CompiledFields | None = None
    if rule.fields is not None:
        fr: FieldRules = rule.fields
        fields = CompiledFields(frozenset(fr.allow), frozenset(fr.approve), frozenset(fr.deny), fr.default)
    return CompiledActionRule(pattern, rule, requires, rules, fields)


def compile_policy(
    document: PolicyDocument, *, lines: dict[Loc, int] | None = None, file: str = "<policy>"
) -> CompiledPolicy:
    """Compile a validated document: CEL programs, term matchers and lookup sets, once."""
    lines = lines or {}
    lists = {name: list(values) for name, values in document.lists.items()}
    return CompiledPolicy(
        document=document,
        version=policy_version(document),
        source=file,
        lists=lists,
        _rules=tuple((p, _compile_rule(p, r, lines, file)) for p, r in document.actions.items()),
        blocked_terms=TermMatcher(lists.get("blocked_terms", [])),
        competitors=TermMatcher(lists.get("competitors", [])),
        restricted_industries=frozenset(v.lower() for v in lists.get("restricted_industries", [])),
        high_value_accounts=frozenset(lists.get("high_value_accounts", [])),
        protected_fields=frozenset(document.content.protected_fields),
        weights=dict(document.risk.triggers),
    )


def policy_from_text(text: str, *, file: str = "<policy>") -> CompiledPolicy:
    """Load and compile a policy from YAML text."""
    document, lines = document_from_yaml(text, file=file)
    return compile_policy(document, lines=lines, file=file)


def load_policy(path: str | Path) -> CompiledPolicy:
    """Load and compile a policy file; raises PolicyError with file:line on bad input."""
    text, name = read_policy_text(path)
    return policy_from_text(text, file=name)


def policy_from_data(data: dict[str, Any], *, file: str = "<policy>") -> CompiledPolicy:
    """Compile a policy given as already-parsed data (e.g. from JSON)."""
    return compile_policy(document_from_data(data, file=file), file=file)
