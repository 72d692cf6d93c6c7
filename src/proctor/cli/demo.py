"""`proctor demo`: a sales agent's day, every step decided by the reference policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from proctor.domain.decisions import Decision, Effect
from proctor.policy.compile import load_policy
from proctor.policy.evaluate import decide

STARTER_POLICY = Path(__file__).resolve().parent.parent / "templates" / "policy.yaml"
NOW = "2026-11-24T10:00:00Z"
_MARIA = {
    "user": "usr_maria",
    "scopes": ["research.*", "draft.*", "email.*", "crm.*"],
    "expires_at": "2026-12-31T00:00:00Z",
}
_BERLIN = {
    "text": "Globex opened a Berlin office in 2026",
    "source": "https://news.example/globex-berlin",
    "confidence": 0.9,
}


def _send(body: str, **extra: Any) -> dict[str, Any]:
    params = {
        "from": "maria@acme.io",
        "to": "dana@globex.com",
        "subject": "Globex in Berlin",
        "touch": "first",
        "body": body,
    }
    params.update(extra)
    return params


STORY: list[tuple[str, dict[str, Any]]] = [
    (
        "Research the account in the CRM",
        {"action": "research.crm_read", "params": {"object": "account", "record_id": "acc_042"}},
    ),
    (
        "Draft a first-touch email",
        {
            "action": "draft.email",
            "params": {
                "to": "dana@globex.com",
                "subject": "Berlin",
                "body": "Hi Dana, congrats on the new Berlin office.",
            },
        },
    ),
    (
        "Send it, backed by a sourced fact",
        {
            "action": "email.send",
            "on_behalf_of": "usr_maria",
            "target": {"account_id": "acc_042"},
            "params": _send(
                "Hi Dana, congrats on opening the Berlin office in 2026. Open to a call next week?"
            ),
            "evidence": {"facts": [_BERLIN]},
            "facts": {"email_verified": True, "delegation": _MARIA},
        },
    ),
    (
        "Send a made-up claim (no receipt)",
        {
            "action": "email.send",
            "on_behalf_of": "usr_maria",
            "params": _send("Hi Dana, I saw Globex raised a $40M Series C last month."),
            "evidence": {"facts": [_BERLIN]},
            "facts": {
                "known_recipient_domains": ["globex.com"],
                "email_verified": True,
                "delegation": _MARIA,
            },
        },
    ),
    (
        "Promise 'guaranteed results'",
        {
            "action": "email.send",
            "params": _send("Hi Dana, we deliver guaranteed results.", touch="followup"),
            "facts": {"known_recipient_domains": ["globex.com"], "email_verified": True},
        },
    ),
    (
        "Pricing + discount to a key account, new domain",
        {
            "action": "email.send",
            "target": {"account_id": "acc_001"},
            "params": {
                "from": "sam@acme.io",
                "to": "raj@hooli.example",
                "subject": "Proposal",
                "touch": "first",
                "body": "Hi Raj, attached is our pricing with a 15% discount.",
                "attachments": ["quote.pdf"],
            },
            "facts": {"email_verified": True},
        },
    ),
    (
        "Send from a personal mailbox",
        {"action": "email.send", "params": _send("Hi Dana", **{"from": "maria@yahoo.com"})},
    ),
    (
        "Update a contact's title and phone",
        {
            "action": "crm.update",
            "params": {
                "object": "contact",
                "record_id": "con_123",
                "fields": {"title": "VP Sales", "phone": "+49 30 1234567"},
            },
        },
    ),
    (
        "Reassign the lead to another rep",
        {
            "action": "crm.update",
            "params": {"object": "lead", "record_id": "lead_8", "fields": {"owner_id": "usr_kim"}},
        },
    ),
    (
        "Enrich from an approved vendor",
        {
            "action": "enrich.append",
            "params": {
                "vendor": "apollo",
                "record": "con_123",
                "fields": {"linkedin_url": "https://linkedin.example/dana"},
                "cost_usd": 0.5,
            },
            "facts": {"usage": {"enrichment-spend": 40}},
        },
    ),
    (
        "Enrich past the monthly budget",
        {
            "action": "enrich.append",
            "params": {
                "vendor": "zoominfo",
                "record": "con_123",
                "fields": {"phone": "+49 30 7654321"},
                "cost_usd": 3,
            },
            "facts": {"usage": {"enrichment-spend": 198}},
        },
    ),
    (
        "Write a note after reading an injected web page",
        {
            "action": "note.create",
            "run_id": "run_7f3a",
            "params": {"record_id": "con_123", "body": "Call notes"},
            "facts": {"run_tainted": True},
        },
    ),
    (
        "Move an enterprise deal to negotiation",
        {
            "action": "crm.stage_change",
            "params": {"record_id": "opp_9", "from": "discovery", "to": "negotiation"},
            "facts": {"resource": {"tier": "enterprise"}},
        },
    ),
    (
        "Export every contact",
        {"action": "data.export", "params": {"object": "contact", "fields": ["email", "phone"]}},
    ),
    (
        "Act for Maria after her delegation expired",
        {
            "action": "email.send",
            "on_behalf_of": "usr_maria",
            "params": _send("Hi Dana"),
            "facts": {"now": "2027-01-05T09:00:00Z", "delegation": _MARIA},
        },
    ),
    (
        "Anything, once the agent is quarantined",
        {"action": "research.web", "params": {"query": "globex"}, "facts": {"agent_status": "quarantined"}},
    ),
]

_STYLE = {Effect.ALLOW: "green", Effect.REQUIRE_APPROVAL: "yellow", Effect.DENY: "red"}


def _why(decision: Decision) -> str:
    """The reasons worth a glance: generic ceiling/rule reasons only when nothing more specific fired."""
    generic = ("maturity ", f" is {decision.effect.value} by actions.")
    specific = [r for r in decision.reasons if not (r.startswith(generic[0]) or generic[1] in r)]
    return "\n".join(specific or decision.reasons)


def _with_now(request: dict[str, Any]) -> dict[str, Any]:
    facts = {"now": NOW, **request.get("facts", {})}
    return {**request, "facts": facts}


def story_decisions(policy_path: Path = STARTER_POLICY) -> list[tuple[str, dict[str, Any], Decision]]:
    """Decide each step of the demo story."""
    policy = load_policy(policy_path)
    return [(title, req, decide(policy, _with_now(req))) for title, req in STORY]


def demo_command(
    policy: Annotated[
        Path, typer.Option("--policy", "-p", help="Policy to run the story against.")
    ] = STARTER_POLICY,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--no-live",
            help="Then run part 2 live (approvals, worker, SMTP sink, CRM diff, rollback) and hand off to "
            "the console.",
        ),
    ] = True,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="Serve the console on 127.0.0.1:8700 (or the next free port) until Ctrl-C; "
            "default: only when stdout is a terminal.",
        ),
    ] = None,
    home: Annotated[
        Path, typer.Option("--home", help="The demo home, deleted and recreated on each run.")
    ] = Path(".proctor-demo"),
) -> None:
    """Run the end-to-end story: a sales agent's actions, each decided with its reasons."""
    console = Console(width=max(Console().width, 140))
    steps = story_decisions(policy)
    compiled = load_policy(policy)
    console.print(
        f"[bold]Proctor demo[/bold] — policy [cyan]{compiled.name}[/cyan] at maturity "
        f"{compiled.maturity}, version {compiled.version[:19]}…"
    )
    table = Table(
        show_lines=True, title="Every action an agent attempts, decided before it touches the world"
    )
    table.add_column("#", justify="right")
    table.add_column("The agent tries to…", max_width=30)
    table.add_column("action")
    table.add_column("decision")
    table.add_column("risk", justify="right")
    table.add_column("why", max_width=62)
    for i, (title, req, decision) in enumerate(steps, 1):
        style = _STYLE[decision.effect]
        effect = decision.effect.value
        if decision.effect is Effect.REQUIRE_APPROVAL:
            effect += f" ×{decision.approvals_required}"
        risk = str(decision.risk.score) if decision.risk.triggers else "–"
        table.add_row(str(i), title, req["action"], f"[{style}]{effect}[/{style}]", risk, _why(decision))
    console.print(table)
    counts = {e: sum(1 for *_, d in steps if d.effect is e) for e in Effect}
    console.print(
        f"{counts[Effect.ALLOW]} allowed, {counts[Effect.REQUIRE_APPROVAL]} waiting for a human, "
        f"{counts[Effect.DENY]} denied. Try: proctor decide --policy examples/sales-default.yaml "
        "--request FILE"
    )
    if live:
        from proctor.cli.demo_live import run_live

        run_live(console, policy, home, serve)
