"""SMTP and calendar connectors against a real aiosmtpd sink on a free loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from proctor.connectors import (
    ConnectorRejectedError,
    ConnectorUnavailableError,
    EmailConnector,
    Invite,
    Message,
    RecordNotFoundError,
)
from proctor.connectors.calendar import EmailCalendar
from proctor.connectors.smtp import SmtpConnector, SmtpCredentials
from proctor.connectors.smtp_sink import SmtpSink, free_port, read_deliveries

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(
        tmp_path / "sink",
        reject=frozenset({"@bounce.example", "gone@globex.com"}),
        defer=frozenset({"busy@globex.com"}),
    ) as running:
        yield running


@pytest.fixture
def smtp(sink: SmtpSink) -> SmtpConnector:
    return SmtpConnector(sink.credentials())


def message(*to: str, **extra: Any) -> Message:
    fields: dict[str, Any] = {
        "subject": "Globex in Berlin",
        "body": "Hi Dana, congrats on the Berlin office.",
    }
    return Message(from_="maria@acme.io", to=to or ("dana@globex.com",), **{**fields, **extra})


def test_delivered_message_has_the_headers_and_the_recorded_message_id(
    smtp: SmtpConnector, sink: SmtpSink
) -> None:
    assert isinstance(smtp, EmailConnector)
    delivery = smtp.send(message(bcc=("audit@acme.io",)))
    assert delivery.status == "accepted"
    assert delivery.accepted == ("dana@globex.com", "audit@acme.io")
    assert delivery.message_id.startswith("<") and delivery.message_id.endswith("@acme.io>")
    [stored] = sink.messages()
    assert stored.mail_from == "maria@acme.io"
    assert stored.rcpt_to == ("dana@globex.com", "audit@acme.io")
    parsed = stored.parse()
    assert parsed["Message-ID"] == delivery.message_id
    assert parsed["From"] == "maria@acme.io"
    assert parsed["To"] == "dana@globex.com"
    assert parsed["Subject"] == "Globex in Berlin"
    assert parsed["Date"]
    assert "Bcc" not in parsed
    assert parsed.get_content().strip() == "Hi Dana, congrats on the Berlin office."


def test_a_given_message_id_is_kept(smtp: SmtpConnector, sink: SmtpSink) -> None:
    delivery = smtp.send(message(message_id="<run_7f3a-step3@acme.io>"))
    assert delivery.message_id == "<run_7f3a-step3@acme.io>"
    assert sink.messages()[0].message_id == "<run_7f3a-step3@acme.io>"


def test_550_is_a_bounce_and_a_rejection(smtp: SmtpConnector, sink: SmtpSink) -> None:
    with pytest.raises(ConnectorRejectedError) as err:
        smtp.send(message("ghost@bounce.example"))
    assert err.value.status == 550
    assert not err.value.retryable
    assert err.value.delivery is not None
    assert err.value.delivery.status == "bounced"
    assert "ghost@bounce.example" in err.value.delivery.refused
    assert sink.messages() == []


def test_451_is_deferred_for_a_retry(smtp: SmtpConnector) -> None:
    with pytest.raises(ConnectorUnavailableError) as err:
        smtp.send(message("busy@globex.com"))
    assert err.value.retryable
    assert err.value.status == 451
    assert err.value.delivery is not None and err.value.delivery.status == "deferred"


def test_some_recipients_refused_is_still_accepted_for_the_others(
    smtp: SmtpConnector, sink: SmtpSink
) -> None:
    delivery = smtp.send(message("dana@globex.com", "gone@globex.com"))
    assert delivery.status == "accepted"
    assert delivery.accepted == ("dana@globex.com",)
    assert delivery.refused["gone@globex.com"].startswith("550")
    assert sink.messages()[0].rcpt_to == ("dana@globex.com",)


def test_smtp_down_is_unavailable() -> None:
    closed = SmtpConnector({"host": "127.0.0.1", "port": free_port(), "timeout": 2})
    with pytest.raises(ConnectorUnavailableError) as err:
        closed.send(message())
    assert err.value.retryable
    assert err.value.delivery is not None and err.value.delivery.status == "deferred"


def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        hung = SmtpConnector({"host": "127.0.0.1", "port": port, "timeout": 0.5})
        with pytest.raises(ConnectorUnavailableError):
            hung.send(message())


def test_header_injection_is_rejected_before_connecting(smtp: SmtpConnector, sink: SmtpSink) -> None:
    with pytest.raises(ConnectorRejectedError, match="invalid header"):
        smtp.send(message(headers={"X-Campaign": "q4\r\nBcc: everyone@globex.com"}))
    assert sink.messages() == []


def test_send_works_from_inside_an_event_loop(smtp: SmtpConnector, sink: SmtpSink) -> None:
    async def agent_tool() -> str:
        return smtp.send(message()).status

    assert asyncio.run(agent_tool()) == "accepted"
    assert len(sink.messages()) == 1


def test_credentials_come_from_a_dict_and_hide_the_password() -> None:
    creds = SmtpCredentials.from_dict(
        {"host": "smtp.acme.io", "username": "agent-mail", "password": "s3cret-value"}
    )
    assert (creds.port, creds.starttls) == (587, True)  # a password never goes out in clear by default
    assert "s3cret-value" not in repr(creds)
    with pytest.raises(ConnectorRejectedError, match="unknown keys"):
        SmtpCredentials.from_dict({"host": "smtp.acme.io", "api_key": "x"})
    with pytest.raises(ConnectorRejectedError, match="missing 'host'"):
        SmtpCredentials.from_dict({"port": 25})


def test_sink_list_reads_the_folder_without_a_running_server(smtp: SmtpConnector, sink: SmtpSink) -> None:
    smtp.send(message())
    smtp.send(message("dana@globex.com", subject="Second"))
    stored = read_deliveries(sink.directory)
    assert [m.n for m in stored] == [1, 2]
    assert all(m.path.exists() and m.path.suffix == ".eml" for m in stored)


def _calendar_part(sink: SmtpSink, index: int) -> tuple[str, icalendar.Calendar]:
    parsed = sink.messages()[index].parse()
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    return str(part.get_param("method")), icalendar.Calendar.from_ical(part.get_content())


def test_invite_and_cancel_arrive_as_valid_icalendar(smtp: SmtpConnector, sink: SmtpSink) -> None:
    calendar = EmailCalendar(smtp)
    invite = Invite(
        organizer="maria@acme.io",
        attendees=("dana@globex.com", "tom@acme.io"),
        summary="Globex × Acme discovery call",
        start=START,
        end=START + timedelta(minutes=30),
        description="Agenda: Berlin expansion, SDR hiring.",
        location="https://meet.example/globex",
    )
    sent = calendar.invite(invite)
    cancelled = calendar.cancel(invite.uid)
    assert sent.status == cancelled.status == "accepted"
    assert sent.message_id != cancelled.message_id

    method, cal = _calendar_part(sink, 0)
    assert method == "REQUEST"
    assert cal["METHOD"] == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == invite.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=30)
    assert str(event["ORGANIZER"]) == "mailto:maria@acme.io"
    attendees = event["ATTENDEE"]
    assert sorted(str(a) for a in attendees) == ["mailto:dana@globex.com", "mailto:tom@acme.io"]
    assert all(a.params["PARTSTAT"] == "NEEDS-ACTION" for a in attendees)
    assert sink.messages()[0].subject == "Invitation: Globex × Acme discovery call"
    assert sink.messages()[0].rcpt_to == ("dana@globex.com", "tom@acme.io")

    method, cal = _calendar_part(sink, 1)
    assert method == "CANCEL"
    assert cal["METHOD"] == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == invite.uid
    assert int(event["SEQUENCE"]) == 1
    assert event["STATUS"] == "CANCELLED"


def test_cancel_needs_a_known_invite_and_remembers_across_restarts(
    smtp: SmtpConnector, sink: SmtpSink, tmp_path: Path
) -> None:
    state = tmp_path / "invites.json"
    invite = Invite("maria@acme.io", ("dana@globex.com",), "Call", START, START + timedelta(hours=1))
    EmailCalendar(smtp, state_path=state).invite(invite)
    with pytest.raises(RecordNotFoundError):
        EmailCalendar(smtp).cancel(invite.uid)
    EmailCalendar(smtp, state_path=state).cancel(invite.uid)
    assert EmailCalendar(smtp, state_path=state).sent(invite.uid).sequence == 1
    assert [m.subject for m in sink.messages()] == ["Invitation: Call", "Cancelled: Call"]


def test_bad_invites_are_rejected(smtp: SmtpConnector) -> None:
    calendar = EmailCalendar(smtp)
    naive = datetime(2026, 12, 1, 15, 0)
    with pytest.raises(ConnectorRejectedError, match="time zone"):
        calendar.invite(Invite("maria@acme.io", ("dana@globex.com",), "x", naive, naive + timedelta(hours=1)))
    with pytest.raises(ConnectorRejectedError, match="after start"):
        calendar.invite(Invite("maria@acme.io", ("dana@globex.com",), "x", START, START))
    with pytest.raises(ConnectorRejectedError, match="attendee"):
        calendar.invite(Invite("maria@acme.io", (), "x", START, START + timedelta(hours=1)))
