"""The console end to end: a real uvicorn server (API + console + approval worker) over a fresh SQLite home,
a real SMTP sink, and headless Debian Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.serving import free_port, serving

from proctor.api import create_app
from proctor.bootstrap import Services, build, init_home
from proctor.config import Settings
from proctor.connectors.smtp_sink import SmtpSink

CHROMIUM = os.environ.get("PROCTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


@dataclass
class Person:
    """A console user with a password."""

    id: str
    email: str
    name: str
    roles: list[str]
    password: str = PASSWORD


@dataclass
class ConsoleEnv:
    """A running server, its services, the SMTP sink and one seeded workspace (plus a second one)."""

    url: str
    services: Services
    sink: SmtpSink
    ws: str
    agent_id: str
    agent_key: str
    people: dict[str, Person] = field(default_factory=dict)
    other_ws: str = ""
    other_agent_key: str = ""

    def submit(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        """POST /v1/actions as the agent; the JSON answer."""
        response = httpx.post(
            f"{self.url}/v1/actions",
            json=body,
            headers={"Authorization": f"Bearer {key or self.agent_key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        """Poll `predicate()` until it is truthy (the in-server worker runs every second or so)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting")


def _person(services: Services, ws: str, key: str, name: str, roles: list[str]) -> Person:
    email = f"{key}@acme.io" if key != "outsider" else "outsider@globex.io"
    user = services.admin.create_user(ws, email, name, roles)
    services.admin.set_password(ws, user["id"], PASSWORD)
    return Person(user["id"], email, name, roles)


def seed(services: Services, sink_port: int) -> dict[str, Any]:
    """Acme: admin Ada, reps Maria and Raj, managers Lee and Kim, auditor Aud; agent sdr-bot for Maria.
    Globex: a rep (the outsider) and its own agent."""
    admin = services.admin
    ws = admin.create_workspace("acme")["id"]
    people = {
        "ada": _person(services, ws, "ada", "Ada Admin", ["admin"]),
        "maria": _person(services, ws, "maria", "Maria Rep", ["rep"]),
        "raj": _person(services, ws, "raj", "Raj Rep", ["rep"]),
        "lee": _person(services, ws, "lee", "Lee Manager", ["manager"]),
        "kim": _person(services, ws, "kim", "Kim Manager", ["manager"]),
        "aud": _person(services, ws, "aud", "Aud Auditor", ["auditor"]),
    }
    agent = admin.create_agent(ws, "sdr-bot")["id"]
    _, key = admin.issue_agent_key(ws, agent, ["*"])
    admin.create_delegation(ws, people["maria"].id, agent, ["*"], datetime.now(UTC) + timedelta(days=30))
    assert services.gate.connectors is not None
    services.gate.connectors.crm(ws).seed()
    admin.set_service_credentials(ws, "smtp", {"host": "127.0.0.1", "port": sink_port, "starttls": False})
    other = admin.create_workspace("globex")["id"]
    people["outsider"] = _person(services, other, "outsider", "Otto Outsider", ["manager", "admin"])
    other_agent = admin.create_agent(other, "globex-bot")["id"]
    _, other_key = admin.issue_agent_key(other, other_agent, ["*"])
    services.gate.connectors.crm(other).seed()
    return {"ws": ws, "agent": agent, "key": key, "people": people, "other": other, "other_key": other_key}


@pytest.fixture(scope="module")
def console_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleEnv]:
    """A fresh home served by uvicorn with the console mounted and the approval worker running."""
    home = tmp_path_factory.mktemp("console-home")
    init_home(home)
    with SmtpSink(home / "sink", port=free_port()) as sink:
        settings = Settings(
            home=home,
            database_url=f"sqlite:///{home}/proctor.db",
            local_smtp=f"127.0.0.1:{sink.port}",
            smtp_attempts=2,
            smtp_backoff=0,
        )
        services = build(settings, migrate=True)
        seeded = seed(services, sink.port)
        try:
            with serving(create_app(services)) as url:
                yield ConsoleEnv(
                    url=url,
                    services=services,
                    sink=sink,
                    ws=seeded["ws"],
                    agent_id=seeded["agent"],
                    agent_key=seeded["key"],
                    people=seeded["people"],
                    other_ws=seeded["other"],
                    other_agent_key=seeded["other_key"],
                )
        finally:
            services.close()


def _browser_available() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright; skipped with a clear line when absent (required in CI).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running in this thread while it is
    open, so other modules' `asyncio.run()` would fail in the same xdist worker."""
    missing = _browser_available()
    if missing:
        if os.environ.get("PROCTOR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """A factory of pages in fresh browser contexts (separate cookie jars = separate people).

    Every page listens to the browser console: a Content-Security-Policy violation (an inline script,
    a blocked style or frame) fails the test that caused it."""
    contexts: list[Any] = []
    violations: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not violations, f"the console broke its own Content-Security-Policy: {violations}"


def sign_in(page: Any, env: ConsoleEnv, who: str) -> Any:
    """Sign `who` in through the login form; returns the page (on the inbox)."""
    person = env.people[who]
    page.goto(f"{env.url}/console/login")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/inbox.*"))
    return page
