"""The inbox: a rep approves a send and it leaves; edit, reject, two people, and who may not approve."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.console.conftest import ConsoleEnv, sign_in
from tests.console.review import Session, approval_id, email, status_of

from proctor.worker import approvals_for


@pytest.fixture
def raj(console_env: ConsoleEnv) -> Iterator[Session]:
    """Raj: a rep who is not the delegating user of sdr-bot."""
    session = Session(console_env, "raj")
    yield session
    session.close()


def _subjects(env: ConsoleEnv) -> list[str]:
    return [m.subject for m in env.sink.messages()]


def _select(page: Any, card: str) -> None:
    """Move the keyboard selection (j) until `card` is selected."""
    for _ in range(50):
        if "selected" in (page.locator(card).get_attribute("class") or ""):
            return
        page.keyboard.press("j")
    raise AssertionError(f"{card} never got selected")


@pytest.mark.browser
def test_rep_approves_a_send_and_the_email_arrives(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    body = (
        "Hi Dana, congrats on raising a $40M Series C in March 2026. "
        "Your team grew 40% last year. Worth a quick call next week?"
    )
    done = env.submit(
        email(env, "dana@globex.com", subject="Inbox approve test", body=body, run_id="run_inbox")
    )
    apr = approval_id(env, done["action_id"])
    page = sign_in(new_page(), env, "maria")
    card = page.locator(f"#card-{apr}")
    text = card.inner_text()
    assert "Email to dana@globex.com" in text and "Inbox approve test" in text
    assert "on behalf of Maria Rep" in text and "sdr-bot" in text
    assert "first touch" in text and "risk" in text
    assert "supports: $40M" in text  # which claims the sourced fact supports
    assert "Not supported: 40%" in text and "Your team grew 40% last year." in text
    assert "news.example/globex-series-c" in text
    assert "evidence: failed" in text and "blocked terms: passed" in text
    assert "Approvals: 0 of 1" in text
    assert page.locator("#inbox-help").inner_text().count("approve") >= 1
    _select(page, f"#card-{apr}")
    page.keyboard.press("a")
    card.locator(".inbox-result").wait_for()
    assert "Approved" in card.inner_text()
    assert "Approved Email to dana@globex.com" in page.locator("#inbox-live").inner_text()
    env.wait_for(lambda: "Inbox approve test" in _subjects(env))
    env.wait_for(lambda: status_of(env, done["action_id"]) == "executed")


@pytest.mark.browser
def test_edit_then_approve_sends_the_edited_draft(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(email(env, "ana@initrode.example", subject="Draft before edit", run_id="run_edit"))
    apr = approval_id(env, done["action_id"])
    page = sign_in(new_page(), env, "lee")
    card = page.locator(f"#card-{apr}")
    _select(page, f"#card-{apr}")
    page.keyboard.press("e")
    subject = card.locator(f"#subject-{apr}")
    subject.wait_for()
    assert subject.evaluate("el => document.activeElement === el")  # the cursor is in the first field
    subject.fill("Edited by a person")
    card.locator("button", has_text="Approve edited version").click()
    card.locator(".inbox-result").wait_for()
    env.wait_for(lambda: "Edited by a person" in _subjects(env))
    assert "Draft before edit" not in _subjects(env)
    view = approvals_for(env.services).get(env.ws, apr)
    assert view["edits"][0]["diff"]["subject"]["after"] == "Edited by a person"


@pytest.mark.browser
def test_reject_needs_a_reason_and_tells_it(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(email(env, "bo@umbrella.example", subject="To be rejected", run_id="run_reject"))
    apr = approval_id(env, done["action_id"])
    page = sign_in(new_page(), env, "maria")
    card = page.locator(f"#card-{apr}")
    _select(page, f"#card-{apr}")
    page.keyboard.press("r")
    reason = card.locator(f"#reason-{apr}")
    reason.wait_for()
    reason.fill("wrong persona: Bo left the company")
    reason.press("Enter")
    card.locator(".inbox-result").wait_for()
    assert "Rejected" in card.inner_text() and "wrong persona" in card.inner_text()
    assert status_of(env, done["action_id"]) == "rejected"


@pytest.mark.browser
def test_two_person_export_needs_two_managers(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(
        {
            "action": "data.export",
            "run_id": "run_export",
            "params": {"object": "contact", "fields": ["title"]},
        }
    )
    apr = approval_id(env, done["action_id"])
    lee = sign_in(new_page(), env, "lee")
    card = lee.locator(f"#card-{apr}")
    assert "Approvals: 0 of 2" in card.inner_text()
    card.locator("button[data-key=a]").click()
    lee.locator(f"#card-{apr} >> text=You approved this").wait_for()
    text = lee.locator(f"#card-{apr}").inner_text()
    assert "Approvals: 1 of 2" in text and "Lee Manager" in text and "waiting for a second person" in text
    assert status_of(env, done["action_id"]) == "pending_approval"
    kim = sign_in(new_page(), env, "kim")
    card = kim.locator(f"#card-{apr}")
    assert "approved by Lee Manager" in card.inner_text()
    card.locator("button[data-key=a]").click()
    card.locator(".inbox-result").wait_for()
    assert "Approved" in kim.locator(f"#card-{apr}").inner_text()
    env.wait_for(lambda: status_of(env, done["action_id"]) == "executed")


@pytest.mark.browser
def test_a_rep_who_is_not_an_approver_sees_why(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(email(env, "cy@hooli.example", subject="Not Raj's to approve"))
    apr = approval_id(env, done["action_id"])
    page = sign_in(new_page(), env, "raj")
    card = page.locator(f"#card-{apr}")
    assert "You can't approve this" in card.inner_text()
    assert "approver, manager or admin role" in card.inner_text()
    assert card.locator("button[data-key=a]").count() == 0


def test_the_service_refuses_a_rep_and_the_card_says_so(console_env: ConsoleEnv, raj: Session) -> None:
    env = console_env
    done = env.submit(email(env, "di@vehement.example", subject="Raj tries anyway"))
    apr = approval_id(env, done["action_id"])
    answer = raj.post(f"/console/inbox/{apr}/approve", {}, htmx=True)
    assert answer.status_code == 200
    assert (
        'role="alert"' in answer.text and "approving needs the approver, manager or admin role" in answer.text
    )
    plain = raj.post(f"/console/inbox/{apr}/approve", {})
    assert plain.status_code == 303
    assert "approving needs the approver" in raj.get("/console/inbox").text  # the flash after the redirect
    assert status_of(env, done["action_id"]) == "pending_approval"


def test_missing_csrf_is_refused(console_env: ConsoleEnv, raj: Session) -> None:
    env = console_env
    done = env.submit(email(env, "ed@stark.example", subject="CSRF target"))
    apr = approval_id(env, done["action_id"])
    lee = Session(env, "lee")
    try:
        forged = lee.post(f"/console/inbox/{apr}/approve", {}, csrf=False)
        assert forged.status_code == 403 and "did not come from this console" in forged.text
        wrong = lee.post(f"/console/inbox/{apr}/approve", {"csrf_token": raj.csrf}, csrf=False)
        assert wrong.status_code == 403
    finally:
        lee.close()
    assert status_of(env, done["action_id"]) == "pending_approval"


def test_another_workspace_gets_404_and_sees_nothing(console_env: ConsoleEnv) -> None:
    env = console_env
    done = env.submit(email(env, "fa@wayne.example", subject="Acme only"))
    apr = approval_id(env, done["action_id"])
    outsider = Session(env, "outsider")
    try:
        inbox = outsider.get("/console/inbox")
        assert "Acme only" not in inbox.text and "Nothing waits for you" in inbox.text
        for path in (f"/console/inbox/{apr}/approve", f"/console/inbox/{done['action_id']}/approve"):
            answer = outsider.post(path, {"expected_hash": ""})
            assert answer.status_code == 404, answer.text
            assert "Acme only" not in answer.text
        assert outsider.get(f"/console/actions/{done['action_id']}").status_code == 404
    finally:
        outsider.close()
    assert status_of(env, done["action_id"]) == "pending_approval"


def test_a_stale_card_is_refused_not_approved(console_env: ConsoleEnv) -> None:
    env = console_env
    done = env.submit(email(env, "gi@acme-corp.example", subject="Stale view"))
    apr = approval_id(env, done["action_id"])
    lee = Session(env, "lee")
    try:
        answer = lee.post(f"/console/inbox/{apr}/approve", {"expected_hash": "0" * 64}, htmx=True)
        assert re.search(r"changed since you viewed it", answer.text)
    finally:
        lee.close()
    assert status_of(env, done["action_id"]) == "pending_approval"


@pytest.mark.browser
def test_the_inbox_and_an_action_read_well_at_375px(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    done = env.submit(email(env, "narrow.window@longcompanyname-international.example", run_id="run_narrow"))
    page = sign_in(new_page(width=375, height=740), env, "lee")
    fits = "document.documentElement.scrollWidth <= window.innerWidth + 1"
    assert page.locator(f"#card-{approval_id(env, done['action_id'])}").is_visible()
    assert page.evaluate(fits)
    page.goto(f"{env.url}/console/actions/{done['action_id']}")
    assert page.locator("h1").inner_text().startswith("email.send")
    assert page.evaluate(fits)
