"""Runs and actions: the timeline from the audit trail, CRM diffs, revert with a conflict preview."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.console.conftest import ConsoleEnv, sign_in
from tests.console.review import Session, approve, crm_update, email, status_of


def _crm(env: ConsoleEnv) -> Any:
    assert env.services.gate.connectors is not None
    return env.services.gate.connectors.crm(env.ws)


def _executed_update(env: ConsoleEnv, record_id: str, fields: dict[str, Any], run_id: str) -> str:
    action_id = str(env.submit(crm_update(record_id, fields, run_id=run_id))["action_id"])
    approve(env, action_id)
    env.wait_for(lambda: status_of(env, action_id) == "executed")
    return action_id


@pytest.mark.browser
def test_revert_a_crm_write_from_the_diff_view(console_env: ConsoleEnv, new_page: Any) -> None:
    env = console_env
    crm = _crm(env)
    before = crm.get("contact", "con_010")["title"]
    action_id = _executed_update(env, "con_010", {"title": "Chief Happiness Officer"}, "run_revert")
    assert crm.get("contact", "con_010")["title"] == "Chief Happiness Officer"
    page = sign_in(new_page(), env, "lee")
    page.goto(f"{env.url}/console/runs")
    page.click("a:has-text('run_revert')")
    page.wait_for_url(re.compile(r".*/console/runs/run_revert$"))
    steps = page.locator(".run-steps").inner_text()
    for expected in ("Asked to crm.update", "Policy decided: require approval", "Approved", "Executed"):
        assert expected in steps, steps
    assert "Lee Manager" in steps and "keep the CRM current" in steps
    diff = page.locator(".run-diff-table")
    assert before in diff.locator(".diff-before").inner_text()
    assert "Chief Happiness Officer" in diff.locator(".diff-after").inner_text()
    page.click("text=Revert this action…")
    preview = page.locator(f"#revert-{action_id}")
    preview.locator("text=Nothing has changed yet").wait_for()
    assert "title: Chief Happiness Officer → " + before in preview.inner_text()
    assert crm.get("contact", "con_010")["title"] == "Chief Happiness Officer"  # the preview wrote nothing
    preview.locator("button:has-text('Revert now')").click()
    page.locator(".flash-ok").wait_for()
    assert "Revert done: 1 revert" in page.locator(".flash-ok").inner_text()
    assert crm.get("contact", "con_010")["title"] == before
    assert "reverted" in page.locator(".run-diff").inner_text()
    assert "Rolled back" in page.locator(".run-steps").inner_text()


def test_conflicts_are_previewed_and_forced_only_when_ticked(console_env: ConsoleEnv) -> None:
    env = console_env
    crm = _crm(env)
    original = crm.get("contact", "con_020")["title"]
    action_id = _executed_update(env, "con_020", {"title": "VP Growth"}, "run_conflict")
    crm.update("contact", "con_020", {"title": "Edited by a human"})  # someone changes it since
    lee = Session(env, "lee")
    try:
        preview = lee.get(
            "/console/revert",
            params={"scope": "action", "id": action_id, "back": "/console/runs/run_conflict"},
            headers={"HX-Request": "true"},
        )
        assert preview.status_code == 200
        assert "Conflict on title" in preview.text and "Edited by a human" in preview.text
        assert 'name="force"' in preview.text
        kept = lee.post(
            "/console/revert", {"scope": "action", "id": action_id, "back": "/console/runs/run_conflict"}
        )
        assert kept.status_code == 303 and kept.headers["location"] == "/console/runs/run_conflict"
        assert "1 conflict" in lee.get("/console/runs/run_conflict").text
        assert crm.get("contact", "con_020")["title"] == "Edited by a human"
        forced = lee.post("/console/revert", {"scope": "action", "id": action_id, "force": "on"})
        assert forced.status_code == 303
        assert crm.get("contact", "con_020")["title"] == original
    finally:
        lee.close()


def test_a_send_shows_as_irreversible(console_env: ConsoleEnv) -> None:
    env = console_env
    action_id = env.submit(email(env, "hal@cyberdyne.example", subject="Irreversible", run_id="run_send"))[
        "action_id"
    ]
    approve(env, action_id, "maria")
    env.wait_for(lambda: status_of(env, action_id) == "executed")
    lee = Session(env, "lee")
    try:
        page = lee.get("/console/runs/run_send").text
        assert "irreversible" in page and "An email cannot be un-sent." in page
        assert "Revert this action" not in page
        detail = lee.get(f"/console/actions/{action_id}").text
        assert "Asked to email.send" in detail and "Maria Rep" in detail and "Irreversible" in detail
    finally:
        lee.close()


def test_reps_see_runs_but_cannot_revert_and_other_workspaces_get_404(console_env: ConsoleEnv) -> None:
    env = console_env
    action_id = _executed_update(env, "con_030", {"title": "Head of Sales"}, "run_rep")
    maria = Session(env, "maria")
    outsider = Session(env, "outsider")
    try:
        page = maria.get("/console/runs/run_rep")
        assert page.status_code == 200 and "A manager or an admin can revert this." in page.text
        assert maria.get("/console/revert", params={"scope": "action", "id": action_id}).status_code == 403
        assert maria.post("/console/revert", {"scope": "action", "id": action_id}).status_code == 403
        lee = Session(env, "lee")
        try:
            forged = lee.post("/console/revert", {"scope": "action", "id": action_id}, csrf=False)
            assert forged.status_code == 403
        finally:
            lee.close()
        assert _crm(env).get("contact", "con_030")["title"] == "Head of Sales"
        assert outsider.get("/console/runs/run_rep").status_code == 404
        assert outsider.get(f"/console/actions/{action_id}").status_code == 404
        foreign = outsider.post("/console/revert", {"scope": "action", "id": action_id})
        assert foreign.status_code == 404
        assert _crm(env).get("contact", "con_030")["title"] == "Head of Sales"
        runs = outsider.get("/console/runs").text
        assert "No runs yet" in runs and "run_rep" not in runs
    finally:
        maria.close()
        outsider.close()
