"""The sandbox CRM in its own SQLite file: every write gives back the exact record on restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from proctor.connectors import (
    Change,
    ConnectorRejectedError,
    CrmConnector,
    RecordNotFoundError,
)
from proctor.connectors.sandbox_crm import SandboxCrm, seed
from proctor.domain.errors import ProctorError


@pytest.fixture
def crm(tmp_path: Path) -> SandboxCrm:
    return seed(tmp_path / "crm.db", n=300, seed=7)


def live(crm: SandboxCrm) -> dict[str, list[dict[str, Any]]]:
    """Every record's fields and archived flag (the version moves on every write, so it is left out)."""
    return {
        obj: [{k: v for k, v in row.items() if k != "version"} for row in rows]
        for obj, rows in crm.dump().items()
    }


def test_is_a_crm_connector_in_its_own_file(crm: SandboxCrm, tmp_path: Path) -> None:
    assert isinstance(crm, CrmConnector)
    assert (tmp_path / "crm.db").exists()
    assert crm.get("contact", "con_123")["email"] == "dana@globex.com"
    assert crm.get("account", "acc_042")["name"] == "Globex Corporation"


def test_update_before_after_is_exactly_the_written_fields_and_restore_gives_back_the_record(
    crm: SandboxCrm,
) -> None:
    snapshot = crm.get("contact", "con_123")
    change = crm.update("contact", "con_123", {"title": "Chief Revenue Officer", "phone": "+49 30 1"})
    assert change.op == "update"
    assert change.before == {"title": "VP Sales", "phone": "+49-30-5550123"}
    assert change.after == {"title": "Chief Revenue Officer", "phone": "+49 30 1"}
    assert change.inverse_op == "update"
    assert "title='VP Sales'" in change.inverse
    assert crm.get("contact", "con_123")["title"] == "Chief Revenue Officer"
    result = crm.restore(change)
    assert result.complete
    assert result.restored == ("phone", "title")
    assert result.change is not None
    assert result.change.before == change.after
    assert crm.get("contact", "con_123") == snapshot


def test_version_moves_on_every_write(crm: SandboxCrm) -> None:
    assert crm.meta("contact", "con_123")["version"] == 1
    change = crm.update("contact", "con_123", {"title": "CRO"})
    assert change.version == 2
    crm.restore(change)
    assert crm.meta("contact", "con_123")["version"] == 3


def test_create_is_undone_by_archiving_and_nothing_else_changes(crm: SandboxCrm) -> None:
    before = live(crm)
    fields = {"name": "Initech GmbH", "domain": "initech.example", "tier": "mid_market", "employees": 350}
    change = crm.create("account", fields)
    assert change.op == "create"
    assert change.inverse_op == "archive"
    assert change.before == {}
    assert crm.get("account", change.record_id)["name"] == "Initech GmbH"
    result = crm.restore(change)
    assert result.complete
    with pytest.raises(RecordNotFoundError):
        crm.get("account", change.record_id)
    archived = crm.get("account", change.record_id, include_archived=True)
    assert {k: archived[k] for k in fields} == fields
    after = live(crm)
    after["account"] = [r for r in after["account"] if r["id"] != change.record_id]
    assert after == before


def test_owner_is_restored(crm: SandboxCrm) -> None:
    snapshot = crm.get("opportunity", "opp_001")
    change = crm.set_owner("opp_001", "usr_tom")
    assert (change.object, change.op) == ("opportunity", "set_owner")
    assert change.before == {"owner_id": "usr_maria"}
    assert change.after == {"owner_id": "usr_tom"}
    crm.restore(change)
    assert crm.get("opportunity", "opp_001") == snapshot


def test_stage_change_is_restored_and_checks_where_it_came_from(crm: SandboxCrm) -> None:
    snapshot = crm.get("opportunity", "opp_001")
    assert snapshot["stage"] == "discovery"
    with pytest.raises(ConnectorRejectedError) as stale:
        crm.stage_change("opp_001", "proposal", expected_from="negotiation")
    assert stale.value.status == 409
    with pytest.raises(ConnectorRejectedError, match="unknown stage"):
        crm.stage_change("opp_001", "won-ish")
    change = crm.stage_change("opp_001", "proposal", expected_from="discovery")
    assert change.before == {"stage": "discovery"}
    crm.restore(change)
    assert crm.get("opportunity", "opp_001") == snapshot


def test_lead_status_is_its_stage(crm: SandboxCrm) -> None:
    lead = crm.query("lead", limit=1)[0]
    target = "qualified" if lead["status"] != "qualified" else "working"
    change = crm.stage_change(lead["id"], target)
    assert change.after == {"status": target}
    crm.restore(change)
    assert crm.get("lead", lead["id"]) == lead


@pytest.mark.parametrize("kind", ["note", "task"])
def test_note_and_task_are_undone_by_archiving_them(crm: SandboxCrm, kind: str) -> None:
    parent = crm.get("contact", "con_123")
    existing = crm.query(kind, {"record_id": "con_123"})
    if kind == "note":
        change = crm.add_note("con_123", "Asked about the Berlin office.", author="agt_1")
    else:
        change = crm.add_task("con_123", "Send the case study", due="2026-11-28")
    assert change.op == f"add_{kind}"
    assert change.object == kind
    assert change.parent == {"object": "contact", "record_id": "con_123"}
    assert len(crm.query(kind, {"record_id": "con_123"})) == len(existing) + 1
    result = crm.restore(change)
    assert result.complete
    assert crm.query(kind, {"record_id": "con_123"}) == existing
    assert crm.get("contact", "con_123") == parent


