"""The one pipeline: authenticate → validate → load facts → decide → record → execute/queue → record.

Request and decision are group-committed first (an allowed action is stored as `executing`, claimed by
its submit); only then does the connector run, outside any database transaction; the outcome, the
before/after changes and the outcome event are group-committed afterwards (`FinishJob`).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import BaseModel, PrivateAttr, ValidationError

from proctor import tool_screen
from proctor.domain.actions import CATALOGUE, Catalogue
from proctor.domain.audit import canonical, event_body, redact, utc_stamp
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import ConflictError, ProctorError, RequestError
from proctor.domain.identity import AgentPrincipal, Role, UserPrincipal, scopes_cover
from proctor.domain.requests import ActionRequest, Facts
from proctor.executor import Connectors, Execution, failure
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import derive
from proctor.policy.evaluate import decide
from proctor.policy.verdict import denial
from proctor.store import actions as action_rows
from proctor.store import facts as fact_rows
from proctor.store import identities, submission, tool_output, usage
from proctor.store.audit import AuditLog
from proctor.store.engine import Store
from proctor.store.ids import event_id, fast_id
from proctor.store.keycache import KeyCache
from proctor.store.submission import FinishJob, SubmitJob
from proctor.store.writer import Writer

Status = Literal[
    "denied",
    "pending_approval",
    "allowed",
    "approved",
    "executing",
    "executed",
    "failed",
    "rejected",
    "expired",
    "cancelled",
    "outcome_unknown",
]
_STATUS: dict[Effect, Status] = {
    Effect.DENY: "denied",
    Effect.REQUIRE_APPROVAL: "pending_approval",
    Effect.ALLOW: "allowed",
}


class SubmitResult(BaseModel):
    """What `POST /v1/actions` answers: the action id, its status, the decision and any outcome."""

    action_id: str
    status: Status
    decision: Decision
    outcome: dict[str, Any] | None = None
    replayed: bool = False
    _decision_json: dict[str, Any] | None = PrivateAttr(default=None)

    def decision_json(self) -> dict[str, Any]:
        """`decision.model_dump(mode="json")`, kept from the writer's transaction when it made it there."""
        if self._decision_json is not None:
            return self._decision_json
        return self.decision.model_dump(mode="json")


def _bearer(value: str) -> str:
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


def _local(at: datetime, tz: str | None) -> dict[str, Any]:
    if not tz:
        return {}
    try:
        return {"timezone": tz, "local_time": at.astimezone(ZoneInfo(tz)).isoformat()}
    except (ZoneInfoNotFoundError, ValueError):
        return {"timezone": tz}


def _submit_result(
    action_id: str,
    status: Status,
    decision: Decision,
    outcome: dict[str, Any] | None,
    replayed: bool,
    decision_json: dict[str, Any] | None = None,
) -> SubmitResult:
    result = SubmitResult(
        action_id=action_id, status=status, decision=decision, outcome=outcome, replayed=replayed
    )
    result._decision_json = decision_json  # the decision's JSON as the writer stored it
    return result


