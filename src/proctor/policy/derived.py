"""Values the engine computes once per request (`derived.*` in CEL) and the outbound text of sends."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from proctor.domain.actions import ActionSpec, Category


def _addresses(value: Any) -> list[str]:
    """Email addresses from a string (comma/semicolon separated) or a list of strings."""
    if value is None:
        return []
    items: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.replace(";", ",").split(",") if part.strip())
    return out


def _bare(address: str) -> str:
    """'Dana <dana@globex.com>' → 'dana@globex.com' (lower-cased)."""
    if "<" in address and address.endswith(">"):
        address = address[address.rindex("<") + 1 : -1]
    return address.strip().lower()


def domain_of(address: str) -> str:
    """The domain of an address, lower-cased; '' when there is none."""
    bare = _bare(address)
    return bare.rsplit("@", 1)[1] if "@" in bare else ""


@dataclass(slots=True)
class Derived:
    """The `derived` object of SPEC §5, plus the addresses it came from."""

    category: str
    sender: str
    sender_domain: str
    recipients: tuple[str, ...]
    recipient_domains: tuple[str, ...]
    field_names: tuple[str, ...]

    def as_cel(self) -> dict[str, Any]:
        """The mapping CEL conditions see as `derived`."""
        return {
            "category": self.category,
            "sender_domain": self.sender_domain,
            "recipient_domains": list(self.recipient_domains),
            "field_names": list(self.field_names),
        }


_CATEGORY_VALUE = {c: c.value for c in Category}
# Requests of these categories carry no addresses and no written fields: one shared value each.
_NOTHING_DERIVED = {c: Derived(c.value, "", "", (), (), ()) for c in Category}


def derive(spec: ActionSpec, params: dict[str, Any]) -> Derived:
    """Compute the derived values of one request."""
    category = spec.category
    if category is Category.CRM_WRITE:
        raw = params.get("fields")
        fields: tuple[str, ...] = ()
        if isinstance(raw, dict):
            fields = tuple(sorted(map(str, raw)))
        elif spec.name == "routing.assign":
            fields = ("owner_id",)
        elif spec.name == "crm.stage_change":
            fields = ("stage",)
        return Derived(_CATEGORY_VALUE[category], "", "", (), (), fields)
    if category is not Category.SEND and category is not Category.DRAFT:  # only these have addresses
        return _NOTHING_DERIVED[category]
    raw_from = params.get("from")
    sender = _bare(raw_from) if isinstance(raw_from, str) else ""
    recipients: list[str] = []
    for key in ("to", "cc", "bcc"):
        value = params.get(key)
        if value is not None:
            recipients.extend(_bare(a) for a in _addresses(value))
    domains: list[str] = []
    for address in recipients:
        d = address.rsplit("@", 1)[1] if "@" in address else ""  # already bare and lower-cased
        if d and d not in domains:
            domains.append(d)
    return Derived(
        category=_CATEGORY_VALUE[category],
        sender=sender,
        sender_domain=sender.rsplit("@", 1)[1] if "@" in sender else "",
        recipients=tuple(recipients),
        recipient_domains=tuple(domains),
        field_names=(),
    )


def outbound_text(params: dict[str, Any]) -> tuple[str, str]:
    """The (subject, body) an outbound action would send; empty strings when absent."""
    subject = params.get("subject")
    body = params.get("body")
    return (subject if isinstance(subject, str) else "", body if isinstance(body, str) else "")
