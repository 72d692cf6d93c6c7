"""The durable approval worker: opens approvals, notifies, expires, executes approved actions exactly once.

The approvals table is the outbox. A worker claims an approved action with one conditional UPDATE
(approved → executing WHERE status = approved; rowcount 1 wins), then asks the gate to execute it. The
gate claims the action again itself (allowed/approved → executing, one conditional UPDATE) before the
connector runs, so two workers or two clicks never execute twice. A claim whose worker died before the
gate's claim is taken over after its lease; an action the gate already finished is never re-run.

An action whose process died during the connector call would stay `executing` forever: `reconcile`
settles every action with nothing recorded for longer than the execution lease
(`PROCTOR_EXECUTION_LEASE_SECONDS`) as `outcome_unknown` — audited, its approval closed as failed with
the reason, a started email send recorded as an irreversible change — and never runs it again (the
connector may have done its work: running it twice could send twice). A person checks and decides.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from proctor.approvals import ApprovalService
from proctor.domain import approvals as rules
from proctor.domain.audit import utc_stamp
from proctor.domain.errors import NotFoundError, ProctorError
from proctor.domain.identity import new_id
from proctor.executor import Execution
from proctor.sequence_scheduler import run_due_steps
from proctor.store import actions as action_rows
from proctor.store import approvals as rows
from proctor.store import changes as change_rows

log = logging.getLogger("proctor.worker")
Notifier = Callable[[dict[str, Any]], None]


def worker_name() -> str:
    """host:pid:random — unique per worker instance."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[2:10]}"


