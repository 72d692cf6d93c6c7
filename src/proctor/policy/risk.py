"""The built-in risk triggers of SPEC §5, scored with the policy's weights (send-category actions)."""

from __future__ import annotations

from proctor.domain.decisions import Effect, Risk
from proctor.domain.requests import ActionRequest
from proctor.policy.compile import CompiledPolicy
from proctor.policy.content import ContentFindings
from proctor.policy.derived import Derived
from proctor.policy.verdict import Verdict, built


def fired_triggers(
    policy: CompiledPolicy, request: ActionRequest, derived: Derived, found: ContentFindings
) -> list[str]:
    """The names of the triggers that fire for this request, in SPEC order."""
    facts = request.facts
    params = request.params
    known = facts.known_recipient_domains
    fired: list[str] = []
    if any(d not in known for d in derived.recipient_domains):
        fired.append("new_domain")
    persona = params.get("persona")
    if persona and persona not in facts.known_personas:
        fired.append("new_persona")
    if found.topics:
        fired.append("sensitive_topic")
    if params.get("attachments"):
        fired.append("attachment")
    if facts.email_verified is not True:
        fired.append("unverified_email")
    if request.target.account_id is not None and request.target.account_id in policy.high_value_accounts:
        fired.append("high_value_account")
    if params.get("touch") == "first":
        fired.append("first_touch")
    if found.pii:
        fired.append("pii_in_body")
    return fired


def score_risk(
    policy: CompiledPolicy, request: ActionRequest, derived: Derived, found: ContentFindings, verdict: Verdict
) -> None:
    """Score the triggers and turn the score into approvals per the thresholds; bulk sends need two."""
    weights = policy.weights
    fired = fired_triggers(policy, request, derived, found)
    score = sum(weights.get(t, 0) for t in fired)
    verdict.risk = built(Risk, {"score": score, "triggers": fired})
    cfg = policy.document.risk
    detail = ", ".join(f"{t} +{weights[t]}" for t in fired if weights.get(t))
    if score >= cfg.two_person_at:
        verdict.add(Effect.REQUIRE_APPROVAL, f"risk {score} ≥ two_person_at {cfg.two_person_at}: {detail}", 2)
    elif score >= cfg.require_approval_at:
        verdict.add(
            Effect.REQUIRE_APPROVAL, f"risk {score} ≥ require_approval_at {cfg.require_approval_at}: {detail}"
        )
    batch = request.batch
    if batch is not None and batch.size > cfg.bulk_send_two_person_over:
        verdict.add(
            Effect.REQUIRE_APPROVAL,
            f"bulk send of {batch.size} > bulk_send_two_person_over {cfg.bulk_send_two_person_over}"
            " needs two approvers",
            2,
        )
