"""What an approval card shows: the draft or CRM change, risk, evidence per claim, checks, who approved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from proctor.domain import approvals as rules
from proctor.inspect.claims import extract_claims, match_claims
from proctor.policy.derived import outbound_text

Json = dict[str, Any]
EMAIL_FIELDS = ("subject", "body")
CRM_PREFIXES = ("crm.", "routing.", "note.", "task.", "enrich.")
DONE_MESSAGES = {
    "approved": "Approved: the action runs in a moment.",
    "executing": "Approved: the action is running.",
    "executed": "Approved and done.",
    "rejected": "Rejected: the agent is told why.",
    "cancelled": "Cancelled.",
    "expired": "Expired: nobody decided in time, so the action was denied.",
    "failed": "Approved, but the action failed.",
}


def risk_level(score: int) -> str:
    """low / medium / high for a risk score (the badge colour)."""
    return "high" if score >= 80 else "medium" if score >= 30 else "low"


def show(value: Any) -> str:
    """A parameter value as a person reads it."""
    if value is None:
        return "∅"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def names(services: Any, ws: str) -> dict[str, str]:
    """Display names of the workspace's people and agents by id."""
    found = {u["id"]: u["name"] for u in services.admin.list_users(ws)}
    found.update({a["id"]: a["name"] for a in services.admin.list_agents(ws)})
    return found


def is_email(action: str, params: Mapping[str, Any]) -> bool:
    """True for a send with a subject or body (edited in text boxes)."""
    return action.startswith("email.") or ("body" in params and "to" in params)


def _recipients(params: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("to", "cc", "bcc"):
        value = params.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(str(v) for v in value)
    return found


def evidence(policy: Any, params: Mapping[str, Any], receipt: Mapping[str, Any] | None) -> Json | None:
    """The receipt's facts with the claims of the body each one supports, and the unsupported claims."""
    receipt = receipt or {}
    facts = list(receipt.get("facts") or [])
    _, body = outbound_text(dict(params))
    if not facts and not body and not receipt:
        return None
    ignore = [a.split("@", 1)[0].split(".", 1)[0].capitalize() for a in _recipients(params)]
    sender = str(params.get("from") or "")
    if "@" in sender:
        ignore.append(sender.split("@", 1)[1].split(".", 1)[0].capitalize())
    min_conf = float(policy.document.evidence.min_confidence)

    class _Fact:
        def __init__(self, raw: Mapping[str, Any]) -> None:
            self.text = str(raw.get("text") or "")
            self.confidence = float(raw.get("confidence", 1.0))

    results = match_claims(
        extract_claims(body) if body else [],
        [_Fact(f) for f in facts],
        min_confidence=min_conf,
        ignore=[i for i in ignore if i],
    )
    shown = []
    for i, fact in enumerate(facts):
        source = str(fact.get("source") or "")
        supports = sorted({r.claim.value for r in results if r.supported and r.fact_index == i})
        shown.append(
            {
                "text": fact.get("text", ""),
                "source": source,
                "href": source if source.startswith(("https://", "http://")) else None,
                "confidence": float(fact.get("confidence", 1.0)),
                "low": float(fact.get("confidence", 1.0)) < min_conf,
                "supports": supports,
            }
        )
    missing: dict[str, list[str]] = {}
    for r in results:
        if not r.supported:
            missing.setdefault(r.claim.sentence.strip(), []).append(r.claim.value)
    return {
        "facts": shown,
        "unsupported": [{"sentence": s, "claims": sorted(set(v))} for s, v in missing.items()],
        "claims": len(results),
        "supported": sum(1 for r in results if r.supported),
        "min_confidence": min_conf,
        "signals": receipt.get("signals") or [],
        "reasoning": receipt.get("reasoning"),
        "sources": [s for s in receipt.get("sources") or [] if s not in {f["source"] for f in shown}],
    }


def title(action: str, params: Mapping[str, Any]) -> str:
    """A card's heading: what the agent wants to do, in words."""
    if is_email(action, params):
        return f"Email to {show(params.get('to'))}"
    record = params.get("record_id") or params.get("record")
    obj = params.get("object")
    where = " ".join(str(p) for p in (obj, record) if p)
    return f"{action} {where}".strip()


def crm_change(services: Any, ws: str, action: str, params: Mapping[str, Any]) -> Json | None:
    """The CRM fields an action writes: now vs proposed (current values read from the CRM when possible)."""
    if not action.startswith(CRM_PREFIXES):
        return None
    obj = str(params.get("object") or ("opportunity" if action == "crm.stage_change" else ""))
    record_id = str(params.get("record_id") or params.get("record") or "")
    fields: dict[str, Any] = {}
    if isinstance(params.get("fields"), dict):
        fields = dict(params["fields"])
    elif action == "crm.stage_change":
        fields = {"stage": params.get("to")}
    elif action == "routing.assign":
        fields = {"owner_id": params.get("owner_id")}
    current: dict[str, Any] = {}
    if obj and record_id and fields:
        try:
            current = services.gate.connectors.crm(ws).get(obj, record_id)
        except Exception:  # a record the CRM does not know (yet): show the proposal alone
            current = {}
    rows = [{"field": k, "now": show(current.get(k)), "proposed": show(v)} for k, v in fields.items()]
    return {"object": obj, "record_id": record_id, "rows": rows}


def card(services: Any, view: Json, user: Any, people: Mapping[str, str]) -> Json:
    """Everything the card template needs for one approval view, for this person."""
    params: Json = dict(view.get("params") or {})
    policy = services.policy()
    score = int((view.get("risk") or {}).get("score", 0))
    email = is_email(view["action"], params)
    requirement = rules.Requirement(
        approvals_required=int(view["approvals_required"]),
        agent_id=str(view["agent_id"]),
        delegating_user=view.get("on_behalf_of"),
        roles=frozenset(view.get("approver_roles") or ()),
    )
    pending = view["status"] == "pending"
    refusal = rules.eligibility(user.user_id, sorted(user.roles), requirement) if pending else None
    mine = user.user_id in (view.get("approved_by") or [])
    return {
        "a": view,
        "title": title(view["action"], params),
        "pending": pending,
        "email": email,
        "draft": {
            "from": show(params.get("from")),
            "to": show(params.get("to")),
            "cc": show(params.get("cc")) if params.get("cc") else "",
            "subject": str(params.get("subject") or ""),
            "body": str(params.get("body") or ""),
        }
        if email
        else None,
        "crm": crm_change(services, view["workspace_id"], view["action"], params),
        "params": [(k, show(v)) for k, v in params.items()] if not email else [],
        "params_json": json.dumps(params, indent=2, ensure_ascii=False, sort_keys=True),
        "risk": {
            "score": score,
            "level": risk_level(score),
            "triggers": (view.get("risk") or {}).get("triggers", []),
        },
        "evidence": evidence(policy, params, view.get("evidence")) if email or view.get("evidence") else None,
        "agent": people.get(view["agent_id"], view["agent_id"]),
        "rep": people.get(view["on_behalf_of"], view["on_behalf_of"]) if view.get("on_behalf_of") else None,
        "approved_by": [people.get(u, u) for u in view.get("approved_by") or []],
        "votes": [
            {**v, "who": people.get(v["user_id"], v["user_id"])}
            for v in view.get("votes") or []
            if v["vote"] == "reject" or v["content_hash"] != view["content_hash"]
        ],
        "required": max(1, int(view["approvals_required"])),
        "refusal": refusal,
        "mine": mine,
        "done": DONE_MESSAGES.get(view["status"]) if not pending else None,
        "outcome": view.get("outcome") or {},
        "action_status": view.get("action_status"),
    }
