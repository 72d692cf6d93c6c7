"""Administration and audit from the command line: real `proctor` subprocesses on a fresh home."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

PROCTOR = Path(sys.executable).parent / "proctor"


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["PROCTOR_HOME"] = str(home)
    return subprocess.run(
        [str(PROCTOR), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def ok(home: Path, *args: str, stdin: str | None = None) -> Any:
    out = run(home, *args, stdin=stdin)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return json.loads(out.stdout) if out.stdout.lstrip().startswith(("{", "[")) else out.stdout


def run_here(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process (Typer's runner): fast, for the breadth of admin commands."""
    from typer.testing import CliRunner

    from proctor.cli import app
    from proctor.domain.errors import ProctorError

    env = {k: None for k in os.environ if k.startswith("PROCTOR_")} | {"PROCTOR_HOME": str(home)}
    result = CliRunner().invoke(app, list(args), env=env)
    code, err = result.exit_code, result.stderr
    if isinstance(result.exception, ProctorError):  # what `main()` turns into one line and exit 2
        code, err = 2, f"error: {result.exception}\n"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), code, result.stdout, err)


def ok_here(home: Path, *args: str) -> Any:
    out = run_here(home, *args)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return json.loads(out.stdout) if out.stdout.lstrip().startswith(("{", "[")) else out.stdout


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proctor-home")
    init = ok(path, "init", str(path), "--json")
    assert init["workspace"]["name"] == "default"
    assert {Path(p).name for p in init["created"] if not p.startswith("sqlite")} == {
        "proctor.yaml",
        "proctor.keys",
    }
    return path


def test_init_is_idempotent_and_keeps_the_default_workspace(home: Path) -> None:
    policy = (home / "proctor.yaml").read_text()
    again = ok(home, "init", str(home), "--json")
    listed = ok_here(home, "workspaces", "list", "--json")
    assert [w["id"] for w in listed] == [again["workspace"]["id"]]
    assert (home / "proctor.yaml").read_text() == policy
    assert (home / "proctor.keys").stat().st_mode & 0o077 == 0


