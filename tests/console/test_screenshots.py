"""Screenshots of the inbox and a run timeline over realistic data (docs/img with PROCTOR_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.console.conftest import SCREENSHOTS, ConsoleEnv, sign_in
from tests.console.review import approve, crm_update, email, status_of

from proctor.rollback import RollbackService

RUN = "run_umbrella_outreach"


def _seed(env: ConsoleEnv) -> None:
    """A morning's queue (sends with receipts, a two-person export) and one finished, partly reverted run."""
    env.submit(
        email(
            env,
            "dana@globex.com",
            subject="Congrats on the Series C, Dana",
            body=(
                "Hi Dana,\n\nCongrats on raising a $40M Series C in March 2026. "
                "Your team grew 40% last year, so routing inbound leads by hand must hurt.\n\n"
                "Worth a 20-minute call next week?\n\nMaria"
            ),
            run_id="run_globex_first_touch",
        )
    )
    env.submit(
        email(
            env,
            "li.wei@initech.example",
            subject="Initech's new Austin office",
            body="Hi Li,\n\nSaw that Initech opened an Austin office in June 2026. Happy to share how teams "
            "like yours ramp new reps faster.\n\nMaria",
            facts=[
                {
                    "text": "Initech opened an Austin office in June 2026",
                    "source": "https://initech.example/press/austin",
                    "confidence": 0.95,
                }
            ],
            run_id="run_initech_first_touch",
        )
    )
    export = env.submit(
        {
            "action": "data.export",
            "intent": "quarterly pipeline review",
            "params": {"object": "opportunity", "fields": ["name", "amount", "stage"]},
        }
    )
    approve(env, export["action_id"], "lee", "console")
    sent = env.submit(
        email(
            env,
            "sam@umbrella.example",
            subject="Umbrella's expansion",
            body="Hi Sam,\n\nQuick note after your team's expansion news. Open to a call?\n\nMaria",
            run_id=RUN,
        )
    )
    approve(env, sent["action_id"], "maria", "console")
    update = env.submit(
        crm_update("con_005", {"title": "VP Revenue", "phone": "+1 415 555 0100"}, run_id=RUN)
    )
    approve(env, update["action_id"], "lee", "console")
    env.wait_for(
        lambda: status_of(env, update["action_id"]) == status_of(env, sent["action_id"]) == "executed"
    )
    RollbackService.of(env.services).run(
        env.ws, "action", update["action_id"], actor=f"user:{env.people['lee'].id}"
    )


@pytest.mark.browser
def test_screenshots_of_the_inbox_and_a_run(console_env: ConsoleEnv, new_page: Any, tmp_path: Path) -> None:
    _seed(console_env)
    page = sign_in(new_page(width=1280, height=800), console_env, "lee")
    page.locator("[data-card].selected").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    inbox = tmp_path / "console-inbox.png"
    page.screenshot(path=str(inbox))
    page.goto(f"{console_env.url}/console/runs/{RUN}")
    page.locator(".run-steps").wait_for()
    timeline = tmp_path / "console-run-timeline.png"
    page.screenshot(path=str(timeline))
    for shot in (inbox, timeline):
        assert shot.stat().st_size > 20_000, shot  # a real rendering, not a blank page
    if os.environ.get("PROCTOR_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in (inbox, timeline):
            shutil.copyfile(shot, SCREENSHOTS / shot.name)
