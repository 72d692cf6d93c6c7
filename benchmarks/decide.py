"""Latency of Proctor's in-process `decide` on the reference policy, and of cedarpy on the same questions.

Run with `make bench` (or `.venv/bin/python benchmarks/decide.py [--quick] [--json]`).

Three groups, each a realistic request mix timed call by call (time.perf_counter_ns, after a
warm-up, garbage collector enabled as in production):

1. permission questions without outbound content (CRM reads and writes, enrichment, notes, stage
   changes, routing, exports, delegated actions, a quarantined agent, a limit at its max);
2. sends with a ~1 KB body, which run every content check (blocked terms, competitors, PII,
   sensitive topics, evidence claims vs receipt facts, risk triggers);
3. the questions of group 1 answered by cedarpy on benchmarks/cedar/sales.cedar, mapping Proctor's
   decision to "allowed autonomously" (effect == allow). The benchmark checks that both engines
   give the same answer to every request of the mix and exits 1 if they do not.

The policy is loaded and the heap settled (``proctor.runtime.settle_heap``) before timing, as a
server does once its start-up is done.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import cedarpy
from rich.console import Console
from rich.table import Table

from proctor import decide, load_policy
from proctor.runtime import settle_heap

HERE = Path(__file__).resolve().parent
POLICY_PATH = HERE.parent / "examples" / "sales-default.yaml"
CEDAR_POLICY_PATH = HERE / "cedar" / "sales.cedar"
CEDAR_ENTITIES_PATH = HERE / "cedar" / "entities.json"

NOW = "2026-11-24T10:00:00Z"
AGENT = "agt_sdr_1"
TARGET_P99_PERMISSION_US = 50.0
TARGET_P99_SEND_US = 250.0
TARGET_CEDAR_RATIO = 5.0

Request = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One request of a mix and the effect the SPEC says Proctor gives it (checked, reported)."""

    name: str
    request: Request
    effect: str
    approvals: int = 0


def _req(
    action: str, params: dict[str, Any], *, facts: dict[str, Any] | None = None, **extra: Any
) -> Request:
    request: Request = {"action": action, "agent_id": AGENT, "run_id": "run_7f3a", "params": params}
    request.update(extra)
    request["facts"] = {"now": NOW, "agent_status": "active", **(facts or {})}
    return request


_LIVE = {
    "user": "usr_maria",
    "scopes": ["research.*", "note.*", "crm.*"],
    "expires_at": "2026-12-31T00:00:00Z",
}
_EXPIRED = {**_LIVE, "expires_at": "2026-11-01T00:00:00Z"}

