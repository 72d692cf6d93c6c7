"""Risk triggers, thresholds, bulk sends and outbound content checks (SPEC §5–§6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from proctor import CompiledPolicy, Decision, decide

NOW = "2026-11-24T10:00:00Z"
BASE = {
    "from": "sam@acme.io",
    "to": "ana@umbrella.com",
    "subject": "Next steps",
    "touch": "followup",
    "body": "Hi Ana, does Thursday suit you?",
}
QUIET = {"known_recipient_domains": ["umbrella.com"], "email_verified": True, "now": NOW}


def send(
    policy: CompiledPolicy,
    params: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    **extra: Any,
) -> Decision:
    return decide(
        policy,
        {
            "action": "email.send",
            "params": {**BASE, **(params or {})},
            "facts": {**QUIET, **(facts or {})},
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("trigger", "params", "facts", "extra"),
    [
        ("new_domain", {"to": "raj@hooli.example"}, {}, {}),
        ("new_persona", {"persona": "cfo"}, {"known_personas": ["vp_sales"]}, {}),
        ("sensitive_topic", {"body": "Hi Ana, our pricing starts at 40 per seat."}, {}, {}),
        ("attachment", {"attachments": ["deck.pdf"]}, {}, {}),
        ("unverified_email", {}, {"email_verified": False}, {}),
        ("high_value_account", {}, {}, {"target": {"account_id": "acc_042"}}),
        ("first_touch", {"touch": "first"}, {}, {}),
        ("pii_in_body", {"body": "Hi Ana, the card is 4111 1111 1111 1111."}, {}, {}),
    ],
)
def test_each_trigger_fires_alone(
    reference: CompiledPolicy,
    trigger: str,
    params: dict[str, Any],
    facts: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    decision = send(reference, params, facts, **extra)
    assert trigger in decision.risk.triggers, decision.risk
    weight = reference.weights[trigger]
    assert decision.risk.score >= weight


def test_quiet_send_has_no_triggers(reference: CompiledPolicy) -> None:
    decision = send(reference)
    assert decision.risk.triggers == [] and decision.risk.score == 0
    assert decision.effect == "require_approval" and decision.approvals_required == 1


def test_score_is_the_sum_of_weights(reference: CompiledPolicy) -> None:
    decision = send(reference, {"to": "raj@hooli.example", "touch": "first"})
    assert sorted(decision.risk.triggers) == ["first_touch", "new_domain"]
    assert decision.risk.score == 20 + 15


def test_persona_known_does_not_fire(reference: CompiledPolicy) -> None:
    assert (
        "new_persona"
        not in send(reference, {"persona": "vp_sales"}, {"known_personas": ["vp_sales"]}).risk.triggers
    )


@pytest.mark.parametrize(
    ("score_params", "approvals"),
    [
        ({}, 1),  # below the threshold: the maturity ceiling still asks for one
        ({"attachments": ["a.pdf"], "to": "x@new.example"}, 1),  # 40 ≥ 30
        (
            {
                "attachments": ["a.pdf"],
                "to": "x@new.example",
                "touch": "first",
                "body": "Hi, our pricing is attached.",
            },
            2,
        ),  # 20+20+15+40 = 95 ≥ 80
    ],
)
def test_thresholds(
    make_policy: Callable[..., CompiledPolicy],
    reference: CompiledPolicy,
    score_params: dict[str, Any],
    approvals: int,
) -> None:
    assert send(reference, score_params).approvals_required == approvals
    autonomous = make_policy(maturity=3, risk=reference.document.risk.model_dump())
    decision = send(autonomous, score_params)
    assert decision.effect == ("allow" if not score_params else "require_approval")
    if score_params:
        assert decision.approvals_required == approvals
        assert any("risk" in r for r in decision.reasons)


def test_bulk_send_needs_two(reference: CompiledPolicy) -> None:
    assert send(reference, batch={"id": "b1", "size": 50}).approvals_required == 1
    big = send(reference, batch={"id": "b1", "size": 51})
    assert big.approvals_required == 2 and any("bulk" in r for r in big.reasons)


def test_risk_only_scored_for_sends(reference: CompiledPolicy) -> None:
    decision = decide(
        reference,
        {
            "action": "crm.update",
            "target": {"account_id": "acc_042"},
            "params": {"object": "contact", "record_id": "c", "fields": {"title": "x"}},
        },
    )
    assert decision.risk.score == 0 and decision.risk.triggers == []


# --- content checks --------------------------------------------------------------------------------


def test_blocked_terms_deny(reference: CompiledPolicy) -> None:
    decision = send(reference, {"body": "Hi Ana, we offer GUARANTEED results."})
    assert decision.effect == "deny" and "guaranteed results" in decision.reasons[0]
    assert any(c.name == "blocked_terms" and not c.passed for c in decision.checks)


def test_blocked_terms_are_whole_words(reference: CompiledPolicy) -> None:
    decision = send(reference, {"body": "Hi Ana, the risk-freeze window ends soon."})
    assert decision.effect != "deny"


def test_competitor_needs_approval(
    make_policy: Callable[..., CompiledPolicy], reference: CompiledPolicy
) -> None:
    autonomous = make_policy(lists={"competitors": ["initech"]})
    decision = send(autonomous, {"body": "Hi Ana, unlike Initech we ship weekly."})
    assert decision.effect == "require_approval" and "initech" in decision.reasons[0].lower()


def test_pii_needs_approval_but_recipient_email_and_phones_do_not(
    make_policy: Callable[..., CompiledPolicy],
) -> None:
    policy = make_policy()
    clean = send(policy, {"body": "Hi Ana, reach me at sam@acme.io or +1 415 555 0100; cc ana@umbrella.com."})
    assert clean.effect == "allow", clean.reasons
    leaked = send(policy, {"body": "Hi Ana, Bob's SSN is 123-45-6789."})
    assert leaked.effect == "require_approval" and "us_ssn" in leaked.reasons[0]
    third = send(policy, {"body": "Hi Ana, write to bob@othercorp.example instead."})
    assert third.effect == "require_approval" and "email" in third.reasons[0]


def test_restricted_industry_denies(reference: CompiledPolicy) -> None:
    decision = send(reference, facts={"resource": {"industry": "Gambling"}})
    assert decision.effect == "deny" and "restricted industry" in decision.reasons[0]


def test_protected_fields_never_leave(reference: CompiledPolicy) -> None:
    decision = decide(
        reference, {"action": "data.export", "params": {"object": "contact", "fields": ["email", "ssn"]}}
    )
    assert decision.effect == "deny" and "ssn" in decision.reasons[0]


def test_drafts_report_but_do_not_change_the_effect(reference: CompiledPolicy) -> None:
    decision = decide(
        reference,
        {
            "action": "draft.email",
            "params": {"to": "ana@umbrella.com", "body": "Guaranteed results! Card 4111 1111 1111 1111."},
        },
    )
    assert decision.effect == "allow"
    failed = {c.name for c in decision.checks if not c.passed}
    assert {"blocked_terms", "pii"} <= failed


# --- evidence ------------------------------------------------------------------------------------


def test_unsupported_claim_needs_approval(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(evidence={"required_for": ["email.send"], "unsupported_claims": "require_approval"})
    body = "Hi Ana, congrats on raising a $40M Series C in March 2026."
    decision = send(policy, {"body": body})
    assert decision.effect == "require_approval"
    assert any("not supported" in r for r in decision.reasons)
    check = next(c for c in decision.checks if c.name == "evidence")
    assert not check.passed
    supported = send(
        policy,
        {"body": body},
        evidence={
            "facts": [
                {
                    "text": "Umbrella raised a $40M Series C in March 2026",
                    "source": "https://news.example",
                    "confidence": 0.9,
                }
            ]
        },
    )
    assert supported.effect == "allow", supported.reasons
    low = send(
        policy,
        {"body": body},
        evidence={"facts": [{"text": "Umbrella raised a $40M Series C in March 2026", "confidence": 0.3}]},
    )
    assert low.effect == "require_approval"


def test_unsupported_claims_can_deny(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(evidence={"required_for": ["email.*"], "unsupported_claims": "deny"})
    decision = send(
        policy,
        {"body": "Hi Ana, your team grew 40% last year."},
        evidence={"facts": [{"text": "The team grew 20% in 2025", "confidence": 0.9}]},
    )
    assert decision.effect == "deny"
