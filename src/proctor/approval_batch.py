"""Batch approval: a manifest of (approval id, content hash) pairs, voted on in chunks of one event each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from proctor.domain import approvals as rules
from proctor.domain.errors import ForbiddenError, RequestError
from proctor.store import approvals as rows

if TYPE_CHECKING:
    from proctor.approvals import ApprovalService, Verb

MAX_CHUNK = 100
CHANGED = "the action's content changed since the manifest"


def manifest(
    service: ApprovalService, ws: str, *, batch_id: str | None = None, ids: list[str] | None = None
) -> dict[str, Any]:
    """The pending approvals of a batch (or the given ids): ids, content hashes and the manifest hash."""
    service.sync(ws)
    service.expire_due()
    with service.store.read() as conn:
        found = rows.list_approvals(conn, ws, status="pending", batch_id=batch_id, ids=ids, limit=1000)
    items = [{"id": r["id"], "action_id": r["action_id"], "content_hash": r["content_hash"]} for r in found]
    digest = rules.manifest_hash((i["id"], i["content_hash"]) for i in items)
    return {"batch_id": batch_id, "count": len(items), "items": items, "manifest_hash": digest}


def batch(
    service: ApprovalService,
    user: Any,
    items: list[Mapping[str, Any]],
    verb: Verb = "approve",
    reason: str | None = None,
) -> dict[str, Any]:
    """Vote on one chunk in one transaction with ONE audit event carrying the chunk's manifest.

    Items whose content hash no longer matches (edited since the manifest), that are no longer pending,
    that this person may not vote on, or (approving) whose agent is quarantined or disabled are refused
    and listed; the others are counted.
    """
    from proctor.approvals import requirement

    user_id = getattr(user, "user_id", None)
    if not user_id:
        raise ForbiddenError("only people approve or reject; agents never do")
    if not items or len(items) > MAX_CHUNK:
        raise RequestError(f"a chunk holds 1 to {MAX_CHUNK} manifest items", field="items")
    ws, roles = user.workspace_id, [str(r) for r in user.roles]
    chunk = [{"id": str(i.get("id")), "content_hash": str(i.get("content_hash"))} for i in items]
    done: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    with service.store.write() as conn:
        service.audit.lock_head(conn, ws)
        for item in chunk:
            row = rows.get(conn, ws, item["id"], lock=True)
            why: str | None = None
            if row["content_hash"] != item["content_hash"]:
                why = CHANGED
            elif service._expire_locked(conn, row):
                why = "the approval expired"
            elif row["status"] != "pending":
                why = f"the approval is {row['status']}"
            else:
                why = rules.eligibility(user_id, roles, requirement(row))
                if why is None and verb == "approve":
                    why = service.stopped_agent(conn, row)
            if why is not None:
                refused.append({**item, "reason": why})
            else:
                done.append(service._apply(conn, row, user_id, roles, verb, reason, "batch"))
        digest = rules.manifest_hash((i["id"], i["content_hash"]) for i in chunk)
        service.audit.append(
            conn,
            ws,
            "approval",
            service.clock(),
            actor={"workspace_id": ws, "user_id": user_id},
            detail={
                "change": f"approval.batch_{verb}",
                "manifest": chunk,
                "manifest_hash": digest,
                "reason": reason,
                "results": done,
                "refused": refused,
            },
        )
    service._wake()
    return {"manifest_hash": digest, "results": done, "refused": refused}