# Group 1: permission questions, no outbound content. Expected effects follow SPEC §4-§5 on
# examples/sales-default.yaml (maturity 2).
PERMISSION_CASES: tuple[Case, ...] = (
    Case(
        "research.crm_read", _req("research.crm_read", {"object": "account", "record_id": "acc_100"}), "allow"
    ),
    Case("research.web", _req("research.web", {"query": "globex berlin office"}), "allow"),
    Case(
        "crm.update allowed fields",
        _req(
            "crm.update",
            {
                "object": "contact",
                "record_id": "con_55",
                "fields": {"title": "VP Sales", "phone": "+1 415 555 0100"},
            },
        ),
        "require_approval",
        1,  # crm_write (other) ceiling at maturity 2
    ),
    Case(
        "crm.update approve fields",
        _req(
            "crm.update",
            {
                "object": "opportunity",
                "record_id": "opp_9",
                "fields": {"amount": 48000, "close_date": "2026-12-15"},
            },
        ),
        "require_approval",
        1,
    ),
    Case(
        "crm.update denied field",
        _req("crm.update", {"object": "lead", "record_id": "lead_8", "fields": {"owner_id": "usr_kim"}}),
        "deny",
    ),
    Case(
        "crm.update unlisted field",
        _req("crm.update", {"object": "contact", "record_id": "con_55", "fields": {"nickname": "Dee"}}),
        "require_approval",
        1,
    ),
    Case(
        "enrich.append within budget",
        _req(
            "enrich.append",
            {"vendor": "clearbit", "record": "con_55", "fields": {"employee_count": 420}, "cost_usd": 2.5},
            facts={"usage": {"enrichment-spend": 140.5, "actions-per-agent": 311}},
        ),
        "allow",
    ),
    Case(
        "enrich.append over budget",
        _req(
            "enrich.append",
            {
                "vendor": "zoominfo",
                "record": "con_55",
                "fields": {"phone": "+44 20 7946 0000"},
                "cost_usd": 3,
            },
            facts={"usage": {"enrichment-spend": 198}},
        ),
        "deny",
    ),
    Case(
        "enrich.append unapproved vendor",
        _req(
            "enrich.append",
            {
                "vendor": "shadyleads",
                "record": "con_55",
                "fields": {"phone": "+1 212 555 0199"},
                "cost_usd": 0.5,
            },
        ),
        "deny",
    ),
    Case("note.create", _req("note.create", {"record_id": "con_55", "body": "Call summary"}), "allow"),
    Case(
        "note.create tainted run",
        _req("note.create", {"record_id": "con_55", "body": "Call summary"}, facts={"run_tainted": True}),
        "require_approval",
        1,
    ),
    Case(
        "task.create",
        _req("task.create", {"record_id": "con_55", "subject": "Follow up", "due": "2026-11-28"}),
        "allow",
    ),
    Case(
        "crm.stage_change mid-market",
        _req(
            "crm.stage_change",
            {"record_id": "opp_9", "from": "discovery", "to": "proposal"},
            facts={"resource": {"tier": "mid_market", "owner_id": "usr_maria"}},
        ),
        "require_approval",
        1,
    ),
    Case(
        "crm.stage_change enterprise",
        _req(
            "crm.stage_change",
            {"record_id": "opp_12", "from": "proposal", "to": "negotiation"},
            facts={"resource": {"tier": "enterprise", "owner_id": "usr_maria"}},
        ),
        "require_approval",
        2,
    ),
    Case(
        "routing.assign",
        _req("routing.assign", {"record_id": "lead_8", "owner_id": "usr_kim"}),
        "require_approval",
        1,
    ),
    Case(
        "data.export",
        _req(
            "data.export", {"object": "contact", "filter": {"segment": "emea"}, "fields": ["name", "title"]}
        ),
        "require_approval",
        2,
    ),
    Case(
        "delegated, in scope",
        _req(
            "note.create",
            {"record_id": "con_55", "body": "Prep notes"},
            on_behalf_of="usr_maria",
            facts={"delegation": _LIVE},
        ),
        "allow",
    ),
    Case(
        "delegated crm.update, in scope",
        _req(
            "crm.update",
            {"object": "contact", "record_id": "con_55", "fields": {"title": "CRO"}},
            on_behalf_of="usr_maria",
            facts={"delegation": _LIVE},
        ),
        "require_approval",
        1,
    ),
    Case(
        "delegated, out of scope",
        _req(
            "enrich.append",
            {"vendor": "apollo", "record": "con_55", "fields": {"title": "CRO"}, "cost_usd": 1},
            on_behalf_of="usr_maria",
            facts={"delegation": _LIVE},
        ),
        "deny",
    ),
    Case(
        "delegated, expired",
        _req(
            "research.crm_read",
            {"object": "account", "record_id": "acc_042"},
            on_behalf_of="usr_maria",
            facts={"delegation": _EXPIRED},
        ),
        "deny",
    ),
    Case(
        "quarantined agent",
        _req("research.kb", {"query": "pricing faq"}, facts={"agent_status": "quarantined"}),
        "deny",
    ),
    Case(
        "limit: last action under the max",
        _req(
            "research.crm_read",
            {"object": "account", "record_id": "acc_7"},
            facts={"usage": {"actions-per-agent": 1999}},
        ),
        "allow",
    ),
    Case(
        "limit: at the max",
        _req(
            "task.create",
            {"record_id": "con_55", "subject": "Call back"},
            facts={"usage": {"actions-per-agent": 2000}},
        ),
        "deny",
    ),
    Case("unknown action", _req("crm.delete", {"object": "contact", "record_id": "con_55"}), "deny"),
)

# Group 2: sends with a ~1 KB body (subject + body), realistic sales emails with a few receipt facts.
_SIG = "\n\nBest,\nSam Lee\nAccount Executive, Acme\nacme.io | +1 415 555 0134"