class Gate:
    """Every agent action passes through `submit`; the decision itself stays a pure function."""

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        policy: Callable[[], CompiledPolicy],
        *,
        catalogue: Catalogue = CATALOGUE,
        clock: Callable[[], datetime] | None = None,
        keys: KeyCache | None = None,
        connectors: Connectors | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.policy = policy
        self.catalogue = catalogue
        self.clock = clock or (lambda: datetime.now(UTC))
        self.keys = keys or KeyCache()
        self.connectors = connectors
        self.writer = Writer(store, checkpoint=audit.sign, checkpoint_every=audit.checkpoint_every)

    def authenticate_agent(self, bearer: str) -> AgentPrincipal:
        """The agent behind an API key; AuthError for unknown or revoked keys (cached for a short TTL)."""
        raw = _bearer(bearer)
        digest = self.keys.digest("agent:" + raw)
        cached = self.keys.get(digest)
        if cached is not None:
            return cast(AgentPrincipal, cached)
        with self.store.read() as conn:
            key, owner = identities.find_key(conn, raw, "agent")
        principal = AgentPrincipal(
            workspace_id=key.workspace_id,
            agent_id=key.owner_id,
            key_id=key.id,
            scopes=key.scopes,
            status=owner["status"],
        )
        self.keys.put(digest, principal)
        return principal

    def cached_agent(self, bearer: str) -> AgentPrincipal | None:
        """The agent behind an API key when it was authenticated within the cache TTL (no I/O), else None."""
        return cast(AgentPrincipal | None, self.keys.get(self.keys.digest("agent:" + _bearer(bearer))))

    def authenticate_user(self, bearer: str) -> UserPrincipal:
        """The human behind a personal token; AuthError for unknown or revoked tokens."""
        with self.store.read() as conn:
            key, owner = identities.find_key(conn, _bearer(bearer), "user")
        return UserPrincipal(
            workspace_id=key.workspace_id,
            user_id=key.owner_id,
            key_id=key.id,
            roles=[Role(r) for r in owner["roles"]],
            timezone=owner["timezone"],
        )

    def close(self) -> None:
        """Stop the writer after its queued jobs (a later submit starts it again)."""
        self.writer.stop()

    def _validate(self, principal: AgentPrincipal, payload: Mapping[str, Any]) -> tuple[ActionRequest, str]:
        if not isinstance(payload, Mapping):
            raise RequestError("the request must be a JSON object", field="request")
        if "facts" in payload:
            raise RequestError("facts are loaded by the server and may not be submitted", field="facts")
        if payload.get("agent_id") not in (None, principal.agent_id):
            raise RequestError("agent_id must be the authenticated agent", field="agent_id")
        try:
            digest = hashlib.sha256(canonical(dict(payload))).hexdigest()
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise RequestError(f"not JSON: {exc}", field="request") from None
        try:
            req = ActionRequest.model_validate({**payload, "agent_id": principal.agent_id})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise RequestError(err["msg"], field=".".join(str(p) for p in err["loc"]) or "request") from None
        if req.action in self.catalogue:
            self.catalogue.validate_params(req.action, req.params)
        return req, digest

    def submit(self, principal: AgentPrincipal, payload: Mapping[str, Any]) -> SubmitResult:
        """Validate, read facts and decide here; record, reserve usage and execute in one group commit."""
        prepared = self.prepare(principal, payload)
        if isinstance(prepared, SubmitResult):
            return prepared
        result = cast(SubmitResult, self.writer.run(prepared))
        if result.status != "executing" or result.replayed:
            return result
        done = self._run_connector(
            prepared.workspace_id, prepared.action_id, prepared.agent_id, prepared.req, prepared.policy
        )
        finish = self._finish_job(
            prepared.workspace_id, prepared.action_id, prepared.agent_id, prepared.req, prepared.common, done
        )
        self.writer.run(finish)
        return result.model_copy(update={"status": finish.status, "outcome": finish.outcome})

    async def submit_async(self, principal: AgentPrincipal, payload: Mapping[str, Any]) -> SubmitResult:
        """`submit` for an event loop: prepares inline, awaits the group commit without holding a thread."""
        prepared = self.prepare(principal, payload)
        if isinstance(prepared, SubmitResult):
            return prepared
        result = cast(SubmitResult, await self.writer.enqueue_async(prepared))
        if result.status != "executing" or result.replayed:
            return result
        p = prepared
        done = await self._run_connector_async(p.workspace_id, p.action_id, p.agent_id, p.req, p.policy)
        finish = self._finish_job(p.workspace_id, p.action_id, p.agent_id, p.req, p.common, done)
        await self.writer.enqueue_async(finish)
        return result.model_copy(update={"status": finish.status, "outcome": finish.outcome})

    def prepare(self, principal: AgentPrincipal, payload: Mapping[str, Any]) -> SubmitResult | SubmitJob:
        """Everything of a submit that needs no write lock; a replayed result or the job for the writer."""
        req, digest = self._validate(principal, payload)
        policy = self.policy()
        now = self.clock()
        ws = principal.workspace_id
        spec = self.catalogue.get(req.action)
        derived = derive(spec, req.params) if spec is not None else None
        timezone: str | None = None
        facts = Facts()
        slots: list[usage.Slot] = []
        sensitive = False
        covered = scopes_cover(principal.scopes, req.action)
        if covered and not req.idempotency_key and not req.on_behalf_of:
            # the common case: a few plain reads on a pooled driver connection (no delegation to load)
            with self.store.raw_read() as cur:
                facts, timezone = fact_rows.read_facts_raw(
                    cur, self.store.dialect, ws, principal.agent_id, req, derived, now
                )
        else:
            with self.store.read() as conn:
                if req.idempotency_key:  # replays never reach the writer (which re-checks under its lock)
                    existing = submission.find_by_idempotency(
                        conn, ws, principal.agent_id, req.idempotency_key
                    )
                    if existing is not None:
                        if existing["request_hash"] != digest:
                            raise ConflictError(
                                f"idempotency_key {req.idempotency_key!r} was used with a different request"
                            )
                        return self._result(existing, replayed=True)
                if covered:
                    facts, timezone = fact_rows.read_facts(conn, ws, principal.agent_id, req, derived, now)
                elif req.on_behalf_of:
                    timezone = fact_rows.user_timezone(conn, ws, req.on_behalf_of)
        if not covered:
            decision = denial(
                f"API key {principal.key_id} is not scoped for {req.action} "
                f"(scopes: {', '.join(principal.scopes)})",
                policy.version,
            )
        else:
            req = req.model_copy(update={"facts": facts})
            if derived is not None:
                slots = usage.slots_for(policy, ws, principal.agent_id, req, derived, facts.resource, now)
            decision = decide(policy, req, self.catalogue)
            delegation = facts.delegation
            sensitive = submission.policy_reads_usage(policy) or (
                delegation is not None and any("usage" in c.expr for c in delegation.constraints)
            )
        action_id = fast_id("act")
        common = self._common(principal, req, action_id, policy, now, timezone)
        request_json = req.model_dump(mode="json", exclude={"facts"})
        stamp = utc_stamp(now)
        request_body = event_body(
            id=event_id(),
            workspace_id=ws,
            seq=0,
            kind="request",
            at=stamp,
            **common,
            intent=req.intent,
            plan=req.plan,
            params=redact(req.params, policy.protected_fields),
            evidence=req.evidence.model_dump(mode="json") if req.evidence else None,
            detail={"idempotency_key": req.idempotency_key, "key_id": principal.key_id},
        )
        return submission.SubmitJob(
            workspace_id=ws,
            agent_id=principal.agent_id,
            key_id=principal.key_id,
            action_id=action_id,
            req=req,
            request_json=request_json,
            digest=digest,
            policy=policy,
            catalogue=self.catalogue,
            derived=derived,
            decision=decision,
            usage_sensitive=sensitive,
            slot_list=slots,
            stamp=stamp,
            common=common,
            request_body=request_body,
            result=_submit_result,
            replay=lambda row: self._result(row, replayed=True),
        )

    def _common(
        self,
        principal: AgentPrincipal,
        req: ActionRequest,
        action_id: str,
        policy: CompiledPolicy,
        now: datetime,
        timezone: str | None,
    ) -> dict[str, Any]:
        """The fields every event about one action carries: actor, ids, target and versions."""
        actor: dict[str, Any] = {
            "workspace_id": principal.workspace_id,
            "agent_id": principal.agent_id,
            "key_id": principal.key_id,
        }
        if req.on_behalf_of:
            actor["user_id"] = req.on_behalf_of
            actor.update(_local(now, timezone))
        versions = {**req.versions.model_dump(mode="json", exclude_none=True), "policy": policy.version}
        return {
            "actor": actor,
            "action_id": action_id,
            "run_id": req.run_id,
            "action": req.action,
            "target": req.target.model_dump(mode="json", exclude_none=True),
            "versions": versions,
        }

    def execute(self, workspace_id: str, action_id: str) -> SubmitResult:
        """Run an allowed (or approved) action through its connector once and record its outcome.

        The claim (allowed/approved → executing, one conditional UPDATE) is committed before the
        connector runs, so concurrent callers and retries never execute an action twice: a caller that
        loses the claim gets the action as it stands.
        """
        policy = self.policy()
        now = self.clock()
        with self.store.write() as conn:
            won = action_rows.claim(conn, workspace_id, action_id, utc_stamp(now))
            row = action_rows.get_action(conn, workspace_id, action_id)
        if not won:
            return self._result(row)
        req = ActionRequest.model_validate(row["request"])
        principal = AgentPrincipal(
            workspace_id=workspace_id,
            agent_id=row["agent_id"],
            key_id=row["key_id"] or "",
            scopes=[],
            status="active",
        )
        with self.store.read() as conn:
            tz = fact_rows.user_timezone(conn, workspace_id, req.on_behalf_of) if req.on_behalf_of else None
            agent = identities.get_agent(conn, workspace_id, row["agent_id"])
        common = self._common(principal, req, action_id, policy, now, tz)
        if agent.status != "active":  # quarantined after the approval: SPEC §5 denies it everything
            why = f" ({agent.status_reason})" if agent.status_reason else ""
            done = failure(ProctorError(f"agent {agent.id} is {agent.status}{why}: not executed"))
        else:
            done = self._run_connector(workspace_id, action_id, row["agent_id"], req, policy)
        self.writer.run(self._finish_job(workspace_id, action_id, row["agent_id"], req, common, done))
        with self.store.read() as conn:
            row = action_rows.get_action(conn, workspace_id, action_id)
        return self._result(row)

    def _run_connector(
        self, ws: str, action_id: str, agent_id: str, req: ActionRequest, policy: CompiledPolicy
    ) -> Execution:
        """Run the action on its connector (no transaction open); any error becomes a failed Execution."""
        if self.connectors is None:
            return failure(ProctorError("no connectors are configured"))
        target = req.target.model_dump(mode="json", exclude_none=True)
        allowlist = list(policy.lists.get("approved_vendors", []))

        def attempt(n: int, message_id: str) -> None:
            outcome = {"ok": None, "attempts": n, "message_id": message_id, "state": "sending"}
            with self.store.write() as conn:
                action_rows.record_attempt(conn, ws, action_id, outcome, utc_stamp(self.clock()))

        try:
            done = self.connectors.run(
                ws, action_id, agent_id, req.action, dict(req.params), target, allowlist, attempt
            )
        except ProctorError as exc:
            return failure(exc)
        return tool_screen.apply(self, ws, agent_id, req, policy, done)

    async def _run_connector_async(
        self, ws: str, action_id: str, agent_id: str, req: ActionRequest, policy: CompiledPolicy
    ) -> Execution:
        """`_run_connector` for an event loop: a sandbox CRM write runs whole in that file's writer
        thread (its write joins the next group commit; no worker thread), anything else in a thread."""
        find = getattr(self.connectors, "sandbox_file", None)  # None: no connectors, or a stand-in
        file = find(ws, req.action) if find is not None else None
        if file is None:
            return await asyncio.to_thread(self._run_connector, ws, action_id, agent_id, req, policy)

        def whole() -> tuple[bool, Any]:
            try:  # the job's own error comes back as a value: only a failed commit raises below
                return True, self._run_connector(ws, action_id, agent_id, req, policy)
            except BaseException as exc:
                return False, exc

        try:
            ok, value = await file.run_async(whole)
        except sqlite3.Error as exc:  # the batch's commit failed: what the write itself reports then
            assert self.connectors is not None
            return self.connectors.unavailable(ws, exc)
        if not ok:
            raise value
        return cast(Execution, value)

    def _finish_job(
        self,
        ws: str,
        action_id: str,
        agent_id: str,
        req: ActionRequest,
        common: dict[str, Any],
        done: Execution,
    ) -> FinishJob:
        """The group-commit job recording an execution: outcome event, status, change rows, learnt values."""
        stamp = utc_stamp(self.clock())
        status: Status = "executed" if done.ok else "failed"
        changes = done.changes()
        event = event_body(
            id=event_id(),
            workspace_id=ws,
            seq=0,
            kind="outcome",
            at=stamp,
            **common,
            outcome={"status": status, **done.outcome},
            changes=changes,
            data_accessed=done.data_accessed,
        )
        batch_id = req.batch.id if req.batch is not None else None
        rows = [
            {
                "workspace_id": ws,
                "action_id": action_id,
                "agent_id": agent_id,
                "run_id": req.run_id,
                "batch_id": batch_id,
                "action": req.action,
                "at": stamp,
                "reverted_at": None,
                "reverted_by": None,
                **row,
            }
            for row in done.rows
        ]
        known: list[tuple[str, list[str]]] = []
        spec = self.catalogue.get(req.action)
        if done.ok and req.action == "email.send" and spec is not None:
            known.append(("recipient_domain", list(derive(spec, req.params).recipient_domains)))
            persona = req.params.get("persona")
            if isinstance(persona, str):
                known.append(("persona", [persona]))
        return FinishJob(ws, action_id, status, done.outcome, changes, event, rows, stamp, known)

    def _result(self, row: dict[str, Any], replayed: bool = False) -> SubmitResult:
        return SubmitResult(
            action_id=row["id"],
            status=row["status"],
            decision=Decision.model_validate(row["decision"]),
            outcome=row["outcome"],
            replayed=replayed,
        )

    def get_action(self, workspace_id: str, action_id: str) -> dict[str, Any]:
        """One action of this workspace (protected fields redacted); NotFoundError across workspaces."""
        with self.store.read() as conn:
            row = action_rows.get_action(conn, workspace_id, action_id)
        protected = self.policy().protected_fields
        row["request"] = redact(row["request"], protected)
        row["changes"] = redact(row["changes"], protected)
        row.pop("request_hash", None)
        return row

    def list_actions(
        self, workspace_id: str, *, status: str | None = None, run_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Recent actions of this workspace (newest first), optionally by status or run."""
        with self.store.read() as conn:
            rows = action_rows.list_actions(conn, workspace_id, status=status, run_id=run_id, limit=limit)
        protected = self.policy().protected_fields
        for row in rows:
            row["request"] = redact(row["request"], protected)
            row["changes"] = redact(row["changes"], protected)
            row.pop("request_hash", None)
        return rows

    def record_tool_output(
        self, principal: AgentPrincipal, run_id: str | None, text: str, source: str
    ) -> dict[str, Any]:
        """Scan what a tool returned for prompt injection; neutralise it, taint the run, audit it."""
        return tool_output.record(self, principal, run_id, text, source)