class Worker:
    """One pass at a time over the outbox; any number of workers may run against one database."""

    def __init__(
        self,
        service: ApprovalService,
        *,
        name: str | None = None,
        lease: timedelta = timedelta(minutes=5),
        execution_lease: timedelta = timedelta(minutes=5),
        notifiers: list[Notifier] | None = None,
        pause_after_claim: float = 0.0,
        scan: int = 100,
    ) -> None:
        self.service = service
        self.gate = service.gate
        self.store = service.store
        self.name = name or worker_name()
        self.lease = lease
        self.execution_lease = execution_lease
        self._reconciled_at: datetime | None = None  # the scan runs at most every lease/4 (≤ 30 s)
        self.notifiers = list(notifiers or [])
        self.pause_after_claim = pause_after_claim  # tests: a window to kill the process in
        self.scan = scan

    def run_once(self) -> dict[str, int]:
        """Open, expire, notify, reconcile, take over stale claims, execute, run sequences; returns counts."""
        counts = {"opened": self.service.sync(), "expired": self.service.expire_due()}
        counts["notified"] = self.notify_pending()
        counts["reconciled"] = self.reconcile()
        counts["recovered"] = self.recover()
        counts["executed"] = self.execute_approved()
        counts["sequence_steps"] = run_due_steps(self.gate, approvals=self.service)
        return counts

    def notify_pending(self) -> int:
        """Tell approvers about new pending approvals (each approval is announced by one worker once)."""
        if not self.notifiers:
            return 0
        with self.store.read() as conn:
            fresh = rows.unnotified(conn, self.scan)
        sent = 0
        for found in fresh:
            with self.store.write() as conn:
                if not rows.claim_notification(conn, found["id"], utc_stamp(self.service.clock())):
                    continue
            view = self.service.get(found["workspace_id"], found["id"])
            for notify in self.notifiers:
                try:
                    notify(view)
                except (ProctorError, OSError) as exc:  # a channel down never blocks the queue
                    log.warning("notifying approval %s failed: %s", found["id"], exc)
            sent += 1
        return sent

    def execute_approved(self) -> int:
        """Claim each approved action (atomic conditional UPDATE) and execute the ones this worker won."""
        with self.store.read() as conn:
            ready = rows.by_status(conn, "approved", self.scan)
        done = 0
        for found in ready:
            with self.store.write() as conn:
                won = rows.claim(conn, found["id"], self.name, utc_stamp(self.service.clock()))
            if not won:
                continue  # another worker (or thread) claimed it first
            if self.pause_after_claim:
                time.sleep(self.pause_after_claim)
            done += self.run_claimed(found["id"])
        return done

    def recover(self) -> int:
        """Take over `executing` claims older than the lease (their worker died) and finish them."""
        before = utc_stamp(self.service.clock() - self.lease)
        with self.store.read() as conn:
            stale = rows.stale_claims(conn, before, self.scan)
        done = 0
        for found in stale:
            with self.store.write() as conn:
                won = rows.reclaim(conn, found, self.name, utc_stamp(self.service.clock()))
            if won:
                log.warning("taking over approval %s from %s", found["id"], found["claimed_by"])
                done += self.run_claimed(found["id"])
        return done

    def run_claimed(self, approval_id: str) -> int:
        """Execute one claimed approval through the gate and record how it ended; 1 when it ran now."""
        with self.store.read() as conn:
            row = rows.get_any(conn, approval_id)
            assert row is not None
            ws = row["workspace_id"]
            action = action_rows.get_action(conn, ws, row["action_id"])
        req = action["request"]
        current = rules.content_hash(action["action"], req.get("params") or {}, req.get("target"))
        status, reason, ran = "failed", None, 0
        if current != row["content_hash"]:
            status, reason = (
                "cancelled",
                "the action's parameters changed after approval: the approval is void",
            )
            self._void(row, reason)
        elif action["status"] in ("executed", "failed"):
            status = action["status"]  # executed before a crash: never run twice
        elif action["status"] == "approved":
            try:
                result = self.gate.execute(ws, row["action_id"])
                status, ran = str(result.status), 1
            except ProctorError as exc:
                status, reason = "failed", f"{type(exc).__name__}: {exc}"
        elif action["status"] == "outcome_unknown":
            status = "failed"
            reason = str((action["outcome"] or {}).get("reason") or "the action's outcome is unknown")
        elif action["status"] == "executing":
            return 0  # the gate's own claim is running (or awaits the gate's recovery): keep ours
        else:
            reason = f"the action is {action['status']}, not approved"
        if status == "executing":
            return 0  # someone else holds the gate's claim: the approval stays executing until it ends
        if status not in ("executed", "failed", "cancelled"):
            status, reason = "failed", reason or f"the gate answered {status}"
        with self.store.write() as conn:
            rows.finish(conn, approval_id, self.name, status, utc_stamp(self.service.clock()), reason)
        return ran

    def reconcile(self) -> int:
        """Settle actions `executing` past the execution lease as `outcome_unknown` (audited, not re-run)."""
        now = self.service.clock()
        every = min(self.execution_lease / 4, timedelta(seconds=30))
        if self._reconciled_at is not None and now - self._reconciled_at < every:
            return 0  # scanned recently: the actions table is large, the lease is long
        self._reconciled_at = now
        before = utc_stamp(now - self.execution_lease)
        with self.store.read() as conn:
            stale = action_rows.stale_executing(conn, before, self.scan)
        return sum(self._settle_unknown(found, before, now) for found in stale)

    def _settle_unknown(self, found: dict[str, Any], before: str, now: datetime) -> int:
        ws, req, last = found["workspace_id"], found["request"], found["outcome"] or {}
        stamp = utc_stamp(now)
        reason = (
            f"outcome unknown: the process running the connector stopped (executing since "
            f"{found['updated_at']}, nothing recorded for {self.execution_lease.total_seconds():g}s); "
            "it is never re-run automatically — check the connector before acting again"
        )
        outcome: dict[str, Any] = {"ok": None, "status": "outcome_unknown", "reason": reason}
        outcome.update({k: last[k] for k in ("message_id", "attempts", "state") if k in last})
        rows_, changes = _unknown_send(found, last, stamp)
        actor: dict[str, Any] = {"workspace_id": ws, "agent_id": found["agent_id"], "key_id": found["key_id"]}
        if found["on_behalf_of"]:
            actor["user_id"] = found["on_behalf_of"]
        versions = {k: v for k, v in (req.get("versions") or {}).items() if v is not None}
        with self.store.write() as conn:
            self.service.audit.lock_head(conn, ws)  # the gate's lock order: chain head first
            if not action_rows.settle_unknown(conn, ws, found["id"], before, outcome, stamp, changes):
                return 0  # it finished (or another worker settled it) meanwhile
            change_rows.insert_rows(conn, rows_)
            self._fail_approval(conn, ws, found["id"], reason, stamp)
            self.service.audit.append(
                conn,
                ws,
                "outcome",
                now,
                actor=actor,
                action_id=found["id"],
                run_id=found["run_id"],
                action=found["action"],
                target=req.get("target"),
                outcome=outcome,
                changes=changes,
                versions={**versions, "policy": found["policy_version"]},
                detail={"reconciled_by": self.name, "executing_since": found["updated_at"]},
            )
        log.warning("action %s in %s: %s", found["id"], ws, reason)
        return 1

    def _fail_approval(self, conn: Any, ws: str, action_id: str, reason: str, at: str) -> None:
        """Close the approval whose execution never came back (whoever held its claim) as failed."""
        try:
            row = rows.get(conn, ws, action_id, lock=True)
        except NotFoundError:
            return  # allowed without approval
        if row["status"] == "executing":
            rows.finish(conn, row["id"], row["claimed_by"], "failed", at, reason)

    def _void(self, row: dict[str, Any], reason: str) -> None:
        with self.store.write() as conn:
            self.service.audit.lock_head(conn, row["workspace_id"])
            self.service._close_action(conn, row, "cancelled", reason, "system")
            self.service._event(conn, row, None, change="approval.void", reason=reason)