_BODY_FOLLOWUP = (
    "Hi Ana,\n\n"
    "Thanks again for the time on Tuesday. I shared your notes with our solutions team and put together "
    "a short recap so your team has it in one place before the pilot review.\n\n"
    "You mentioned that Umbrella is rolling out Salesforce to the EMEA sales team in Q1 and that the "
    "current manual routing takes your ops team most of Monday. That is the exact workflow the pilot "
    "covers: inbound leads are scored, deduplicated and assigned to the right rep within minutes, and "
    "every assignment is logged so your managers can see why a lead went where it did.\n\n"
    "For the pilot itself, I'd suggest we start with the inbound demo-request queue only, keep the "
    "existing territory rules, and review the results together after two weeks. Your admin would need "
    "about an hour with our onboarding lead to connect the sandbox.\n\n"
    "Does Thursday afternoon work for a 30-minute call to agree on the scope and success criteria? "
    "If another day is easier, just send me a couple of options and I will make it work."
) + _SIG

_FACTS_FOLLOWUP = [
    {
        "text": "Umbrella is rolling out Salesforce to its EMEA sales team in Q1",
        "source": "crm:note_881",
        "confidence": 0.9,
    },
    {
        "text": "Discovery call with Ana Ruiz held on Tuesday 2026-11-17",
        "source": "crm:act_4410",
        "confidence": 1.0,
    },
]

_BODY_FIRST_TOUCH = (
    "Hi Raj,\n\n"
    "Congratulations on the Series C. I saw that Hooli raised $40M in October and announced plans to "
    "double the sales team in 2027, which usually means a lot of new reps ramping at the same time.\n\n"
    "We help revenue teams like yours route and follow up on inbound leads automatically, with a full "
    "audit trail of every action the system takes on a rep's behalf. Teams of your size typically "
    "connect it to their CRM in a day and see the first routed leads the same week.\n\n"
    "I've attached a one-page overview along with our standard pricing for a team of 50 seats, which "
    "includes a 15% discount for annual commitments signed before the end of the quarter. I'm happy "
    "to walk you through how other teams structured the rollout and what the first month looked like.\n\n"
    "Would you be open to a 20-minute call next week to see whether it fits your plans for next year? "
    "If someone else on your team owns inbound operations, I'd appreciate a pointer to the right person."
) + _SIG

_FACTS_FIRST_TOUCH = [
    {
        "text": "Hooli raised $40M Series C in October 2026",
        "source": "https://news.example/hooli-series-c",
        "confidence": 0.95,
    },
    {
        "text": "Hooli plans to double its sales team in 2027",
        "source": "https://news.example/hooli-hiring",
        "confidence": 0.8,
    },
]

_BODY_BLOCKED = (
    "Hi Dana,\n\n"
    "Following up on the note I sent last week about inbound lead routing. Globex opened a Berlin office "
    "this year and is hiring SDRs in three regions, so I imagine the volume of inbound requests is growing "
    "faster than the team that handles them.\n\n"
    "Our customers get guaranteed results in the first month: every inbound lead is answered within five "
    "minutes, routed to the right rep and logged, and the setup is completely risk-free because you can "
    "switch it off at any time without losing data.\n\n"
    "The platform plugs into the CRM you already use, keeps your territory rules, and gives managers a "
    "clear view of which leads were routed where and why. Most teams are live within a week, and we "
    "handle the integration work with your admin so nobody on the sales side has to change how they work.\n\n"
    "Would a short call on Wednesday or Thursday work to see whether this would help your team in Berlin? "
    "I'm happy to send over a short overview beforehand if that is more useful."
) + _SIG

_FACTS_BLOCKED = [
    {
        "text": "Globex opened a Berlin office in 2026",
        "source": "https://news.example/globex-berlin",
        "confidence": 0.9,
    },
    {
        "text": "Globex is hiring SDRs in three regions",
        "source": "https://globex.com/careers",
        "confidence": 0.85,
    },
]

_BODY_COMPETITOR = (
    "Hi Priya,\n\n"
    "Thanks for the candid feedback on the call. I understand your team has been on Initech for routing "
    "since 2022 and that switching tools in the middle of the planning cycle is not something anyone "
    "wants to do lightly.\n\n"
    "A few teams that made the same move told us the main difference they noticed was visibility: every "
    "assignment comes with the reason it was made, so managers stop spending Monday mornings untangling "
    "who owns which lead. The migration itself is mostly mapping your existing territory rules, which "
    "our onboarding team does with your admin over two short sessions.\n\n"
    "If it would help, I can put together a side-by-side of your current routing rules and how they would "
    "look in our setup, so you can judge the effort before committing to anything. There is no need to "
    "decide anything now; the goal is to give you enough information for the planning discussion.\n\n"
    "Would early next week work for a 30-minute working session with your ops lead?"
) + _SIG

