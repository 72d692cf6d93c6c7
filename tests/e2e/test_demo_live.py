"""`proctor demo` part 2: approval, worker execution, SMTP delivery, CRM diff and rollback, live."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROCTOR = Path(sys.executable).parent / "proctor"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(PROCTOR), "demo", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def test_demo_runs_the_control_plane_live(tmp_path: Path) -> None:
    out = _run(cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = out.stdout
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
    assert "audit chain verifies: yes" in text
    assert list(tmp_path.iterdir()) == []  # nothing written to the working directory


def test_no_live_skips_part_2(tmp_path: Path) -> None:
    out = _run("--no-live", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Proctor demo" in out.stdout and "Part 2" not in out.stdout