def _unknown_send(
    action: dict[str, Any], last: dict[str, Any], stamp: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """An email send that had started (an attempt with its Message-ID recorded) as an irreversible change."""
    message_id = last.get("message_id")
    if action["action"] != "email.send" or not message_id:
        return [], None
    params = action["request"].get("params") or {}
    to = params.get("to")
    change = {
        "message_id": message_id,
        "from": params.get("from"),
        "to": [to] if isinstance(to, str) else list(to or []),
        "subject": params.get("subject"),
        "delivery": "unknown",
    }
    row = {
        "workspace_id": action["workspace_id"],
        "action_id": action["id"],
        "agent_id": action["agent_id"],
        "run_id": action["run_id"],
        "batch_id": (action["request"].get("batch") or {}).get("id"),
        "action": action["action"],
        "connector": "smtp",
        "object": "email",
        "record_id": message_id,
        "op": "send",
        "reversible": False,
        "change": change,
        "provenance": None,
        "at": stamp,
        "reverted_at": None,
        "reverted_by": None,
    }
    return [row], Execution(outcome={}, rows=[row]).changes()


class Runner:
    """The worker in a background thread (`proctor serve`): polls, and wakes at once after an approval."""

    def __init__(self, worker: Worker, interval: float = 1.0) -> None:
        self.worker = worker
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling (idempotent)."""
        if self._thread is not None:
            return
        self.worker.service.listeners.append(self._wake.set)
        self._thread = threading.Thread(target=self._loop, name="proctor-approvals", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._wake.set in self.worker.service.listeners:
            self.worker.service.listeners.remove(self._wake.set)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.worker.run_once()
            except ProctorError as exc:
                log.warning("approval worker pass failed: %s", exc)
            self._wake.wait(self.interval)
            self._wake.clear()


def approvals_for(services: Any) -> ApprovalService:
    """The approval service of wired Services (made once per Services and kept on it)."""
    cache = vars(services)
    found = cache.get("_approvals")
    if found is None:
        hours = getattr(services.settings, "approval_ttl_hours", None)
        ttl = (
            timedelta(hours=float(hours))
            if isinstance(hours, int | float) and hours > 0
            else rules.DEFAULT_TTL
        )
        found = cache["_approvals"] = ApprovalService(services.gate, ttl=ttl)
    assert isinstance(found, ApprovalService)
    return found


def links_for(services: Any) -> Any:
    """Signed-link issuer/redeemer for wired Services."""
    from proctor.notify.links import Links, LinkSigner

    cache = vars(services)
    if "_links" not in cache:
        base = getattr(services.settings, "public_url", None) or "http://127.0.0.1:8700"
        cache["_links"] = Links(approvals_for(services), LinkSigner.from_keyring(services.keyring), base)
    return cache["_links"]


def notifiers_for(services: Any) -> list[Notifier]:
    """The channels Settings configure: `approval_webhook_url`; `approval_smtp` + `approval_email_from`."""
    from proctor.connectors.smtp import SmtpConnector
    from proctor.notify.email import EmailNotifier
    from proctor.notify.webhook import WebhookNotifier

    settings = services.settings
    out: list[Notifier] = []
    base = getattr(settings, "public_url", None)
    webhook = getattr(settings, "approval_webhook_url", None)
    if webhook:
        out.append(WebhookNotifier(str(webhook), base_url=base))
    smtp, sender = getattr(settings, "approval_smtp", None), getattr(settings, "approval_email_from", None)
    if smtp and sender:
        host, _, port = str(smtp).rpartition(":")
        creds = {"host": host or str(smtp), "port": int(port) if port.isdigit() else 25, "starttls": False}
        out.append(EmailNotifier(SmtpConnector(creds), str(sender), links_for(services)))
    return out


def worker_for(services: Any, **options: Any) -> Worker:
    """A Worker over wired Services with the configured notification channels."""
    seconds = getattr(services.settings, "execution_lease_seconds", None)
    if isinstance(seconds, int | float):
        options.setdefault("execution_lease", timedelta(seconds=float(seconds)))
    return Worker(approvals_for(services), notifiers=notifiers_for(services), **options)
