"""A quarantined agent acts no more: its pending approvals cannot be approved, and nothing of it executes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.integration.test_approvals import POLICY, World, email

from proctor.bootstrap import Services
from proctor.domain.errors import ConflictError
from proctor.worker import Worker


@pytest.fixture
def world(make_services: Callable[..., Services]) -> World:
    """The approvals test world: an agent, approvers and a delegating rep."""
    return World(make_services(POLICY))


def test_a_quarantined_agents_pending_send_cannot_be_approved_but_can_be_rejected(world: World) -> None:
    first, second, third = (world.submit(email(f"Hello Dana {i}")) for i in range(3))
    world.services.admin.set_agent_status(world.ws, world.agent, "quarantined", "odd sends at 2 a.m.")
    with pytest.raises(ConflictError, match=r"is quarantined \(odd sends at 2 a\.m\.\): release it"):
        world.approvals.vote(world.users["ann"], first, "approve", reason="looks fine")
    manifest = world.approvals.manifest(world.ws, ids=[world.approvals.get(world.ws, second)["id"]])
    assert len(manifest["items"]) == 1
    batch = world.approvals.batch(world.users["ann"], manifest["items"], "approve")
    assert batch["results"] == []
    assert "is quarantined" in batch["refused"][0]["reason"]
    rejected = world.approvals.vote(world.users["ann"], third, "reject", reason="incident")
    assert rejected["status"] == "rejected"
    Worker(world.approvals).run_once()
    assert [world.executions(a) for a in (first, second, third)] == [0, 0, 0]

    world.services.admin.set_agent_status(world.ws, world.agent, "active", "cleared")
    approved = world.approvals.vote(world.users["ann"], first, "approve", reason="after review")
    assert approved["status"] == "approved"
    Worker(world.approvals).run_once()
    assert world.executions(first) == 1


def test_an_approved_action_is_not_executed_once_its_agent_is_quarantined(world: World) -> None:
    action_id = world.submit(email("Hello Dana"))
    approved = world.approvals.vote(world.users["ann"], action_id, "approve", reason="fine")
    assert approved["status"] == "approved"
    world.services.admin.set_agent_status(world.ws, world.agent, "quarantined", "incident 42")
    Worker(world.approvals).run_once()
    action = world.services.gate.get_action(world.ws, action_id)
    assert action["status"] == "failed"
    assert "is quarantined (incident 42): not executed" in action["outcome"]["error"]
    events, _ = world.services.admin.audit_query(world.ws, {"action_id": action_id, "kind": "outcome"})
    assert [e["outcome"]["status"] for e in events] == ["failed"]  # audited, and no connector ran
    assert "message_id" not in events[0]["outcome"]
