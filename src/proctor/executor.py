"""Execution through connectors: every allowed (or approved) action runs on the connector of its capability.

CRM actions run on the built-in sandbox CRM (its own SQLite file per workspace), `email.send` over SMTP
with the workspace's service credentials, `calendar.invite` as an iCalendar invite over that SMTP, and
`enrich.append` through the enrichment gateway (vendor allowlist = the policy's `approved_vendors`),
each written field stored with its provenance. Every write yields change rows (before/after + inverse)
that the gate records and rollback undoes; sends yield irreversible rows.

SMTP retry policy: a failure before the message is handed over (connection refused, timeout, 4xx) is
retried with bounded exponential backoff under the same Message-ID (fixed per action); a definite
rejection (5xx) is not retried; a connection lost while the message is handed over leaves the outcome
unknown and is never retried (at most once: a server that accepted must not get the message twice).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from proctor.connectors.base import Change, Delivery, Invite, Message
from proctor.connectors.calendar import EmailCalendar
from proctor.connectors.enrichment import EnrichmentGateway, SandboxEnrichment
from proctor.connectors.errors import ConnectorError, ConnectorRejectedError, ConnectorUnavailableError
from proctor.connectors.sandbox_crm import NAME as CRM
from proctor.connectors.sandbox_crm import SandboxCrm, canonical_object, object_of
from proctor.connectors.sandbox_file import SandboxFile
from proctor.connectors.sequences import Sequences
from proctor.connectors.sequences import run_action as run_sequence_action
from proctor.connectors.smtp import SmtpConnector, domain_of
from proctor.domain.errors import NotFoundError, ProctorError

T = TypeVar("T")
# actions that only write the workspace's sandbox CRM (one write each, no reads outside it)
SANDBOX_WRITES = frozenset(
    {"crm.create", "crm.update", "crm.stage_change", "routing.assign", "note.create", "task.create"}
)
Credentials = Callable[[str, str], dict[str, Any]]  # (workspace, connector) -> decrypted credentials
OnAttempt = Callable[[int, str], None]  # (attempt number, message id), called before every send


@dataclass(frozen=True, slots=True)
class Retry:
    """Bounded exponential backoff for transient connector failures."""

    attempts: int = 4
    backoff: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.backoff * 2 ** (attempt - 1), self.cap))


@dataclass(slots=True)
class Execution:
    """What running an action did: outcome, change rows (for the changes table) and data accessed."""

    outcome: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    data_accessed: dict[str, Any] | None = None
    ok: bool = True

    def changes(self) -> dict[str, Any] | None:
        """The before/after summary kept on the action row and its outcome event."""
        if not self.rows:
            return None
        records = []
        for row in self.rows:
            change = row["change"]
            records.append(
                {
                    "connector": row["connector"],
                    "object": row["object"],
                    "record_id": row["record_id"],
                    "op": row["op"],
                    "reversible": row["reversible"],
                    "created": row["op"] in ("create", "add_note", "add_task"),
                    "before": change.get("before", {}),
                    "after": change.get("after", {}),
                    "inverse": change.get("inverse"),
                }
            )
        return {"records": records}


def _row(change: Change, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "connector": change.connector,
        "object": change.object,
        "record_id": change.record_id,
        "op": change.op,
        "reversible": True,
        "change": change.to_dict(),
        "provenance": provenance,
    }


def _changed(change: Change, provenance: dict[str, Any] | None = None, **extra: Any) -> Execution:
    outcome = {"ok": True, "connector": change.connector, "record_id": change.record_id, **extra}
    if provenance:
        outcome["provenance"] = provenance
    return Execution(
        outcome=outcome,
        rows=[_row(change, provenance)],
        data_accessed={
            "object": change.object,
            "record_ids": [change.record_id],
            "fields": sorted(change.after),
        },
    )


def _addresses(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(a).strip() for a in items if str(a).strip())


def _object(params: dict[str, Any], target: dict[str, Any], record_id: str) -> str:
    given = params.get("object") or target.get("object")
    return canonical_object(str(given)) if given else object_of(record_id)


class Connectors:
    """The connectors of every workspace: sandbox CRM files, SMTP, calendar and enrichment vendors."""

    def __init__(
        self,
        *,
        home: Path,
        sandbox_crm_path: str,
        credentials: Credentials,
        is_default: Callable[[str], bool],
        local_smtp: str | None = "127.0.0.1:8025",
        retry: Retry | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.home = Path(home)
        self.sandbox_crm_path = Path(sandbox_crm_path)
        self.credentials = credentials
        self.is_default = is_default
        self.local_smtp = local_smtp
        self.retry = retry or Retry()
        self.sleep = sleep
        self.clock = clock  # sequences' due times (None: the wall clock)
        self._crms: dict[Path, SandboxCrm] = {}
        self._crm_of: dict[str, SandboxCrm] = {}  # workspace -> its CRM (a workspace's path never changes)
        self._sequences: dict[str, Sequences] = {}
        self._lock = threading.Lock()

    def crm_path(self, ws: str) -> Path:
        """The sandbox CRM file of a workspace: the configured one for the default workspace."""
        if self.is_default(ws):
            return self.sandbox_crm_path
        return self.sandbox_crm_path.parent / "sandbox_crm" / f"{ws}.db"

    def crm(self, ws: str) -> SandboxCrm:
        """The workspace's sandbox CRM (opened once per process, created when missing)."""
        found = self._crm_of.get(ws)
        if found is not None:
            return found
        path = self.crm_path(ws)
        with self._lock:
            crm = self._crms.get(path)
            if crm is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                crm = self._crms[path] = SandboxCrm(path)
            self._crm_of[ws] = crm
            return crm

    def sequences(self, ws: str) -> Sequences:
        """The workspace's sequence enrollments (home/sequences/<ws>.db, opened once per process)."""
        with self._lock:
            found = self._sequences.get(ws)
            if found is None:
                path = self.home / "sequences" / f"{ws}.db"
                path.parent.mkdir(parents=True, exist_ok=True)
                found = self._sequences[ws] = Sequences(path, self.clock)
            return found

    def sequence_workspaces(self) -> list[str]:
        """Workspaces that have a sequence file (what the scheduler scans)."""
        return sorted(p.stem for p in (self.home / "sequences").glob("*.db"))

    def smtp(self, ws: str) -> tuple[SmtpConnector, str | None]:
        """The workspace's SMTP connector and, for the local-sink fallback, a note saying so."""
        try:
            return SmtpConnector(self.credentials(ws, "smtp")), None
        except NotFoundError:
            if not self.local_smtp:
                raise ConnectorRejectedError(
                    "no SMTP credentials for this workspace: `proctor credentials set smtp …`",
                    connector="smtp",
                ) from None
        host, _, port = self.local_smtp.rpartition(":")
        creds = {"host": host or "127.0.0.1", "port": int(port), "starttls": False, "timeout": 10.0}
        note = f"no SMTP credentials configured: sent to the local sink {self.local_smtp} (embedded default)"
        return SmtpConnector(creds), note

    def calendar(self, ws: str) -> EmailCalendar:
        """Invites over the workspace's SMTP; sent invites remembered per workspace for cancellation."""
        email, _ = self.smtp(ws)
        state = self.home / "calendar" / f"{ws}.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        return EmailCalendar(email, state_path=state)

    def enrichment(self, allowlist: list[str]) -> EnrichmentGateway:
        """The gateway over the deterministic sandbox vendors, limited to the policy's allowlist."""
        vendors = [SandboxEnrichment(name) for name in sorted({"sandbox", *allowlist})]
        return EnrichmentGateway(vendors, allowlist)

    def with_retry(self, send: Callable[[], T], on_retry: Callable[[int], None] | None = None) -> T:
        """Call `send`, retrying ConnectorUnavailableError with bounded exponential backoff."""
        attempt = 1
        while True:
            if on_retry is not None:
                on_retry(attempt)
            try:
                return send()
            except ConnectorUnavailableError:
                if attempt >= self.retry.attempts:
                    raise
                self.sleep(self.retry.delay(attempt))
                attempt += 1

    def run(
        self,
        ws: str,
        action_id: str,
        agent_id: str,
        action: str,
        params: dict[str, Any],
        target: dict[str, Any],
        allowlist: list[str],
        on_attempt: OnAttempt | None = None,
    ) -> Execution:
        """Run one action on its connector; connector failures come back as a failed Execution."""
        try:
            return self._run(ws, action_id, agent_id, action, params, target, allowlist, on_attempt)
        except ConnectorError as exc:
            return connector_failure(exc)

    def sandbox_file(self, ws: str, action: str) -> SandboxFile | None:
        """The sandbox CRM file whose writer thread can run `action` whole (`SandboxFile.run_async`: a
        write to the workspace's sandbox CRM and nothing else), or None for every other action."""
        if action not in SANDBOX_WRITES:
            return None
        try:
            return self.crm(ws).file
        except ConnectorError:  # the file cannot be opened: `run` reports that as the action's failure
            return None

    def unavailable(self, ws: str, exc: sqlite3.Error) -> Execution:
        """What `run` answers when the sandbox CRM's commit under the action's write failed."""
        crm = self.crm(ws)
        return connector_failure(ConnectorUnavailableError(f"{crm.path}: {exc}", connector=CRM))

    def _run(
        self,
        ws: str,
        action_id: str,
        agent_id: str,
        action: str,
        params: dict[str, Any],
        target: dict[str, Any],
        allowlist: list[str],
        on_attempt: OnAttempt | None,
    ) -> Execution:
        if action == "email.send":
            return self._email(ws, action_id, params, on_attempt)
        if action == "calendar.invite":
            return self._invite(ws, action_id, params, on_attempt)
        if action == "enrich.append":
            return self._enrich(ws, params, target, allowlist)
        if action.startswith("sequence."):
            outcome = run_sequence_action(self.sequences(ws), action, agent_id, params, target, action_id)
            return Execution(outcome=outcome)
        if action.startswith(("draft.", "research.web", "research.kb")):
            return Execution(outcome={"ok": True, "connector": "none", "result": None})
        crm = self.crm(ws)
        record_id = str(params.get("record_id") or target.get("record_id") or "")
        if action == "crm.create":
            fields = dict(params["fields"])
            return _changed(crm.create(str(params["object"]), fields, record_id=record_id or None))
        if action == "crm.update":
            return _changed(crm.update(str(params["object"]), record_id, dict(params["fields"])))
        if action == "crm.stage_change":
            obj = _object(params, target, record_id)
            return _changed(
                crm.stage_change(record_id, str(params["to"]), object=obj, expected_from=params.get("from"))
            )
        if action == "routing.assign":
            obj = _object(params, target, record_id)
            return _changed(crm.set_owner(record_id, str(params["owner_id"]), object=obj))
        if action == "note.create":
            obj = _object(params, target, record_id)
            body = str(params.get("body") or params.get("subject") or "")
            return _changed(crm.add_note(record_id, body, object=obj, author=agent_id))
        if action == "task.create":
            obj = _object(params, target, record_id)
            subject = str(params.get("subject") or params.get("body") or "Follow up")
            body = str(params.get("body") or "")
            return _changed(crm.add_task(record_id, subject, body=body, due=params.get("due"), object=obj))
        if action == "research.crm_read":
            obj = _object(params, target, record_id)
            record = crm.get(obj, record_id)
            return Execution(
                outcome={"ok": True, "connector": CRM, "record": record},
                data_accessed={"object": obj, "record_ids": [record_id], "fields": sorted(record)},
            )
        if action == "data.export":
            return self._export(crm, params)
        raise ConnectorRejectedError(f"no connector runs {action!r}", connector="gate")

    def _email(
        self, ws: str, action_id: str, params: dict[str, Any], on_attempt: OnAttempt | None
    ) -> Execution:
        smtp, note = self.smtp(ws)
        sender = str(params["from"])
        message = Message(
            from_=sender,
            to=_addresses(params.get("to")),
            cc=_addresses(params.get("cc")),
            bcc=_addresses(params.get("bcc")),
            subject=str(params.get("subject") or ""),
            body=str(params.get("body") or ""),
            headers={"X-Proctor-Action": action_id},
            message_id=f"<{action_id}@{domain_of(sender)}>",
        )
        attempts = [0]

        def attempt(n: int) -> None:
            attempts[0] = n
            if on_attempt is not None:
                on_attempt(n, message.message_id)

        try:
            delivery = self.with_retry(lambda: smtp.send(message), attempt)
        except ConnectorError as exc:
            exc.message = f"{exc.message} (after {attempts[0]} attempt(s))"
            exc.args = (f"{exc.connector}: {exc.message}",)
            raise
        return self._delivered(delivery, message, attempts[0], note, params)

    def _delivered(
        self, delivery: Delivery, message: Message, attempts: int, note: str | None, params: dict[str, Any]
    ) -> Execution:
        outcome: dict[str, Any] = {
            "ok": True,
            "connector": "smtp",
            "message_id": delivery.message_id,
            "delivery": delivery.status,
            "accepted": list(delivery.accepted),
            "refused": dict(delivery.refused),
            "attempts": attempts,
            "reversible": False,
            "note": "email cannot be un-sent: a rollback reports this send as not reversible",
        }
        if note:
            outcome["smtp"] = note
        if params.get("attachments"):
            outcome["attachments"] = "not attached: the gate has no file store for attachment references"
        row = {
            "connector": "smtp",
            "object": "email",
            "record_id": delivery.message_id,
            "op": "send",
            "reversible": False,
            "change": {
                "message_id": delivery.message_id,
                "from": message.from_,
                "to": list(message.recipients),
                "subject": message.subject,
                "accepted": list(delivery.accepted),
            },
            "provenance": None,
        }
        return Execution(outcome=outcome, rows=[row])

    def _invite(
        self, ws: str, action_id: str, params: dict[str, Any], on_attempt: OnAttempt | None
    ) -> Execution:
        calendar = self.calendar(ws)
        try:
            start = datetime.fromisoformat(str(params["start"]))
            end = (
                datetime.fromisoformat(str(params["end"]))
                if params.get("end")
                else start + timedelta(minutes=30)
            )
        except ValueError as exc:
            raise ConnectorRejectedError(f"bad start/end: {exc}", connector="calendar") from None
        organizer = str(params.get("from") or "")
        if not organizer:
            raise ConnectorRejectedError("an invite needs `from` (the organizer)", connector="calendar")
        invite = Invite(
            organizer=organizer,
            attendees=_addresses(params.get("to")),
            summary=str(params.get("subject") or "Meeting"),
            start=start,
            end=end,
            description=str(params.get("body") or ""),
            uid=f"{action_id}@proctor",
        )
        attempts = [0]

        def attempt(n: int) -> None:
            attempts[0] = n
            if on_attempt is not None:
                on_attempt(n, invite.uid)

        delivery = self.with_retry(lambda: calendar.invite(invite), attempt)
        after = {"summary": invite.summary, "start": start.isoformat(), "end": end.isoformat()}
        change = Change(
            "calendar", "invite", invite.uid, "invite", {}, {**after, "attendees": list(invite.attendees)}
        )
        row = _row(change)
        row["change"]["inverse"] = f"cancel invite {invite.uid}"
        outcome = {
            "ok": True,
            "connector": "calendar",
            "uid": invite.uid,
            "message_id": delivery.message_id,
            "delivery": delivery.status,
            "attempts": attempts[0],
        }
        return Execution(outcome=outcome, rows=[row])

    def _enrich(
        self, ws: str, params: dict[str, Any], target: dict[str, Any], allowlist: list[str]
    ) -> Execution:
        crm = self.crm(ws)
        record_id = str(params["record"])
        obj = _object(params, target, record_id)
        record = crm.get(obj, record_id)
        wanted = {
            str(k): (str(v) if isinstance(v, str) and v else str(k))
            for k, v in dict(params["fields"]).items()
        }
        cap = float(params.get("cost_usd") or 0) or None
        result = self.enrichment(allowlist).lookup(
            str(params["vendor"]), record, sorted(set(wanted.values())), max_cost_usd=cap
        )
        by_vendor = result.provenance()
        values = {name: result.values[src].value for name, src in wanted.items() if src in result.values}
        provenance = {name: by_vendor[src] for name, src in wanted.items() if src in result.values}
        missing = sorted(name for name, src in wanted.items() if src not in result.values)
        if not values:
            raise ConnectorRejectedError(
                f"{result.vendor} found none of {sorted(wanted)}", connector=result.vendor
            )
        change = crm.update(obj, record_id, values)
        return _changed(
            change,
            provenance,
            vendor=result.vendor,
            cost_usd=result.cost_usd,
            missing=missing,
        )

    def _export(self, crm: SandboxCrm, params: dict[str, Any]) -> Execution:
        obj = str(params["object"])
        wanted = [str(f) for f in params["fields"]]
        where = params.get("filter") if isinstance(params.get("filter"), dict) else None
        records = crm.query(obj, where, limit=10_000)
        data = [{"id": r["id"], **{f: r.get(f) for f in wanted}} for r in records]
        row = {
            "connector": CRM,
            "object": canonical_object(obj),
            "record_id": "*",
            "op": "export",
            "reversible": False,
            "change": {"fields": wanted, "filter": where, "count": len(data)},
            "provenance": None,
        }
        return Execution(
            outcome={"ok": True, "connector": CRM, "rows": data, "count": len(data), "reversible": False},
            rows=[row],
            data_accessed={"object": obj, "record_ids": [r["id"] for r in records], "fields": wanted},
        )


def connector_failure(exc: ConnectorError) -> Execution:
    """The failed Execution of a connector error: its message, whether a retry may help, the delivery."""
    outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "retryable": exc.retryable}
    if exc.connector:
        outcome["connector"] = exc.connector
    if exc.delivery is not None:
        outcome.update(message_id=exc.delivery.message_id, delivery=exc.delivery.status)
    return Execution(outcome=outcome, ok=False)


def failure(exc: ProctorError) -> Execution:
    """A failed Execution for an error raised outside a connector (bad parameters, …)."""
    return Execution(outcome={"ok": False, "error": f"{type(exc).__name__}: {exc}"}, ok=False)
