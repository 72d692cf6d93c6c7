"""Approval emails over SMTP: one message per eligible approver with their own signed approve/reject links."""

from __future__ import annotations

from typing import Any

from proctor.approvals import requirement
from proctor.connectors.base import Message
from proctor.domain import approvals as rules
from proctor.notify.links import Links
from proctor.notify.webhook import summary
from proctor.store import approvals as rows
from proctor.store import identities


def approvers_of(service: Any, ws: str, approval_id: str) -> list[tuple[str, str]]:
    """(user id, email) of everyone who may vote on this approval."""
    with service.store.read() as conn:
        req = requirement(rows.get(conn, ws, approval_id))
        users = identities.list_users(conn, ws)
    return [(u.id, u.email) for u in users if rules.eligibility(u.id, [str(r) for r in u.roles], req) is None]


def body(view: dict[str, Any], links: dict[str, str]) -> str:
    """The plain-text email: what, why, risk, and the two links."""
    lines = [summary(view), ""]
    lines += [f"- {r}" for r in view.get("reasons") or []]
    if view.get("intent"):
        lines += ["", f"Intent: {view['intent']}"]
    lines += [
        "",
        f"Content hash: {view['content_hash']}",
        f"Expires: {view['expires_at']}",
        "",
        f"Approve: {links['approve']}",
        f"Reject: {links['reject']}",
        "",
        "Each link works once, only for you, and only for this exact content.",
    ]
    return "\n".join(lines)


class EmailNotifier:
    """Emails every eligible approver through an EmailConnector (`send(Message)`), e.g. SmtpConnector."""

    def __init__(self, connector: Any, sender: str, links: Links) -> None:
        self.connector = connector
        self.sender = sender
        self.links = links

    def __call__(self, view: dict[str, Any]) -> None:
        """Send one email per approver for this approval view."""
        ws = view["workspace_id"]
        for user_id, address in approvers_of(self.links.service, ws, view["id"]):
            issued = self.links.issue(ws, view["id"], user_id)
            message = Message(
                from_=self.sender,
                to=(address,),
                subject=f"[Proctor] Approve {view['action']}? ({view['id']})",
                body=body(view, issued),
                headers={"X-Proctor-Approval": view["id"]},
            )
            self.connector.send(message)
