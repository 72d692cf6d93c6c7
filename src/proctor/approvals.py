"""The approval service: queue actions that need a human, count votes, edit-and-redecide, batches, expiry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection

from proctor.domain import approvals as rules
from proctor.domain.audit import redact, utc_stamp
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import ConflictError, ForbiddenError, RequestError
from proctor.domain.identity import new_id
from proctor.policy.compile import CompiledPolicy
from proctor.store import actions as action_rows
from proctor.store import approvals as rows
from proctor.store import identities

Json = dict[str, Any]
Verb = Literal["approve", "reject"]
MAX_CHUNK = 100
_CLOSED = {"reject": "rejected"}


def parse_stamp(value: str) -> datetime:
    """A stored UTC stamp as an aware datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def requirement(row: Mapping[str, Any]) -> rules.Requirement:
    """The approval requirement an approval row carries."""
    return rules.Requirement(
        approvals_required=int(row["approvals_required"]),
        agent_id=str(row["agent_id"]),
        delegating_user=row["on_behalf_of"],
        roles=frozenset(row["approver_roles"] or ()),
    )


def _votes(found: Iterable[Mapping[str, Any]]) -> list[rules.Vote]:
    return [rules.Vote(v["user_id"], v["vote"], v["content_hash"], tuple(v["roles"] or ())) for v in found]


