"""The policies page: the active version and source, the version history, and the dry-run form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.console.conftest import ConsoleEnv, sign_in
from tests.console.test_agents_page import signed_in

SEND = (
    '{"from": "maria@acme.io", "to": "dana@globex.com", "subject": "Hi", "touch": "first", "body": "Hi Dana"}'
)


def test_the_active_policy_its_source_and_history(console_env: ConsoleEnv) -> None:
    console_env.submit({"action": "research.web", "params": {"query": "history"}})
    policy = console_env.services.policy()
    with signed_in(console_env, "maria") as (client, _):
        page = client.get("/console/policies").text
    assert f"Active policy: {policy.name}" in page
    assert policy.version in page
    assert '<span class="y-k">maturity</span>' in page  # highlighted YAML, read-only
    assert "<textarea" in page and "<pre" in page
    history = re.search(r'id="history-h".*?</section>', page, re.S)
    assert history and policy.version[:23] in history.group(0) and "active" in history.group(0)


def test_a_dry_run_decides_without_recording(console_env: ConsoleEnv) -> None:
    admin, ws = console_env.services.admin, console_env.ws
    before = len(admin.audit_query(ws, None, None, 1000)[0])
    with signed_in(console_env, "maria") as (client, token):
        form = {"csrf_token": token, "action": "email.send", "params": SEND, "maturity": "2"}
        page = client.post("/console/policies/dry-run", data=form).text
        assert "Decision:" in page and "require_approval" in page
        assert "nothing was recorded" in page
        tainted = client.post("/console/policies/dry-run", data={**form, "agent_status": "quarantined"}).text
        assert "agent is quarantined" in tainted and 'class="badge deny"' in tainted
        manual = client.post(
            "/console/policies/dry-run", data={**form, "maturity": "0"}, headers={"HX-Request": "true"}
        )
        assert "<html" not in manual.text and "maturity 0 (manual)" in manual.text
    assert len(admin.audit_query(ws, None, None, 1000)[0]) == before


def test_bad_json_names_the_field(console_env: ConsoleEnv) -> None:
    with signed_in(console_env, "maria") as (client, token):
        bad = client.post(
            "/console/policies/dry-run",
            data={"csrf_token": token, "action": "email.send", "params": "{to: dana", "evidence": ""},
        )
        assert bad.status_code == 400
        assert "params: not valid JSON" in bad.text
        listed = client.post(
            "/console/policies/dry-run",
            data={"csrf_token": token, "action": "email.send", "params": "{}", "evidence": "[1]"},
        )
        assert "evidence: must be a JSON object" in listed.text
        forged = client.post("/console/policies/dry-run", data={"action": "email.send", "params": "{}"})
        assert forged.status_code == 403


@pytest.mark.browser
def test_dry_run_in_the_browser(console_env: ConsoleEnv, new_page: Any) -> None:
    page = sign_in(new_page(width=375, height=800), console_env, "lee")
    page.goto(f"{console_env.url}/console/policies")
    page.fill("#dry-action", "note.create")
    page.fill("#dry-params", '{"record_id": "con_123", "body": "Call notes"}')
    page.check("input[name=run_tainted]")
    page.click('button:text-is("Decide")')
    result = page.locator("#dry-result")
    result.locator("h3").wait_for()
    assert "Decision:" in result.inner_text()
    assert "taint" in result.inner_text().lower()
    assert page.url.endswith("/console/policies")  # htmx swapped the result in place
    page.fill("#dry-params", "{oops")
    page.click('button:text-is("Decide")')
    page.locator("#dry-result [role=alert]").wait_for()
    assert "params: not valid JSON" in result.inner_text()
