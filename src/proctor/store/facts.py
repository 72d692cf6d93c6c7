"""What the store knows for decisions: known recipient domains and personas, run taint, target resources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from proctor.domain.errors import NotFoundError
from proctor.domain.requests import ActionRequest, DelegationConstraint, DelegationFact, Facts
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import Derived
from proctor.store import identities, usage
from proctor.store.engine import Store
from proctor.store.tables import agents, known_values, resources, runs, users


def known(conn: Connection, ws: str, kind: str, values: Iterable[str]) -> list[str]:
    """Which of `values` this workspace has seen before (kind: recipient_domain, persona)."""
    wanted = sorted({v for v in values if v})
    if not wanted:
        return []
    rows = conn.execute(
        select(known_values.c.value).where(
            known_values.c.workspace_id == ws, known_values.c.kind == kind, known_values.c.value.in_(wanted)
        )
    )
    return sorted(r.value for r in rows)


def remember(conn: Connection, store: Store, ws: str, kind: str, values: Iterable[str], at: str) -> None:
    """Mark values as seen (after an executed send)."""
    for value in sorted({v for v in values if v}):
        conn.execute(
            store.insert_ignore(known_values, ["workspace_id", "kind", "value"]).values(
                workspace_id=ws, kind=kind, value=value, first_seen=at
            )
        )


def run_tainted(conn: Connection, ws: str, run_id: str | None) -> bool:
    """True when the run was tainted by a prompt injection in a tool output."""
    if not run_id:
        return False
    value = conn.execute(
        select(runs.c.tainted).where(runs.c.workspace_id == ws, runs.c.run_id == run_id)
    ).scalar_one_or_none()
    return bool(value)


def taint_run(conn: Connection, store: Store, ws: str, run_id: str, reason: str, at: str) -> None:
    """Taint a run (its send, crm_write and export actions then need approval)."""
    conn.execute(
        store.insert_ignore(runs, ["workspace_id", "run_id"]).values(
            workspace_id=ws, run_id=run_id, tainted=True, taint_reason=reason, updated_at=at
        )
    )
    conn.execute(
        update(runs)
        .where(runs.c.workspace_id == ws, runs.c.run_id == run_id)
        .values(tainted=True, taint_reason=reason, updated_at=at)
    )


def resource(conn: Connection, ws: str, record_ids: Iterable[str | None]) -> dict[str, Any]:
    """The stored attributes of the target (account first, then record overrides), or {}."""
    ids = [r for r in record_ids if r]
    if not ids:
        return {}
    rows = conn.execute(
        select(resources.c.record_id, resources.c.data).where(
            resources.c.workspace_id == ws, resources.c.record_id.in_(ids)
        )
    ).all()
    by_id = {r.record_id: r.data for r in rows}
    merged: dict[str, Any] = {}
    for rid in ids:
        if isinstance(by_id.get(rid), dict):
            merged.update(by_id[rid])
    return merged


def put_resource(conn: Connection, store: Store, ws: str, record_id: str, data: dict[str, Any]) -> None:
    """Insert or replace the attributes of one resource."""
    conn.execute(
        store.insert_ignore(resources, ["workspace_id", "record_id"]).values(
            workspace_id=ws, record_id=record_id, data=data
        )
    )
    conn.execute(
        update(resources)
        .where(resources.c.workspace_id == ws, resources.c.record_id == record_id)
        .values(data=data)
    )


def load_facts(
    conn: Connection,
    store: Store,
    ws: str,
    agent_id: str,
    req: ActionRequest,
    derived: Derived | None,
    policy: CompiledPolicy,
    now: datetime,
) -> tuple[Facts, list[usage.Slot]]:
    """Everything SPEC §3 calls facts, read in the decision's transaction (usage counters locked)."""
    agent = identities.get_agent(conn, ws, agent_id)
    target = resource(conn, ws, [req.target.account_id, req.target.record_id])
    slots = usage.slots_for(policy, ws, agent_id, req, derived, target, now) if derived is not None else []
    counters = usage.lock_usage(conn, store, ws, slots)
    delegation = None
    if req.on_behalf_of:
        found = identities.find_delegation(conn, ws, req.on_behalf_of, agent_id, now)
        if found is not None:
            delegation = DelegationFact(
                user=found.user_id,
                scopes=found.scopes,
                expires_at=found.expires_at,
                constraints=[DelegationConstraint.model_validate(c) for c in found.constraints],
                revoked=found.revoked_at is not None,
            )
    persona = req.params.get("persona")
    facts = Facts(
        now=now,
        agent_status=agent.status,
        delegation=delegation,
        run_tainted=run_tainted(conn, ws, req.run_id),
        known_recipient_domains=known(
            conn, ws, "recipient_domain", derived.recipient_domains if derived else ()
        ),
        known_personas=known(conn, ws, "persona", [persona] if isinstance(persona, str) else []),
        resource=target,
        usage=counters,
    )
    return facts, slots


