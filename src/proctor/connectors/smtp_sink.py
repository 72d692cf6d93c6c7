"""A local SMTP sink (aiosmtpd) that keeps every delivered message as .eml plus a JSONL index."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
from aiosmtpd.controller import Controller

from proctor.connectors.base import utc_now
from proctor.connectors.errors import ConnectorUnavailableError

INDEX = "deliveries.jsonl"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One delivered message: envelope, headers of note, and where its .eml lives."""

    n: int
    mail_from: str
    rcpt_to: tuple[str, ...]
    subject: str
    message_id: str
    at: str
    path: Path
    content_type: str = ""

    def parse(self) -> EmailMessage:
        """The message as parsed by the standard library (policy=default)."""
        parsed = email.message_from_bytes(self.path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def read_deliveries(directory: str | Path) -> list[StoredMessage]:
    """Every message stored in `directory`, in delivery order (works while no sink runs)."""
    folder = Path(directory)
    index = folder / INDEX
    if not index.exists():
        return []
    out = []
    for line in index.read_bytes().splitlines():
        if line.strip():
            row = orjson.loads(line)
            out.append(
                StoredMessage(
                    n=row["n"],
                    mail_from=row["from"],
                    rcpt_to=tuple(row["to"]),
                    subject=row["subject"],
                    message_id=row["message_id"],
                    at=row["at"],
                    path=folder / row["file"],
                    content_type=row.get("content_type", ""),
                )
            )
    return out


@dataclass
class _Handler:
    sink: SmtpSink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        rule = self.sink.rule_for(address)
        if rule == "reject":
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if rule == "defer":
            return f"451 4.3.0 <{address}>: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        stored = self.sink.store(envelope.mail_from, envelope.rcpt_tos, bytes(envelope.original_content))
        return f"250 2.0.0 Ok: queued as {stored.n}"


@dataclass
class SmtpSink:
    """Accept mail on a loopback port and store it; `reject`/`defer` addresses or @domains answer 550/451."""

    directory: Path
    host: str = "127.0.0.1"
    port: int = 0
    reject: frozenset[str] = frozenset()
    defer: frozenset[str] = frozenset()
    on_message: Callable[[StoredMessage], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _controller: Controller | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.reject = frozenset(a.lower() for a in self.reject)
        self.defer = frozenset(a.lower() for a in self.defer)

    def rule_for(self, address: str) -> str:
        """'reject', 'defer' or 'accept' for a recipient address."""
        addr = address.lower()
        domain = "@" + addr.rsplit("@", 1)[-1]
        for rule, targets in (("reject", self.reject), ("defer", self.defer)):
            if addr in targets or domain in targets:
                return rule
        return "accept"

    def store(self, mail_from: str, rcpt_to: Iterable[str], content: bytes) -> StoredMessage:
        """Write one delivered message to the folder and the index."""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            n = len(read_deliveries(self.directory)) + 1
            path = self.directory / f"{n:06d}.eml"
            path.write_bytes(content)
            stored = StoredMessage(
                n=n,
                mail_from=mail_from,
                rcpt_to=tuple(rcpt_to),
                subject=str(parsed.get("Subject", "")),
                message_id=str(parsed.get("Message-ID", "")),
                at=utc_now(),
                path=path,
                content_type=parsed.get_content_type(),
            )
            row = {
                "n": n, "file": path.name, "from": mail_from, "to": list(stored.rcpt_to),
                "subject": stored.subject, "message_id": stored.message_id, "at": stored.at,
                "content_type": stored.content_type,
            }  # fmt: skip
            with (self.directory / INDEX).open("ab") as fh:
                fh.write(orjson.dumps(row) + b"\n")
        if self.on_message is not None:
            self.on_message(stored)
        return stored

    def messages(self) -> list[StoredMessage]:
        """Every message delivered so far."""
        return read_deliveries(self.directory)

    def start(self) -> SmtpSink:
        """Start serving in a background thread (a free port is picked when `port` is 0)."""
        if self.port == 0:
            self.port = free_port(self.host)
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=5.0)
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:  # fail fast on a taken port
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((self.host, self.port))
            controller.start()
        except (OSError, RuntimeError) as exc:
            raise ConnectorUnavailableError(
                f"cannot listen on {self.host}:{self.port}: {exc}", connector="smtp_sink"
            ) from exc
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def credentials(self) -> dict[str, Any]:
        """SMTP credentials that reach this sink (no auth, no TLS)."""
        return {"host": self.host, "port": self.port, "starttls": False, "timeout": 5.0}

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
