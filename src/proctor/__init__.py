"""Proctor: the control plane for AI sales agents.

Stable names (SPEC §9): ``load_policy`` and ``decide`` for the pure engine; the models and errors
they take and return.
"""

from proctor.domain.actions import ActionSpec, Catalogue, Category, Reversibility, register_action
from proctor.domain.decisions import Check, Decision, Effect, Risk
from proctor.domain.errors import CatalogueError, EvaluationError, PolicyError, ProctorError, RequestError
from proctor.domain.requests import ActionRequest, Evidence, EvidenceFact, Facts
from proctor.policy.compile import CompiledPolicy, load_policy, policy_from_text
from proctor.policy.evaluate import decide

__all__ = [
    "ActionRequest",
    "ActionSpec",
    "Catalogue",
    "CatalogueError",
    "Category",
    "Check",
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
    "load_policy",
    "policy_from_text",
    "register_action",
]
__version__ = "0.1.0"