_FACTS_COMPETITOR = [
    {
        "text": "Soylent has used Initech for lead routing since 2022",
        "source": "crm:note_912",
        "confidence": 0.9,
    },
]

_BODY_PII = (
    "Hi Tom,\n\n"
    "As requested, here are the details we have on file so your finance team can finish the vendor "
    "onboarding form before the pilot starts. Please check them and let me know if anything "
    "is out of date.\n\n"
    "Billing contact: Maria Chen, maria.chen@initrode-finance.example, direct line +1 212 555 0148.\n"
    "Card on file for the pilot deposit: 4111 1111 1111 1111, expiry 09/28.\n"
    "Tax reference for the signatory: SSN 123-45-6789.\n\n"
    "Once the form is submitted, our onboarding team will schedule the kickoff with your admin and share "
    "the sandbox credentials through the usual secure channel. The pilot covers the inbound demo-request "
    "queue only, and we will review the results together after two weeks.\n\n"
    "If anything in the form is unclear, reply here and I'll get you an answer the same day. Looking "
    "forward to getting your team up and running before the holidays."
) + _SIG

_BODY_UNSUPPORTED = (
    "Hi Lena,\n\n"
    "I noticed Initrode just acquired Vandelay Analytics and moved its headquarters to Austin in "
    "September, and that your team grew to 120 reps this year. Congratulations, that is a lot of change "
    "in a short time.\n\n"
    "When companies integrate an acquisition, inbound routing is usually one of the first things to "
    "break: two CRMs, two sets of territory rules, and leads that fall between them. We help revenue "
    "teams bring both sides onto one set of rules quickly, with an audit trail of every assignment so "
    "managers can see why a lead went where it did.\n\n"
    "Companies like Wayne Enterprises cut their lead response time by 63% in the first quarter after "
    "switching, and their managers stopped reassigning leads by hand.\n\n"
    "Would you be open to a 20-minute call next week to compare notes on how you are planning the "
    "integration? Happy to share what worked for other teams in the same position."
) + _SIG


def _send(
    action: str,
    to: str,
    subject: str,
    body: str,
    *,
    facts: list[dict[str, Any]] | None = None,
    request_facts: dict[str, Any] | None = None,
    touch: str = "followup",
    sender: str = "sam@acme.io",
    **params: Any,
) -> Request:
    evidence: dict[str, Any] = {"sources": ["crm:con_55"], "reasoning": "follow-up in an active opportunity"}
    if facts:
        evidence["facts"] = facts
    all_params = {"from": sender, "to": to, "subject": subject, "body": body, "touch": touch, **params}
    return _req(
        action,
        all_params,
        evidence=evidence,
        target={"object": "contact", "record_id": "con_55"},
        facts=request_facts,
    )


_KNOWN = {
    "known_recipient_domains": ["umbrella.com", "globex.com", "soylent.example"],
    "email_verified": True,
}

