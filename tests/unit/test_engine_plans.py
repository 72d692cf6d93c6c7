"""What the engine looks up once per action name (policy.evaluate.ActionPlan) follows the catalogue."""

from __future__ import annotations

from collections.abc import Callable

from proctor import CompiledPolicy, decide
from proctor.domain.actions import Catalogue, register_action


def test_one_policy_two_catalogues_same_action_name(make_policy: Callable[..., CompiledPolicy]) -> None:
    policy = make_policy(maturity=2, actions={"custom.*": {"effect": "allow"}})
    reads, sends = Catalogue(), Catalogue()
    register_action("custom.ping", "research", "read", catalogue=reads)
    register_action("custom.ping", "send", "irreversible", catalogue=sends)
    request = {"action": "custom.ping", "params": {}}
    for _ in range(2):  # the second round answers from the per-action plans
        read = decide(policy, request, reads)
        send = decide(policy, request, sends)
        assert read.effect == "allow"
        assert read.reasons == ["custom.ping allowed by actions.custom.* at maturity 2"]
        assert send.effect == "require_approval"
        assert send.reasons == [
            "maturity 2 (send-with-approval) ceiling for send actions is require_approval"
        ]


def test_rule_effect_reason_and_approvers_are_reported_every_time(
    make_policy: Callable[..., CompiledPolicy],
) -> None:
    policy = make_policy(
        maturity=3,
        actions={"routing.*": {"effect": "require_approval", "approvals": 2, "approvers": ["sales_manager"]}},
    )
    request = {"action": "routing.assign", "params": {"record_id": "lead_1", "owner_id": "usr_2"}}
    first, second = decide(policy, request), decide(policy, request)
    assert first == second
    assert first.effect == "require_approval" and first.approvals_required == 2
    assert first.reasons == ["routing.assign is require_approval by actions.routing.*"]
    assert first.obligations == ["approver_role:sales_manager"]
