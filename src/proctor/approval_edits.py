"""An approver edits a pending action: the diff is recorded, the policy decides again, votes rebind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from proctor.domain import approvals as rules
from proctor.domain.audit import redact, utc_stamp
from proctor.domain.decisions import Decision, Effect
from proctor.domain.errors import RequestError
from proctor.domain.requests import ActionRequest
from proctor.policy.derived import derive
from proctor.policy.evaluate import decide
from proctor.store import actions as action_rows
from proctor.store import approvals as rows
from proctor.store import facts as fact_rows

if TYPE_CHECKING:
    from proctor.approvals import ApprovalService

Json = dict[str, Any]


def redecide(
    service: ApprovalService, conn: Connection, action: Mapping[str, Any], params: Json
) -> tuple[Json, Decision]:
    """The action's request with new params, and the policy's decision on it with the facts the gate reads.

    Usage counters are not re-read (the gate reserves them in its writer); everything else is fresh.
    """
    request = {**action["request"], "params": params}
    try:
        req = ActionRequest.model_validate({**request, "agent_id": action["agent_id"]})
    except ValueError as exc:
        raise RequestError(str(exc).splitlines()[0], field="params") from None
    catalogue = service.gate.catalogue
    spec = catalogue.get(req.action)
    if spec is not None:
        catalogue.validate_params(req.action, req.params)
    derived = derive(spec, req.params) if spec is not None else None
    ws, agent = action["workspace_id"], action["agent_id"]
    facts, _ = fact_rows.read_facts(conn, ws, agent, req, derived, service.clock())
    return request, decide(service.policy(), req.model_copy(update={"facts": facts}), catalogue)


def apply_edit(service: ApprovalService, conn: Connection, row: Json, user_id: str, params: Json) -> Json:
    """Record the diff, store the edited request and its new decision, rebind the approval's content hash.

    Votes are bound to the old hash, so none of them counts any more. Returns the updated row with the
    new decision under `edit_decision` (the caller cancels the approval when the policy now denies).
    """
    action = action_rows.get_action(conn, row["workspace_id"], row["action_id"], lock=True)
    diff = rules.params_diff(action["request"].get("params") or {}, params)
    if not diff:
        return row
    request, decision = redecide(service, conn, action, params)
    new_hash = rules.content_hash(row["action"], params, request.get("target"))
    now = utc_stamp(service.clock())
    edit = {
        "by": user_id,
        "at": now,
        "diff": diff,
        "from_hash": row["content_hash"],
        "to_hash": new_hash,
        "effect": decision.effect.value,
        "reasons": decision.reasons,
    }
    decision_json = decision.model_dump(mode="json")
    rows.set_action(
        conn,
        row["workspace_id"],
        row["action_id"],
        ("pending_approval",),
        request=request,
        decision=decision_json,
        policy_version=decision.policy_version,
        updated_at=now,
    )
    required = decision.approvals_required if decision.effect is Effect.REQUIRE_APPROVAL else 1
    updated = {
        "content_hash": new_hash,
        "approvals_required": max(1, required),
        "approver_roles": sorted(rules.approver_roles(decision.obligations)),
        "edits": [*row["edits"], edit],
        "updated_at": now,
    }
    rows.change(conn, row["id"], **updated)
    protected = service.policy().protected_fields
    service._event(
        conn, row, user_id, change="approval.edit", edit=redact(edit, protected), decision=decision_json
    )
    return {**row, **updated, "edit_decision": decision}
