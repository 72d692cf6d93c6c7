"""Batch review: the next 10 approved as one event, two-person items wait for a second person, roles, CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from tests.console.conftest import ConsoleEnv, sign_in
from tests.console.review import Session, approval_id, email, status_of

from proctor.worker import approvals_for


def _batch_events(env: ConsoleEnv) -> list[dict[str, Any]]:
    events, _ = env.services.admin.audit_query(env.ws, {"kind": "approval"}, limit=1000)
    return [e for e in events if e["detail"].get("change") == "approval.batch_approve"]


@pytest.mark.browser
def test_batch_approve_the_next_ten(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    ids = [
        env.submit(
            email(env, f"lead{i}@prospect{i}.example", subject=f"Batch hello {i}", run_id="run_batch")
        )["action_id"]
        for i in range(10)
    ]
    before = len(_batch_events(env))
    page = sign_in(new_page(), env, "lee")
    page.goto(f"{env.url}/console/batch")
    page.click("button:has-text('Next 10')")
    page.wait_for_url(lambda url: "/console/batch/manifest" in url)
    rows = page.locator("tr.manifest-item")
    assert rows.count() == 10
    assert len(page.locator(".batch-hash").inner_text()) == 64
    listed = page.locator("table").inner_text()
    assert all(approval_id(env, a) in listed for a in ids)
    page.click("button:has-text('Approve all 10 as one event')")
    page.locator("#batch-done").wait_for()
    assert page.locator("#batch-done").inner_text().startswith("10 approved")
    assert page.locator("tr.batch-result[data-status=approved]").count() == 10
    env.wait_for(lambda: all(status_of(env, a) == "executed" for a in ids), timeout=30)
    subjects = {m.subject for m in env.sink.messages()}
    assert {f"Batch hello {i}" for i in range(10)} <= subjects
    events = _batch_events(env)
    assert len(events) == before + 1  # ONE audit event for the ten votes
    assert len(events[-1]["detail"]["manifest"]) == 10
    page.goto(f"{env.url}/console/runs/run_batch")  # the run's timeline shows the vote on each action
    assert page.locator("text=Approved in a batch").count() == 10
    page.goto(f"{env.url}/console/actions/{ids[3]}")
    assert page.locator("text=Approved in a batch").count() == 1


@pytest.mark.browser
def test_two_person_items_wait_for_a_second_person(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(
        {"action": "data.export", "params": {"object": "account", "fields": ["name", "domain"]}}
    )
    apr = approval_id(env, done["action_id"])
    lee = sign_in(new_page(), env, "lee")
    lee.goto(f"{env.url}/console/batch")
    lee.check(f"#pick-{apr}")
    lee.click("button:has-text('Review selected')")
    lee.click("button:has-text('Approve all 1 as one event')")
    result = lee.locator("tr.batch-result[data-status=pending]")
    assert "waiting for a second person" in result.inner_text()
    assert "1 of 2: Lee Manager" in result.inner_text()
    assert status_of(env, done["action_id"]) == "pending_approval"
    lee.goto(f"{env.url}/console/batch")
    assert lee.locator(f"#pick-{apr}").is_disabled()  # her vote is in; it waits for someone else
    kim = sign_in(new_page(), env, "kim")
    kim.goto(f"{env.url}/console/batch")
    assert "Lee Manager" in kim.locator(f"tr:has(#pick-{apr})").inner_text()
    kim.check(f"#pick-{apr}")
    kim.click("button:has-text('Review selected')")
    kim.click("button:has-text('Approve all 1 as one event')")
    assert "1 approved" in kim.locator("#batch-done").inner_text()
    env.wait_for(lambda: status_of(env, done["action_id"]) == "executed")


def test_batch_is_for_approvers_and_needs_csrf(console_env: ConsoleEnv) -> None:
    env = console_env
    maria = Session(env, "maria")
    lee = Session(env, "lee")
    try:
        refused = maria.get("/console/batch")
        assert refused.status_code == 403 and "needs one of the roles" in refused.text
        assert "Batch review" not in maria.get("/console/inbox").text.split("<main")[0]
        done = env.submit(email(env, "x@forged.example", subject="Forged batch"))
        view = approvals_for(env.services).get(env.ws, done["action_id"])
        item = f"{view['id']}:{view['content_hash']}"
        forged = lee.post("/console/batch/vote", {"item": item, "verb": "approve"}, csrf=False)
        assert forged.status_code == 403
        assert status_of(env, done["action_id"]) == "pending_approval"
        stale = lee.post("/console/batch/vote", {"item": f"{view['id']}:{'0' * 64}", "verb": "approve"})
        assert stale.status_code == 200 and "content changed since the manifest" in stale.text
        empty = lee.get("/console/batch/manifest")
        assert empty.status_code == 400 and "Select at least one" in empty.text
        outsider = Session(env, "outsider")
        try:
            foreign = outsider.post("/console/batch/vote", {"item": item, "verb": "approve"})
            assert foreign.status_code == 404
            assert "Forged batch" not in outsider.get("/console/batch").text
        finally:
            outsider.close()
        assert status_of(env, done["action_id"]) == "pending_approval"
    finally:
        maria.close()
        lee.close()
