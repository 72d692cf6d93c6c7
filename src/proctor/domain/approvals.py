"""Approvals, pure: lifecycle state machine, who may vote, the two-person rule, content/manifest hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from proctor.domain.audit import canonical
from proctor.domain.errors import ConflictError, ForbiddenError

ApprovalStatus = Literal[
    "pending", "approved", "rejected", "expired", "cancelled", "executing", "executed", "failed"
]
STATUSES: tuple[str, ...] = (
    "pending",
    "approved",
    "rejected",
    "expired",
    "cancelled",
    "executing",
    "executed",
    "failed",
)
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected", "expired", "cancelled"}),
    "approved": frozenset({"executing", "cancelled"}),
    "executing": frozenset({"executed", "failed", "cancelled"}),
    "rejected": frozenset(),
    "expired": frozenset(),
    "cancelled": frozenset(),
    "executed": frozenset(),
    "failed": frozenset(),
}
TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
APPROVER_ROLES = frozenset({"approver", "manager", "admin"})
DEFAULT_TTL = timedelta(hours=72)
ROLE_OBLIGATION = "approver_role:"


def check_transition(current: str, new: str) -> None:
    """Raise ConflictError unless the lifecycle allows `current → new`."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise ConflictError(f"the approval is {current}: it cannot become {new}")


def content_hash(action: str, params: Mapping[str, Any], target: Mapping[str, Any] | None = None) -> str:
    """SHA-256 (hex) of the canonical action name, parameters and target: what a vote is bound to."""
    body = {"action": action, "params": dict(params), "target": dict(target or {})}
    return hashlib.sha256(canonical(body)).hexdigest()


def manifest_hash(items: Iterable[tuple[str, str]]) -> str:
    """SHA-256 (hex) of a batch manifest: the sorted (approval id, content hash) pairs."""
    pairs = sorted((str(a), str(h)) for a, h in items)
    return hashlib.sha256(canonical([list(p) for p in pairs])).hexdigest()


def approver_roles(obligations: Iterable[str]) -> frozenset[str]:
    """The roles a policy rule restricts approvers to (`approver_role:manager`), empty when unrestricted."""
    return frozenset(o[len(ROLE_OBLIGATION) :] for o in obligations if o.startswith(ROLE_OBLIGATION))


def params_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The changed top-level parameters: {name: {"before": …, "after": …}} (absent values are None)."""
    diff: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key) or (key in before) != (key in after):
            diff[key] = {"before": before.get(key), "after": after.get(key)}
    return diff


def expires_at(created: datetime, ttl: timedelta = DEFAULT_TTL) -> datetime:
    """When a pending approval created at `created` expires."""
    return created + ttl


@dataclass(frozen=True, slots=True)
class Requirement:
    """What an action needs: how many humans, which roles count, and who may not count."""

    approvals_required: int
    agent_id: str
    delegating_user: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Vote:
    """One human's vote on one content hash."""

    user_id: str
    vote: Literal["approve", "reject"]
    content_hash: str
    roles: tuple[str, ...] = ()


def eligibility(user_id: str, roles: Sequence[str], req: Requirement) -> str | None:
    """Why this person may not vote on the action (None when they may)."""
    if not user_id or user_id == req.agent_id or user_id.startswith("agt_"):
        return "an agent never approves its own (or any) action"
    held = frozenset(str(r) for r in roles)
    if req.roles:
        if held & req.roles:
            return None
        return f"this action needs an approver with one of the roles: {', '.join(sorted(req.roles))}"
    if held & APPROVER_ROLES or (req.delegating_user is not None and user_id == req.delegating_user):
        return None
    return "approving needs the approver, manager or admin role (or to be the delegating user)"


def check_eligible(user_id: str, roles: Sequence[str], req: Requirement) -> None:
    """Raise ForbiddenError when this person may not vote."""
    reason = eligibility(user_id, roles, req)
    if reason is not None:
        raise ForbiddenError(reason)


def approvers(votes: Iterable[Vote], req: Requirement, current_hash: str) -> list[str]:
    """The distinct humans whose approvals count for the current content (two-person rule, SPEC §5)."""
    counted: list[str] = []
    delegating_counted = False
    for v in votes:
        if v.vote != "approve" or v.content_hash != current_hash or v.user_id in counted:
            continue
        if eligibility(v.user_id, v.roles, req) is not None:
            continue
        if req.delegating_user is not None and v.user_id == req.delegating_user:
            if delegating_counted:
                continue
            delegating_counted = True
        counted.append(v.user_id)
    return counted


def satisfied(votes: Iterable[Vote], req: Requirement, current_hash: str) -> bool:
    """True when enough distinct eligible humans approved exactly this content."""
    return len(approvers(votes, req, current_hash)) >= max(1, req.approvals_required)