SEND_CASES: tuple[Case, ...] = (
    Case(
        "followup, claims supported",
        _send(
            "email.send",
            "ana@umbrella.com",
            "Pilot scope and next steps",
            _BODY_FOLLOWUP,
            facts=_FACTS_FOLLOWUP,
            request_facts=_KNOWN,
        ),
        "require_approval",
        1,
    ),
    Case(
        "first touch, pricing + attachment + key account",
        {
            **_send(
                "email.send",
                "raj@hooli.example",
                "Routing for Hooli's new reps",
                _BODY_FIRST_TOUCH,
                facts=_FACTS_FIRST_TOUCH,
                touch="first",
                attachments=["acme-overview.pdf"],
                request_facts={"email_verified": True},
            ),
            "target": {"object": "contact", "record_id": "con_77", "account_id": "acc_001"},
        },
        "require_approval",
        2,
    ),
    Case(
        "blocked terms",
        _send(
            "email.send",
            "dana@globex.com",
            "Inbound routing for Berlin",
            _BODY_BLOCKED,
            facts=_FACTS_BLOCKED,
            request_facts=_KNOWN,
        ),
        "deny",
    ),
    Case(
        "competitor named",
        _send(
            "email.send",
            "priya@soylent.example",
            "Routing side-by-side",
            _BODY_COMPETITOR,
            facts=_FACTS_COMPETITOR,
            request_facts=_KNOWN,
        ),
        "require_approval",
        1,
    ),
    Case(
        "PII in body",
        _send(
            "email.send",
            "tom@initrode.example",
            "Vendor onboarding details",
            _BODY_PII,
            request_facts={"email_verified": True},
        ),
        "require_approval",
        2,
    ),
    Case(
        "unsupported claims",
        _send(
            "email.send",
            "lena@initrode.example",
            "Congrats on the acquisition",
            _BODY_UNSUPPORTED,
            touch="first",
            request_facts={"email_verified": True},
        ),
        "require_approval",
        1,
    ),
    Case(
        "sequence.enroll",
        _send(
            "sequence.enroll",
            "ana@umbrella.com",
            "Pilot scope and next steps",
            _BODY_FOLLOWUP,
            facts=_FACTS_FOLLOWUP,
            request_facts=_KNOWN,
            sequence_id="seq_pilot",
            record_id="con_55",
        ),
        "require_approval",
        1,
    ),
    Case(
        "calendar.invite",
        _send(
            "calendar.invite",
            "ana@umbrella.com",
            "Pilot scope review",
            _BODY_FOLLOWUP,
            facts=_FACTS_FOLLOWUP,
            request_facts=_KNOWN,
            start="2026-11-26T15:00:00Z",
            end="2026-11-26T15:30:00Z",
        ),
        "require_approval",
        1,
    ),
    Case(
        "personal sender domain",
        _send(
            "email.send",
            "ana@umbrella.com",
            "Pilot scope and next steps",
            _BODY_FOLLOWUP,
            facts=_FACTS_FOLLOWUP,
            request_facts=_KNOWN,
            sender="sam@yahoo.com",
        ),
        "deny",
    ),
)

# ---------------------------------------------------------------------------------------------
# Cedar: request → cedarpy request (the conversion is part of cedarpy's real cost)
# ---------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NEVER = 2**62  # "now" unknown: no delegation can be live (Proctor denies without facts.now)


def _epoch_us(value: str) -> int:
    """RFC 3339 → microseconds since the epoch (a Cedar Long; Proctor compares datetimes exactly)."""
    when = datetime.fromisoformat(value)
    return (when - _EPOCH) // _MICROSECOND


