"""Enrichment: the allowlist is enforced, every value carries its source and confidence, it costs money."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.connectors import (
    ConnectorRejectedError,
    EnrichmentConnector,
    VendorNotAllowedError,
)
from proctor.connectors.enrichment import EnrichmentGateway, SandboxEnrichment
from proctor.connectors.sandbox_crm import seed

DANA = {"email": "dana@globex.com", "first_name": "Dana"}


@pytest.fixture
def gateway() -> EnrichmentGateway:
    vendors = [SandboxEnrichment("sandbox"), SandboxEnrichment("shadyleads", cost_per_call_usd=0.01)]
    return EnrichmentGateway(vendors, allowlist=["sandbox"])


def test_a_vendor_outside_the_allowlist_is_refused_even_when_configured(gateway: EnrichmentGateway) -> None:
    with pytest.raises(VendorNotAllowedError) as err:
        gateway.lookup("shadyleads", DANA, ["title"])
    assert isinstance(err.value, ConnectorRejectedError)
    assert err.value.status == 403
    assert "allowlist (sandbox)" in str(err.value)
    with pytest.raises(VendorNotAllowedError):
        gateway.vendor("clearbit")


def test_values_come_with_source_confidence_and_cost(gateway: EnrichmentGateway) -> None:
    assert isinstance(gateway.vendor("sandbox"), EnrichmentConnector)
    result = gateway.lookup("sandbox", DANA, ["title", "employees", "seniority", "favourite_colour"])
    assert result.vendor == "sandbox"
    assert set(result.values) == {"title", "employees", "seniority"}
    assert result.missing == ("favourite_colour",)
    assert result.cost_usd == pytest.approx(0.05 + 3 * 0.01)
    for name, value in result.values.items():
        assert 0.0 <= value.confidence <= 1.0
        assert value.source.startswith("https://sandbox.enrich.example/")
        assert value.source.endswith("#" + name)
    assert "/companies/globex.com#employees" in result.values["employees"].source
    assert "/people/dana@globex.com#title" in result.values["title"].source
    provenance = result.provenance()
    assert provenance["title"]["vendor"] == "sandbox"
    assert provenance["title"]["confidence"] == result.values["title"].confidence


def test_the_sandbox_vendor_is_deterministic() -> None:
    first = SandboxEnrichment().lookup({"domain": "globex.com"}, ["employees", "industry", "tech_stack"])
    again = SandboxEnrichment().lookup({"domain": "globex.com"}, ["employees", "industry", "tech_stack"])
    assert first.values == again.values
    other = SandboxEnrichment().lookup({"domain": "initech.example"}, ["employees", "industry"])
    assert other.values != {k: v for k, v in first.values.items() if k in other.values}


def test_person_fields_need_a_person(gateway: EnrichmentGateway) -> None:
    result = gateway.lookup("sandbox", {"domain": "globex.com"}, ["title", "employees"])
    assert set(result.values) == {"employees"}
    assert result.missing == ("title",)
    with pytest.raises(ConnectorRejectedError, match="neither an email nor a domain"):
        gateway.lookup("sandbox", {"name": "Globex"}, ["employees"])
    with pytest.raises(ConnectorRejectedError, match="no fields"):
        gateway.lookup("sandbox", DANA, [])


def test_a_cost_cap_refuses_before_calling(gateway: EnrichmentGateway) -> None:
    with pytest.raises(ConnectorRejectedError, match="over the cap"):
        gateway.lookup("sandbox", DANA, ["title", "phone", "seniority"], max_cost_usd=0.05)
    assert gateway.lookup("sandbox", DANA, ["title"], max_cost_usd=0.06).cost_usd == pytest.approx(0.06)


def test_enrich_append_is_reversible_through_the_crm(gateway: EnrichmentGateway, tmp_path: Path) -> None:
    crm = seed(tmp_path / "crm.db", n=100)
    account = crm.get("account", "acc_042")
    result = gateway.lookup("sandbox", account, ["employees", "industry"])
    change = crm.update("account", "acc_042", {k: v.value for k, v in result.values.items()})
    assert change.before == {"employees": 4200, "industry": "software"}
    crm.restore(change)
    assert crm.get("account", "acc_042") == account
