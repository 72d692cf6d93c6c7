"""SMTP email connector (aiosmtplib): Message-ID recorded, SMTP replies turned into Delivery or errors.

The transaction runs step by step so that a failure is classified by where it happened: up to the
end of RCPT nothing can have been accepted (ConnectorUnavailableError, safe to retry); an SMTP reply
to DATA is definite (4xx retry, 5xx bounce); a lost connection or a timeout while the message is
handed over is ambiguous (DeliveryUnknownError) and must not be retried.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, TypeVar

import aiosmtplib
from aiosmtplib.email import flatten_message

from proctor.connectors.base import Delivery, Message
from proctor.connectors.errors import (
    ConnectorError,
    ConnectorRejectedError,
    ConnectorUnavailableError,
    DeliveryUnknownError,
)

NAME = "smtp"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SmtpCredentials:
    """Where and how to log in; the caller decrypts them from the service identity store, never the agent."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool | None = None
    use_tls: bool = False
    timeout: float = 10.0
    validate_certs: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmtpCredentials:
        """Build from a credentials dict (host, port, username, password, starttls…); refuse unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown or not data.get("host"):
            problem = f"unknown keys {unknown}" if unknown else "missing 'host'"
            raise ConnectorRejectedError(f"bad SMTP credentials: {problem}", connector=NAME)
        values = dict(data)
        values["port"] = int(values.get("port", 465 if values.get("use_tls") else 587))
        if "starttls" not in values and values.get("username") and not values.get("use_tls"):
            values["starttls"] = True  # never send a password in clear by default
        return cls(**values)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when an event loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def domain_of(address: str) -> str:
    """The domain part of an address ('Maria <maria@acme.io>' → acme.io)."""
    return address.rsplit("@", 1)[-1].strip(" >").lower() or "localhost"


def build_message(message: Message) -> EmailMessage:
    """The RFC 5322 message for `message`, with Date and a Message-ID (generated when empty)."""
    msg = EmailMessage()
    try:
        msg["From"] = message.from_
        msg["To"] = ", ".join(message.to)
        if message.cc:
            msg["Cc"] = ", ".join(message.cc)
        if message.reply_to:
            msg["Reply-To"] = message.reply_to
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = message.message_id or make_msgid(domain=domain_of(message.from_))
        for name, value in message.headers.items():
            msg[name] = value
    except ValueError as exc:  # CR/LF in a header: header injection
        raise ConnectorRejectedError(f"invalid header: {exc}", connector=NAME) from exc
    msg.set_content(message.body)
    for part in message.alternatives:
        maintype, _, subtype = part.mime_type.partition("/")
        if maintype != "text":
            raise ConnectorRejectedError(f"alternative {part.mime_type} must be text/*", connector=NAME)
        msg.add_alternative(part.content, subtype=subtype, params=dict(part.params))
    for att in message.attachments:
        maintype, _, subtype = att.mime_type.partition("/")
        msg.add_attachment(
            att.content, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
        )
    return msg


def _translate(exc: Exception, message_id: str, recipients: tuple[str, ...]) -> ConnectorError:
    """An aiosmtplib/OS error as ConnectorRejectedError (5xx: bounced) or ConnectorUnavailableError."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
        code = max((r.code for r in exc.recipients), default=550)
        return _by_code(code, f"all recipients refused: {refused}", message_id, refused)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPServerDisconnected
    ):
        refused = dict.fromkeys(recipients, f"{exc.code} {exc.message}")
        return _by_code(exc.code, f"{exc.code} {exc.message}", message_id, refused)
    detail = f"{type(exc).__name__}: {exc}"
    delivery = Delivery(message_id, "deferred", detail)
    return ConnectorUnavailableError(detail, connector=NAME, delivery=delivery)


def _by_code(code: int, detail: str, message_id: str, refused: dict[str, str]) -> ConnectorError:
    if 400 <= code < 500:
        delivery = Delivery(message_id, "deferred", detail, refused=refused)
        return ConnectorUnavailableError(detail, connector=NAME, status=code, delivery=delivery)
    delivery = Delivery(message_id, "bounced", detail, refused=refused)
    return ConnectorRejectedError(detail, connector=NAME, status=code, delivery=delivery)


class SmtpConnector:
    """Send email over SMTP; implements EmailConnector (`send`) with an async twin (`send_async`)."""

    name = NAME

    def __init__(self, credentials: SmtpCredentials | dict[str, Any]) -> None:
        self.credentials = (
            credentials
            if isinstance(credentials, SmtpCredentials)
            else SmtpCredentials.from_dict(credentials)
        )

    async def send_async(self, message: Message) -> Delivery:
        """Send one message; ConnectorRejectedError on 5xx (bounced), ConnectorUnavailableError to retry."""
        if not message.recipients:
            raise ConnectorRejectedError("no recipients", connector=NAME)
        msg = build_message(message)
        message_id = str(msg["Message-ID"])
        creds = self.credentials
        client = aiosmtplib.SMTP(
            hostname=creds.host,
            port=creds.port,
            username=creds.username,
            password=creds.password,
            start_tls=creds.starttls,
            use_tls=creds.use_tls,
            timeout=creds.timeout,
            validate_certs=creds.validate_certs,
        )
        refused: dict[str, str] = {}
        try:  # before DATA nothing can have been accepted: every failure here is safe to retry
            await client.connect()
            await client.mail(message.from_)
            for rcpt in message.recipients:
                try:
                    await client.rcpt(rcpt)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused[rcpt] = f"{exc.code} {exc.message}"
            if len(refused) == len(message.recipients):
                codes = [int(v.split(" ", 1)[0]) for v in refused.values()]
                raise _by_code(max(codes), f"all recipients refused: {refused}", message_id, refused)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise _translate(exc, message_id, message.recipients) from exc
        try:
            response = await client.data(flatten_message(msg))
        except aiosmtplib.SMTPDataError as exc:  # the server answered: it did not take the message
            client.close()
            raise _translate(exc, message_id, message.recipients) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            detail = f"connection lost after the message was handed over: {type(exc).__name__}: {exc}"
            raise DeliveryUnknownError(
                detail, connector=NAME, delivery=Delivery(message_id, "deferred", detail)
            ) from exc
        try:
            await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            client.close()  # accepted already: a failed QUIT changes nothing
        accepted = tuple(a for a in message.recipients if a not in refused)
        return Delivery(message_id, "accepted", response.message, accepted=accepted, refused=refused)

    def send(self, message: Message) -> Delivery:
        """Send one message (sync wrapper over `send_async`)."""
        return run_sync(self.send_async(message))
