"""The audit trail is tamper-evident: verify names the first altered, removed or reordered event."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from proctor.bootstrap import Services


def _fill(services: Services, tenant: dict[str, Any], n: int = 4) -> list[dict[str, Any]]:
    principal = services.gate.authenticate_agent(tenant["key"])
    for i in range(n):
        services.gate.submit(
            principal, {"action": "note.create", "params": {"record_id": f"r{i}", "body": "b"}}
        )
    events, _ = services.admin.audit_query(tenant["ws"], limit=1000)
    return events


def _sql(services: Services, sql: str, **params: Any) -> None:
    with services.store.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_intact_chain_verifies(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    report = services.admin.audit_verify(tenant["ws"])
    assert report.ok and report.checked == len(events) and report.head_seq == events[-1]["seq"]


def test_edited_row_is_named(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    victim = events[5]
    _sql(
        services,
        "UPDATE audit_events SET body = REPLACE(body, '\"note.create\"', '\"note.delete\"') WHERE id = :id",
        id=victim["id"],
    )
    report = services.admin.audit_verify(tenant["ws"])
    assert not report.ok
    assert report.problem is not None
    assert (report.problem.seq, report.problem.event_id, report.problem.what) == (
        victim["seq"],
        victim["id"],
        "altered",
    )


def test_edited_query_column_is_caught(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    victim = events[4]
    _sql(services, "UPDATE audit_events SET agent_id = 'agt_someoneelse' WHERE id = :id", id=victim["id"])
    report = services.admin.audit_verify(tenant["ws"])
    assert report.problem is not None and report.problem.event_id == victim["id"]


def test_deleted_row_is_named(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    victim, after = events[6], events[7]
    _sql(services, "DELETE FROM audit_events WHERE id = :id", id=victim["id"])
    report = services.admin.audit_verify(tenant["ws"])
    assert report.problem is not None
    assert report.problem.what == "removed"
    assert report.problem.seq == after["seq"] and report.problem.event_id == after["id"]
    assert str(victim["seq"]) in report.problem.detail


def test_deleted_last_row_is_caught_by_the_head(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    _sql(services, "DELETE FROM audit_events WHERE id = :id", id=events[-1]["id"])
    report = services.admin.audit_verify(tenant["ws"])
    assert report.problem is not None and report.problem.what == "removed"
    assert report.problem.seq == events[-1]["seq"]


def test_reordered_rows_are_named(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant)
    a, b = events[3], events[4]
    ws = tenant["ws"]
    _sql(services, "UPDATE audit_events SET seq = -1 WHERE id = :id", id=a["id"])
    _sql(services, "UPDATE audit_events SET seq = :s WHERE id = :id", s=a["seq"], id=b["id"])
    _sql(
        services,
        "UPDATE audit_events SET seq = :s WHERE id = :id AND workspace_id = :ws",
        s=b["seq"],
        id=a["id"],
        ws=ws,
    )
    report = services.admin.audit_verify(ws)
    assert report.problem is not None
    assert report.problem.what == "reordered"
    assert (report.problem.seq, report.problem.event_id) == (a["seq"], b["id"])


def test_checkpoints_sign_the_head_and_catch_a_rewritten_chain(
    make_services: Any, tenant: dict[str, Any], services: Services
) -> None:
    _fill(services, tenant)
    cp = services.admin.checkpoint(tenant["ws"])
    assert services.keyring.verify(
        __import__("proctor.store.audit", fromlist=["x"]).checkpoint_message(
            tenant["ws"], cp["seq"], cp["hash"], cp["at"]
        ),
        cp["signature"],
    )
    assert services.admin.audit_verify(tenant["ws"]).checkpoints_checked == 1

    _sql(
        services,
        "UPDATE audit_checkpoints SET hash = :h WHERE workspace_id = :ws",
        h="0" * 64,
        ws=tenant["ws"],
    )
    report = services.admin.audit_verify(tenant["ws"])
    assert not report.ok and report.problem is not None
    assert "signature" in report.problem.detail


def test_checkpoint_every_n_events(make_services: Any) -> None:
    services = make_services(checkpoint_every=5)
    ws = services.admin.create_workspace("Tiny")["id"]
    agent = services.admin.create_agent(ws, "a")["id"]
    _meta, key = services.admin.issue_agent_key(ws, agent)
    principal = services.gate.authenticate_agent(key)
    for i in range(4):
        services.gate.submit(principal, {"action": "note.create", "params": {"record_id": f"r{i}"}})
    cps = services.admin.list_checkpoints(ws)
    assert [c["seq"] for c in cps] == [5, 10, 15]
    assert services.admin.audit_verify(ws).checkpoints_checked == 3


def test_query_filters_cursor_and_export(services: Services, tenant: dict[str, Any]) -> None:
    events = _fill(services, tenant, n=6)
    ws = tenant["ws"]
    page1, cursor = services.admin.audit_query(ws, {"kind": "request"}, limit=4)
    page2, end = services.admin.audit_query(ws, {"kind": "request"}, cursor, limit=4)
    assert len(page1) == 4 and len(page2) == 2 and end is None
    assert [e["seq"] for e in page1 + page2] == sorted(e["seq"] for e in events if e["kind"] == "request")
    by_record, _ = services.admin.audit_query(ws, {"record_id": "r3"})
    assert by_record and all("r3" in str(e) for e in by_record)
    by_text, _ = services.admin.audit_query(ws, {"text": "NOTE.CREATE", "kind": "decision"})
    assert len(by_text) == 6
    assert services.admin.audit_query(ws, {"until": "2000-01-01T00:00:00Z"})[0] == []
    newest, _ = services.admin.audit_query(ws, limit=1, descending=True)
    assert newest[0]["seq"] == events[-1]["seq"]
    assert [e["seq"] for e in services.admin.audit_export(ws)] == [e["seq"] for e in events]


def test_fast_index_check_agrees_with_index_of(services: Services, tenant: dict[str, Any]) -> None:
    from proctor.domain.audit import index_of
    from proctor.store.batch import index_values

    events = _fill(services, tenant)
    edge_cases: list[dict[str, Any]] = [
        {},
        {"target": {"record_id": "b", "account_id": "a"}, "params": {"record": 7, "record_id": "a"}},
        {"params": {"record_id": ""}, "target": {"record_id": 0}},
        {"data_accessed": {"record_ids": ["z", "", "y"]}, "target": {"account_id": "x"}},
        {"actor": {"agent_id": "agt_1", "user_id": "usr_1"}, "decision": {"effect": "deny"}, "run_id": "r"},
        {"params": {"record_id": True, "record": 1.5}},
    ]
    for body in [*(dict(e) for e in events), *edge_cases]:
        assert index_values(body) == tuple(index_of(body).values()), body


def test_a_body_stored_with_other_whitespace_still_verifies(
    services: Services, tenant: dict[str, Any]
) -> None:
    events = _fill(services, tenant)
    victim = events[2]
    # same JSON content, not byte-identical: the hash covers canonical JSON, so the chain holds
    with services.store.engine.begin() as conn:
        stored = conn.execute(
            text("SELECT body FROM audit_events WHERE id = :id"), {"id": victim["id"]}
        ).scalar()
        pretty = json.dumps(json.loads(stored), indent=2, sort_keys=False)
        conn.execute(
            text("UPDATE audit_events SET body = :b WHERE id = :id"), {"b": pretty, "id": victim["id"]}
        )
    assert pretty != stored
    report = services.admin.audit_verify(tenant["ws"])
    assert report.ok and report.checked == len(events)


def _rewrite_upper_half(services: Services, ws: str, mid: int) -> None:
    """Re-chain every event after `mid` from a forged prev_hash and move the head along: each half is
    consistent on its own, only the seam between them shows the forgery."""
    import hashlib

    with services.store.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, body FROM audit_events WHERE workspace_id = :ws AND seq > :mid ORDER BY seq"),
            {"ws": ws, "mid": mid},
        ).all()
        prev = "f" * 64
        for event_id, body in rows:
            digest = hashlib.sha256(prev.encode() + body.encode()).hexdigest()
            conn.execute(
                text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"),
                {"p": prev, "h": digest, "id": event_id},
            )
            prev = digest
        conn.execute(text("UPDATE audit_heads SET hash = :h WHERE workspace_id = :ws"), {"h": prev, "ws": ws})


@pytest.mark.parametrize("tamper", ["intact", "edit-upper", "delete-seam", "rewrite-upper"])
def test_verify_in_two_processes_agrees_with_one(
    services: Services, tenant: dict[str, Any], tamper: str
) -> None:
    events = _fill(services, tenant, n=6)
    ws = tenant["ws"]
    mid = events[-1]["seq"] // 2
    by_seq = {e["seq"]: e for e in events}
    if tamper == "intact":  # the second process's own answer: the upper half, linked to the lower one
        request = {"url": services.store.engine.url.render_as_string(hide_password=False), "ws": ws}
        request |= {"lo": mid, "hi": events[-1]["seq"], "marks": [mid + 2]}
        done = subprocess.run(
            [sys.executable, "-m", "proctor.store.verify_span"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=120,
            check=True,
        )
        answer = json.loads(done.stdout)
        assert answer["ok"] is True
        assert (answer["first"], answer["last"]) == (by_seq[mid]["hash"], events[-1]["hash"])
        assert answer["marks"] == {str(mid + 2): [by_seq[mid + 2]["id"], by_seq[mid + 2]["hash"]]}
    if tamper == "edit-upper":
        edit = "UPDATE audit_events SET body = REPLACE(body, 'note.create', 'note.delete') WHERE id = :id"
        _sql(services, edit, id=by_seq[mid + 3]["id"])
    elif tamper == "delete-seam":
        _sql(services, "DELETE FROM audit_events WHERE id = :id", id=by_seq[mid + 1]["id"])
    elif tamper == "rewrite-upper":
        _rewrite_upper_half(services, ws, mid)
    services.audit.parallel_min = 10**9
    alone = services.admin.audit_verify(ws)
    services.audit.parallel_min = 2  # the upper half in a second process, the seam compared after
    split = services.admin.audit_verify(ws)
    assert split == alone
    assert split.ok is (tamper == "intact")
    if tamper != "intact":
        assert split.problem is not None and split.problem.seq > mid
