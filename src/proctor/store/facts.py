"""What the store knows for decisions: known recipient domains and personas, run taint, target resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, update

from proctor.domain.errors import NotFoundError
from proctor.domain.requests import ActionRequest, DelegationConstraint, DelegationFact, Facts
from proctor.policy.derived import Derived
from proctor.store import identities
from proctor.store.engine import Store, in_list, raw_cursor, sql_for
from proctor.store.tables import resources, runs


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


_AGENT_STATUS = "SELECT status FROM agents WHERE workspace_id = ? AND id = ?"
_TAINTED = "SELECT tainted FROM runs WHERE workspace_id = ? AND run_id = ?"
_USER_TZ = "SELECT timezone FROM users WHERE workspace_id = ? AND id = ?"
Queries = dict[str, tuple[str, tuple[Any, ...]]]  # name -> (SQL with ? placeholders, parameters)


def _json_value(value: Any) -> Any:
    """A JSON column as read by the driver: text on SQLite, already parsed by psycopg."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _one(cur: Any, sql: str, params: tuple[Any, ...]) -> Any:
    cur.execute(sql, params)
    row = cur.fetchone()
    return row[0] if row is not None else None


def read_facts(
    conn: Connection, ws: str, agent_id: str, req: ActionRequest, derived: Derived | None, now: datetime
) -> tuple[Facts, str | None]:
    """The facts of a decision except usage (the writer reads counters under its lock), read without
    locks with plain SQL on the driver's cursor; and the timezone of the user the agent acts for."""
    with raw_cursor(conn) as cur:
        facts, timezone = read_facts_raw(cur, conn.dialect.name, ws, agent_id, req, derived, now)
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
            facts = facts.model_copy(update={"delegation": delegation})
    return facts, timezone


def read_facts_raw(
    cur: Any, dialect: str, ws: str, agent_id: str, req: ActionRequest, derived: Derived | None, now: datetime
) -> tuple[Facts, str | None]:
    """`read_facts` on a DBAPI cursor, without the delegation (callers acting for a user use
    `read_facts`): agent status, target resource, run taint, known domains/personas, user timezone.
    PostgreSQL: every SELECT goes out in one pipeline (one round trip)."""
    ids = [r for r in (req.target.account_id, req.target.record_id) if r]
    persona = req.params.get("persona")
    domains = sorted({v for v in (derived.recipient_domains if derived else ()) if v})
    personas = [persona] if isinstance(persona, str) and persona else []
    wanted = [("recipient_domain", v) for v in domains] + [("persona", v) for v in personas]
    queries: Queries = {"status": (_AGENT_STATUS, (ws, agent_id))}
    if ids:
        sql = "SELECT record_id, data FROM resources WHERE workspace_id = ? AND record_id IN "
        queries["resources"] = (sql + in_list(len(ids)), (ws, *ids))
    if req.on_behalf_of:
        queries["timezone"] = (_USER_TZ, (ws, req.on_behalf_of))
    if req.run_id:
        queries["tainted"] = (_TAINTED, (ws, req.run_id))
    if wanted:
        kinds = sorted({k for k, _ in wanted})
        values = sorted({v for _, v in wanted})
        sql = (
            "SELECT kind, value FROM known_values WHERE workspace_id = ?"
            f" AND kind IN {in_list(len(kinds))} AND value IN {in_list(len(values))}"
        )
        queries["known"] = (sql, (ws, *kinds, *values))
    rows = _fetch_all(cur, dialect, queries)
    status = _first(rows["status"])
    if status is None:
        raise NotFoundError(f"no agent {agent_id}")
    target: dict[str, Any] = {}
    if ids:
        by_id = {rid: _json_value(data) for rid, data in rows["resources"]}
        for rid in ids:
            if isinstance(by_id.get(rid), dict):
                target.update(by_id[rid])
    timezone = _first(rows["timezone"]) if req.on_behalf_of else None
    tainted = bool(_first(rows["tainted"])) if req.run_id else False
    known_domains: list[str] = []
    known_personas: list[str] = []
    if wanted:
        seen = {tuple(row) for row in rows["known"]}
        known_domains = [v for v in domains if ("recipient_domain", v) in seen]
        known_personas = [v for v in personas if ("persona", v) in seen]
    facts = Facts(
        now=now,
        agent_status=status,
        delegation=None,
        run_tainted=tainted,
        known_recipient_domains=known_domains,
        known_personas=known_personas,
        resource=target,
        usage={},
    )
    return facts, timezone


def _first(rows: list[Any]) -> Any:
    return rows[0][0] if rows else None


def _fetch_all(
    cur: Any, dialect: str, queries: dict[str, tuple[str, tuple[Any, ...]]]
) -> dict[str, list[Any]]:
    """Every query's rows. SQLite: one after the other on `cur`; PostgreSQL: one cursor each, all sent
    in one pipeline before the first fetch (the server still runs them in order)."""
    if dialect != "postgresql" or len(queries) == 1:
        out = {}
        for name, (sql, params) in queries.items():
            cur.execute(sql_for(dialect, sql), params)
            out[name] = cur.fetchall()
        return out
    conn = cur.connection
    cursors = {name: conn.cursor() for name in queries}
    try:
        with conn.pipeline():
            for name, (sql, params) in queries.items():
                cursors[name].execute(sql_for(dialect, sql), params)
        return {name: c.fetchall() for name, c in cursors.items()}
    finally:
        for c in cursors.values():
            c.close()


def user_timezone(conn: Connection, ws: str, user_id: str) -> str | None:
    """The IANA timezone of a user of this workspace (None when unset or no such user)."""
    with raw_cursor(conn) as cur:
        value = _one(cur, sql_for(conn.dialect.name, _USER_TZ), (ws, user_id))
    return str(value) if value else None
