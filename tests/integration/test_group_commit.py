"""The single writer: concurrent submits share commits, stay exact on limits and chain in order."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from proctor.bootstrap import Services
from proctor.domain.errors import AuthError, ConflictError


def _task(subject: str) -> dict[str, Any]:
    return {"action": "task.create", "params": {"subject": subject, "record_id": "con_001"}}


def _note(i: int, **extra: Any) -> dict[str, Any]:
    return {"action": "note.create", "params": {"record_id": "con_001", "body": f"note {i}"}, **extra}


def test_concurrent_submits_are_batched_and_the_chain_verifies(
    services: Services, tenant: dict[str, Any]
) -> None:
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])
    before, jobs = gate.writer.batches, gate.writer.jobs

    def one(i: int) -> Any:
        return gate.submit(principal, _task(f"t{i}"))

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(120)))
    assert all(r.status == "executed" for r in results)
    # two jobs per executed submit (decision, then outcome); some commits carried several jobs
    assert gate.writer.jobs - jobs == 240
    assert gate.writer.batches - before < 240
    report = services.admin.audit_verify(tenant["ws"])
    assert report.ok, report
    events, _ = services.admin.audit_query(tenant["ws"], {"kind": "outcome"}, limit=1000)
    assert {e["action_id"] for e in events} == {r.action_id for r in results}


def test_limit_is_exact_through_the_async_path(services: Services, tenant: dict[str, Any]) -> None:
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])

    async def many() -> list[Any]:
        return await asyncio.gather(*(gate.submit_async(principal, _note(i)) for i in range(30)))

    results = asyncio.run(many())
    assert sum(r.status == "executed" for r in results) == 10
    denied = [r for r in results if r.status == "denied"]
    assert len(denied) == 20
    assert all(any("notes-per-agent reached: 10 of 10" in x for x in r.decision.reasons) for r in denied)


def test_same_idempotency_key_in_one_batch_executes_once(services: Services, tenant: dict[str, Any]) -> None:
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])
    req = {**_task("call"), "idempotency_key": "once"}

    async def many() -> list[Any]:
        return await asyncio.gather(*(gate.submit_async(principal, dict(req)) for _ in range(8)))

    results = asyncio.run(many())
    assert len({r.action_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(gate.list_actions(tenant["ws"])) == 1
    with pytest.raises(ConflictError):
        gate.submit(principal, {**req, **_task("other")})


def test_a_failing_job_does_not_fail_its_batch(services: Services, tenant: dict[str, Any]) -> None:
    ws = tenant["ws"]
    assert services.gate.connectors is not None
    services.gate.connectors.crm(ws).create("account", {"name": "Dup"}, record_id="acc_dup")
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])
    create = {"action": "crm.create", "params": {"object": "account", "record_id": "acc_dup", "fields": {}}}

    async def mixed() -> list[Any]:
        jobs = [gate.submit_async(principal, create)]
        jobs.append(gate.submit_async(principal, _task("x")))
        return await asyncio.gather(*jobs)

    failed, ok = asyncio.run(mixed())
    assert failed.status == "failed", failed
    assert "acc_dup" in failed.outcome["error"]
    assert ok.status == "executed"
    assert services.admin.audit_verify(ws).ok


def test_revoked_key_is_refused_at_once_despite_the_cache(services: Services, tenant: dict[str, Any]) -> None:
    gate = services.gate
    gate.authenticate_agent(tenant["key"])
    assert gate.cached_agent(tenant["key"]) is not None
    services.admin.revoke_agent_key(tenant["ws"], tenant["key_id"])
    assert gate.cached_agent(tenant["key"]) is None
    with pytest.raises(AuthError):
        gate.authenticate_agent(tenant["key"])


def test_quarantine_applies_to_the_next_submit(services: Services, tenant: dict[str, Any]) -> None:
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])
    services.admin.set_agent_status(tenant["ws"], tenant["agent"], "quarantined", "test")
    result = gate.submit(principal, _note(1))
    assert result.status == "denied"
    assert any("quarantined" in r for r in result.decision.reasons)


def test_close_stops_the_writer_and_a_later_submit_restarts_it(
    services: Services, tenant: dict[str, Any]
) -> None:
    gate = services.gate
    principal = gate.authenticate_agent(tenant["key"])
    assert gate.submit(principal, _note(1)).status == "executed"
    gate.close()
    assert gate.writer._thread is None
    assert gate.submit(principal, _note(2)).status == "executed"
    gate.close()