_AGENT_STATUS = select(agents.c.status).where(
    agents.c.workspace_id == bindparam("b_ws"), agents.c.id == bindparam("b_id")
)
_TAINTED = select(runs.c.tainted).where(
    runs.c.workspace_id == bindparam("b_ws"), runs.c.run_id == bindparam("b_run")
)
_KNOWN = select(known_values.c.value).where(
    known_values.c.workspace_id == bindparam("b_ws"),
    known_values.c.kind == bindparam("b_kind"),
    known_values.c.value.in_(bindparam("b_values", expanding=True)),
)
_RESOURCES = select(resources.c.record_id, resources.c.data).where(
    resources.c.workspace_id == bindparam("b_ws"),
    resources.c.record_id.in_(bindparam("b_ids", expanding=True)),
)
_USER_TZ = select(users.c.timezone).where(
    users.c.workspace_id == bindparam("b_ws"), users.c.id == bindparam("b_id")
)


def _known_fast(conn: Connection, ws: str, kind: str, values: Iterable[str]) -> list[str]:
    wanted = sorted({v for v in values if v})
    if not wanted:
        return []
    rows = conn.execute(_KNOWN, {"b_ws": ws, "b_kind": kind, "b_values": wanted})
    return sorted(r.value for r in rows)


def read_facts(
    conn: Connection, ws: str, agent_id: str, req: ActionRequest, derived: Derived | None, now: datetime
) -> tuple[Facts, str | None]:
    """The facts of a decision except usage (the writer reads counters under its lock), read without
    locks with pre-built statements; and the timezone of the user the agent acts for (None if none)."""
    status = conn.execute(_AGENT_STATUS, {"b_ws": ws, "b_id": agent_id}).scalar_one_or_none()
    if status is None:
        raise NotFoundError(f"no agent {agent_id}")
    ids = [r for r in (req.target.account_id, req.target.record_id) if r]
    target: dict[str, Any] = {}
    if ids:
        by_id = {r.record_id: r.data for r in conn.execute(_RESOURCES, {"b_ws": ws, "b_ids": ids})}
        for rid in ids:
            if isinstance(by_id.get(rid), dict):
                target.update(by_id[rid])
    delegation = None
    timezone: str | None = None
    if req.on_behalf_of:
        timezone = conn.execute(_USER_TZ, {"b_ws": ws, "b_id": req.on_behalf_of}).scalar_one_or_none()
        found = identities.find_delegation(conn, ws, req.on_behalf_of, agent_id, now)
        if found is not None:
            delegation = DelegationFact(
                user=found.user_id,
                scopes=found.scopes,
                expires_at=found.expires_at,
                constraints=[DelegationConstraint.model_validate(c) for c in found.constraints],
                revoked=found.revoked_at is not None,
            )
    tainted = False
    if req.run_id:
        tainted = bool(conn.execute(_TAINTED, {"b_ws": ws, "b_run": req.run_id}).scalar_one_or_none())
    persona = req.params.get("persona")
    facts = Facts(
        now=now,
        agent_status=status,
        delegation=delegation,
        run_tainted=tainted,
        known_recipient_domains=_known_fast(
            conn, ws, "recipient_domain", derived.recipient_domains if derived else ()
        ),
        known_personas=_known_fast(conn, ws, "persona", [persona] if isinstance(persona, str) else []),
        resource=target,
        usage={},
    )
    return facts, timezone


def user_timezone(conn: Connection, ws: str, user_id: str) -> str | None:
    """The IANA timezone of a user of this workspace (None when unset or no such user)."""
    value = conn.execute(_USER_TZ, {"b_ws": ws, "b_id": user_id}).scalar_one_or_none()
    return str(value) if value else None
