"""Usage counters for limits and budgets: which counters (slots) a request reads and reserves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proctor.domain.requests import ActionRequest
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import Derived
from proctor.policy.model import window_seconds


@dataclass(frozen=True, slots=True)
class Slot:
    """One counter a request reads and, when it goes ahead, increments by `amount`."""

    name: str
    key: str
    window_start: int
    amount: float


def _keys(
    per: str, ws: str, agent_id: str, req: ActionRequest, derived: Derived, resource: dict[str, Any]
) -> list[str]:
    if per == "agent":
        return [agent_id]
    if per == "sender":
        return [derived.sender or "-"]
    if per == "recipient_domain":
        return list(derived.recipient_domains) or ["-"]
    if per == "segment":
        extra = req.target.model_extra or {}
        segment = extra.get("segment") or req.params.get("segment") or resource.get("segment")
        return [str(segment) if segment else "-"]
    return [ws]


def _metric(path: tuple[str, ...], params: dict[str, Any]) -> float:
    value: Any = params
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def slots_for(
    policy: CompiledPolicy,
    ws: str,
    agent_id: str,
    req: ActionRequest,
    derived: Derived,
    resource: dict[str, Any],
    now: datetime,
) -> list[Slot]:
    """Every counter the policy's limits and budgets keep for this request (fixed windows)."""
    epoch = int(now.timestamp())
    out: list[Slot] = []
    for limit in policy.limits_for(req.action):
        secs = window_seconds(limit.window)
        for key in _keys(limit.per, ws, agent_id, req, derived, resource):
            out.append(Slot(limit.name, key, epoch // secs * secs, 1.0))
    for item in policy.budgets_for(req.action):
        budget = item.budget
        secs = window_seconds(budget.window)
        amount = _metric(item.path, req.params)
        for key in _keys(budget.per, ws, agent_id, req, derived, resource):
            out.append(Slot(budget.name, key, epoch // secs * secs, amount))
    return sorted(out, key=lambda s: (s.name, s.key, s.window_start))