def test_agents_keys_users_and_delegations(home: Path) -> None:
    agent = ok_here(home, "agents", "create", "sdr-bot")
    assert agent["id"].startswith("agt_") and agent["status"] == "active"
    key = ok_here(home, "agents", "key", agent["id"], "--scope", "task.*", "--scope", "email.*")
    assert key["key"].startswith("pa_") and key["scopes"] == ["task.*", "email.*"]
    shown = ok_here(home, "agents", "show", agent["id"])
    assert [k["id"] for k in shown["keys"]] == [key["id"]] and "key" not in shown["keys"][0]
    assert agent["id"] in {a["id"] for a in ok_here(home, "agents", "list", "--json")}
    quarantined = ok_here(home, "agents", "quarantine", agent["id"], "--reason", "odd sends")
    assert quarantined["status"] == "quarantined" and quarantined["status_reason"] == "odd sends"
    assert ok_here(home, "agents", "release", agent["id"])["status"] == "active"
    other = ok_here(home, "agents", "create", "bad-bot")
    ok_here(home, "agents", "quarantine", other["id"], "--reason", "sent to a competitor")
    paused = ok_here(home, "workspaces", "pause")
    assert agent["id"] in paused["paused"] and other["id"] not in paused["paused"]
    assert ok_here(home, "agents", "show", agent["id"])["status"] == "quarantined"
    resumed = ok_here(home, "workspaces", "resume")
    assert agent["id"] in resumed["resumed"] and other["id"] not in resumed["resumed"]
    assert ok_here(home, "agents", "show", other["id"])["status"] == "quarantined"  # its own reason stands
    assert ok_here(home, "agents", "show", agent["id"])["status"] == "active"
    revoked = ok_here(home, "agents", "revoke-key", agent["id"], key["id"])
    assert revoked["revoked_at"]

    user = ok_here(
        home, "users", "create", "maria@acme.io", "--name", "Maria", "--role", "rep", "--timezone", "UTC"
    )
    assert user["roles"] == ["rep"]
    token = ok_here(home, "users", "token", user["id"])
    assert token["token"].startswith("pu_")
    dlg = ok_here(
        home,
        "delegations",
        "create",
        "--user",
        user["id"],
        "--agent",
        agent["id"],
        "-s",
        "email.*",
        "--expires",
        "30d",
    )
    assert dlg["scopes"] == ["email.*"]
    assert dlg["id"] in {d["id"] for d in ok_here(home, "delegations", "list", "--json")}
    assert ok_here(home, "delegations", "revoke", dlg["id"])["revoked_at"]

    bad = run_here(home, "users", "create", "nobody", "--role", "pope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    missing = run_here(home, "agents", "show", "agt_nope")
    assert missing.returncode == 2 and "no agent agt_nope" in missing.stderr
    other = run_here(home, "agents", "list", "--workspace", "nope")
    assert other.returncode == 2 and "no workspace" in other.stderr


def test_credentials_and_key_rotation_never_print_secrets(home: Path) -> None:
    creds = home / "hubspot.json"
    creds.write_text(json.dumps({"token": "hs-super-secret"}))
    out = run_here(home, "credentials", "set", "hubspot", "--from-file", str(creds))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["fields"] == ["token"] and "hs-super-secret" not in out.stdout
    rotated = ok_here(home, "keys", "rotate")
    assert rotated["credentials_reencrypted"] >= 1
    assert ok_here(home, "audit", "query", "--kind", "admin", "--q", "credentials.rotate", "--json")["events"]


def test_audit_query_export_and_verify(home: Path) -> None:
    ok_here(home, "agents", "create", "audited-bot")
    ok_here(home, "agents", "create", "audited-bot-2")  # at least three events, whatever ran before
    page = ok_here(home, "audit", "query", "--json", "--limit", "2")
    assert len(page["events"]) == 2 and page["next_cursor"]
    rest = ok_here(home, "audit", "query", "--json", "--cursor", page["next_cursor"], "--limit", "1000")
    everything = [*page["events"], *rest["events"]]
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    table = ok_here(home, "audit", "query", "--kind", "admin")
    assert "agent.create" in table
    out = home / "trail.jsonl"
    ok(home, "audit", "export", "--out", str(out))
    lines = out.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [e["seq"] for e in everything]
    streamed = run_here(home, "audit", "export", "--kind", "admin")
    assert streamed.returncode == 0 and len(streamed.stdout.splitlines()) == len(lines)
    assert run_here(home, "audit", "query", "--since", "yesterday").returncode == 2
    verified = run(home, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"ok: {len(lines)} events verified")


@pytest.mark.slow
def test_serve_applies_migrations_and_governs_actions(home: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "served"
    ok(fresh, "init", str(fresh), "--sample-data")
    agent = ok_here(fresh, "agents", "create", "served-bot")
    key = ok_here(fresh, "agents", "key", agent["id"])["key"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["PROCTOR_HOME"] = str(fresh)
    proc = subprocess.Popen(
        [str(PROCTOR), "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.1)
        answer = httpx.post(
            f"{url}/v1/actions",
            json={"action": "note.create", "params": {"body": "met Dana", "record_id": "con_123"}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert answer.status_code == 200 and answer.json()["status"] == "executed"
    finally:
        proc.terminate()
        proc.wait(10)
    assert ok_here(fresh, "audit", "query", "--action", "note.create", "--json")["events"]


def test_verify_names_the_tampered_event_and_exits_1(home: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "tampered"
    ok(fresh, "init", str(fresh))
    ok_here(fresh, "agents", "create", "victim")
    ok_here(fresh, "agents", "create", "bystander")
    assert run_here(fresh, "audit", "verify").returncode == 0
    db = sqlite3.connect(fresh / "proctor.db")
    try:
        event_id, body = db.execute(
            "SELECT id, body FROM audit_events ORDER BY seq LIMIT 1 OFFSET 1"
        ).fetchone()
        db.execute(
            "UPDATE audit_events SET body = ? WHERE id = ?", (body.replace("victim", "hero"), event_id)
        )
        db.commit()
    finally:
        db.close()
    broken = run(fresh, "audit", "verify")
    assert broken.returncode == 1
    assert event_id in broken.stderr and "seq 2" in broken.stderr and "altered" in broken.stderr
    report = run_here(fresh, "audit", "verify", "--json")
    assert report.returncode == 1
    assert json.loads(report.stdout)["problem"]["event_id"] == event_id
