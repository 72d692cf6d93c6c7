"""Workspaces are hard walls: nothing of B is readable, approvable or exportable with A's credentials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from proctor.bootstrap import Services
from proctor.domain.errors import AuthError, NotFoundError


@pytest.fixture
def other(services: Services) -> dict[str, Any]:
    admin = services.admin
    ws = admin.create_workspace("Globex")["id"]
    agent = admin.create_agent(ws, "their-bot")["id"]
    _meta, key = admin.issue_agent_key(ws, agent)
    user = admin.create_user(ws, "bob@globex.com", "Bob", ["admin"])["id"]
    return {"ws": ws, "agent": agent, "key": key, "user": user}


def test_nothing_crosses_workspaces(
    services: Services, tenant: dict[str, Any], other: dict[str, Any], clock: Any
) -> None:
    gate, admin = services.gate, services.admin
    theirs = gate.submit(
        gate.authenticate_agent(other["key"]),
        {"action": "note.create", "run_id": "run_b", "params": {"record_id": "secret_rec", "body": "B only"}},
    )
    mine = gate.authenticate_agent(tenant["key"])
    assert mine.workspace_id == tenant["ws"]

    with pytest.raises(NotFoundError):
        gate.get_action(tenant["ws"], theirs.action_id)
    events, _ = admin.audit_query(tenant["ws"], {"action_id": theirs.action_id})
    assert events == []
    events, _ = admin.audit_query(tenant["ws"], {"text": "secret_rec"})
    assert events == []
    assert all(e["workspace_id"] == tenant["ws"] for e in admin.audit_export(tenant["ws"]))
    assert all(e["workspace_id"] == other["ws"] for e in admin.audit_export(other["ws"]))

    with pytest.raises(NotFoundError):
        admin.get_agent(tenant["ws"], other["agent"])
    with pytest.raises(NotFoundError):
        admin.issue_agent_key(tenant["ws"], other["agent"])
    with pytest.raises(NotFoundError):
        admin.create_delegation(
            tenant["ws"], other["user"], tenant["agent"], ["*"], clock.now + timedelta(days=1)
        )
    with pytest.raises(NotFoundError):
        admin.create_delegation(
            tenant["ws"], tenant["user"], other["agent"], ["*"], clock.now + timedelta(days=1)
        )
    assert admin.list_delegations(tenant["ws"]) == []

    # A's agent acting "on behalf of" B's user: no delegation exists in A, so it is denied
    result = gate.submit(
        mine, {"action": "note.create", "on_behalf_of": other["user"], "params": {"record_id": "r"}}
    )
    assert result.status == "denied"

    # A's agent writing B's sandbox record id writes only inside A
    assert services.gate.connectors is not None
    theirs_crm = services.gate.connectors.crm(other["ws"])
    theirs_crm.create("contact", {"title": "CEO"}, record_id="con_b")
    upd = {
        "action": "crm.update",
        "params": {"object": "contact", "record_id": "con_b", "fields": {"title": "x"}},
    }
    assert gate.submit(mine, upd).status == "failed"  # no con_b in A's own sandbox CRM
    assert theirs_crm.get("contact", "con_b")["title"] == "CEO"

    # B's run taint does not leak into A and vice versa; keys are per workspace
    with pytest.raises(NotFoundError):
        admin.revoke_agent_key(other["ws"], tenant["key_id"])
    assert admin.audit_verify(tenant["ws"]).ok and admin.audit_verify(other["ws"]).ok


def test_revoked_key_is_refused(services: Services, tenant: dict[str, Any]) -> None:
    services.gate.authenticate_agent(tenant["key"])
    services.admin.revoke_agent_key(tenant["ws"], tenant["key_id"])
    with pytest.raises(AuthError):
        services.gate.authenticate_agent(tenant["key"])
    with pytest.raises(AuthError):
        services.gate.authenticate_agent("pa_notarealprefix_" + "x" * 40)
    with pytest.raises(AuthError):
        services.gate.authenticate_user(tenant["key"])  # an agent key is not a user token


def test_user_tokens_authenticate_with_roles(services: Services, tenant: dict[str, Any]) -> None:
    meta, raw = services.admin.issue_user_token(tenant["ws"], tenant["user"])
    principal = services.gate.authenticate_user(f"Bearer {raw}")
    assert principal.user_id == tenant["user"]
    assert principal.roles == ["rep"]
    assert principal.timezone == "Europe/Berlin"
    services.admin.revoke_agent_key(tenant["ws"], meta["id"])
    with pytest.raises(AuthError):
        services.gate.authenticate_user(raw)
