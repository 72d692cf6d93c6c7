"""The decision engine against SPEC §4–§5: maturity, rules, fields, combining, limits, delegation, taint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from proctor import CompiledPolicy, Decision, decide
from proctor.domain.actions import CATALOGUE, Catalogue, register_action

NOW = "2026-11-24T10:00:00Z"
VERIFIED_FOLLOWUP = {
    "from": "sam@acme.io",
    "to": "ana@umbrella.com",
    "subject": "Next steps",
    "touch": "followup",
    "body": "Hi Ana, does Thursday suit you?",
}
KNOWN = {"known_recipient_domains": ["umbrella.com"], "email_verified": True}

# One representative action per ceiling column, with valid params.
SAMPLES: dict[str, dict[str, Any]] = {
    "research": {"action": "research.web", "params": {"query": "globex"}},
    "draft": {"action": "draft.email", "params": {"to": "a@b.com", "body": "Hi"}},
    "enrichment": {
        "action": "enrich.append",
        "params": {"vendor": "apollo", "record": "con_1", "fields": {"title": "VP"}, "cost_usd": 1},
    },
    "crm_light": {"action": "task.create", "params": {"record_id": "con_1", "subject": "call"}},
    "crm_other": {
        "action": "crm.update",
        "params": {"object": "contact", "record_id": "c1", "fields": {"x": 1}},
    },
    "send": {"action": "email.send", "params": VERIFIED_FOLLOWUP, "facts": KNOWN},
    "export": {"action": "data.export", "params": {"object": "contact", "fields": ["email"]}},
}
A, R, D = "allow", "require_approval", "deny"
CEILING = {
    0: {"research": D, "draft": D, "enrichment": D, "crm_light": D, "crm_other": D, "send": D, "export": D},
    1: {"research": A, "draft": A, "enrichment": D, "crm_light": D, "crm_other": D, "send": D, "export": D},
    2: {"research": A, "draft": A, "enrichment": A, "crm_light": A, "crm_other": R, "send": R, "export": R},
    3: {"research": A, "draft": A, "enrichment": A, "crm_light": A, "crm_other": A, "send": A, "export": R},
}


def run(policy: CompiledPolicy, request: dict[str, Any]) -> Decision:
    facts = {"now": NOW, **request.get("facts", {})}
    return decide(policy, {**request, "facts": facts})


@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("column", list(SAMPLES))
def test_maturity_ceiling_table(make_policy: Callable[..., CompiledPolicy], level: int, column: str) -> None:
    policy = make_policy(maturity=level)
    decision = run(policy, SAMPLES[column])
    assert decision.effect == CEILING[level][column], decision.reasons
    if decision.effect != A:
        assert any(f"maturity {level}" in r for r in decision.reasons)


def test_rules_only_tighten_the_ceiling(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(maturity=1, actions={"*": {"effect": "allow"}, "research.web": {"effect": "allow"}})
    assert run(policy, SAMPLES["send"]).effect == D
    tighter = make_policy(maturity=3, actions={"*": {"effect": "allow"}, "research.*": {"effect": "deny"}})
    assert run(tighter, SAMPLES["research"]).effect == D


def test_decision_shape(reference: CompiledPolicy) -> None:
    decision = run(reference, {"action": "email.send", "params": VERIFIED_FOLLOWUP, "facts": KNOWN})
    data = decision.model_dump(mode="json")
    assert set(data) == {
        "effect",
        "approvals_required",
        "risk",
        "reasons",
        "checks",
        "obligations",
        "policy_version",
    }
    assert data["effect"] == R and data["approvals_required"] == 1
    assert data["policy_version"].startswith("sha256:") and len(data["policy_version"]) == 71
    assert {"name", "passed", "detail"} <= set(data["checks"][0])
    assert set(data["risk"]) == {"score", "triggers"}


def test_allow_and_deny_have_zero_approvals(reference: CompiledPolicy) -> None:
    allow = run(reference, SAMPLES["research"])
    deny = run(
        reference,
        {"action": "crm.update", "params": {"object": "lead", "record_id": "l", "fields": {"owner_id": "u"}}},
    )
    assert (allow.effect, allow.approvals_required) == (A, 0)
    assert (deny.effect, deny.approvals_required) == (D, 0)
    assert deny.reasons


# --- combining rule -----------------------------------------------------------------------------


def test_deny_beats_require_approval(reference: CompiledPolicy) -> None:
    req = {
        "action": "crm.update",
        "params": {"object": "lead", "record_id": "l", "fields": {"amount": 5, "owner_id": "u"}},
    }
    decision = run(reference, req)
    assert decision.effect == D
    assert any("owner_id" in r for r in decision.reasons)
    assert not any("amount" in r for r in decision.reasons)


def test_highest_approval_count_wins(reference: CompiledPolicy) -> None:
    ent = {
        "action": "crm.stage_change",
        "params": {"record_id": "o", "to": "won"},
        "facts": {"resource": {"tier": "enterprise"}},
    }
    smb = {
        "action": "crm.stage_change",
        "params": {"record_id": "o", "to": "won"},
        "facts": {"resource": {"tier": "smb"}},
    }
    assert run(reference, ent).approvals_required == 2
    assert any("enterprise" in r for r in run(reference, ent).reasons)
    assert run(reference, smb).approvals_required == 1
    assert (
        run(
            reference, {"action": "data.export", "params": {"object": "contact", "fields": ["email"]}}
        ).approvals_required
        == 2
    )


# --- action rules: globs, require, rules, fields -------------------------------------------------


def test_most_specific_pattern_wins(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(
        actions={
            "*": {"effect": "deny"},
            "email.*": {"effect": "require_approval"},
            "email.send": {"effect": "allow"},
            "research.*": {"effect": "allow"},
        }
    )
    assert policy.rule_for("email.send").pattern == "email.send"  # type: ignore[union-attr]
    assert policy.rule_for("research.web").pattern == "research.*"  # type: ignore[union-attr]
    assert policy.rule_for("data.export").pattern == "*"  # type: ignore[union-attr]
    assert run(policy, {"action": "data.export", "params": {"object": "c", "fields": ["e"]}}).effect == D


def test_require_false_denies_with_its_message(reference: CompiledPolicy) -> None:
    decision = run(
        reference,
        {"action": "email.send", "params": {**VERIFIED_FOLLOWUP, "from": "sam@yahoo.com"}, "facts": KNOWN},
    )
    assert decision.effect == D
    assert any("sender domain is not an approved sending domain" in r for r in decision.reasons)
    vendor = run(
        reference,
        {
            "action": "enrich.append",
            "params": {"vendor": "shadyco", "record": "c", "fields": {"a": 1}, "cost_usd": 1},
        },
    )
    assert vendor.effect == D and "approved list" in vendor.reasons[0]


def test_field_rules(reference: CompiledPolicy) -> None:
    def update(**fields: Any) -> Decision:
        return run(
            reference,
            {"action": "crm.update", "params": {"object": "contact", "record_id": "c", "fields": fields}},
        )

    allowed = update(title="VP")
    assert allowed.effect == R  # maturity 2 ceiling for crm_write
    assert any("maturity 2" in r for r in allowed.reasons)
    assert any("'amount' needs approval" in r for r in update(amount=10).reasons)
    assert update(ssn="123").effect == D
    unlisted = update(favourite_colour="blue")
    assert unlisted.effect == R and any("favourite_colour" in r for r in unlisted.reasons)


def test_field_rules_at_maturity_3(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(
        actions={
            "crm.update": {
                "effect": "allow",
                "fields": {
                    "allow": ["title"],
                    "approve": ["amount"],
                    "deny": ["owner_id"],
                    "default": "deny",
                },
            }
        }
    )

    def update(**fields: Any) -> str:
        return run(
            policy, {"action": "crm.update", "params": {"object": "c", "record_id": "c", "fields": fields}}
        ).effect

    assert update(title="x") == A
    assert update(amount=1) == R
    assert update(owner_id="u") == D
    assert update(other=1) == D


def test_rule_when_errors_deny(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(
        actions={
            "crm.stage_change": {
                "effect": "allow",
                "rules": [{"when": "resource.tier == 'enterprise'", "approvals": 2, "message": "enterprise"}],
            }
        }
    )
    req = {"action": "crm.stage_change", "params": {"record_id": "o", "to": "won"}}
    decision = run(policy, req)  # resource.tier is missing: an error while deciding means deny
    assert decision.effect == D and "error" in decision.reasons[0]


# --- default deny, errors ------------------------------------------------------------------------


def test_unknown_action_is_denied(reference: CompiledPolicy) -> None:
    decision = run(reference, {"action": "crm.drop_database", "params": {}})
    assert decision.effect == D and "not in the catalogue" in decision.reasons[0]


def test_action_without_a_rule_is_denied(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(actions={"research.*": {"effect": "allow"}})
    decision = run(policy, SAMPLES["crm_light"])
    assert decision.effect == D and "default deny" in decision.reasons[0]


def test_invalid_params_deny_naming_the_field(reference: CompiledPolicy) -> None:
    decision = run(reference, {"action": "email.send", "params": {"from": "sam@acme.io"}})
    assert decision.effect == D and "params.to" in decision.reasons[0]
    bad = decide(reference, {"action": "email.send", "params": "nope"})
    assert bad.effect == D and "params" in bad.reasons[0]
    assert decide(reference, [1, 2]).effect == D  # type: ignore[arg-type]


def test_evaluation_error_denies(reference: CompiledPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.policy import evaluate

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(evaluate, "_check_limits", boom)
    decision = run(reference, SAMPLES["research"])
    assert decision.effect == D and "disk on fire" in decision.reasons[0]


def test_non_boolean_condition_denies(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(actions={"*": {"effect": "allow", "require": [{"expr": "params", "message": "m"}]}})
    assert run(policy, SAMPLES["research"]).effect == D


# --- quarantine, taint, delegation ---------------------------------------------------------------


@pytest.mark.parametrize("status", ["quarantined", "disabled"])
def test_quarantined_agent_is_denied_everything(reference: CompiledPolicy, status: str) -> None:
    for sample in SAMPLES.values():
        decision = run(reference, {**sample, "facts": {**sample.get("facts", {}), "agent_status": status}})
        assert decision.effect == D and any(status in r for r in decision.reasons)


def test_tainted_run_needs_approval_for_writes_sends_exports(
    make_policy: Callable[..., CompiledPolicy],
) -> None:
    policy = make_policy(maturity=3)
    for column in ("crm_light", "crm_other", "send"):
        sample = SAMPLES[column]
        tainted = run(policy, {**sample, "facts": {**sample.get("facts", {}), "run_tainted": True}})
        assert tainted.effect == R, column
        assert any("tainted" in r for r in tainted.reasons)
    for column in ("research", "draft", "enrichment"):
        sample = SAMPLES[column]
        assert run(policy, {**sample, "facts": {"run_tainted": True}}).effect == A, column


DELEGATION = {"user": "usr_maria", "scopes": ["email.*", "crm.*"], "expires_at": "2026-12-31T00:00:00Z"}


def _delegated(facts: dict[str, Any], action: str = "email.send") -> dict[str, Any]:
    params = VERIFIED_FOLLOWUP if action == "email.send" else SAMPLES["research"]["params"]
    return {"action": action, "on_behalf_of": "usr_maria", "params": params, "facts": {**KNOWN, **facts}}


def test_delegation_in_scope_and_live(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy()
    assert run(policy, _delegated({"delegation": DELEGATION})).effect == A


@pytest.mark.parametrize(
    ("facts", "action", "needle"),
    [
        ({}, "email.send", "no delegation"),
        ({"delegation": DELEGATION}, "research.web", "does not cover research.web"),
        ({"delegation": DELEGATION, "now": "2026-12-31T00:00:00Z"}, "email.send", "expired"),
        ({"delegation": {**DELEGATION, "user": "usr_kim"}}, "email.send", "not usr_maria"),
        ({"delegation": {**DELEGATION, "revoked": True}}, "email.send", "revoked"),
    ],
)
def test_delegation_denials(
    make_policy: Callable[..., CompiledPolicy], facts: dict[str, Any], action: str, needle: str
) -> None:
    decision = run(make_policy(), _delegated(facts, action))
    assert decision.effect == D
    assert any(needle in r for r in decision.reasons), decision.reasons


def test_delegation_without_clock_denies(make_policy: Callable[..., CompiledPolicy]) -> None:
    decision = decide(make_policy(), {**_delegated({"delegation": DELEGATION})})
    assert decision.effect == D and "facts.now" in decision.reasons[0]


def test_delegation_constraints(make_policy: Callable[..., CompiledPolicy]) -> None:
    constrained = {
        **DELEGATION,
        "constraints": [
            {
                "expr": "derived.recipient_domains.all(d, d in facts.known_recipient_domains)",
                "message": "Maria only lets the agent write to known customers",
            }
        ],
    }
    ok = run(make_policy(), _delegated({"delegation": constrained}))
    assert ok.effect == A
    stranger = _delegated({"delegation": constrained})
    stranger["params"] = {**VERIFIED_FOLLOWUP, "to": "x@stranger.example"}
    decision = run(make_policy(), stranger)
    assert decision.effect == D and "known customers" in decision.reasons[0]


# --- limits and budgets --------------------------------------------------------------------------


def test_limit_denies_when_next_would_exceed(reference: CompiledPolicy) -> None:
    def send(used: float) -> Decision:
        return run(
            reference,
            {
                "action": "email.send",
                "params": VERIFIED_FOLLOWUP,
                "facts": {**KNOWN, "usage": {"sends-per-domain": used}},
            },
        )

    assert send(2).effect == R
    at_limit = send(3)
    assert at_limit.effect == D and "sends-per-domain" in at_limit.reasons[0]


def test_wildcard_limit_applies_to_every_action(reference: CompiledPolicy) -> None:
    decision = run(reference, {**SAMPLES["research"], "facts": {"usage": {"actions-per-agent": 2000}}})
    assert decision.effect == D and "actions-per-agent" in decision.reasons[0]


def test_budget_sums_the_metric(reference: CompiledPolicy) -> None:
    def enrich(used: float, cost: float) -> str:
        params = {"vendor": "apollo", "record": "c", "fields": {"title": "x"}, "cost_usd": cost}
        return run(
            reference,
            {"action": "enrich.append", "params": params, "facts": {"usage": {"enrichment-spend": used}}},
        ).effect

    assert enrich(197, 3) == A  # 200 is not more than 200
    assert enrich(197.5, 3) == D
    assert enrich(0, 201) == D


# --- custom actions --------------------------------------------------------------------------------


def test_custom_action_registration(make_policy: Callable[..., CompiledPolicy]) -> None:
    catalogue = Catalogue()
    register_action("slack.post", "send", "irreversible", connector="slack", catalogue=catalogue)
    policy = make_policy(maturity=2, actions={"slack.*": {"effect": "allow"}})
    assert decide(policy, {"action": "slack.post", "params": {"channel": "x"}}, catalogue).effect == R
    assert decide(policy, {"action": "slack.post", "params": {}}).effect == D  # not in the default catalogue
    assert "slack.post" not in CATALOGUE
