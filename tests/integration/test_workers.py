"""`proctor serve --workers 2`: two server processes on one database stay exact over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from proctor.bootstrap import Services, build
from proctor.config import Settings, write_keys_file
from proctor.connectors.smtp_sink import SmtpSink
from proctor.store.migrate import upgrade
from proctor.store.secrets import new_fernet_key, new_signing_key

PROCTOR = Path(sys.executable).parent / "proctor"
POLICY: dict[str, Any] = {
    "version": 1,
    "name": "workers",
    "maturity": 3,
    "lists": {"sending_domains": ["acme.io"]},
    "actions": {"*": {"effect": "allow"}, "email.send": {"effect": "allow"}},
    "limits": [
        {"name": "sends-per-agent", "action": "email.send", "per": "agent", "max": 10, "window": "1h"}
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """`proctor serve --workers 2` over a fresh home and workspace (seeded sandbox CRM, SMTP to a sink),
    started once per database for this module; tests use agents of their own."""
    tmp = tmp_path_factory.mktemp(f"workers-{request.param}")
    home = tmp / "home"
    home.mkdir()
    (home / "proctor.yaml").write_text(yaml.safe_dump(POLICY))
    write_keys_file(home / "proctor.keys", [new_fernet_key()], new_signing_key())
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp}/proctor.db"
        upgrade(database_url)
    else:
        database_url = str(request.getfixturevalue("postgres_url"))
    with SmtpSink(tmp / "sink") as sink:
        settings = Settings(home=home, database_url=database_url, local_smtp=f"{sink.host}:{sink.port}")
        services = build(settings)
        ws = services.admin.create_workspace(f"Acme-{uuid.uuid4().hex[:6]}")["id"]
        assert services.gate.connectors is not None
        services.gate.connectors.crm(ws).seed()
        port = _free_port()
        env = {
            **os.environ,
            "PROCTOR_HOME": str(home),
            "PROCTOR_DATABASE_URL": database_url,
            "PROCTOR_LOCAL_SMTP": f"{sink.host}:{sink.port}",
        }
        proc = subprocess.Popen(
            [str(PROCTOR), "serve", "--workers", "2", "--port", str(port), "--no-access-log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while len(_children(proc.pid)) < 2 or not _ready(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"proctor serve --workers 2 did not start: {err[-2000:]}")
                time.sleep(0.1)
            yield {"url": url, "ws": ws, "services": services, "sink": sink}
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            services.close()


@pytest.fixture
def server(served: dict[str, Any]) -> dict[str, Any]:
    """The served workspace with an agent and key of this test's own (limits count per agent)."""
    services: Services = served["services"]
    ws = served["ws"]
    agent = services.admin.create_agent(ws, f"bot-{uuid.uuid4().hex[:6]}")["id"]
    key_meta, key = services.admin.issue_agent_key(ws, agent, ["*"])
    return {**served, "agent": agent, "key": key, "key_id": key_meta["id"]}


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _post(url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    # a new connection per request, so that the kernel spreads them over both processes
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        response = client.post("/v1/actions", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_fifty_concurrent_sends_against_a_limit_of_ten_over_two_processes(server: dict[str, Any]) -> None:
    sink: SmtpSink = server["sink"]
    delivered = len(sink.messages())

    def send(i: int) -> dict[str, Any]:
        body = {
            "action": "email.send",
            "run_id": f"run_{i}",
            "params": {"from": "maria@acme.io", "to": f"dana{i}@globex.com", "subject": "Hi", "body": "Hi"},
        }
        return _post(server["url"], server["key"], body)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, range(50)))

    sent = [a for a in answers if a["status"] != "denied"]
    by_limit = [a for a in answers if any("sends-per-agent" in r for r in a["decision"]["reasons"])]
    assert len(sent) == 10
    assert len(by_limit) == 40
    assert all(a["status"] == "executed" for a in sent)
    assert len(sink.messages()) == delivered + 10  # exactly ten emails left the building
    services: Services = server["services"]
    report = services.admin.audit_verify(server["ws"])
    assert report.ok, report
    for kind, n in (("request", 50), ("decision", 50), ("outcome", 10)):
        events, _ = services.admin.audit_query(
            server["ws"], {"agent_id": server["agent"], "kind": kind}, limit=100
        )
        assert len(events) == n, kind


def test_idempotent_replay_and_crm_writes_across_two_processes(server: dict[str, Any]) -> None:
    body = {
        "action": "crm.update",
        "idempotency_key": "same-update",
        "target": {"object": "contact", "record_id": "con_001"},
        "params": {"object": "contact", "record_id": "con_001", "fields": {"title": "CRO"}},
    }
    services: Services = server["services"]
    assert services.gate.connectors is not None
    crm = services.gate.connectors.crm(server["ws"])
    version = crm.meta("contact", "con_001")["version"]
    tasks_before = len(crm.query("task", {"record_id": "con_002"}, limit=1000))
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: _post(server["url"], server["key"], body), range(12)))
        tasks = list(
            pool.map(
                lambda i: _post(
                    server["url"],
                    server["key"],
                    {"action": "task.create", "params": {"record_id": "con_002", "subject": f"Call #{i}"}},
                ),
                range(24),
            )
        )

    assert len({a["action_id"] for a in answers}) == 1
    assert sum(not a["replayed"] for a in answers) == 1
    assert {a["status"] for a in answers} <= {"executed", "executing"}
    assert all(t["status"] == "executed" for t in tasks), [t["outcome"] for t in tasks]
    assert crm.get("contact", "con_001")["title"] == "CRO"
    assert crm.meta("contact", "con_001")["version"] == version + 1  # written once, not once per request
    assert len(crm.query("task", {"record_id": "con_002"}, limit=1000)) == tasks_before + 24
    assert services.admin.audit_verify(server["ws"]).ok


def _statuses(server: dict[str, Any], n: int) -> list[int | str]:
    """n concurrent task submissions, each on a new connection: 'denied'/'executed' or the HTTP status."""

    def one(i: int) -> int | str:
        with httpx.Client(base_url=server["url"], timeout=60) as client:
            response = client.post(
                "/v1/actions",
                json={"action": "task.create", "params": {"record_id": "con_003", "subject": f"#{i}"}},
                headers={"Authorization": f"Bearer {server['key']}"},
            )
        return str(response.json()["status"]) if response.status_code == 200 else response.status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_quarantine_and_revocation_reach_every_process(server: dict[str, Any]) -> None:
    services: Services = server["services"]
    ws, agent = server["ws"], server["agent"]
    assert set(_statuses(server, 16)) == {"executed"}  # both processes now hold the key in their cache
    services.admin.set_agent_status(ws, agent, "quarantined", "test")
    assert set(_statuses(server, 16)) == {"denied"}  # at once: agent status is read per request
    services.admin.set_agent_status(ws, agent, "active")
    services.admin.revoke_agent_key(ws, server["key_id"])
    time.sleep(2.5)  # the key cache's TTL in the other processes
    assert set(_statuses(server, 16)) == {401}
