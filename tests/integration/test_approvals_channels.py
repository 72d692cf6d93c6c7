"""Approval channels and batches: a real loopback webhook, the real SMTP sink, signed single-use links."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from test_approvals import POLICY, World, email, export

from proctor.bootstrap import Services
from proctor.connectors.smtp import SmtpConnector
from proctor.connectors.smtp_sink import SmtpSink
from proctor.domain.errors import AuthError, ConflictError
from proctor.notify.email import EmailNotifier
from proctor.notify.links import Links, LinkSigner, derive_key
from proctor.notify.webhook import WebhookNotifier
from proctor.worker import Worker


@pytest.fixture
def world(make_services: Callable[..., Services]) -> World:
    """Services with the approvals policy and a populated workspace."""
    return World(make_services(POLICY))


class Hook(BaseHTTPRequestHandler):
    """Records every JSON body POSTed to it."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(orjson.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def webhook() -> Iterator[str]:
    """A real HTTP server on loopback; yields its URL."""
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def approvers_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    """An SMTP sink on a free loopback port for approval emails only."""
    with SmtpSink(tmp_path / "approval-mail") as running:
        yield running


def _links(world: World) -> Links:
    return Links(world.approvals, LinkSigner.from_keyring(world.services.keyring), "http://proctor.test")


def test_webhook_announces_each_approval_once(world: World, webhook: str) -> None:
    action_id = world.submit(email())
    worker = Worker(world.approvals, notifiers=[WebhookNotifier(webhook, base_url="http://proctor.test")])
    world.approvals.sync(world.ws)
    worker.notify_pending()
    worker.notify_pending()
    mine = [m for m in Hook.received if m["proctor"]["action_id"] == action_id]  # the database may be shared
    assert len(mine) == 1
    message = mine[0]
    assert "email.send" in message["text"]
    assert "http://proctor.test/v1/approvals/apr_" in message["blocks"][0]["text"]["text"]


def test_email_links_are_single_use_unforgeable_and_expire(
    world: World, approvers_sink: SmtpSink, clock: Any
) -> None:
    links = _links(world)
    notifier = EmailNotifier(SmtpConnector(approvers_sink.credentials()), "proctor@acme.io", links)
    action_id = world.submit(email())
    approval_id = world.approvals.get(world.ws, action_id)["id"]
    Worker(world.approvals, notifiers=[notifier]).notify_pending()
    mine = [m for m in approvers_sink.messages() if m.parse()["X-Proctor-Approval"] == approval_id]
    to = sorted(addr for m in mine for addr in m.rcpt_to)
    assert to == ["ann@acme.io", "bob@acme.io", "meg@acme.io"]  # the eligible approvers, not reps/auditors
    ann = next(m for m in mine if m.rcpt_to == ("ann@acme.io",))
    text = ann.parse().get_content()
    approve = re.search(r"Approve: \S+/v1/approvals/links/(\S+)", text)
    reject = re.search(r"Reject: \S+/v1/approvals/links/(\S+)", text)
    assert approve and reject
    token = approve.group(1)

    payload, _, mac = token.partition(".")
    with pytest.raises(AuthError):
        links.redeem(payload + "." + ("A" if mac[0] != "A" else "B") + mac[1:])  # forged signature
    claims = orjson.loads(__import__("base64").urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other = LinkSigner(derive_key(b"not the keyring")).sign(claims)
    with pytest.raises(AuthError):
        links.redeem(other)  # signed with another key
    assert links.check(token)["u"] == world.users["ann"].user_id  # the confirm page does not spend it

    view = links.redeem(token)
    assert view["status"] == "approved" and view["votes"][0]["via"] == "link"
    with pytest.raises(AuthError, match="already used"):
        links.redeem(token)
    with pytest.raises(ConflictError):
        links.redeem(reject.group(1))  # an authentic sibling link, but the approval is closed
    assert world.services.gate.get_action(world.ws, action_id)["status"] == "approved"

    late = world.submit(email(subject="Later"))
    world.approvals.sync(world.ws)
    issued = links.issue(world.ws, late, world.users["bob"].user_id)
    clock.now = clock.now + timedelta(hours=25)
    with pytest.raises(AuthError, match="expired"):
        links.redeem(issued["approve"].rsplit("/", 1)[1])


def test_batch_manifest_chunks_are_one_event_and_changed_content_is_refused(world: World) -> None:
    ids = [world.submit({**export([f"f{n}"]), "batch": {"id": "b-42", "size": 12}}) for n in range(12)]
    manifest = world.approvals.manifest(world.ws, batch_id="b-42")
    assert manifest["count"] == 12 and {i["action_id"] for i in manifest["items"]} == set(ids)
    # meg edits one item after the manifest was taken: its content hash changes
    changed = manifest["items"][3]
    world.approvals.vote(
        world.users["meg"], changed["id"], "approve", params={"object": "contact", "fields": ["x"]}
    )
    before = len(world.services.admin.audit_query(world.ws, {"kind": "approval"})[0])
    results = []
    for user in ("ann", "bob"):
        for start in range(0, 12, 10):
            chunk = manifest["items"][start : start + 10]
            results.append(world.approvals.batch(world.users[user], chunk))
    events = world.services.admin.audit_query(world.ws, {"kind": "approval"})[0][before:]
    assert len(events) == 4  # one event per chunk
    assert [len(e["detail"]["manifest"]) for e in events] == [10, 2, 10, 2]
    refused = [r["id"] for res in results for r in res["refused"]]
    assert refused == [changed["id"], changed["id"]]
    statuses = {world.approvals.get(world.ws, i["id"])["status"] for i in manifest["items"] if i != changed}
    assert statuses == {"approved"}
    assert world.approvals.get(world.ws, changed["id"])["status"] == "pending"
