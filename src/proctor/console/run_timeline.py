"""A run (or one action) as people read it: audit events as steps, CRM writes as before/after diffs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from proctor.console.inbox_cards import show
from proctor.domain.errors import NotFoundError
from proctor.rollback import RollbackService
from proctor.store import approvals as approval_rows
from proctor.store import changes as change_rows

Json = dict[str, Any]
MAX_EVENTS = 2000
CHANGE_WORDS = {
    "approval.approve": "Approved",
    "approval.reject": "Rejected",
    "approval.edit": "Edited the draft (the policy decided again)",
    "approval.expire": "Expired without a decision",
    "approval.cancel": "Cancelled",
    "approval.batch_approve": "Approved in a batch",
    "approval.batch_reject": "Rejected in a batch",
}
HIDDEN_OUTCOME = frozenset({"rows", "ok", "status", "connector", "reversible", "note"})


def _short(value: Any, limit: int = 240) -> str:
    text = show(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(actor: Mapping[str, Any], people: Mapping[str, str]) -> str:
    by = str(actor.get("by") or "")
    if by.startswith("user:"):
        return people.get(by[5:], by[5:])
    if actor.get("user_id") and not actor.get("agent_id"):
        return people.get(actor["user_id"], actor["user_id"])
    if actor.get("agent_id"):
        agent = people.get(actor["agent_id"], actor["agent_id"])
        rep = actor.get("user_id") or actor.get("on_behalf_of")
        return f"{agent} (for {people.get(rep, rep)})" if rep else agent
    return by or "system"


def _records(changes: Mapping[str, Any] | None) -> list[str]:
    lines = []
    for r in (changes or {}).get("records") or []:
        fields = sorted(set(r.get("before") or {}) | set(r.get("after") or {}))
        diff = ", ".join(
            f"{f}: {_short((r.get('before') or {}).get(f), 60)} → {_short((r.get('after') or {}).get(f), 60)}"
            for f in fields
        )
        lines.append(f"{r.get('op')} {r.get('object')} {r.get('record_id')}" + (f" ({diff})" if diff else ""))
    return lines


def step(event: Mapping[str, Any], people: Mapping[str, str]) -> Json:
    """One audit event as a timeline step: a title, a badge, who, and a few readable lines."""
    kind, detail = event["kind"], event.get("detail") or {}
    title, badge, lines = kind.replace("_", " ").capitalize(), "", []
    if kind == "request":
        title = f"Asked to {event.get('action')}"
        if event.get("intent"):
            lines.append(f"Intent: {event['intent']}")
        if event.get("plan"):
            lines.append("Plan: " + " → ".join(str(p) for p in event["plan"]))
        params = event.get("params") or {}
        for key in ("to", "subject", "object", "record_id", "fields", "to_stage", "vendor"):
            if key in params:
                lines.append(f"{key}: {_short(params[key])}")
        facts = (event.get("evidence") or {}).get("facts") or []
        if facts:
            lines.append(f"Evidence: {len(facts)} fact(s) attached")
    elif kind == "decision":
        decision = event.get("decision") or {}
        badge = str(decision.get("effect", ""))
        title = f"Policy decided: {badge.replace('_', ' ')}"
        risk = decision.get("risk") or {}
        if risk.get("score"):
            lines.append(f"Risk {risk['score']}: {', '.join(risk.get('triggers') or [])}")
        lines.extend(str(r) for r in decision.get("reasons") or [])
        failed = [c["name"] for c in decision.get("checks") or [] if not c.get("passed")]
        if failed:
            lines.append("Failed checks: " + ", ".join(failed))
    elif kind == "approval":
        change = str(detail.get("change", ""))
        title = CHANGE_WORDS.get(change, change or "Approval")
        badge = str(detail.get("status") or "")
        if detail.get("approved_by"):
            lines.append("Approved so far: " + ", ".join(people.get(u, u) for u in detail["approved_by"]))
        if detail.get("reason"):
            lines.append(f"Reason: {detail['reason']}")
        for name, diff in ((detail.get("edit") or {}).get("diff") or {}).items():
            lines.append(f"{name}: {_short(diff.get('before'), 80)} → {_short(diff.get('after'), 80)}")
        if detail.get("via"):
            lines.append(f"via {detail['via']}")
    elif kind in ("outcome", "execution"):
        outcome = event.get("outcome") or {}
        badge = str(outcome.get("status") or ("executed" if outcome.get("ok") else "failed"))
        title = "Executed" if outcome.get("ok") else f"Outcome: {badge}"
        lines.extend(f"{k}: {_short(v)}" for k, v in outcome.items() if k not in HIDDEN_OUTCOME)
        lines.extend(_records(event.get("changes")))
        if outcome.get("reversible") is False:
            lines.append(str(outcome.get("note") or "not reversible"))
    elif kind == "rollback":
        outcome = event.get("outcome") or {}
        badge = str(outcome.get("status") or "")
        if event.get("action_id"):
            title = "Rolled back"
        else:
            title = "Rollback started" if badge == "started" else "Rollback finished"
        lines.extend(_records(event.get("changes")))
        if outcome.get("summary"):
            lines.append("Summary: " + ", ".join(f"{n} {s}" for s, n in sorted(outcome["summary"].items())))
    elif kind == "tool_output":
        title = "Tool output scanned"
        lines.extend(f"{k}: {_short(v)}" for k, v in detail.items())
    return {
        "id": event["id"],
        "seq": event["seq"],
        "at": event["at"],
        "kind": kind,
        "title": title,
        "badge": badge,
        "action": event.get("action"),
        "action_id": event.get("action_id"),
        "who": _who(event.get("actor") or {}, people),
        "lines": lines,
    }


def events(services: Any, ws: str, filters: Json) -> list[Json]:
    """Every audit event matching `filters`, oldest first (up to MAX_EVENTS)."""
    found: list[Json] = []
    cursor: str | None = None
    while len(found) < MAX_EVENTS:
        page, cursor = services.admin.audit_query(ws, filters, cursor, 500)
        found.extend(page)
        if not cursor:
            break
    return found


def batch_votes(services: Any, ws: str, action_ids: list[str], people: Mapping[str, str]) -> list[Json]:
    """Votes cast in a batch (one audit event for many actions): shown as steps of each action."""
    with services.store.read() as conn:
        votes = approval_rows.batch_votes(conn, ws, action_ids)
    return [
        {
            "id": f"{v['approval_id']}:{v['user_id']}",
            "seq": 0,
            "at": v["at"],
            "kind": "approval",
            "title": "Approved in a batch" if v["vote"] == "approve" else "Rejected in a batch",
            "badge": v["vote"],
            "action": v["action"],
            "action_id": v["action_id"],
            "who": people.get(v["user_id"], v["user_id"]),
            "lines": [f"Reason: {v['reason']}"] if v.get("reason") else [],
        }
        for v in votes
    ]


def diffs(services: Any, ws: str, scope: str, ref: str) -> list[Json]:
    """The recorded changes of a run or action grouped per action: before/after per field, irreversibles."""
    with services.store.read() as conn:
        rows = change_rows.in_scope(conn, ws, scope, ref)
    grouped: dict[str, Json] = {}
    for row in reversed(rows):  # oldest first
        change = row["change"] or {}
        before, after = change.get("before") or {}, change.get("after") or {}
        fields = [
            {"field": f, "before": show(before.get(f)), "after": show(after.get(f))}
            for f in sorted(set(before) | set(after))
        ]
        entry = grouped.setdefault(
            row["action_id"], {"action_id": row["action_id"], "action": row["action"], "records": []}
        )
        entry["records"].append(
            {
                "object": row["object"],
                "record_id": row["record_id"],
                "op": row["op"],
                "reversible": bool(row["reversible"]),
                "fields": fields,
                "summary": {
                    k: show(v) for k, v in change.items() if k in ("to", "subject", "fields", "count")
                },
                "reverted_at": row["reverted_at"],
                "reverted_by": row["reverted_by"],
            }
        )
    for entry in grouped.values():
        entry["revertible"] = any(r["reversible"] and not r["reverted_at"] for r in entry["records"])
    return list(grouped.values())


def runs(services: Any, ws: str, limit: int = 500) -> tuple[list[Json], list[Json]]:
    """Recent runs (newest first) with their actions' statuses, and recent actions outside any run."""
    actions = services.gate.list_actions(ws, limit=limit)
    grouped: dict[str, Json] = {}
    loose: list[Json] = []
    for a in actions:
        if not a["run_id"]:
            loose.append(a)
            continue
        run = grouped.setdefault(
            a["run_id"],
            {"run_id": a["run_id"], "last": a["created_at"], "agents": set(), "statuses": Counter(), "n": 0},
        )
        run["agents"].add(a["agent_id"])
        run["statuses"][a["status"]] += 1
        run["n"] += 1
        run["first"] = a["created_at"]
        run["intent"] = a["request"].get("intent") or run.get("intent")
    return list(grouped.values()), loose[:50]


def _exists(services: Any, ws: str, scope: str, ref: str) -> None:
    """NotFoundError unless the action or run belongs to this workspace."""
    if scope == "action":
        services.gate.get_action(ws, ref)
    elif not services.gate.list_actions(ws, run_id=ref, limit=1):
        raise NotFoundError(f"no run {ref} in this workspace")


def preview(services: Any, ws: str, scope: str, ref: str) -> Json:
    """What reverting the scope would do (a dry run): restores, conflicts and irreversible steps."""
    _exists(services, ws, scope, ref)
    return RollbackService.of(services).run(ws, scope, ref, dry_run=True)


def revert(services: Any, ws: str, scope: str, ref: str, force: bool, actor: str) -> Json:
    """Revert the scope (force only when the person ticked it)."""
    _exists(services, ws, scope, ref)
    return RollbackService.of(services).run(ws, scope, ref, force=force, actor=actor)
