"""Rollback on real SQLite and PostgreSQL over the sandbox CRM: exact restores, conflicts, runs, windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from proctor.bootstrap import Services
from proctor.connectors.sandbox_crm import SandboxCrm
from proctor.connectors.smtp_sink import SmtpSink
from proctor.rollback import RollbackService, preview_text

POLICY: dict[str, Any] = {
    "version": 1,
    "name": "rollback",
    "maturity": 3,
    "lists": {"sending_domains": ["acme.io"], "approved_vendors": ["sandbox"]},
    "actions": {"*": {"effect": "allow"}, "email.send": {"effect": "allow"}},
}

REVERSIBLE: dict[str, dict[str, Any]] = {
    "crm.create": {"object": "account", "fields": {"name": "Initech", "domain": "initech.example"}},
    "crm.update": {"object": "contact", "record_id": "con_001", "fields": {"title": "CRO", "phone": "+1"}},
    "crm.stage_change": {"record_id": "opp_001", "from": "discovery", "to": "proposal"},
    "routing.assign": {"record_id": "acc_001", "owner_id": "usr_tom"},
    "note.create": {"record_id": "con_001", "body": "Met at the fair"},
    "task.create": {"record_id": "opp_001", "subject": "Send the proposal", "due": "2026-12-01"},
    "enrich.append": {
        "vendor": "sandbox",
        "record": "acc_001",
        "fields": {"employees": None, "industry": None},
        "cost_usd": 0.5,
    },
}


class Tenant:
    """A seeded workspace with two agents and the services to drive them."""

    def __init__(self, services: Services) -> None:
        admin = services.admin
        self.services = services
        self.ws = admin.create_workspace("Acme")["id"]
        assert services.gate.connectors is not None
        services.gate.connectors.crm(self.ws).seed()
        self.agents: dict[str, Any] = {}
        for name in ("a", "b"):
            agent = admin.create_agent(self.ws, f"bot-{name}")["id"]
            _meta, key = admin.issue_agent_key(self.ws, agent, ["*"])
            self.agents[name] = (agent, services.gate.authenticate_agent(key))
        assert services.gate.connectors is not None
        self.crm: SandboxCrm = services.gate.connectors.crm(self.ws)
        self.rollback = RollbackService.of(services)

    def submit(self, action: str, params: dict[str, Any], agent: str = "a", **extra: Any) -> Any:
        result = self.services.gate.submit(
            self.agents[agent][1], {"action": action, "params": params, **extra}
        )
        assert result.status == "executed", result
        return result

    def live(self) -> dict[str, list[dict[str, Any]]]:
        """Every live record, full, without the version counter (a restore is a new version)."""
        return {
            obj: [{k: v for k, v in r.items() if k != "version"} for r in rows if not r["archived"]]
            for obj, rows in self.crm.dump().items()
        }


@pytest.fixture
def tenant(make_services: Callable[..., Services]) -> Tenant:
    return Tenant(make_services(POLICY))


@pytest.mark.parametrize("action", sorted(REVERSIBLE))
def test_do_then_rollback_restores_the_records_exactly(tenant: Tenant, action: str) -> None:
    before = tenant.live()
    done = tenant.submit(action, REVERSIBLE[action])
    assert tenant.live() != before
    result = tenant.rollback.run(tenant.ws, "action", done.action_id, actor="user:test")
    assert result["summary"] == {"revert": 1}, result
    assert tenant.live() == before
    again = tenant.rollback.run(tenant.ws, "action", done.action_id)
    assert again["summary"] == {"already_reverted": 1}
    events, _ = tenant.services.admin.audit_query(tenant.ws, {"kind": "rollback"})
    assert [(e["action_id"], e["outcome"]["status"]) for e in events] == [
        (None, "started"),
        (done.action_id, "reverted"),
        (None, "done"),
        (None, "done"),  # the second run had nothing to write: no `started`
    ]
    assert tenant.services.admin.audit_verify(tenant.ws).ok


def test_enrichment_keeps_provenance_for_every_written_field(tenant: Tenant) -> None:
    done = tenant.submit("enrich.append", REVERSIBLE["enrich.append"])
    provenance = done.outcome["provenance"]
    assert set(provenance) == {"employees", "industry"}
    assert all(p["source"].startswith("https://") and 0 < p["confidence"] <= 1 for p in provenance.values())
    refused = tenant.services.gate.submit(
        tenant.agents["a"][1],
        {"action": "enrich.append", "params": {**REVERSIBLE["enrich.append"], "vendor": "shady"}},
    )
    assert refused.status in ("failed", "denied") and tenant.crm.get("account", "acc_001")["industry"]
    tenant.rollback.run(tenant.ws, "action", done.action_id)
    with tenant.services.store.read() as conn:
        from proctor.store.changes import for_action

        rows = for_action(conn, tenant.ws, done.action_id)
    assert rows[0]["provenance"] == provenance and rows[0]["reverted_at"]  # provenance kept


def test_a_field_changed_since_is_a_conflict_unless_forced(tenant: Tenant) -> None:
    done = tenant.submit("crm.update", REVERSIBLE["crm.update"])
    tenant.crm.update("contact", "con_001", {"title": "Head of Sales"})  # a human edits after the agent
    preview = tenant.rollback.run(tenant.ws, "action", done.action_id, dry_run=True)
    item = preview["items"][0]
    assert item["status"] == "partial"
    assert item["conflicts"] == [
        {"field": "title", "expected": "CRO", "current": "Head of Sales", "restore_to": "CFO"}
    ]
    assert item["diff"] == [{"field": "phone", "before": "+1", "after": "+1-555-295-4039"}]
    assert "conflict title" in preview_text(preview) and "phone: '+1' → '+1-555-295-4039'" in preview_text(
        preview
    )
    assert tenant.crm.get("contact", "con_001")["phone"] == "+1"  # dry run wrote nothing
    tenant.rollback.run(tenant.ws, "action", done.action_id)
    record = tenant.crm.get("contact", "con_001")
    assert record["title"] == "Head of Sales" and record["phone"] == "+1-555-295-4039"
    forced = tenant.rollback.run(tenant.ws, "action", done.action_id, force=True)
    assert forced["summary"] == {"revert": 1}
    assert tenant.crm.get("contact", "con_001")["title"] == "CFO"


def test_a_created_record_edited_since_is_not_archived(tenant: Tenant) -> None:
    done = tenant.submit("crm.create", REVERSIBLE["crm.create"])
    record_id = done.outcome["record_id"]
    tenant.crm.update("account", record_id, {"name": "Initech Corp"})
    result = tenant.rollback.run(tenant.ws, "action", done.action_id)
    assert result["summary"] == {"conflict": 1}
    assert tenant.crm.get("account", record_id)["name"] == "Initech Corp"


def _mixed(i: int) -> tuple[str, dict[str, Any]]:
    contact, opp, acc = f"con_{i % 40 + 1:03d}", f"opp_{i % 20 + 1:03d}", f"acc_{i % 30 + 1:03d}"
    stages = ("qualification", "discovery", "proposal", "negotiation")
    return [
        ("crm.update", {"object": "contact", "record_id": contact, "fields": {"title": f"T{i}"}}),
        ("note.create", {"record_id": contact, "body": f"note {i}"}),
        ("task.create", {"record_id": opp, "subject": f"task {i}"}),
        ("crm.stage_change", {"record_id": opp, "to": stages[i % 4]}),
        ("routing.assign", {"record_id": acc, "owner_id": ("usr_tom", "usr_priya", "usr_omar")[i % 3]}),
        ("crm.create", {"object": "lead", "fields": {"first_name": f"L{i}", "status": "new"}}),
        ("enrich.append", {"vendor": "sandbox", "record": acc, "fields": {"employees": None}}),
    ][i % 7]


def test_a_run_of_200_mixed_writes_rolls_back_in_one_command(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tenant.live()
    for i in range(200):
        action, params = _mixed(i)
        tenant.submit(action, params, run_id="run_big")
    tenant.submit("note.create", {"record_id": "con_100", "body": "another run"}, run_id="run_other")
    after_other = tenant.crm.count("note")
    settings = tenant.services.settings
    monkeypatch.setenv("PROCTOR_HOME", str(settings.home))
    monkeypatch.setenv("PROCTOR_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PROCTOR_SANDBOX_CRM_PATH", settings.sandbox_crm_path)
    from proctor.cli import app

    out = CliRunner().invoke(app, ["rollback", "run", "run_big", "--workspace", tenant.ws, "--json"])
    assert out.exit_code == 0, out.output
    import orjson

    result = orjson.loads(out.stdout)
    assert result["summary"] == {"revert": 200} and len(result["items"]) == 200
    ats = [item["at"] for item in result["items"]]
    assert ats == sorted(ats, reverse=True)  # newest first
    live = tenant.live()
    assert tenant.crm.count("note") == after_other - sum(1 for i in range(200) if i % 7 == 1)
    live["note"] = [n for n in live["note"] if n["body"] != "another run"]
    assert live == before
    assert tenant.services.admin.audit_verify(tenant.ws).ok


def test_an_agents_last_hour_is_reverted_and_other_agents_writes_stay(tenant: Tenant, clock: Any) -> None:
    old = tenant.submit(
        "crm.update", {"object": "contact", "record_id": "con_010", "fields": {"title": "Old"}}
    )
    clock.now += timedelta(hours=2)
    start = clock.now - timedelta(minutes=1)
    mine = tenant.submit(
        "crm.update", {"object": "contact", "record_id": "con_011", "fields": {"title": "A"}}
    )
    theirs = tenant.submit(
        "crm.update", {"object": "contact", "record_id": "con_012", "fields": {"title": "B"}}, agent="b"
    )
    tenant.submit("routing.assign", {"record_id": "acc_005", "owner_id": "usr_tom"}, agent="b")
    tenant.submit("note.create", {"record_id": "con_012", "body": "A's note"})
    result = tenant.rollback.run(
        tenant.ws, "agent", tenant.agents["a"][0], since=start, until=clock.now + timedelta(seconds=1)
    )
    assert result["summary"] == {"revert": 2}
    assert {i["action_id"] for i in result["items"]} >= {mine.action_id}
    assert tenant.crm.get("contact", "con_012")["title"] == "B"  # the other agent's writes are intact
    assert tenant.crm.get("account", "acc_005")["owner_id"] == "usr_tom"
    assert tenant.crm.get("contact", "con_010")["title"] == "Old"  # outside the window
    assert tenant.crm.get("contact", "con_011")["title"] != "A"
    assert {old.action_id, theirs.action_id}.isdisjoint(i["action_id"] for i in result["items"])


def test_a_batch_rolls_back_together(tenant: Tenant) -> None:
    batch = {"id": "bat_1", "size": 2}
    before = tenant.live()
    tenant.submit(
        "crm.update", {"object": "contact", "record_id": "con_020", "fields": {"title": "X"}}, batch=batch
    )
    tenant.submit("routing.assign", {"record_id": "acc_020", "owner_id": "usr_omar"}, batch=batch)
    outside = tenant.submit("note.create", {"record_id": "con_020", "body": "not in the batch"})
    result = tenant.rollback.run(tenant.ws, "batch", "bat_1")
    assert result["summary"] == {"revert": 2}
    assert outside.action_id not in {i["action_id"] for i in result["items"]}
    live = tenant.live()
    live["note"] = [n for n in live["note"] if n["body"] != "not in the batch"]
    assert live == before


def test_email_is_delivered_once_through_the_gate_and_is_not_reversible(
    tenant: Tenant, sink: SmtpSink
) -> None:
    params = {"from": "maria@acme.io", "to": "dana@globex.com", "subject": "Globex", "body": "Hi Dana"}
    done = tenant.submit("email.send", params, run_id="run_mail")
    assert done.outcome["delivery"] == "accepted" and done.outcome["reversible"] is False
    assert "local sink" in done.outcome["smtp"]  # no credentials: the configured local sink, said so
    messages = sink.messages()
    assert len(messages) == 1 and messages[0].message_id == f"<{done.action_id}@acme.io>"
    replay = tenant.services.gate.submit(
        tenant.agents["a"][1], {"action": "email.send", "params": params, "idempotency_key": "k"}
    )
    tenant.services.gate.submit(
        tenant.agents["a"][1], {"action": "email.send", "params": params, "idempotency_key": "k"}
    )
    assert replay.status == "executed" and len(sink.messages()) == 2  # the replay did not send again
    result = tenant.rollback.run(tenant.ws, "run", "run_mail")
    assert result["summary"] == {"not_reversible": 1}
    assert "cannot be un-sent" in result["items"][0]["reason"]


def test_smtp_down_is_retried_with_backoff_and_never_duplicated(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    from proctor.connectors.smtp_sink import free_port

    port = free_port()
    late = SmtpSink(tmp_path / "late", port=port)
    waits: list[float] = []

    services = make_services(POLICY, local_smtp=f"127.0.0.1:{port}", smtp_attempts=5, smtp_backoff=0.05)
    assert services.gate.connectors is not None

    def sleep(seconds: float) -> None:  # the server comes back during the second backoff
        waits.append(seconds)
        if len(waits) == 2:
            late.start()

    services.gate.connectors.sleep = sleep
    t = Tenant(services)
    try:
        params = {"from": "maria@acme.io", "to": "dana@globex.com", "subject": "Retry", "body": "Hi"}
        done = t.submit("email.send", params)
        assert done.outcome["attempts"] == 3 and waits == [0.05, 0.1]
        assert [m.message_id for m in late.messages()] == [f"<{done.action_id}@acme.io>"]
        with services.store.read() as conn:
            from proctor.store.changes import for_action

            assert len(for_action(conn, t.ws, done.action_id)) == 1
    finally:
        late.stop()


def test_smtp_still_down_fails_after_bounded_attempts(make_services: Callable[..., Services]) -> None:
    from proctor.connectors.smtp_sink import free_port

    services = make_services(POLICY, local_smtp=f"127.0.0.1:{free_port()}", smtp_attempts=3, smtp_backoff=0)
    t = Tenant(services)
    params = {"from": "maria@acme.io", "to": "dana@globex.com", "subject": "Down", "body": "Hi"}
    result = services.gate.submit(t.agents["a"][1], {"action": "email.send", "params": params})
    assert result.status == "failed" and "after 3 attempt(s)" in result.outcome["error"]
    assert result.outcome["retryable"] is True


def test_a_lost_connection_after_data_is_not_retried(
    make_services: Callable[..., Services], tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("stores SMTP credentials: kept out of the shared PostgreSQL database (key rotation test)")
    import time

    slow = SmtpSink(tmp_path / "slow", on_message=lambda _m: time.sleep(1.5)).start()
    try:
        services = make_services(POLICY, smtp_attempts=5, smtp_backoff=0)
        t = Tenant(services)
        services.admin.set_service_credentials(t.ws, "smtp", {**slow.credentials(), "timeout": 0.5})
        params = {"from": "maria@acme.io", "to": "dana@globex.com", "subject": "Once", "body": "Hi"}
        result = services.gate.submit(t.agents["a"][1], {"action": "email.send", "params": params})
        assert result.status == "failed" and "DeliveryUnknownError" in result.outcome["error"]
        assert result.outcome["retryable"] is False
        time.sleep(1.6)
        assert len(slow.messages()) == 1  # the server took it once; no second attempt
    finally:
        slow.stop()


def test_rollback_over_http_needs_a_manager_and_previews(tenant: Tenant) -> None:
    from fastapi.testclient import TestClient

    from proctor.api import create_app

    admin = tenant.services.admin
    done = tenant.submit("crm.update", REVERSIBLE["crm.update"], run_id="run_http")
    users = {}
    for role in ("manager", "rep"):
        uid = admin.create_user(tenant.ws, f"{role}@acme.io", role, [role])["id"]
        users[role] = admin.issue_user_token(tenant.ws, uid)[1]
    client = TestClient(create_app(tenant.services))
    body = {"scope": "run", "id": "run_http", "dry_run": True}
    denied = client.post("/v1/rollback", json=body, headers={"Authorization": f"Bearer {users['rep']}"})
    assert denied.status_code == 403
    ok = client.post("/v1/rollback", json=body, headers={"Authorization": f"Bearer {users['manager']}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["items"][0]["action_id"] == done.action_id and ok.json()["dry_run"] is True
    assert tenant.crm.get("contact", "con_001")["title"] == "CRO"
    body = {"scope": "run", "id": "run_http"}
    done_http = client.post(
        "/v1/rollback", json=body, headers={"Authorization": f"Bearer {users['manager']}"}
    )
    assert done_http.json()["summary"] == {"revert": 1} and done_http.json()["rollback_id"]
    assert tenant.crm.get("contact", "con_001")["title"] == "CFO"


def test_a_rollback_cut_short_is_visible_and_finishes_when_run_again(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tenant.live()
    for i, contact in enumerate(("con_020", "con_021", "con_022")):
        tenant.submit(
            "crm.update",
            {"object": "contact", "record_id": contact, "fields": {"title": f"Interim {i}"}},
            run_id="run_cut",
        )
    real_restore = tenant.crm.restore
    calls = []

    def dies_on_the_third(change: Any, *, force: bool = False) -> Any:
        calls.append(change.record_id)
        if len(calls) == 3:
            raise RuntimeError("the process was killed")
        return real_restore(change, force=force)

    monkeypatch.setattr(tenant.crm, "restore", dies_on_the_third)
    with pytest.raises(RuntimeError):
        tenant.rollback.run(tenant.ws, "run", "run_cut", actor="user:oncall")
    events, _ = tenant.services.admin.audit_query(tenant.ws, {"kind": "rollback"})
    assert [e["outcome"]["status"] for e in events] == ["started"]  # the plan was written ahead
    assert [p["record_id"] for p in events[0]["detail"]["planned"]] == ["con_022", "con_021", "con_020"]
    assert tenant.crm.get("contact", "con_020")["title"] == "Interim 0"  # not reached

    monkeypatch.setattr(tenant.crm, "restore", real_restore)
    again = tenant.rollback.run(tenant.ws, "run", "run_cut", actor="user:oncall")
    assert again["summary"] == {"already_reverted": 2, "revert": 1}, again
    assert tenant.live() == before
    events, _ = tenant.services.admin.audit_query(tenant.ws, {"kind": "rollback"})
    assert [e["outcome"]["status"] for e in events][-1] == "done"
    assert tenant.services.admin.audit_verify(tenant.ws).ok
