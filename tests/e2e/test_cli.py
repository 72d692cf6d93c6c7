"""The CLI as a user runs it: real subprocesses of the installed `proctor` script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROCTOR = Path(sys.executable).parent / "proctor"


def proctor(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROCTOR), *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60, check=False
    )


def test_decide_prints_the_decision_json(tmp_path: Path) -> None:
    request = {
        "action": "email.send",
        "target": {"account_id": "acc_001"},
        "params": {
            "from": "sam@acme.io",
            "to": "raj@hooli.example",
            "subject": "Proposal",
            "touch": "first",
            "body": "Hi Raj, attached is our pricing with a 15% discount.",
            "attachments": ["quote.pdf"],
        },
        "facts": {"email_verified": True},
    }
    (tmp_path / "req.json").write_text(json.dumps(request))
    out = proctor(
        "decide", "--policy", str(EXAMPLES / "sales-default.yaml"), "--request", str(tmp_path / "req.json")
    )
    assert out.returncode == 0, out.stderr
    decision = json.loads(out.stdout)
    assert decision["effect"] == "require_approval" and decision["approvals_required"] == 2
    assert set(decision["risk"]["triggers"]) >= {
        "first_touch",
        "new_domain",
        "high_value_account",
        "attachment",
        "sensitive_topic",
    }
    piped = proctor("decide", "--policy", str(EXAMPLES / "sales-default.yaml"), stdin=json.dumps(request))
    assert json.loads(piped.stdout) == decision


def test_policy_test_passes_on_a_copy_of_the_reference_cases(tmp_path: Path) -> None:
    for name in ("sales-default.yaml", "sales-default.tests.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    out = proctor("policy", "test", str(tmp_path / "sales-default.tests.yaml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "7 passed, 0 failed" in out.stdout
    folder = proctor("policy", "test", str(tmp_path))
    assert folder.returncode == 0 and "7 passed" in folder.stdout


def test_policy_test_fails_with_a_diff(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "sales-default.yaml", tmp_path / "p.yaml")
    (tmp_path / "t.tests.yaml").write_text(
        "policy: p.yaml\ncases:\n  - name: export is free\n    request: {action: data.export, "
        "params: {object: contact, fields: [email]}}\n    expect: {effect: allow}\n"
    )
    out = proctor("policy", "test", str(tmp_path / "t.tests.yaml"))
    assert out.returncode == 1
    assert "export is free" in out.stdout and "expected 'allow'" in out.stdout
    assert "got      'require_approval'" in out.stdout and "0 passed, 1 failed" in out.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["decide", "--policy", "missing.yaml", "--request", "-"], "{}", "missing.yaml: file not found"),
        (["decide", "--policy", "BAD", "--request", "-"], "{}", "BAD:3: maturity"),
        (["decide", "--policy", "GOOD", "--request", "-"], "{not json", "<stdin>: invalid JSON"),
        (["policy", "lint", "BAD"], None, "BAD:3: maturity"),
        (["policy", "test", "nowhere.tests.yaml"], None, "file not found"),
        (["inspect", "--request", "-"], "[1]", "expected a JSON object"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(
    tmp_path: Path, args: list[str], stdin: str | None, needle: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nmaturity: 9\n")
    args = [
        str(bad) if a == "BAD" else str(EXAMPLES / "sales-default.yaml") if a == "GOOD" else a for a in args
    ]
    out = proctor(*args, stdin=stdin, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert needle.replace("BAD", str(bad)) in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_invalid_request_is_a_deny_not_a_crash() -> None:
    out = proctor(
        "decide",
        "--policy",
        str(EXAMPLES / "sales-default.yaml"),
        stdin=json.dumps({"action": "email.send", "params": {"to": 5}}),
    )
    assert out.returncode == 0
    decision = json.loads(out.stdout)
    assert decision["effect"] == "deny" and "params.from" in decision["reasons"][0]


def test_lint_reports_ok_and_warnings(tmp_path: Path) -> None:
    out = proctor("policy", "lint", str(EXAMPLES / "sales-default.yaml"))
    assert out.returncode == 0 and "ok: sales-default maturity 2 sha256:" in out.stdout
    assert "no rule for" in out.stdout  # e.g. sequence.pause is denied by default
    strict = proctor("policy", "lint", "--strict", str(EXAMPLES / "sales-default.yaml"))
    assert strict.returncode == 1


def test_inspect_reports_each_check() -> None:
    request = {
        "action": "email.send",
        "params": {
            "from": "sam@acme.io",
            "to": "ana@umbrella.com",
            "subject": "Hi",
            "body": "Hi Ana, unlike Initech we are risk-free. Bob's card is 4111 1111 1111 1111. "
            "Globex opened a Berlin office in 2026.",
        },
        "evidence": {"facts": [{"text": "Globex opened a Berlin office in 2026", "confidence": 0.9}]},
    }
    out = proctor("inspect", stdin=json.dumps(request))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [p["kind"] for p in report["pii"]] == ["payment_card"]
    assert report["blocked_terms"] == ["risk-free"] and report["competitors"] == ["initech"]
    assert any(c["supported"] for c in report["claims"])


def test_demo_prints_the_story_table() -> None:
    out = proctor("demo", "--no-live")  # the story table only; the live part is tests/e2e/test_demo_live.py
    assert out.returncode == 0, out.stderr
    for needle in (
        "Proctor demo",
        "research.crm_read",
        "email.send",
        "require_approval ×2",
        "deny",
        "allow",
        "tainted",
        "quarantined",
        "expired",
    ):
        assert needle in out.stdout, needle
