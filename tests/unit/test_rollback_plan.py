"""Rollback planning is pure: newest first, simulated state, conflicts, irreversible sends."""

from __future__ import annotations

from typing import Any

from proctor.domain.rollback import plan


def _row(i: int, op: str, before: dict[str, Any], after: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": i, "action_id": f"act_{i}", "action": "crm.update", "agent_id": "agt_a", "run_id": "r",
        "at": f"2026-11-26T10:00:0{i}Z", "connector": "sandbox_crm", "object": "contact",
        "record_id": "con_1", "op": op, "reversible": True, "reverted_at": None,
        "change": {"before": before, "after": after}, **extra,
    }  # fmt: skip


def test_two_writes_of_one_field_unwind_in_order() -> None:
    rows = [
        _row(1, "update", {"title": "A"}, {"title": "B"}),
        _row(2, "update", {"title": "B"}, {"title": "C"}),
    ]
    items = plan(rows, {("contact", "con_1"): {"title": "C", "archived": False}})
    assert [i.action_id for i in items] == ["act_2", "act_1"]
    assert [i.status for i in items] == ["revert", "revert"]
    assert items[1].diff == [{"field": "title", "before": "B", "after": "A"}]


def test_a_later_edit_by_someone_else_is_a_conflict_and_force_overrides() -> None:
    rows = [_row(1, "update", {"title": "A"}, {"title": "B"})]
    state = {("contact", "con_1"): {"title": "Z", "archived": False}}
    assert plan(rows, state)[0].status == "conflict"
    forced = plan(rows, state, force=True)[0]
    assert forced.status == "revert" and forced.diff == [{"field": "title", "before": "Z", "after": "A"}]


def test_sends_are_not_reversible_and_missing_records_are_reported() -> None:
    send = _row(1, "send", {}, {}, connector="smtp", reversible=False, object="email")
    gone = _row(2, "update", {"title": "A"}, {"title": "B"})
    items = plan([send, gone], {("contact", "con_1"): None})
    assert [(i.status, i.reason) for i in items] == [
        ("missing", "the record no longer exists"),
        ("not_reversible", "email cannot be un-sent"),
    ]
