"""Approvals on real SQLite and PostgreSQL: lifecycle, who may approve, edits void votes, exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from proctor.approvals import ApprovalService
from proctor.bootstrap import Services
from proctor.domain.errors import ConflictError, ForbiddenError
from proctor.domain.identity import UserPrincipal
from proctor.store.tables import actions
from proctor.worker import Worker, approvals_for

POLICY: dict[str, Any] = {
    "version": 1,
    "name": "approvals",
    "maturity": 3,
    "lists": {"sending_domains": ["acme.io"]},
    "actions": {
        "*": {"effect": "allow"},
        "email.send": {
            "effect": "require_approval",
            "rules": [
                {"when": "params.subject.contains('guaranteed')", "effect": "deny", "message": "no promises"}
            ],
        },
        "data.export": {"effect": "require_approval", "approvals": 2},
        "crm.stage_change": {"effect": "require_approval", "approvers": ["manager"]},
    },
}


def email(subject: str = "Hello Dana", **extra: Any) -> dict[str, Any]:
    """An email.send request."""
    params = {"from": "maria@acme.io", "to": "dana@globex.com", "subject": subject, "body": "Hi Dana"}
    return {"action": "email.send", "run_id": "run_1", "params": params, **extra}


def export(fields: list[str]) -> dict[str, Any]:
    """A data.export request (two approvals by policy)."""
    return {"action": "data.export", "params": {"object": "contact", "fields": fields}}


class World:
    """A workspace with an agent, approvers of each role and a delegating rep."""

    def __init__(self, services: Services) -> None:
        admin = services.admin
        self.services = services
        self.ws = admin.create_workspace("Acme")["id"]
        self.agent = admin.create_agent(self.ws, "sdr-bot")["id"]
        _, key = admin.issue_agent_key(self.ws, self.agent, ["*"])
        self.principal = services.gate.authenticate_agent(key)
        self.users: dict[str, UserPrincipal] = {}
        for name, roles in {
            "ann": ["approver"],
            "bob": ["approver"],
            "meg": ["manager"],
            "rep": ["rep"],
            "other_rep": ["rep"],
            "aud": ["auditor"],
        }.items():
            uid = admin.create_user(self.ws, f"{name}@acme.io", name, roles)["id"]
            self.users[name] = UserPrincipal(workspace_id=self.ws, user_id=uid, key_id="k", roles=roles)
        admin.create_delegation(
            self.ws,
            self.users["rep"].user_id,
            self.agent,
            ["*"],
            datetime.now(UTC) + timedelta(days=30),
        )
        self.approvals: ApprovalService = approvals_for(services)

    def submit(self, payload: dict[str, Any]) -> str:
        """Submit as the agent; the action must be pending approval."""
        result = self.services.gate.submit(self.principal, payload)
        assert result.status == "pending_approval", result
        return result.action_id

    def executions(self, action_id: str) -> int:
        """How many times the gate executed this action (its outcome events, written with the execution)."""
        events, _ = self.services.admin.audit_query(self.ws, {"action_id": action_id, "kind": "outcome"})
        return len(events)


@pytest.fixture
def world(make_services: Callable[..., Services]) -> World:
    """Services with the approvals policy and a populated workspace."""
    return World(make_services(POLICY))


def test_approve_then_worker_executes_once(world: World) -> None:
    action_id = world.submit(email())
    view = world.approvals.get(world.ws, action_id)
    assert view["status"] == "pending" and view["approvals_required"] == 1
    assert view["reasons"] and view["risk"] is not None and view["params"]["subject"] == "Hello Dana"
    done = world.approvals.vote(world.users["ann"], view["id"], "approve", reason="fine")
    assert done["status"] == "approved"
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "approved"
    assert world.executions(action_id) == 0
    worker = Worker(world.approvals)
    assert worker.run_once()["executed"] == 1
    assert worker.run_once()["executed"] == 0
    assert world.executions(action_id) == 1
    assert world.approvals.get(world.ws, view["id"])["status"] == "executed"
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "executed"
    kinds = [e["kind"] for e in world.services.admin.audit_query(world.ws, {"action_id": action_id})[0]]
    assert kinds == ["request", "decision", "approval", "outcome"]


def test_rejection_is_an_outcome_with_the_reason(world: World) -> None:
    action_id = world.submit(email())
    view = world.approvals.vote(world.users["meg"], action_id, "reject", reason="wrong persona")
    assert view["status"] == "rejected" and view["reason"] == "wrong persona"
    action = world.services.gate.get_action(world.ws, action_id)
    assert action["status"] == "rejected"
    assert action["outcome"]["reason"] == "wrong persona"
    Worker(world.approvals).run_once()
    assert world.executions(action_id) == 0
    with pytest.raises(ConflictError):
        world.approvals.vote(world.users["ann"], action_id, "approve")


def test_agent_and_wrong_roles_never_approve(world: World) -> None:
    action_id = world.submit(email())
    with pytest.raises(ForbiddenError):
        world.approvals.vote(world.principal, action_id, "approve")
    agent_as_user = UserPrincipal(workspace_id=world.ws, user_id=world.agent, key_id="k", roles=["admin"])
    with pytest.raises(ForbiddenError):
        world.approvals.vote(agent_as_user, action_id, "approve")
    for name in ("other_rep", "aud"):
        with pytest.raises(ForbiddenError):
            world.approvals.vote(world.users[name], action_id, "approve")
    assert world.approvals.get(world.ws, action_id)["status"] == "pending"


def test_delegating_rep_may_approve_their_delegated_action(world: World) -> None:
    action_id = world.submit(email(on_behalf_of=world.users["rep"].user_id))
    view = world.approvals.get(world.ws, action_id)
    assert view["on_behalf_of"] == world.users["rep"].user_id
    assert world.approvals.vote(world.users["rep"], action_id, "approve")["status"] == "approved"


def test_two_person_rule_same_person_twice_counts_once(world: World) -> None:
    action_id = world.submit(export(["email"]))
    ann, bob = world.users["ann"], world.users["bob"]
    first = world.approvals.vote(ann, action_id, "approve")
    assert first["status"] == "pending" and first["approved_by"] == [ann.user_id]
    again = world.approvals.vote(ann, action_id, "approve")
    assert again["status"] == "pending" and again["approved_by"] == [ann.user_id]
    with pytest.raises(ForbiddenError):
        world.approvals.vote(world.principal, action_id, "approve")
    assert world.approvals.vote(bob, action_id, "approve")["status"] == "approved"


def test_two_person_with_the_delegating_rep_needs_another_human(world: World) -> None:
    rep = world.users["rep"]
    action_id = world.submit({**export(["email"]), "on_behalf_of": rep.user_id})
    assert world.approvals.vote(rep, action_id, "approve")["status"] == "pending"
    assert world.approvals.vote(rep, action_id, "approve")["status"] == "pending"
    assert world.approvals.vote(world.users["meg"], action_id, "approve")["status"] == "approved"


def test_approver_roles_of_a_rule_restrict_who_counts(world: World) -> None:
    action_id = world.submit({"action": "crm.stage_change", "params": {"record_id": "opp_1", "to": "won"}})
    assert world.approvals.get(world.ws, action_id)["approver_roles"] == ["manager"]
    with pytest.raises(ForbiddenError):
        world.approvals.vote(world.users["ann"], action_id, "approve")
    assert world.approvals.vote(world.users["meg"], action_id, "approve")["status"] == "approved"


def test_edited_parameters_void_earlier_votes_and_are_decided_again(world: World) -> None:
    action_id = world.submit(export(["email", "phone"]))
    ann, bob = world.users["ann"], world.users["bob"]
    before = world.approvals.vote(ann, action_id, "approve")
    assert before["approved_by"] == [ann.user_id]
    edited = world.approvals.vote(
        bob, action_id, "approve", params={"object": "contact", "fields": ["email"]}
    )
    assert edited["status"] == "pending", "ann approved other content: her vote no longer counts"
    assert edited["approved_by"] == [bob.user_id]
    assert edited["content_hash"] != before["content_hash"]
    assert edited["edits"][0]["diff"] == {"fields": {"before": ["email", "phone"], "after": ["email"]}}
    assert world.approvals.vote(ann, action_id, "approve")["status"] == "approved"
    Worker(world.approvals).run_once()
    action = world.services.gate.get_action(world.ws, action_id)
    assert action["status"] == "executed"
    assert action["request"]["params"]["fields"] == ["email"]


def test_an_edit_the_policy_denies_cancels_the_approval(world: World) -> None:
    action_id = world.submit(email())
    params = {**world.approvals.get(world.ws, action_id)["params"], "subject": "guaranteed results"}
    view = world.approvals.vote(world.users["ann"], action_id, "approve", params=params)
    assert view["status"] == "cancelled" and "no promises" in view["reason"]
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "denied"


def test_content_changed_after_approval_is_never_executed(world: World) -> None:
    action_id = world.submit(email())
    world.approvals.vote(world.users["ann"], action_id, "approve")
    with world.services.store.write() as conn:
        row = conn.execute(select(actions.c.request).where(actions.c.id == action_id)).scalar_one()
        tampered = {**row, "params": {**row["params"], "to": "ceo@globex.com"}}
        conn.execute(update(actions).where(actions.c.id == action_id).values(request=tampered))
    Worker(world.approvals).run_once()
    assert world.executions(action_id) == 0
    assert world.approvals.get(world.ws, action_id)["status"] == "cancelled"
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "cancelled"


def test_stale_hash_is_refused(world: World) -> None:
    action_id = world.submit(email())
    with pytest.raises(ConflictError):
        world.approvals.vote(world.users["ann"], action_id, "approve", expected_hash="0" * 64)


def test_pending_approvals_expire_and_expiry_denies(world: World, clock: Any) -> None:
    action_id = world.submit(email())
    view = world.approvals.get(world.ws, action_id)
    created = datetime.strptime(view["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert datetime.strptime(view["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    ) == created + timedelta(hours=72)
    clock.now = clock.now + timedelta(hours=73)
    with pytest.raises(ConflictError):
        world.approvals.vote(world.users["ann"], action_id, "approve")
    assert world.approvals.get(world.ws, action_id)["status"] == "expired"
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "expired"
    Worker(world.approvals).run_once()
    assert world.executions(action_id) == 0


def test_twenty_concurrent_approvals_execute_once(
    world: World, make_services: Callable[..., Services]
) -> None:
    action_id = world.submit(email())
    world.approvals.sync(world.ws)
    approvers = [world.users["ann"], world.users["bob"], world.users["meg"]]
    second = approvals_for(make_services(POLICY))  # another process's service over the same database
    workers = [Worker(world.approvals, name="w1"), Worker(second, name="w2")]
    barrier = threading.Barrier(20 + len(workers))
    outcomes: list[str] = []

    def approve(n: int) -> None:
        barrier.wait()
        service = world.approvals if n % 2 else second
        try:
            outcomes.append(service.vote(approvers[n % 3], action_id, "approve")["status"])
        except ConflictError:
            outcomes.append("conflict")

    def work(worker: Worker) -> None:
        barrier.wait()
        for _ in range(20):
            worker.run_once()

    threads = [threading.Thread(target=approve, args=(n,)) for n in range(20)]
    threads += [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 20
    for w in workers:
        w.run_once()
    assert world.executions(action_id) == 1
    assert world.approvals.get(world.ws, action_id)["status"] == "executed"
    outcome_events = world.services.admin.audit_query(world.ws, {"action_id": action_id, "kind": "outcome"})[
        0
    ]
    assert len(outcome_events) == 1
