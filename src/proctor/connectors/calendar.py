"""Calendar invitations as iCalendar (RFC 5545) sent over an email connector; cancel with SEQUENCE+1."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from icalendar import Calendar, Event, vCalAddress, vText

from proctor.connectors.base import AlternativePart, Attachment, Delivery, EmailConnector, Invite, Message
from proctor.connectors.errors import ConnectorRejectedError, RecordNotFoundError

NAME = "calendar"
PRODID = "-//Proctor//Proctor connectors//EN"


def to_ics(invite: Invite, method: str = "REQUEST") -> str:
    """The VCALENDAR text of an invite for METHOD:REQUEST or METHOD:CANCEL."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", invite.uid)
    event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    event.add("dtstart", invite.start)
    event.add("dtend", invite.end)
    event.add("sequence", invite.sequence)
    event.add("summary", invite.summary)
    if invite.description:
        event.add("description", invite.description)
    if invite.location:
        event.add("location", invite.location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{invite.organizer}")
    organizer.params["cn"] = vText(invite.organizer)
    event["organizer"] = organizer
    for address in invite.attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["cn"] = vText(address)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical()).decode()


def _check(invite: Invite) -> None:
    if not invite.attendees:
        raise ConnectorRejectedError("an invite needs at least one attendee", connector=NAME)
    if invite.start.tzinfo is None or invite.end.tzinfo is None:
        raise ConnectorRejectedError("start and end must carry a time zone", connector=NAME)
    if invite.end <= invite.start:
        raise ConnectorRejectedError("end must be after start", connector=NAME)


def _to_json(invite: Invite) -> dict[str, Any]:
    data = dataclasses.asdict(invite)
    data["start"], data["end"] = invite.start.isoformat(), invite.end.isoformat()
    data["attendees"] = list(invite.attendees)
    return data


def _from_json(data: dict[str, Any]) -> Invite:
    values = dict(data)
    values["start"] = datetime.fromisoformat(values["start"])
    values["end"] = datetime.fromisoformat(values["end"])
    values["attendees"] = tuple(values["attendees"])
    return Invite(**values)


class EmailCalendar:
    """Implements CalendarConnector over any EmailConnector; remembers sent invites (optionally in a file)."""

    name = NAME

    def __init__(self, email: EmailConnector, *, state_path: str | Path | None = None) -> None:
        self.email = email
        self.state_path = Path(state_path) if state_path else None
        self._lock = threading.Lock()
        self._sent: dict[str, Invite] = {}
        if self.state_path and self.state_path.exists():
            raw = orjson.loads(self.state_path.read_bytes())
            self._sent = {uid: _from_json(inv) for uid, inv in raw.items()}

    def _remember(self, invite: Invite) -> None:
        with self._lock:
            self._sent[invite.uid] = invite
            if self.state_path:
                data = {uid: _to_json(inv) for uid, inv in self._sent.items()}
                self.state_path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))

    def sent(self, uid: str) -> Invite:
        """The last version sent of an invite; RecordNotFoundError when unknown."""
        invite = self._sent.get(uid)
        if invite is None:
            raise RecordNotFoundError(f"no invite with UID {uid!r}", connector=NAME)
        return invite

    def _deliver(self, invite: Invite, method: str, subject: str) -> Delivery:
        ics = to_ics(invite, method)
        message = Message(
            from_=invite.organizer,
            to=invite.attendees,
            subject=subject,
            body=invite.description or invite.summary,
            alternatives=(AlternativePart(ics, "text/calendar", {"method": method}),),
            attachments=(Attachment("invite.ics", ics.encode(), "application/ics"),),
        )
        return self.email.send(message)

    def invite(self, invite: Invite) -> Delivery:
        """Send an invitation (METHOD:REQUEST) and remember it for cancellation."""
        _check(invite)
        delivery = self._deliver(invite, "REQUEST", f"Invitation: {invite.summary}")
        self._remember(invite)
        return delivery

    def cancel(self, uid: str) -> Delivery:
        """Cancel a sent invitation: METHOD:CANCEL, same UID, SEQUENCE+1."""
        cancelled = dataclasses.replace(self.sent(uid), sequence=self.sent(uid).sequence + 1)
        delivery = self._deliver(cancelled, "CANCEL", f"Cancelled: {cancelled.summary}")
        self._remember(cancelled)
        return delivery
