"""Helpers for the review-and-revert console tests: realistic agent actions and signed-in HTTP clients."""

from __future__ import annotations

import re
from typing import Any

import httpx
from tests.console.conftest import ConsoleEnv

from proctor.domain.identity import UserPrincipal
from proctor.worker import approvals_for

SERIES_C = "Globex raised a $40M Series C in March 2026"


def email(
    env: ConsoleEnv,
    to: str,
    *,
    subject: str = "Congrats on the Series C",
    body: str = "Hi Dana, congrats on raising a $40M Series C in March 2026. Worth a quick call next week?",
    run_id: str | None = None,
    facts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A first-touch email.send by sdr-bot for Maria, with a sourced receipt."""
    return {
        "action": "email.send",
        "run_id": run_id,
        "on_behalf_of": env.people["maria"].id,
        "intent": "book a discovery call",
        "plan": ["research the account", "draft a first email", "send it"],
        "params": {"from": "maria@acme.io", "to": to, "subject": subject, "body": body, "touch": "first"},
        "evidence": {
            "facts": facts
            if facts is not None
            else [{"text": SERIES_C, "source": "https://news.example/globex-series-c", "confidence": 0.9}],
            "sources": ["https://news.example/globex-series-c"],
        },
    }


def crm_update(record_id: str, fields: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    """A crm.update of a sandbox contact."""
    return {
        "action": "crm.update",
        "run_id": run_id,
        "intent": "keep the CRM current",
        "params": {"object": "contact", "record_id": record_id, "fields": fields},
    }


def principal(env: ConsoleEnv, who: str) -> UserPrincipal:
    """The services' principal of a seeded person of acme."""
    person = env.people[who]
    return UserPrincipal(workspace_id=env.ws, user_id=person.id, key_id="test", roles=person.roles)


def approve(env: ConsoleEnv, action_id: str, who: str = "lee", via: str = "test") -> dict[str, Any]:
    """Approve through the service (set-up for tests about what happens next)."""
    return approvals_for(env.services).vote(principal(env, who), action_id, "approve", via=via)


def status_of(env: ConsoleEnv, action_id: str) -> str:
    """The action's status as the gate stores it."""
    return str(env.services.gate.get_action(env.ws, action_id)["status"])


def approval_id(env: ConsoleEnv, action_id: str) -> str:
    """The approval id of a pending action."""
    return str(approvals_for(env.services).get(env.ws, action_id)["id"])


class Session:
    """An httpx client signed in as one person, with the session's CSRF token."""

    def __init__(self, env: ConsoleEnv, who: str) -> None:
        person = env.people[who]
        self.env = env
        self.client = httpx.Client(base_url=env.url, timeout=30)
        page = self.client.get("/console/login")
        token = _token(page.text)
        done = self.client.post(
            "/console/login",
            data={"email": person.email, "password": person.password, "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        self.csrf = _token(self.client.get("/console/inbox").text)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        """GET a console path."""
        return self.client.get(path, **kw)

    def post(
        self, path: str, data: dict[str, Any], *, csrf: bool = True, htmx: bool = False
    ) -> httpx.Response:
        """POST a form (with the CSRF field unless told not to; as htmx when asked)."""
        body = {**data, **({"csrf_token": self.csrf} if csrf else {})}
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=body, headers=headers, follow_redirects=False)

    def close(self) -> None:
        """Close the client."""
        self.client.close()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, html[:500]
    return match.group(1)
