"""The agents page: status, keys, delegations, quarantine / release and the workspace pause."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from tests.console.conftest import ConsoleEnv, sign_in

from proctor.console import signin_links

RESEARCH = {"action": "research.web", "params": {"query": "globex berlin office"}}


@contextmanager
def signed_in(env: ConsoleEnv, who: str) -> Iterator[tuple[httpx.Client, str]]:
    """An HTTP client signed in as `who` through a one-time link, and its CSRF token."""
    with httpx.Client(base_url=env.url, follow_redirects=True, timeout=30) as client:
        client.get(signin_links.issue(env.services, env.ws, env.people[who].id))
        page = client.get("/console/agents")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        yield client, match.group(1)


def test_the_page_shows_status_maturity_keys_and_delegations(console_env: ConsoleEnv) -> None:
    with signed_in(console_env, "ada") as (client, _):
        page = client.get("/console/agents").text
    assert "sdr-bot" in page and "globex-bot" not in page
    assert "maturity 2 (send-with-approval)" in page
    assert "Acts for <strong>Maria Rep</strong>" in page
    assert "prx_" not in page or "…" in page  # key prefixes only
    assert console_env.agent_key not in page


def test_a_rep_sees_no_keys_and_cannot_quarantine(console_env: ConsoleEnv) -> None:
    with signed_in(console_env, "raj") as (client, token):
        page = client.get("/console/agents").text
        assert "<h3>Keys</h3>" not in page and "Quarantine sdr-bot" not in page
        refused = client.post(
            f"/console/agents/{console_env.agent_id}/quarantine", data={"reason": "x", "csrf_token": token}
        )
    assert refused.status_code == 403
    assert "this needs one of the roles: admin, manager" in refused.text
    assert console_env.services.admin.get_agent(console_env.ws, console_env.agent_id)["status"] == "active"


def test_a_foreign_agent_is_not_found(console_env: ConsoleEnv) -> None:
    foreign = console_env.services.admin.list_agents(console_env.other_ws)[0]["id"]
    with signed_in(console_env, "ada") as (client, token):
        response = client.post(
            f"/console/agents/{foreign}/quarantine", data={"reason": "x", "csrf_token": token}
        )
        assert response.status_code == 404
        no_csrf = client.post(f"/console/agents/{console_env.agent_id}/quarantine", data={"reason": "x"})
        assert no_csrf.status_code == 403
    assert console_env.services.admin.list_agents(console_env.other_ws)[0]["status"] == "active"


def test_workspace_pause_and_resume(console_env: ConsoleEnv) -> None:
    admin, ws = console_env.services.admin, console_env.ws
    held = admin.create_agent(ws, "held-bot")["id"]
    admin.set_agent_status(ws, held, "quarantined", "held for review")
    with signed_in(console_env, "ada") as (client, token):
        paused = client.post("/console/agents/pause", data={"csrf_token": token})
        assert "Workspace paused: 1 agent(s) quarantined" in paused.text
        statuses = {a["name"]: a for a in admin.list_agents(ws)}
        assert statuses["sdr-bot"]["status"] == "quarantined"
        assert statuses["sdr-bot"]["status_reason"].startswith("workspace paused by user:")
        denied = console_env.submit(RESEARCH)
        assert denied["status"] == "denied"
        resumed = client.post("/console/agents/resume", data={"csrf_token": token})
        assert "Workspace resumed: 1 agent(s) released" in resumed.text
    statuses = {a["name"]: a for a in admin.list_agents(ws)}
    assert statuses["sdr-bot"]["status"] == "active"
    assert statuses["held-bot"]["status"] == "quarantined"  # not paused by the pause: stays held
    assert statuses["held-bot"]["status_reason"] == "held for review"
    events, _ = admin.audit_query(ws, {"kind": "admin"}, None, 1000)
    changes = [e["detail"]["change"] for e in events]
    assert "workspace.pause" in changes and "workspace.resume" in changes


def test_revoking_a_key_refuses_it(console_env: ConsoleEnv) -> None:
    admin, ws = console_env.services.admin, console_env.ws
    meta, raw = admin.issue_agent_key(ws, console_env.agent_id, ["research.*"])
    with signed_in(console_env, "ada") as (client, token):
        page = client.post(
            f"/console/agents/{console_env.agent_id}/keys/{meta['id']}/revoke", data={"csrf_token": token}
        )
    assert f"Key {meta['prefix']}… revoked" in page.text
    refused = httpx.post(
        f"{console_env.url}/v1/actions", json=RESEARCH, headers={"Authorization": f"Bearer {raw}"}
    )
    assert refused.status_code == 401


@pytest.mark.browser
def test_quarantine_in_the_browser_denies_the_next_action(console_env: ConsoleEnv, new_page: Any) -> None:
    assert console_env.submit(RESEARCH)["status"] != "denied"
    page = sign_in(new_page(), console_env, "lee")
    page.click("nav >> text=Agents")
    page.wait_for_url(re.compile(r".*/console/agents$"))
    page.fill(f"#reason-{console_env.agent_id}", "emails went to the wrong segment")
    page.click("text=Quarantine sdr-bot")
    page.wait_for_url(re.compile(r".*/console/agents$"))
    assert "sdr-bot is quarantined" in page.locator(".flash").inner_text()
    card = page.locator(f"#agent-{console_env.agent_id}")
    assert "quarantined" in card.locator(".badge").first.inner_text()
    assert "emails went to the wrong segment" in card.inner_text()
    denied = console_env.submit(RESEARCH)
    assert denied["status"] == "denied"
    assert "agent is quarantined" in str(denied["decision"]["reasons"]), denied
    page.click("text=Release sdr-bot")
    page.wait_for_url(re.compile(r".*/console/agents$"))
    assert console_env.submit(RESEARCH)["status"] != "denied"


@pytest.mark.browser
def test_agents_page_reads_at_375px(console_env: ConsoleEnv, new_page: Any) -> None:
    page = sign_in(new_page(width=375, height=700), console_env, "ada")
    page.goto(f"{console_env.url}/console/agents")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, width
    assert page.locator("h1").inner_text() == "Agents"