def _cents(value: Any) -> int:
    return round(float(value) * 100) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def to_cedar(request: Request) -> dict[str, Any]:
    """The cedarpy request for one Proctor request dict (principal, action, resource, context)."""
    action = request["action"]
    params = request.get("params") or {}
    facts = request.get("facts") or {}
    usage = facts.get("usage") or {}
    user = request.get("on_behalf_of")
    delegation = facts.get("delegation")
    now = facts.get("now")
    covers = False
    expires = 0
    if user is not None and delegation is not None:
        if delegation.get("constraints"):
            raise ValueError("delegation constraints (CEL) have no Cedar equivalent in this benchmark")
        covers = (
            delegation["user"] == user
            and not delegation.get("revoked", False)
            and any(fnmatchcase(action, scope) for scope in delegation["scopes"])
        )
        expires = _epoch_us(delegation["expires_at"])
    fields = params.get("fields")
    field_names = list(fields) if isinstance(fields, dict | list) else []
    resource_facts = facts.get("resource") or {}
    vendor = params.get("vendor")
    record = params.get("record_id") or params.get("record") or (request.get("target") or {}).get("record_id")
    return {
        "principal": {"type": "Agent", "id": request.get("agent_id") or "anonymous"},
        "action": {"type": "Action", "id": action},
        "resource": {"type": "Record", "id": record or "none"},
        "context": {
            "action": action,
            "agent_status": facts.get("agent_status", "active"),
            "run_tainted": bool(facts.get("run_tainted", False)),
            "on_behalf": user is not None,
            "delegation_covers": covers,
            "now": _epoch_us(now) if now else _NEVER,
            "delegation_expires": expires,
            "usage": {
                # usage + 1 > max ⇔ ceil(usage) + 1 > max for an integer max
                "actions_per_agent": math.ceil(usage.get("actions-per-agent", 0)),
                "enrichment_spend_cents": _cents(usage.get("enrichment-spend", 0)),
            },
            "cost_cents": _cents(params.get("cost_usd", 0)),
            "vendor": vendor if isinstance(vendor, str) else "",
            "fields": field_names,
            "resource": {k: v for k, v in resource_facts.items() if isinstance(v, str | bool)},
        },
    }


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table."""

    group: str
    engine: str
    n: int
    p50_us: float
    p99_us: float
    mean_us: float
    ratio_vs_proctor_p50: float | None = None
    target_p99_us: float | None = None


def _row(group: str, engine: str, samples_ns: Sequence[float], target: float | None = None) -> Row:
    ordered = sorted(samples_ns)
    n = len(ordered)

    def rank(q: float) -> float:
        return ordered[min(n - 1, max(0, round(q * n + 0.5) - 1))] / 1000.0  # nearest rank

    return Row(
        group,
        engine,
        n,
        round(rank(0.50), 2),
        round(rank(0.99), 2),
        round(sum(ordered) / n / 1000.0, 2),
        target_p99_us=target,
    )


@dataclass(frozen=True)
class Budget:
    """How long to time one line: warm-up, then rounds over the mix until the time is up."""

    seconds: float
    warmup_s: float = 0.5
    min_rounds: int = 20
    max_rounds: int = 20_000

    def quick(self) -> Budget:
        """A smoke-test budget (--quick): a few rounds, no meaningful numbers."""
        return Budget(seconds=0.05, warmup_s=0.02, min_rounds=3, max_rounds=20)


def time_each(fn: Callable[[Any], Any], items: Sequence[Any], budget: Budget) -> list[int]:
    """Per-call wall time in ns of fn(item) for every item, in rounds over the mix, after a warm-up."""
    clock = time.perf_counter_ns
    deadline = clock() + int(budget.warmup_s * 1e9)
    while clock() < deadline:
        for item in items:
            fn(item)
    samples: list[int] = []
    append = samples.append
    deadline = clock() + int(budget.seconds * 1e9)
    rounds = 0
    while rounds < budget.min_rounds or (clock() < deadline and rounds < budget.max_rounds):
        for item in items:
            start = clock()
            fn(item)
            append(clock() - start)
        rounds += 1
    return samples


def time_batches(fn: Callable[[], Any], size: int, budget: Budget) -> list[float]:
    """Per-request wall time in ns of one batch call covering `size` requests (amortised)."""
    clock = time.perf_counter_ns
    deadline = clock() + int(budget.warmup_s * 1e9)
    while clock() < deadline:
        fn()
    samples: list[float] = []
    deadline = clock() + int(budget.seconds * 1e9)
    rounds = 0
    while rounds < budget.min_rounds or (clock() < deadline and rounds < budget.max_rounds):
        start = clock()
        fn()
        samples.extend([(clock() - start) / size] * size)
        rounds += 1
    return samples


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def _check_expectations(policy: Any, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Where Proctor's answer differs from what the SPEC says for a case of the mix (reported, not fatal)."""
    out: list[dict[str, Any]] = []
    for case in cases:
        decision = decide(policy, case.request)
        effect = str(decision.effect.value)
        if effect != case.effect or decision.approvals_required != case.approvals:
            out.append(
                {
                    "case": case.name,
                    "expected": f"{case.effect}/{case.approvals}",
                    "got": f"{effect}/{decision.approvals_required}",
                    "reasons": list(decision.reasons),
                }
            )
    return out


def _agreement(policy: Any, cases: Sequence[Case], policies: Any, entities: Any) -> list[dict[str, Any]]:
    """Requests on which Proctor (effect == allow) and cedarpy (Allow) disagree, single and batch calls."""
    converted = [to_cedar(c.request) for c in cases]
    batch = cedarpy.is_authorized_batch(converted, policies, entities)
    mismatches: list[dict[str, Any]] = []
    for case, cedar_req, batched in zip(cases, converted, batch, strict=True):
        proctor_allowed = decide(policy, case.request).effect.value == "allow"
        single = cedarpy.is_authorized(cedar_req, policies, entities)
        errors = list(single.diagnostics.errors) + list(batched.diagnostics.errors)
        if single.allowed != proctor_allowed or batched.allowed != proctor_allowed or errors:
            mismatches.append(
                {
                    "case": case.name,
                    "proctor_allowed": proctor_allowed,
                    "cedar_allowed": single.allowed,
                    "cedar_batch_allowed": batched.allowed,
                    "cedar_reasons": [
                        single.diagnostics.id_annotations_by_reason.get(r, r)
                        for r in single.diagnostics.reasons
                    ],
                    "cedar_errors": errors,
                }
            )
    return mismatches


