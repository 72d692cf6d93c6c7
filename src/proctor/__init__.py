"""Proctor: the control plane for AI sales agents.

Stable names (SPEC §9): ``load_policy`` and ``decide`` for the pure engine; the models and errors
they take and return; ``Client``, ``AsyncClient`` and ``governed`` for agents (loaded on first use, so
``import proctor`` stays free of the HTTP client).
"""

from typing import TYPE_CHECKING, Any

from proctor.domain.actions import ActionSpec, Catalogue, Category, Reversibility, register_action
from proctor.domain.decisions import Check, Decision, Effect, Risk
from proctor.domain.errors import CatalogueError, EvaluationError, PolicyError, ProctorError, RequestError
from proctor.domain.requests import ActionRequest, Evidence, EvidenceFact, Facts
from proctor.policy.compile import CompiledPolicy, load_policy, policy_from_text
from proctor.policy.evaluate import decide

if TYPE_CHECKING:
    from proctor.integrations.sdk import (
        ActionDenied,
        ActionRejected,
        ApprovalPending,
        AsyncClient,
        Client,
        governed,
    )

_SDK = frozenset({"ActionDenied", "ActionRejected", "ApprovalPending", "AsyncClient", "Client", "governed"})


def __getattr__(name: str) -> Any:
    """The SDK names, imported on first access."""
    if name in _SDK:
        from proctor.integrations import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'proctor' has no attribute {name!r}")


__all__ = [
    "ActionDenied",
    "ActionRejected",
    "ActionRequest",
    "ActionSpec",
    "ApprovalPending",
    "AsyncClient",
    "Catalogue",
    "CatalogueError",
    "Category",
    "Check",
    "Client",
    "CompiledPolicy",
    "Decision",
    "Effect",
    "EvaluationError",
    "Evidence",
    "EvidenceFact",
    "Facts",
    "PolicyError",
    "ProctorError",
    "RequestError",
    "Reversibility",
    "Risk",
    "decide",
    "governed",
    "load_policy",
    "policy_from_text",
    "register_action",
]
__version__ = "0.1.0"