def test_archive_and_delete_are_restored(crm: SandboxCrm) -> None:
    snapshot = crm.get("lead", "led_001")
    archived = crm.archive("lead", "led_001")
    assert archived.before == {"archived": False}
    with pytest.raises(RecordNotFoundError):
        crm.get("lead", "led_001")
    crm.restore(archived)
    assert crm.get("lead", "led_001") == snapshot
    deleted = crm.delete("lead", "led_001")
    assert deleted.inverse_op == "recreate"
    with pytest.raises(RecordNotFoundError):
        crm.get("lead", "led_001", include_archived=True)
    assert crm.restore(deleted).complete
    assert crm.get("lead", "led_001") == snapshot


def test_a_field_changed_by_someone_else_is_refused_unless_forced(crm: SandboxCrm) -> None:
    original = crm.get("contact", "con_123")
    agent = crm.update("contact", "con_123", {"title": "CRO", "phone": "+1 555 0100"})
    crm.update("contact", "con_123", {"phone": "+1 555 0199"})  # a rep, later
    result = crm.restore(agent)
    assert not result.complete
    assert result.restored == ("title",)
    [conflict] = result.conflicts
    assert (conflict.field, conflict.expected, conflict.current, conflict.restore_to) == (
        "phone",
        "+1 555 0100",
        "+1 555 0199",
        original["phone"],
    )
    now = crm.get("contact", "con_123")
    assert now["title"] == original["title"]
    assert now["phone"] == "+1 555 0199"
    forced = crm.restore(agent, force=True)
    assert forced.complete
    assert crm.get("contact", "con_123") == original


def test_a_created_record_edited_since_is_not_archived_unless_forced(crm: SandboxCrm) -> None:
    change = crm.create("contact", {"first_name": "Ana", "last_name": "Lima", "email": "ana@lima.example"})
    crm.update("contact", change.record_id, {"email": "ana.lima@lima.example"})
    refused = crm.restore(change)
    assert [c.field for c in refused.conflicts] == ["email"]
    assert refused.change is None
    assert crm.get("contact", change.record_id)["email"] == "ana.lima@lima.example"
    crm.restore(change, force=True)
    with pytest.raises(RecordNotFoundError):
        crm.get("contact", change.record_id)


def test_a_change_survives_json_and_restores_from_it(crm: SandboxCrm) -> None:
    snapshot = crm.get("account", "acc_042")
    change = crm.update("account", "acc_042", {"tier": "strategic", "employees": 5000})
    stored = json.loads(json.dumps(change.to_dict()))
    assert stored["inverse"].startswith("update account acc_042")
    assert Change.from_dict(stored) == change
    crm.restore(Change.from_dict(stored))
    assert crm.get("account", "acc_042") == snapshot


def test_bad_writes_are_rejected_with_connector_errors(crm: SandboxCrm) -> None:
    with pytest.raises(ConnectorRejectedError, match="no field 'ssn'"):
        crm.update("contact", "con_123", {"ssn": "123-45-6789"})
    with pytest.raises(ConnectorRejectedError, match="must be int"):
        crm.update("account", "acc_042", {"employees": "many"})
    with pytest.raises(ConnectorRejectedError, match="unknown object"):
        crm.get("invoice", "inv_1")
    with pytest.raises(RecordNotFoundError):
        crm.update("contact", "con_999999", {"title": "x"})
    with pytest.raises(RecordNotFoundError):
        crm.set_owner("con_123", "usr_nobody")
    with pytest.raises(ProctorError):  # every connector error is a ProctorError
        crm.add_note("con_999999", "hi")
    assert crm.get("contact", "con_123")["title"] == "VP Sales"


def test_objects_accept_vendor_names(crm: SandboxCrm) -> None:
    assert crm.get("companies", "acc_042") == crm.get("account", "acc_042")
    assert crm.get("deal", "opp_001") == crm.get("opportunities", "opp_001")


def test_seed_is_deterministic_and_realistic(tmp_path: Path) -> None:
    a = seed(tmp_path / "a.db", n=300, seed=11)
    b = seed(tmp_path / "b.db", n=300, seed=11)
    c = seed(tmp_path / "c.db", n=300, seed=12)
    assert a.dump() == b.dump()
    assert a.dump() != c.dump()
    total = sum(len(rows) for rows in a.dump().values())
    assert 270 <= total <= 330
    accounts = a.query("account", limit=1000)
    assert {acc["tier"] for acc in accounts} <= {"smb", "mid_market", "enterprise", "strategic"}
    assert len({acc["industry"] for acc in accounts}) >= 5
    assert all("." in acc["domain"] and " " not in acc["domain"] for acc in accounts)
    contacts = a.query("contact", limit=1000)
    domains = {acc["id"]: acc["domain"] for acc in accounts}
    assert all(c["email"].endswith("@" + domains[c["account_id"]]) for c in contacts)
    owners = {o["id"] for o in a.query("owner")}
    assert {opp["owner_id"] for opp in a.query("opportunity", limit=1000)} <= owners
    again = seed(tmp_path / "a.db", n=300, seed=99)  # an existing sandbox is reused, not re-seeded
    assert again.dump() == a.dump()
