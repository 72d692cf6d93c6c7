"""Property tests: decide never raises on any JSON input, and adding a deny source never loosens."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proctor import CompiledPolicy, decide
from proctor.domain.decisions import RANK, Effect

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
ACTIONS = [
    "email.send",
    "crm.update",
    "enrich.append",
    "research.web",
    "data.export",
    "note.create",
    "crm.stage_change",
    "draft.email",
    "bogus.action",
]
plausible = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS)},
    optional={
        "params": st.dictionaries(
            st.sampled_from(
                [
                    "from",
                    "to",
                    "body",
                    "subject",
                    "fields",
                    "object",
                    "record_id",
                    "vendor",
                    "record",
                    "cost_usd",
                    "touch",
                    "attachments",
                ]
            ),
            json_values,
            max_size=8,
        ),
        "facts": st.dictionaries(
            st.sampled_from(
                ["now", "usage", "resource", "run_tainted", "delegation", "agent_status", "email_verified"]
            ),
            json_values,
            max_size=4,
        ),
        "target": json_values,
        "on_behalf_of": json_values,
        "evidence": json_values,
        "batch": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(request=st.one_of(json_values, plausible))
def test_decide_never_raises(reference: CompiledPolicy, request: Any) -> None:
    decision = decide(reference, request)
    assert decision.effect in set(Effect)
    if decision.effect is not Effect.ALLOW:
        assert decision.reasons


VALID = [
    {
        "action": "email.send",
        "params": {"from": "sam@acme.io", "to": "ana@umbrella.com", "body": "Hi Ana", "touch": "followup"},
    },
    {"action": "research.web", "params": {"query": "x"}},
    {"action": "crm.update", "params": {"object": "contact", "record_id": "c", "fields": {"title": "x"}}},
    {
        "action": "enrich.append",
        "params": {"vendor": "apollo", "record": "c", "fields": {"a": 1}, "cost_usd": 1},
    },
    {"action": "note.create", "params": {"record_id": "c", "body": "x"}},
]
DENY_SOURCES = [
    {"agent_status": "quarantined"},
    {"usage": {"actions-per-agent": 10_000}},
    {"resource": {"industry": "firearms"}},
]
TIGHTENERS = [{"run_tainted": True}, {"usage": {"sends-per-domain": 3}}, {"email_verified": False}]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    base=st.sampled_from(VALID),
    extra=st.sampled_from(DENY_SOURCES + TIGHTENERS),
    tainted=st.booleans(),
    verified=st.booleans(),
)
def test_adding_a_restriction_never_loosens(
    reference: CompiledPolicy, base: dict[str, Any], extra: dict[str, Any], tainted: bool, verified: bool
) -> None:
    facts = {"now": "2026-11-24T10:00:00Z", "run_tainted": tainted, "email_verified": verified}
    before = decide(reference, {**base, "facts": facts})
    after = decide(reference, {**base, "facts": {**facts, **extra}})
    assert RANK[after.effect] >= RANK[before.effect]
    if after.effect is before.effect is Effect.REQUIRE_APPROVAL:
        assert after.approvals_required >= before.approvals_required
    if extra in DENY_SOURCES[:2]:
        assert after.effect is Effect.DENY