def _measure(
    policy: Any,
    policies: Any,
    entities: Any,
    policy_text: str,
    entities_text: str,
    budget: Callable[[float], Budget],
) -> list[Row]:
    """Time every line of the table."""
    perm = [c.request for c in PERMISSION_CASES]
    sends = [c.request for c in SEND_CASES]
    converted = [to_cedar(r) for r in perm]
    g1, g2, g3 = "1 permissions", "2 sends ~1 KB", "3 permissions"
    rows: list[Row] = []

    def proctor(request: Request) -> Any:
        return decide(policy, request)

    authorize, authorize_batch = cedarpy.is_authorized, cedarpy.is_authorized_batch

    def cedar(request: Request) -> Any:
        return authorize(to_cedar(request), policies, entities)

    def cedar_preconverted(cedar_request: dict[str, Any]) -> Any:
        return authorize(cedar_request, policies, entities)

    def cedar_batch() -> Any:
        return authorize_batch([to_cedar(r) for r in perm], policies, entities)

    def cedar_batch_preconverted() -> Any:
        return authorize_batch(converted, policies, entities)

    def cedar_text(request: Request) -> Any:
        return authorize(to_cedar(request), policy_text, entities_text)

    rows.append(_row(g1, "proctor decide", time_each(proctor, perm, budget(8)), TARGET_P99_PERMISSION_US))
    rows.append(_row(g2, "proctor decide", time_each(proctor, sends, budget(12)), TARGET_P99_SEND_US))
    rows.append(_row(g3, "cedarpy is_authorized + conversion", time_each(cedar, perm, budget(7))))
    rows.append(
        _row(g3, "cedarpy is_authorized, pre-converted", time_each(cedar_preconverted, converted, budget(5)))
    )
    rows.append(
        _row(g3, "cedarpy batch + conversion (per req)", time_batches(cedar_batch, len(perm), budget(5)))
    )
    rows.append(
        _row(
            g3,
            "cedarpy batch, pre-converted (per req)",
            time_batches(cedar_batch_preconverted, len(perm), budget(4)),
        )
    )
    rows.append(_row(g3, "cedarpy is_authorized, policy as text", time_each(cedar_text, perm, budget(3))))

    base = rows[0].p50_us
    for row in rows:
        if row.group == g3:
            row.ratio_vs_proctor_p50 = round(row.p50_us / base, 2) if base else None
    return rows


def calibration_us() -> float:
    """The machine's speed right now: µs for ``sum(range(1000))`` (best of 5; a laptop gives 8–10)."""
    return round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 1)


def run(quick: bool) -> dict[str, Any]:
    """Run every group; return the results as a JSON-able dict."""

    def budget(seconds: float) -> Budget:
        full = Budget(seconds)
        return full.quick() if quick else full

    policy = load_policy(POLICY_PATH)
    policy_text = CEDAR_POLICY_PATH.read_text(encoding="utf-8")
    entities_text = CEDAR_ENTITIES_PATH.read_text(encoding="utf-8")
    policies = cedarpy.PolicySet.from_str(policy_text)
    entities = cedarpy.Entities.from_json_str(entities_text)
    settle_heap()  # as a server does once start-up is done

    mismatches = _agreement(policy, PERMISSION_CASES, policies, entities)
    expectations = _check_expectations(policy, PERMISSION_CASES + SEND_CASES)

    perm = [c.request for c in PERMISSION_CASES]
    sends = [c.request for c in SEND_CASES]
    load_before = os.getloadavg()
    calibration = calibration_us()
    started = time.perf_counter()
    # Timing a comparison of engines that answer different questions would be meaningless.
    rows = [] if mismatches else _measure(policy, policies, entities, policy_text, entities_text, budget)
    elapsed = time.perf_counter() - started

    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cedarpy": importlib.metadata.version("cedarpy"),
        "quick": quick,
        "timed_seconds": round(elapsed, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "calibration_sum_range_1000_us": calibration,
        "mix": {
            "permissions": len(perm),
            "sends": len(sends),
            "send_body_bytes": sorted(len(r["params"]["body"].encode()) for r in sends),
        },
        "agreement": {"agreed": not mismatches, "requests": len(perm), "mismatches": mismatches},
        "spec_expectation_mismatches": expectations,
        "targets": {
            "permissions_p99_us": TARGET_P99_PERMISSION_US,
            "sends_p99_us": TARGET_P99_SEND_US,
            "cedarpy_over_proctor_p50": TARGET_CEDAR_RATIO,
        },
        "results": [asdict(r) for r in rows],
    }


