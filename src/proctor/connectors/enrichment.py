"""Enrichment vendors: a price per call, per-field provenance, and an allowlist the gateway enforces."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from proctor.connectors.base import EnrichmentConnector, EnrichmentResult, FieldValue
from proctor.connectors.errors import ConnectorRejectedError, VendorNotAllowedError

_INDUSTRIES = ("software", "manufacturing", "healthcare", "financial_services", "retail", "logistics")
_TECH = ("Salesforce", "HubSpot", "Snowflake", "AWS", "Azure", "GCP", "Segment", "Zendesk", "Slack")
_SENIORITY = ("manager", "director", "vp", "c_level")
_COUNTRIES = ("US", "DE", "GB", "FR", "NL", "SE", "JP", "SG")


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def record_key(record: dict[str, Any]) -> tuple[str, str]:
    """How a vendor matches a record: ('person', email) or ('company', domain)."""
    email = str(record.get("email") or "").strip().lower()
    if "@" in email:
        return "person", email
    domain = str(record.get("domain") or "").strip().lower()
    if domain:
        return "company", domain
    raise ConnectorRejectedError("the record has neither an email nor a domain to match on", status=400)


class SandboxEnrichment:
    """A deterministic vendor: the same record and field always give the same value, source and confidence."""

    COMPANY_FIELDS = ("employees", "industry", "annual_revenue", "hq_country", "tech_stack", "founded_year")
    PERSON_FIELDS = ("title", "seniority", "phone", "linkedin_url")

    def __init__(
        self, name: str = "sandbox", *, cost_per_call_usd: float = 0.05, cost_per_field_usd: float = 0.01
    ) -> None:
        self.name = name
        self.cost_per_call_usd = cost_per_call_usd
        self.cost_per_field_usd = cost_per_field_usd

    def quote(self, fields: list[str]) -> float:
        """The most a lookup of `fields` can cost."""
        return round(self.cost_per_call_usd + self.cost_per_field_usd * len(set(fields)), 4)

    def _value(self, field: str, key: str) -> Any:
        h = _digest(self.name, key, field)
        values: dict[str, Any] = {
            "employees": 50 + h % 20000,
            "industry": _INDUSTRIES[h % len(_INDUSTRIES)],
            "annual_revenue": float((5 + h % 900) * 1_000_000),
            "hq_country": _COUNTRIES[h % len(_COUNTRIES)],
            "tech_stack": sorted({_TECH[(h >> s) % len(_TECH)] for s in (0, 8, 16)}),
            "founded_year": 1950 + h % 75,
            "title": ("VP Sales", "Head of RevOps", "Sales Director", "CRO")[h % 4],
            "seniority": _SENIORITY[h % len(_SENIORITY)],
            "phone": f"+1-555-{h % 900 + 100}-{h % 9000 + 1000}",
            "linkedin_url": f"https://www.linkedin.example/in/{key.split('@')[0].replace('.', '-')}",
        }
        return values[field]

    def lookup(self, record: dict[str, Any], fields: list[str]) -> EnrichmentResult:
        """Values for the fields this vendor knows (company fields also for people, via their domain)."""
        if not fields:
            raise ConnectorRejectedError("no fields requested", connector=self.name, status=400)
        kind, key = record_key(record)
        domain = key.rsplit("@", 1)[-1]
        known = self.COMPANY_FIELDS + (self.PERSON_FIELDS if kind == "person" else ())
        values: dict[str, FieldValue] = {}
        for field in dict.fromkeys(fields):
            if field not in known:
                continue
            subject = domain if field in self.COMPANY_FIELDS else key
            confidence = round(0.6 + (_digest("confidence", subject, field) % 40) / 100, 2)
            section = "companies" if field in self.COMPANY_FIELDS else "people"
            source = f"https://{self.name}.enrich.example/{section}/{subject}#{field}"
            values[field] = FieldValue(self._value(field, subject), source, confidence)
        missing = tuple(f for f in dict.fromkeys(fields) if f not in values)
        cost = round(self.cost_per_call_usd + self.cost_per_field_usd * len(values), 4)
        return EnrichmentResult(self.name, cost, values, missing)


class EnrichmentGateway:
    """The only way to call vendors: refuses vendors outside the allowlist and lookups over a cost cap."""

    name = "enrichment"

    def __init__(self, vendors: Iterable[EnrichmentConnector], allowlist: Iterable[str]) -> None:
        self.vendors = {v.name: v for v in vendors}
        self.allowlist = frozenset(allowlist)

    def vendor(self, name: str) -> EnrichmentConnector:
        """The vendor called `name`; VendorNotAllowedError when it is not allowlisted."""
        if name not in self.allowlist:
            allowed = ", ".join(sorted(self.allowlist)) or "none"
            raise VendorNotAllowedError(
                f"vendor {name!r} is not in the allowlist ({allowed})", connector=self.name, status=403
            )
        vendor = self.vendors.get(name)
        if vendor is None:
            raise ConnectorRejectedError(f"vendor {name!r} is not configured", connector=self.name)
        return vendor

    def lookup(
        self,
        vendor: str,
        record: dict[str, Any],
        fields: list[str],
        *,
        max_cost_usd: float | None = None,
    ) -> EnrichmentResult:
        """Look up `fields` with an allowlisted vendor; refuse when the worst-case cost exceeds the cap."""
        chosen = self.vendor(vendor)
        quote = getattr(chosen, "quote", None)
        worst = float(quote(fields)) if callable(quote) else chosen.cost_per_call_usd
        if max_cost_usd is not None and worst > max_cost_usd:
            raise ConnectorRejectedError(
                f"lookup may cost ${worst:.2f}, over the cap of ${max_cost_usd:.2f}", connector=vendor
            )
        return chosen.lookup(record, fields)
