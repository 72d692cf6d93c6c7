"""The submit hot path's shortcuts give exactly what the general code gives: events, ids, JSON columns,
sandbox CRM writes run whole in the file's writer thread, and the lean ASGI route's answers."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from proctor.api import create_app
from proctor.bootstrap import Services
from proctor.connectors.sandbox_file import SandboxFile
from proctor.domain.audit import AuditEvent, event_body
from proctor.domain.identity import _ALPHABET
from proctor.store import ids
from proctor.store.engine import loads_json

COMMON: dict[str, Any] = {
    "actor": {"workspace_id": "ws_1", "agent_id": "agt_1", "key_id": "key_1"},
    "action_id": "act_1",
    "run_id": "run_1",
    "action": "crm.update",
    "target": {"object": "contact", "record_id": "con_1"},
    "versions": {"policy": "sha256:x"},
}


@pytest.mark.parametrize(
    "fields",
    [
        {**COMMON, "intent": "fix", "plan": ["a"], "params": {"fields": {"title": "VP", "n": 1.5}}},
        {**COMMON, "decision": {"effect": "allow", "checks": [{"name": "x", "passed": True}]}},
        {**COMMON, "outcome": {"status": "executed", "ok": True}, "changes": None, "data_accessed": None},
        {"params": {"at": datetime(2026, 1, 2, tzinfo=UTC), "pair": (1, 2)}},  # converted by the model
        {"params": {"x": float("inf")}, "detail": {"nested": {1: "int key"}}},
        {"plan": ("a", "b"), "intent": None},
    ],
)
def test_event_body_is_the_models_body(fields: dict[str, Any]) -> None:
    head = {"id": "evt_1", "workspace_id": "ws_1", "seq": 0, "kind": "request", "at": "2026-01-01T00:00Z"}
    expected = AuditEvent(**head, **fields).body()
    got = event_body(**head, **fields)
    assert list(got) == list(expected)
    assert repr(got) == repr(expected)


def test_event_body_refuses_what_the_model_refuses() -> None:
    with pytest.raises(ValueError):
        event_body(id="evt_1", workspace_id="ws_1", seq=0, kind="nonsense", at="t")
    with pytest.raises(ValueError):
        event_body(id="evt_1", seq=0, kind="request", at="t")


def _old_fast_id(rng: random.Random, prefix: str) -> str:
    n = rng.getrandbits(128)
    out = []
    for _ in range(20):
        n, r = divmod(n, len(_ALPHABET))
        out.append(_ALPHABET[r])
    return f"{prefix}_{''.join(out)}"


def test_fast_id_draws_the_same_ids_as_digit_by_digit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_rng", random.Random(11))
    reference = random.Random(11)
    for _ in range(2000):
        assert ids.fast_id("evt") == _old_fast_id(reference, "evt")


def test_event_ids_are_shaped_like_the_others_unique_and_sort_by_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`evt_` + 20 characters of the id alphabet; an id made in a later millisecond sorts after."""
    drawn = [ids.event_id() for _ in range(50_000)]
    assert len(set(drawn)) == len(drawn)
    assert all(len(i) == 24 and i.startswith("evt_") and set(i[4:]) <= set(_ALPHABET) for i in drawn)
    clock = iter(range(1_700_000_000_000_000_000, 1_900_000_000_000_000_000, 123_456_789_012))
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(clock))
    timed = [ids.event_id() for _ in range(2000)]
    assert timed == sorted(timed)


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, "a": 2}', "123456789012345678901234567890", '[1e400, "x"]', "NaN", '"\\ud800"', '{"n": 0.1}'],
)
def test_json_columns_read_as_json_loads_reads_them(text: str) -> None:
    expected = json.loads(text)
    for form in (text, text.encode()):
        got = loads_json(form)
        assert repr(got) == repr(expected)
        assert type(got) is type(expected)


def test_a_job_runs_whole_in_the_writer_and_its_writes_join_the_batch(tmp_path: Path) -> None:
    file = SandboxFile(str(tmp_path / "f.db"), ["CREATE TABLE t (k TEXT PRIMARY KEY)"])

    def insert(key: str) -> Any:
        return lambda conn: conn.execute("INSERT INTO t VALUES (?)", (key,)).rowcount

    def job(key: str) -> Any:
        def run() -> Any:
            done = file.write(insert(key))  # inline: no deadlock on its own writer thread
            try:
                file.write(insert(key))  # the duplicate fails and undoes only itself
            except sqlite3.IntegrityError:
                return ("kept", done)
            return ("duplicated", done)

        return run

    async def main() -> list[Any]:
        return await asyncio.gather(*(file.run_async(job(f"k{i}")) for i in range(20)))

    try:
        assert asyncio.run(main()) == [("kept", 1)] * 20
        assert sorted(r[0] for r in file.read("SELECT k FROM t")) == sorted(f"k{i}" for i in range(20))
        assert file.write(insert("plain")) == 1  # and a plain write from another thread still waits
    finally:
        file.close()


def test_submit_async_runs_crm_writes_in_the_crm_writer(services: Services, tenant: dict[str, Any]) -> None:
    ws = tenant["ws"]
    assert services.gate.connectors is not None
    crm = services.gate.connectors.crm(ws)
    for i in range(5):
        crm.create("contact", {"title": "SDR", "first_name": "Dana"}, record_id=f"con_{i}")
    principal = services.gate.authenticate_agent(f"Bearer {tenant['key']}")

    def update(record: str) -> dict[str, Any]:
        params = {"object": "contact", "record_id": record, "fields": {"title": f"VP {record}"}}
        return {"action": "crm.update", "run_id": "run_1", "params": params}

    async def main() -> list[Any]:
        return await asyncio.gather(
            *(services.gate.submit_async(principal, update(r)) for r in ["con_0", "con_1", "con_2", "none"])
        )

    results = asyncio.run(main())
    assert [r.status for r in results] == ["executed", "executed", "executed", "failed"]
    assert results[3].outcome is not None and "RecordNotFoundError" in results[3].outcome["error"]
    assert crm.get("contact", "con_1")["title"] == "VP con_1"
    for r in results[:3]:
        action = services.gate.get_action(ws, r.action_id)
        assert action["status"] == "executed"
        assert action["changes"]["records"][0]["after"] == {
            "title": f"VP {action['request']['params']['record_id']}"
        }
    assert services.admin.audit_verify(ws).ok


def test_the_lean_route_answers_like_the_api(services: Services, tenant: dict[str, Any]) -> None:
    with TestClient(create_app(services)) as client:
        missing = client.post("/v1/actions", json={"action": "task.create"})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["type"] == "unauthorized"
        auth = {"Authorization": f"Bearer {tenant['key']}"}
        bad = client.post(
            "/v1/actions", content=b"{nope", headers={**auth, "Content-Type": "application/json"}
        )
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "body"
        text = client.post("/v1/actions", content=b"{}", headers={**auth, "Content-Type": "text/plain"})
        assert text.status_code == 422 and "Content-Type" in text.json()["error"]["message"]
        listed = client.post("/v1/actions", json=[1], headers=auth)
        assert listed.status_code == 422 and listed.json()["error"]["message"] == "expected a JSON object"
        ok = client.post(
            "/v1/actions",
            json={"action": "task.create", "params": {"subject": "x", "record_id": "con_1"}},
            headers=auth,
        )
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        assert set(ok.json()) == {"action_id", "status", "decision", "outcome", "replayed"}
        assert client.get("/v1/actions").status_code in (404, 405)  # other methods: the FastAPI app
