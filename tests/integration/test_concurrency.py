"""Limits are reserved atomically with the decision: concurrent submits never exceed a limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from proctor.bootstrap import Services


def test_fifty_concurrent_submits_against_a_limit_of_ten(services: Services, tenant: dict[str, Any]) -> None:
    principal = services.gate.authenticate_agent(tenant["key"])

    def one(i: int) -> Any:
        return services.gate.submit(principal, {"action": "note.create", "params": {"record_id": "con_001"}})

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, range(50)))

    by_limit = [r for r in results if any("notes-per-agent" in reason for reason in r.decision.reasons)]
    passed = [r for r in results if r.status != "denied"]
    assert len(passed) == 10
    assert len(by_limit) == 40
    assert all(r.status == "executed" for r in passed)
    assert services.admin.audit_verify(tenant["ws"]).ok
