"""Shared fixtures: the reference policy and a factory for small policies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from proctor import CompiledPolicy, load_policy, policy_from_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE = EXAMPLES / "sales-default.yaml"
NOW = "2026-11-24T10:00:00Z"


@pytest.fixture(scope="session")
def reference() -> CompiledPolicy:
    """The reference policy of shared/examples, as shipped in examples/."""
    return load_policy(REFERENCE)


@pytest.fixture
def make_policy() -> Callable[..., CompiledPolicy]:
    """Build a policy from keyword overrides of a minimal document."""

    def build(**overrides: Any) -> CompiledPolicy:
        doc: dict[str, Any] = {
            "version": 1,
            "name": "t",
            "maturity": 3,
            "actions": {"*": {"effect": "allow"}},
        }
        doc.update(overrides)
        return policy_from_text(yaml.safe_dump(doc), file="t.yaml")

    return build
