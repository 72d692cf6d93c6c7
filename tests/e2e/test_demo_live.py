"""`proctor demo` parts 2 and 3: approval, worker execution, SMTP delivery, CRM diff and rollback, live;
then the console hand-off (a demo home left ready, a one-time sign-in link, `--serve`)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

PROCTOR = Path(sys.executable).parent / "proctor"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)(/console/login/link\?token=[\w.\-]+)")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["COLUMNS"] = "200"
    return env


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROCTOR), "demo", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=_env()
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One `proctor demo` run without a terminal: its working directory and its output."""
    cwd = tmp_path_factory.mktemp("demo")
    started = time.monotonic()
    out = _run(cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert time.monotonic() - started < 90  # no terminal: it hands off and exits, never serves
    return cwd, out.stdout


def test_demo_runs_the_control_plane_live(demo: tuple[Path, str]) -> None:
    cwd, text = demo
    assert "Part 2 — the control plane, live" in text
    assert "pending_approval" in text
    assert "Maria (the delegating rep) approves → approved" in text
    assert "worker pass: executed 1" in text
    assert "delivered to dana@globex.com" in text and "Message-ID <act_" in text
    assert "Lee (manager) approves → approved" in text
    assert "SVP Sales" in text and "+49 30 1234567" in text  # the diff's after column
    assert "phone: '+49 30 1234567' → '+49-30-5550123'" in text  # the rollback preview
    assert "phone restored: '+49-30-5550123'" in text
    assert "email cannot be un-sent" in text
    assert "firewall: injection in record.body; run tainted: True" in text  # step 4: a planted CRM note
    assert "export@data-collect.net" not in text  # the hidden comment never reaches the agent
    assert "the agent's next send in run_demo_notes: pending_approval" in text
    assert "audit chain verifies: yes" in text
    assert [p.name for p in cwd.iterdir()] == [".proctor-demo"]  # only the demo home is written


def test_demo_leaves_the_console_ready(demo: tuple[Path, str]) -> None:
    _, text = demo
    assert "run run_q4_cleanup: 2 CRM edits of con_123 executed and kept" in text
    assert "4 approvals waiting in the inbox" in text
    assert "Part 3 — the console" in text
    assert "PROCTOR_HOME=.proctor-demo proctor serve" in text and "proctor demo --serve" in text
    assert re.search(r"lee@acme\.io\s+│ manager │ \S{12}", text)
    assert LINK.search(text)


def test_the_printed_link_signs_in_once_when_the_server_starts(demo: tuple[Path, str]) -> None:
    cwd, text = demo
    link = LINK.search(text)
    assert link
    port = _free_port()
    env = {**_env(), "PROCTOR_HOME": ".proctor-demo"}
    server = subprocess.Popen(
        [str(PROCTOR), "serve", "--port", str(port), "--no-access-log"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the demo server did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            first = client.get(link.group(2))
            assert first.status_code == 303 and first.headers["location"] == "/console/inbox"
            inbox = client.get("/console/inbox")
            assert inbox.status_code == 200 and "Lee" in inbox.text
        again = httpx.get(f"{base}{link.group(2)}")
        assert again.status_code == 401 and "already used" in again.text
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(20)


def test_serve_reruns_the_demo_and_serves_until_interrupted(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(PROCTOR), "demo", "--serve"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        deadline = time.monotonic() + 90
        link = None
        while link is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(seen)
            seen.append(line)
            link = LINK.search(line)
        assert link, "".join(seen)
        url = f"http://127.0.0.1:{link.group(1)}{link.group(2)}"
        for _ in range(100):
            try:
                response = httpx.get(url)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response.status_code == 303 and response.headers["location"] == "/console/inbox"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def test_a_directory_the_demo_did_not_create_is_never_deleted(tmp_path: Path) -> None:
    mine = tmp_path / "precious"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    out = _run("--home", str(mine), cwd=tmp_path)
    assert out.returncode != 0
    assert "is not a Proctor demo home" in out.stdout + out.stderr
    assert (mine / "notes.txt").read_text() == "keep me"


def test_no_live_skips_part_2(tmp_path: Path) -> None:
    out = _run("--no-live", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Proctor demo" in out.stdout and "Part 2" not in out.stdout
    assert list(tmp_path.iterdir()) == []