def _print(result: dict[str, Any]) -> None:
    console = Console()
    if console.width < 140:  # the table needs room; piped output gets it too
        console = Console(width=140)
    load = result["load_average_before"], result["load_average_after"]
    console.print(
        f"Python {result['python']} ({result['implementation']}), {result['cpu_count']} CPUs, "
        f"cedarpy {result['cedarpy']}, {result['date']}" + (" [quick]" if result["quick"] else "")
    )
    console.print(
        f"timed for {result['timed_seconds']} s; load avg before {load[0][0]:.2f}, after {load[1][0]:.2f} "
        "(other work on the machine inflates p99); "
        f"sum(range(1000)) takes {result['calibration_sum_range_1000_us']} µs (a laptop: 8-10)"
    )
    mix = result["mix"]
    console.print(
        f"mix: {mix['permissions']} permission requests, {mix['sends']} sends "
        f"(bodies {min(mix['send_body_bytes'])}-{max(mix['send_body_bytes'])} bytes)"
    )
    table = Table(title="decide latency (µs per request)")
    for col in ("group", "engine", "n", "p50 µs", "p99 µs", "mean µs", "cedarpy÷proctor p50"):
        table.add_column(col, justify="left" if col in ("group", "engine") else "right", no_wrap=True)
    for row in result["results"]:
        target = row["target_p99_us"]
        p99 = f"{row['p99_us']:.1f}"
        if target is not None:
            p99 = f"[{'green' if row['p99_us'] <= target else 'red'}]{p99}[/] (≤{target:g})"
        ratio = row["ratio_vs_proctor_p50"]
        table.add_row(
            row["group"],
            row["engine"],
            str(row["n"]),
            f"{row['p50_us']:.1f}",
            p99,
            f"{row['mean_us']:.1f}",
            "" if ratio is None else f"{ratio:.1f}×",
        )
    console.print(table)
    agreement = result["agreement"]
    if agreement["agreed"]:
        console.print(
            f"[green]agreement:[/] Proctor and cedarpy give the same answer on all "
            f"{agreement['requests']} permission requests"
        )
    for item in result["spec_expectation_mismatches"]:
        console.print(
            f"[yellow]note:[/] {item['case']}: SPEC expects {item['expected']}, "
            f"Proctor answered {item['got']} ({'; '.join(item['reasons'])})"
        )


def min_costs(calls: int = 500) -> dict[str, float]:
    """Per group, the mean over the mix of each request's fastest call (µs): the work, not the load."""
    policy = load_policy(POLICY_PATH)
    settle_heap()  # as a server does once start-up is done
    clock = time.perf_counter_ns
    out: dict[str, float] = {}
    for group, cases in (("1 permissions", PERMISSION_CASES), ("2 sends ~1 KB", SEND_CASES)):
        fastest: list[int] = []
        for case in cases:
            best = 1 << 62
            for _ in range(calls):
                start = clock()
                decide(policy, case.request)
                best = min(best, clock() - start)
            fastest.append(best)
        out[group] = round(sum(fastest) / len(fastest) / 1000.0, 1)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test, not a measurement)")
    parser.add_argument(
        "--min-cost", action="store_true", help="only the mean of each request's fastest call, per group"
    )
    args = parser.parse_args(argv)
    if args.min_cost:
        costs: dict[str, Any] = dict(min_costs(20 if args.quick else 500))
        costs["load_average"] = [round(x, 2) for x in os.getloadavg()]
        costs["calibration_sum_range_1000_us"] = calibration_us()
        print(json.dumps(costs))
        return 0
    result = run(args.quick)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    mismatches = result["agreement"]["mismatches"]
    if mismatches:
        err = Console(stderr=True)
        err.print(
            f"[red]ERROR:[/] Proctor and cedarpy disagree on {len(mismatches)} request(s); "
            "the comparison is not fair until they answer the same questions:"
        )
        for m in mismatches:
            err.print(
                f"  - {m['case']}: proctor allowed={m['proctor_allowed']}, cedarpy allowed="
                f"{m['cedar_allowed']} (batch {m['cedar_batch_allowed']}), cedar policies "
                f"{m['cedar_reasons']}, errors {m['cedar_errors']}"
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
