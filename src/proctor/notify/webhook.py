"""Slack-compatible incoming webhook: POST a JSON message about a pending approval to a URL."""

from __future__ import annotations

from typing import Any

import httpx

from proctor.domain.errors import ProctorError


class NotifyError(ProctorError):
    """A notification channel refused or could not be reached."""


def summary(view: dict[str, Any]) -> str:
    """One line about an approval: action, risk, triggers, who asked and for whom."""
    risk = view.get("risk") or {}
    triggers = ", ".join(risk.get("triggers") or []) or "none"
    rep = f" on behalf of {view['on_behalf_of']}" if view.get("on_behalf_of") else ""
    return (
        f"Approval needed: {view['action']} by {view['agent_id']}{rep} — risk {risk.get('score', 0)} "
        f"(triggers: {triggers}); {view['approvals_required']} approval(s) required"
    )


def slack_payload(view: dict[str, Any], review_url: str | None = None) -> dict[str, Any]:
    """The message: `text` for any Slack-compatible receiver, plus blocks with reasons and a review link."""
    lines = [summary(view)]
    lines += [f"• {r}" for r in view.get("reasons") or []]
    if view.get("intent"):
        lines.append(f"Intent: {view['intent']}")
    if review_url:
        lines.append(f"Review: {review_url}")
    return {
        "text": lines[0],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
        "proctor": {
            "approval_id": view["id"],
            "action_id": view["action_id"],
            "content_hash": view["content_hash"],
            "expires_at": view["expires_at"],
        },
    }


class WebhookNotifier:
    """POSTs one message per new approval; a non-2xx answer or a network error raises NotifyError."""

    def __init__(self, url: str, *, base_url: str | None = None, timeout: float = 5.0) -> None:
        self.url = url
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout

    def __call__(self, view: dict[str, Any]) -> None:
        """Send the notification for one approval view."""
        review = f"{self.base_url}/v1/approvals/{view['id']}" if self.base_url else None
        try:
            response = httpx.post(self.url, json=slack_payload(view, review), timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise NotifyError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise NotifyError(f"webhook answered {response.status_code}: {response.text[:200]}")
