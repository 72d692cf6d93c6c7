"""Loading policies: the reference loads as is; bad input names file, line and key; versions are stable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proctor import PolicyError, load_policy, policy_from_text
from proctor.policy.loader import document_from_yaml, policy_version

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "sales-default.yaml"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "examples" / "sales-default.yaml"


def test_reference_policy_loads(reference: object) -> None:
    policy = load_policy(REFERENCE)
    assert policy.name == "sales-default" and policy.maturity == 2
    assert policy.version.startswith("sha256:")


@pytest.mark.skipif(not SHARED.exists(), reason="shared/examples not beside this checkout")
def test_shared_reference_is_the_shipped_copy() -> None:
    assert load_policy(SHARED).version == load_policy(REFERENCE).version


def test_version_ignores_formatting_but_not_meaning() -> None:
    text = REFERENCE.read_text()
    reordered = yaml.safe_dump(yaml.safe_load(text), sort_keys=True)
    assert policy_from_text(reordered).version == policy_from_text(text).version
    changed = text.replace("two_person_at: 80", "two_person_at: 81")
    assert policy_from_text(changed).version != policy_from_text(text).version


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        policy_from_text(text, file="p.yaml")
    return info.value


BASE = "version: 1\nname: t\nmaturity: 2\nactions:\n  email.send:\n    effect: allow\n"


@pytest.mark.parametrize(
    ("text", "line", "key", "needle"),
    [
        (BASE + "colour: blue\n", 7, "colour", "unknown key"),
        (BASE.replace("effect: allow", "effect: maybe"), 6, "actions.email.send.effect", "allow"),
        (BASE + "    approvals: 0\n", 7, "actions.email.send.approvals", "greater than or equal"),
        (BASE.replace("maturity: 2", "maturity: 7"), 3, "maturity", ""),
        (
            BASE + '    require:\n      - expr: "params.x =="\n        message: m\n',
            8,
            "actions.email.send.require.0.expr",
            "invalid CEL",
        ),
        (BASE + "risk:\n  triggers:\n    moon_phase: 5\n", 8, "risk.triggers", "unknown risk trigger"),
        (
            BASE + "limits:\n  - {name: a, action: '*', per: agent, max: 1, window: 1 hour}\n",
            8,
            "limits.0.window",
            "window",
        ),
        (
            BASE + "limits:\n  - {name: a, action: '*', per: planet, max: 1, window: 1h}\n",
            8,
            "limits.0.per",
            "",
        ),
        (BASE + "actions:\n  x: {effect: allow}\n", 7, "actions", "duplicate key"),
        (BASE.replace("name: t\n", ""), None, "name", "required key is missing"),
    ],
)
def test_errors_name_file_line_and_key(text: str, line: int | None, key: str, needle: str) -> None:
    err = _error(text)
    assert err.file == "p.yaml"
    assert err.key == key, str(err)
    if line is not None:
        assert err.line == line, str(err)
    assert needle in str(err)
    assert str(err).startswith("p.yaml")


def test_invalid_yaml_names_the_line() -> None:
    err = _error("version: 1\nname: [unclosed\n")
    assert err.line is not None and "invalid YAML" in str(err)


def test_empty_and_non_mapping_documents() -> None:
    assert "empty" in str(_error(""))
    assert "mapping" in str(_error("- a\n- b\n"))


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_field_rule_lists_must_be_disjoint() -> None:
    text = BASE.replace("email.send", "crm.update") + "    fields: {allow: [a], deny: [a]}\n"
    assert "both allow and deny" in str(_error(text))


def test_version_is_written_on_every_decision(reference: object) -> None:
    document, _ = document_from_yaml(REFERENCE.read_text())
    assert policy_version(document) == load_policy(REFERENCE).version


def test_approval_expiry_is_policy_set() -> None:
    from datetime import timedelta
    from types import SimpleNamespace

    from proctor.approvals import ApprovalService

    policy = policy_from_text(BASE + "approvals:\n  expire_after_hours: 4\n")
    assert policy.document.approvals.expire_after_hours == 4
    gate = SimpleNamespace(store=None, audit=None, clock=None)
    service = ApprovalService(gate, ttl=timedelta(hours=72))
    assert service.ttl_for(policy) == timedelta(hours=4)
    assert service.ttl_for(policy_from_text(BASE)) == timedelta(hours=72)
    assert "expire_after_hours" in str(_error(BASE + "approvals:\n  expire_after_hours: 0\n"))
