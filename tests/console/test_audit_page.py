"""The audit explorer: filters, cursor pages, JSONL export, chain verification and who may see it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from tests.console.conftest import ConsoleEnv, sign_in
from tests.console.test_agents_page import signed_in


@pytest.fixture(scope="module")
def trail(console_env: ConsoleEnv) -> list[str]:
    """A few actions in acme (one for a CRM record in a run) and one in globex."""
    ids = []
    for n in range(3):
        ids.append(
            console_env.submit({"action": "research.web", "params": {"query": f"globex {n}"}})["action_id"]
        )
    ids.append(
        console_env.submit(
            {
                "action": "crm.update",
                "run_id": "run_audit_1",
                "params": {"object": "contact", "record_id": "con_123", "fields": {"title": "CTO"}},
            }
        )["action_id"]
    )
    console_env.submit(
        {"action": "research.web", "params": {"query": "globex secret"}}, key=console_env.other_agent_key
    )
    return ids


def test_only_audit_roles_see_the_trail(console_env: ConsoleEnv, trail: list[str]) -> None:
    with signed_in(console_env, "maria") as (client, _):
        response = client.get("/console/audit")
    assert response.status_code == 403
    assert "admin, auditor, manager" in response.text
    for who in ("aud", "lee", "ada"):
        with signed_in(console_env, who) as (client, _):
            assert client.get("/console/audit").status_code == 200


def test_filters_and_links(console_env: ConsoleEnv, trail: list[str]) -> None:
    with signed_in(console_env, "aud") as (client, _):
        page = client.get("/console/audit", params={"record_id": "con_123"}).text
        assert "crm.update" in page and "research.web" not in page
        assert f'href="/console/actions/{trail[3]}"' in page
        assert 'href="/console/runs/run_audit_1"' in page
        assert "globex secret" not in client.get("/console/audit", params={"q": "globex"}).text
        bad = client.get("/console/audit", params={"since": "yesterday-ish"})
        assert bad.status_code == 400
        assert "From: not a date and time" in bad.text
        none = client.get("/console/audit", params={"action": "no.such.action"}).text
        assert "No events match these filters" in none


def test_cursor_pages_walk_back_in_time(console_env: ConsoleEnv, trail: list[str]) -> None:
    for n in range(60):  # more than one page of events
        console_env.submit({"action": "research.web", "params": {"query": f"page filler {n}"}})
    with signed_in(console_env, "aud") as (client, _):
        first = client.get("/console/audit").text
        seqs = [int(s) for s in re.findall(r"<tr>\s*<td>(\d+)</td>", first)]
        assert len(seqs) == 50 and seqs == sorted(seqs, reverse=True)
        older = re.search(r'href="(/console/audit\?cursor=\d+)" rel="next"', first)
        assert older, "no link to older events"
        second = client.get(older.group(1).replace("&amp;", "&")).text
        more = [int(s) for s in re.findall(r"<tr>\s*<td>(\d+)</td>", second)]
        assert more and max(more) < min(seqs)


def test_export_streams_jsonl_with_the_filters(console_env: ConsoleEnv, trail: list[str]) -> None:
    with signed_in(console_env, "aud") as (client, _):
        response = client.get("/console/audit/export", params={"action": "crm.update"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    events = [orjson.loads(line) for line in response.text.splitlines()]
    assert events and all(e["action"] == "crm.update" for e in events)
    assert all(e["workspace_id"] == console_env.ws for e in events)
    assert {"hash", "prev_hash"} <= set(events[0])


def test_chain_verification_names_the_first_bad_event(console_env: ConsoleEnv, trail: list[str]) -> None:
    with signed_in(console_env, "aud") as (client, _):
        ok = client.get("/console/audit/verify", headers={"HX-Request": "true"}).text
        assert "verified" in ok and "chain correctly" in ok
        store = console_env.services.store
        with store.engine.begin() as conn:
            seq, body = conn.execute(
                text(
                    "SELECT seq, body FROM audit_events WHERE workspace_id = :ws AND action = 'research.web' "
                    "ORDER BY seq LIMIT 1"
                ),
                {"ws": console_env.ws},
            ).one()
            conn.execute(
                text("UPDATE audit_events SET body = :b WHERE workspace_id = :ws AND seq = :s"),
                {"b": body.replace("research.web", "research.wet"), "ws": console_env.ws, "s": seq},
            )
        try:
            bad = client.get("/console/audit/verify").text
            assert "broken" in bad and f"The chain breaks at event #{seq}" in bad
        finally:
            with store.engine.begin() as conn:
                conn.execute(
                    text("UPDATE audit_events SET body = :b WHERE workspace_id = :ws AND seq = :s"),
                    {"b": body, "ws": console_env.ws, "s": seq},
                )


@pytest.mark.browser
def test_the_audit_page_in_a_browser(console_env: ConsoleEnv, trail: list[str], new_page: Any) -> None:
    page = sign_in(new_page(width=375, height=800), console_env, "aud")
    page.goto(f"{console_env.url}/console/audit")
    page.wait_for_selector("#chain .badge")
    assert "verified" in page.locator("#chain").inner_text()
    page.fill("#f-record", "con_123")
    page.click("text=Search")
    page.wait_for_url(re.compile(r".*record_id=con_123.*"))
    assert page.locator("tbody tr").count() >= 1
    assert "crm.update" in page.locator("tbody").inner_text()
    with page.expect_download() as download:
        page.click("text=Export JSONL")
    lines = download.value.path().read_text().splitlines()
    assert lines and all("con_123" in line for line in lines)
    assert httpx.get(f"{console_env.url}/console/audit/export", follow_redirects=False).status_code == 303