class ApprovalService:
    """Approvals over the store; the gate still decides and executes, this service only gates the middle."""

    def __init__(
        self,
        gate: Any,
        *,
        ttl: timedelta = rules.DEFAULT_TTL,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.gate = gate
        self.store = gate.store
        self.audit = gate.audit
        self.ttl = ttl
        self.clock: Callable[[], datetime] = clock or gate.clock
        self.listeners: list[Callable[[], None]] = []  # woken after an approval (the in-process runner)

    # -- queue ---------------------------------------------------------------------------------------

    def policy(self) -> CompiledPolicy:
        """The gate's current policy."""
        policy: CompiledPolicy = self.gate.policy()
        return policy

    def ttl_for(self, policy: CompiledPolicy) -> timedelta:
        """How long a pending approval lives: the policy's `approvals.expire_after_hours`, else ours."""
        section = getattr(policy.document, "approvals", None)
        hours = getattr(section, "expire_after_hours", None)
        return timedelta(hours=float(hours)) if isinstance(hours, int | float) and hours > 0 else self.ttl

    def _new_row(self, action: Mapping[str, Any], ttl: timedelta, now: datetime) -> Json:
        decision, req = action["decision"], action["request"]
        return {
            "id": new_id("apr"),
            "workspace_id": action["workspace_id"],
            "action_id": action["id"],
            "action": action["action"],
            "agent_id": action["agent_id"],
            "on_behalf_of": action["on_behalf_of"],
            "batch_id": (req.get("batch") or {}).get("id"),
            "status": "pending",
            "content_hash": rules.content_hash(action["action"], req.get("params") or {}, req.get("target")),
            "approvals_required": max(1, int(decision.get("approvals_required") or 1)),
            "approver_roles": sorted(rules.approver_roles(decision.get("obligations") or [])),
            "edits": [],
            "created_at": action["created_at"],
            "expires_at": utc_stamp(parse_stamp(action["created_at"]) + ttl),
            "updated_at": utc_stamp(now),
            "attempts": 0,
        }

    def sync(self, ws: str | None = None) -> int:
        """Open an approval for every action the gate queued as pending_approval; returns how many."""
        with self.store.read() as conn:
            waiting = rows.pending_without_approval(conn, ws)
        if not waiting:
            return 0
        ttl, now, made = self.ttl_for(self.policy()), self.clock(), 0
        with self.store.write() as conn:
            for action in waiting:
                made += rows.insert_approval(self.store, conn, self._new_row(action, ttl, now))
        return made

    # -- views ---------------------------------------------------------------------------------------

    def _view(self, conn: Connection, row: Mapping[str, Any], protected: Iterable[str]) -> Json:
        action = action_rows.get_action(conn, row["workspace_id"], row["action_id"])
        decision, req = action["decision"], action["request"]
        found = rows.votes(conn, row["id"])
        counted = rules.approvers(_votes(found), requirement(row), row["content_hash"])
        return {
            "id": row["id"],
            "action_id": row["action_id"],
            "workspace_id": row["workspace_id"],
            "action": row["action"],
            "status": row["status"],
            "agent_id": row["agent_id"],
            "on_behalf_of": row["on_behalf_of"],
            "batch_id": row["batch_id"],
            "content_hash": row["content_hash"],
            "approvals_required": row["approvals_required"],
            "approver_roles": row["approver_roles"],
            "approved_by": counted,
            "votes": [
                {k: v[k] for k in ("user_id", "vote", "content_hash", "reason", "via", "at")} for v in found
            ],
            "reason": row["reason"],
            "edits": redact(row["edits"], protected),
            "created_at": row["created_at"],
            "expires_at": row["expires_at"],
            "decided_at": row["decided_at"],
            "risk": decision.get("risk"),
            "reasons": decision.get("reasons", []),
            "checks": decision.get("checks", []),
            "obligations": decision.get("obligations", []),
            "policy_version": decision.get("policy_version"),
            "run_id": action["run_id"],
            "intent": req.get("intent"),
            "plan": req.get("plan", []),
            "target": req.get("target"),
            "params": redact(req.get("params"), protected),
            "evidence": req.get("evidence"),
            "action_status": action["status"],
            "outcome": action["outcome"],
        }

    def get(self, ws: str, approval_id: str) -> Json:
        """One approval with everything an approver needs: risk, triggers, evidence, checks, the rep."""
        self.expire_due()
        if approval_id.startswith("act_"):
            self.sync(ws)
        protected = self.policy().protected_fields
        with self.store.read() as conn:
            return self._view(conn, rows.get(conn, ws, approval_id), protected)

    def list_approvals(
        self, ws: str, *, status: str | None = "pending", batch_id: str | None = None, limit: int = 100
    ) -> list[Json]:
        """The workspace's approvals (default: pending), highest risk first, then oldest."""
        if status is not None and status not in rules.STATUSES:
            raise RequestError(f"status must be one of {', '.join(rules.STATUSES)}", field="status")
        if not 1 <= limit <= 1000:
            raise RequestError("limit must be between 1 and 1000", field="limit")
        self.sync(ws)
        self.expire_due()
        protected = self.policy().protected_fields
        with self.store.read() as conn:
            found = rows.list_approvals(conn, ws, status=status, batch_id=batch_id, limit=limit)
            views = [self._view(conn, r, protected) for r in found]
        return sorted(views, key=lambda v: -int((v["risk"] or {}).get("score", 0)))  # riskiest first

    def manifest(self, ws: str, *, batch_id: str | None = None, ids: list[str] | None = None) -> Json:
        """The pending approvals of a batch (or the given ids) as a manifest: ids and content hashes."""
        from proctor.approval_batch import manifest

        return manifest(self, ws, batch_id=batch_id, ids=ids)

    def batch(
        self, user: Any, items: list[Mapping[str, Any]], verb: Verb = "approve", reason: str | None = None
    ) -> Json:
        """Vote on a manifest chunk in one transaction and ONE audit event; changed content is refused."""
        from proctor.approval_batch import batch

        return batch(self, user, items, verb, reason)

    # -- votes ---------------------------------------------------------------------------------------

    def _event(self, conn: Connection, row: Mapping[str, Any], user_id: str | None, **detail: Any) -> None:
        action = action_rows.get_action(conn, row["workspace_id"], row["action_id"])
        self.audit.append(
            conn,
            row["workspace_id"],
            "approval",
            self.clock(),
            actor={
                "workspace_id": row["workspace_id"],
                "user_id": user_id,
                "on_behalf_of": row["on_behalf_of"],
            },
            action_id=row["action_id"],
            run_id=action["run_id"],
            action=row["action"],
            target=action["request"].get("target"),
            versions={"policy": action["policy_version"]},
            detail={"approval_id": row["id"], **detail},
        )

    def _close_action(
        self, conn: Connection, row: Mapping[str, Any], status: str, reason: str, by: Any
    ) -> None:
        outcome = {"ok": False, "status": status, "reason": reason, "by": by}
        rows.set_action(
            conn,
            row["workspace_id"],
            row["action_id"],
            ("pending_approval", "approved"),
            status=status,
            outcome=outcome,
            updated_at=utc_stamp(self.clock()),
        )

    def _edit(self, conn: Connection, row: Json, user_id: str, params: Json) -> Json:
        """Apply an approver's edit: record the diff, re-decide, rebind to the new content hash."""
        from proctor.approval_edits import apply_edit

        return apply_edit(self, conn, row, user_id, params)

    def _apply(
        self,
        conn: Connection,
        row: Json,
        user_id: str,
        roles: list[str],
        verb: Verb,
        reason: str | None,
        via: str,
    ) -> Json:
        """Count one person's vote on a locked pending row; returns what changed (no audit event)."""
        rules.check_eligible(user_id, roles, requirement(row))
        now = utc_stamp(self.clock())
        added = rows.add_vote(
            self.store,
            conn,
            {
                "workspace_id": row["workspace_id"],
                "approval_id": row["id"],
                "user_id": user_id,
                "vote": verb,
                "content_hash": row["content_hash"],
                "roles": list(roles),
                "reason": reason,
                "via": via,
                "at": now,
            },
        )
        if verb == "reject":
            text = reason or f"rejected by {user_id}"
            rows.transition(
                conn, row["id"], ("pending",), "rejected", reason=text, decided_at=now, updated_at=now
            )
            self._close_action(conn, row, "rejected", text, user_id)
            return {"id": row["id"], "status": "rejected", "counted": added}
        counted = rules.approvers(_votes(rows.votes(conn, row["id"])), requirement(row), row["content_hash"])
        if len(counted) < max(1, row["approvals_required"]):
            rows.change(conn, row["id"], updated_at=now)
            return {"id": row["id"], "status": "pending", "counted": added, "approved_by": counted}
        rows.transition(conn, row["id"], ("pending",), "approved", decided_at=now, updated_at=now)
        rows.set_action(
            conn,
            row["workspace_id"],
            row["action_id"],
            ("pending_approval",),
            status="approved",
            updated_at=now,
        )
        return {"id": row["id"], "status": "approved", "counted": added, "approved_by": counted}

    def _expire_locked(self, conn: Connection, row: Json) -> bool:
        """Expire a locked pending row whose time ran out (True when it did)."""
        now = utc_stamp(self.clock())
        if row["status"] != "pending" or row["expires_at"] > now:
            return False
        text = f"no decision before {row['expires_at']}: the approval expired"
        rows.transition(conn, row["id"], ("pending",), "expired", reason=text, decided_at=now, updated_at=now)
        self._close_action(conn, row, "expired", text, "system")
        self._event(conn, row, None, change="approval.expire", reason=text)
        return True

    def vote(
        self,
        user: Any,
        approval_id: str,
        verb: Verb,
        *,
        reason: str | None = None,
        params: Json | None = None,
        expected_hash: str | None = None,
        via: str = "api",
    ) -> Json:
        """Approve or reject as a human (optionally editing the params first); the agent never votes."""
        user_id = getattr(user, "user_id", None)
        if not user_id:
            raise ForbiddenError("only people approve or reject; agents never do")
        ws, roles = user.workspace_id, [str(r) for r in user.roles]
        if approval_id.startswith("act_"):
            self.sync(ws)
        expired = False
        with self.store.write() as conn:
            self.audit.lock_head(conn, ws)  # the gate's lock order: chain head first
            row = rows.get(conn, ws, approval_id, lock=True)
            if self._expire_locked(conn, row):
                expired = True
            elif row["status"] != "pending":
                mine = [
                    v for v in rows.votes(conn, row["id"]) if v["user_id"] == user_id and v["vote"] == verb
                ]
                if not mine or params is not None:
                    raise ConflictError(f"approval {row['id']} is already {row['status']}")
            else:
                if expected_hash is not None and expected_hash != row["content_hash"]:
                    raise ConflictError(
                        f"approval {row['id']} changed since you viewed it (content hash differs)"
                    )
                rules.check_eligible(user_id, roles, requirement(row))
                stopped = self.stopped_agent(conn, row) if verb == "approve" else None
                if stopped:
                    raise ConflictError(f"{stopped}: release it before approving its actions, or reject")
                if params is not None and verb == "approve":
                    row = self._edit(conn, row, user_id, params)
                    decision = row.pop("edit_decision", None)
                    if isinstance(decision, Decision) and decision.effect is Effect.DENY:
                        text = "the edited action is denied by the policy: " + "; ".join(decision.reasons)
                        now = utc_stamp(self.clock())
                        rows.transition(
                            conn, row["id"], ("pending",), "cancelled", reason=text, updated_at=now
                        )
                        self._close_action(conn, row, "denied", text, user_id)
                        row = {**row, "status": "cancelled"}
                if row["status"] == "pending":
                    done = self._apply(conn, row, user_id, roles, verb, reason, via)
                    self._event(conn, row, user_id, change=f"approval.{verb}", reason=reason, via=via, **done)
        if expired:
            raise ConflictError(f"approval {approval_id} expired: expiry denies the action")
        self._wake()
        return self.get(ws, approval_id)

    def stopped_agent(self, conn: Connection, row: Mapping[str, Any]) -> str | None:
        """Why the approval's agent may not act now (quarantined or disabled), or None when it may."""
        action = action_rows.get_action(conn, row["workspace_id"], row["action_id"])
        agent = identities.get_agent(conn, row["workspace_id"], action["agent_id"])
        if agent.status == "active":
            return None
        why = f" ({agent.status_reason})" if agent.status_reason else ""
        return f"agent {agent.id} is {agent.status}{why}"

    def cancel(self, principal: Any, approval_id: str, reason: str | None = None) -> Json:
        """Withdraw a pending (or approved, not yet running) action: its agent, or an admin/manager."""
        ws = principal.workspace_id
        with self.store.write() as conn:
            self.audit.lock_head(conn, ws)
            row = rows.get(conn, ws, approval_id, lock=True)
            agent_id = getattr(principal, "agent_id", None)
            held = {str(r) for r in getattr(principal, "roles", ())}
            if agent_id != row["agent_id"] and not held & {"admin", "manager"}:
                raise ForbiddenError("only the requesting agent, a manager or an admin cancels an approval")
            now = utc_stamp(self.clock())
            text = reason or "cancelled"
            if not rows.transition(
                conn, row["id"], ("pending", "approved"), "cancelled", reason=text, updated_at=now
            ):
                raise ConflictError(f"approval {row['id']} is already {row['status']}")
            self._close_action(conn, row, "cancelled", text, agent_id or getattr(principal, "user_id", None))
            self._event(conn, row, getattr(principal, "user_id", None), change="approval.cancel", reason=text)
        return self.get(ws, approval_id)

    def expire_due(self) -> int:
        """Expire every pending approval whose time ran out (expiry denies); returns how many."""
        with self.store.read() as conn:
            due = rows.overdue(conn, utc_stamp(self.clock()))
        n = 0
        for found in due:
            with self.store.write() as conn:
                self.audit.lock_head(conn, found["workspace_id"])
                n += self._expire_locked(conn, rows.get(conn, found["workspace_id"], found["id"], lock=True))
        return n

    def user(self, ws: str, who: str) -> Any:
        """A user principal for a user id or email (the CLI's `--as`)."""
        from proctor.domain.identity import UserPrincipal

        with self.store.read() as conn:
            for u in identities.list_users(conn, ws):
                if who in (u.id, u.email):
                    return UserPrincipal(workspace_id=ws, user_id=u.id, key_id="cli", roles=u.roles)
        raise RequestError(f"no user {who!r} in this workspace", field="as")

    def _wake(self) -> None:
        for listener in list(self.listeners):
            listener()
