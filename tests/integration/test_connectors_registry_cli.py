"""The connector registry (built-ins + entry points) and the `proctor smtp-sink` and `connectors` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from proctor.connectors import (
    ConnectorRegistry,
    ConnectorRejectedError,
    CrmConnector,
    Message,
    capabilities_of,
)
from proctor.connectors import registry as registry_module
from proctor.connectors.smtp import SmtpConnector
from proctor.connectors.smtp_sink import SmtpSink, free_port

PROCTOR = Path(sys.executable).parent / "proctor"


def proctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROCTOR), *args], capture_output=True, text=True, timeout=60, check=False)


def test_builtins_are_registered_and_built_lazily() -> None:
    registry = ConnectorRegistry(load_entry_points=False)
    assert registry.names() == [
        "calendar",
        "hubspot",
        "salesforce",
        "sandbox_crm",
        "sandbox_enrichment",
        "smtp",
    ]
    crm = registry.create("sandbox_crm", ":memory:")
    assert isinstance(crm, CrmConnector)
    assert capabilities_of(crm) == ["crm"]
    caps = {row["name"]: row["capabilities"] for row in registry.describe()}
    assert caps["smtp"] == ["email"]
    assert caps["calendar"] == ["calendar"]
    assert caps["sandbox_enrichment"] == ["enrichment"]
    with pytest.raises(ConnectorRejectedError, match="unknown connector 'pipedrive'"):
        registry.create("pipedrive")


def test_entry_points_add_connectors_but_cannot_shadow_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint("acme_crm", "proctor.connectors.sandbox_crm:SandboxCrm", registry_module.GROUP),
        EntryPoint("smtp", "evil.module:Smtp", registry_module.GROUP),
        EntryPoint("broken", "no.such.module:Thing", registry_module.GROUP),
    ]
    monkeypatch.setattr(
        registry_module, "entry_points", lambda group: points if group == registry_module.GROUP else []
    )
    registry = ConnectorRegistry()
    assert registry.info("acme_crm").origin == "entry_point"
    assert registry.info("smtp").target == "proctor.connectors.smtp:SmtpConnector"
    assert registry.skipped == ["smtp (evil.module:Smtp): the name is taken"]
    assert isinstance(registry.create("acme_crm", ":memory:"), CrmConnector)
    with pytest.raises(ConnectorRejectedError, match="cannot load connector 'broken'"):
        registry.create("broken")
    assert "error" in {row["name"]: row for row in registry.describe()}["broken"]


def test_register_refuses_a_taken_name() -> None:
    registry = ConnectorRegistry(load_entry_points=False)
    registry.register("echo_mail", lambda: object())
    assert "echo_mail" in registry.names()
    with pytest.raises(ConnectorRejectedError, match="already registered"):
        registry.register("smtp", lambda: object())


def test_cli_connectors_list_and_seed(tmp_path: Path) -> None:
    listed = proctor("connectors", "list")
    assert listed.returncode == 0, listed.stderr
    names = [row["name"] for row in json.loads(listed.stdout)["connectors"]]
    assert {"sandbox_crm", "smtp", "hubspot", "salesforce"} <= set(names)
    seeded = proctor("connectors", "seed", str(tmp_path / "crm.db"), "--n", "100", "--seed", "3")
    assert seeded.returncode == 0, seeded.stderr
    out = json.loads(seeded.stdout)
    assert out["counts"]["account"] == 21  # 20 generated + Globex (acc_042), always there for the demo
    assert 90 <= out["total"] <= 120
    again = proctor("connectors", "seed", str(tmp_path / "crm.db"))
    assert again.returncode == 2
    assert "already holds data" in again.stderr


def test_cli_smtp_sink_serves_prints_and_lists(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "mail"
    server = subprocess.Popen(
        [str(PROCTOR), "smtp-sink", "--port", str(port), "--dir", str(folder), "--reject", "@bounce.example"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f"listening on 127.0.0.1:{port}" in banner
        smtp = SmtpConnector({"host": "127.0.0.1", "port": port, "timeout": 5})
        delivery = smtp.send(Message("maria@acme.io", ("dana@globex.com",), "Hello from the demo", "Hi"))
        line = server.stdout.readline()
        assert "maria@acme.io → dana@globex.com: Hello from the demo" in line
        assert delivery.message_id in line
        with pytest.raises(ConnectorRejectedError):
            smtp.send(Message("maria@acme.io", ("x@bounce.example",), "No", "No"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    listed = proctor("smtp-sink", "--list", "--dir", str(folder))
    assert listed.returncode == 0
    assert listed.stdout.count("\n") == 1
    assert "Hello from the demo" in listed.stdout
    as_json = proctor("smtp-sink", "--list", "--json", "--dir", str(folder))
    [row] = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert row["message_id"] == delivery.message_id
    assert b"Subject: Hello from the demo" in Path(row["file"]).read_bytes()


def test_cli_smtp_sink_on_a_taken_port_says_so(tmp_path: Path) -> None:
    with SmtpSink(tmp_path / "a") as taken:
        started = time.monotonic()
        result = proctor("smtp-sink", "--port", str(taken.port), "--dir", str(tmp_path / "b"))
    assert result.returncode == 2
    assert "cannot listen" in result.stderr
    assert time.monotonic() - started < 30


def test_cli_smtp_sink_list_of_an_empty_folder(tmp_path: Path) -> None:
    result = proctor("smtp-sink", "--list", "--dir", str(tmp_path / "none"))
    assert result.returncode == 0
    assert result.stdout == ""
    assert "no messages" in result.stderr
