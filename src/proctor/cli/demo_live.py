"""Part 2 of `proctor demo`: the control plane, live, in a throwaway home.

Embedded SQLite, the sandbox CRM seeded with sample data and a local SMTP sink on a free loopback port,
all under a TemporaryDirectory: an agent asks, a human approves, the worker executes once, the email
arrives, CRM edits show a before → after diff and a rollback of the run restores the record.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from proctor.bootstrap import Services, build
from proctor.config import Settings
from proctor.connectors.smtp_sink import SmtpSink, free_port
from proctor.domain.identity import UserPrincipal
from proctor.rollback import RollbackService, preview_text
from proctor.store.secrets import new_fernet_key, new_signing_key
from proctor.worker import Worker, approvals_for

RUN_ID = "run_demo"
CONTACT = "con_123"
BERLIN = {
    "text": "Globex opened a Berlin office in 2026",
    "source": "https://news.example/globex-berlin",
    "confidence": 0.9,
}
EDIT = {"title": "SVP Sales", "phone": "+49 30 1234567"}


def _settings(home: Path, policy: Path, port: int) -> Settings:
    """Every path and key explicit: nothing is read from, or written to, the user's setup."""
    return Settings(
        home=home,
        database_url=f"sqlite:///{home}/proctor.db",
        policy_path=str(policy),
        keys_path=str(home / "proctor.keys"),
        secret_keys=new_fernet_key(),
        signing_key=new_signing_key(),
        sandbox_crm_path=str(home / "sandbox_crm.db"),
        local_smtp=f"127.0.0.1:{port}",
        smtp_attempts=2,
        smtp_backoff=0,
    )


def _user(services: Services, ws: str, email: str, name: str, role: str) -> UserPrincipal:
    uid = services.admin.create_user(ws, email, name, [role])["id"]
    return UserPrincipal(workspace_id=ws, user_id=uid, key_id="demo", roles=[role])


def _step(console: Console, n: int, text: str) -> None:
    console.print(f"\n[bold cyan]Step {n}[/bold cyan] — {text}")


def _reasons(view: dict[str, Any]) -> str:
    reasons = view.get("reasons") or []
    return "; ".join(str(r) for r in reasons) or "–"


def _risk(view: dict[str, Any]) -> str:
    risk = view.get("risk")
    if isinstance(risk, dict):
        return str(risk.get("score", risk))
    return "–" if risk is None else str(risk)


def run_live(console: Console, policy: Path) -> None:
    """Run the live story against a temporary home; prints each step."""
    console.print(
        "\n[bold]Part 2 — the control plane, live[/bold] (throwaway home: embedded SQLite, "
        "sandbox CRM, local SMTP sink)"
    )
    with tempfile.TemporaryDirectory(prefix="proctor-demo-") as tmp:
        home = Path(tmp)
        with SmtpSink(home / "sink", port=free_port()) as sink:
            services = build(_settings(home, policy, sink.port), migrate=True)
            try:
                _story(console, services, sink)
            finally:
                services.close()


def _story(console: Console, services: Services, sink: SmtpSink) -> None:
    admin, gate = services.admin, services.gate
    ws = admin.create_workspace("Acme")["id"]
    assert gate.connectors is not None
    crm = gate.connectors.crm(ws)
    crm.seed()
    agent = admin.create_agent(ws, "sdr-bot")["id"]
    _, key = admin.issue_agent_key(ws, agent, ["*"])
    principal = gate.authenticate_agent(key)
    maria = _user(services, ws, "maria@acme.io", "Maria", "rep")
    lee = _user(services, ws, "lee@acme.io", "Lee", "manager")
    admin.create_delegation(ws, maria.user_id, agent, ["*"], datetime.now(UTC) + timedelta(days=30))
    approvals = approvals_for(services)
    worker = Worker(approvals)
    console.print(
        f"Workspace [cyan]{ws}[/cyan], agent [cyan]sdr-bot[/cyan] acting for rep Maria (delegation), "
        f"manager Lee; SMTP sink on 127.0.0.1:{sink.port}"
    )

    _step(console, 1, "the agent sends a first-touch email for Maria")
    params = {
        "from": "maria@acme.io",
        "to": "dana@globex.com",
        "subject": "Globex in Berlin",
        "touch": "first",
        "body": "Hi Dana, congrats on opening the Berlin office in 2026. Open to a call next week?",
    }
    evidence = {"facts": [BERLIN]}
    sent = gate.submit(
        principal,
        {
            "action": "email.send",
            "run_id": RUN_ID,
            "on_behalf_of": maria.user_id,
            "params": params,
            "evidence": evidence,
        },
    )
    console.print(f"  gate: [yellow]{sent.status}[/yellow] ({sent.action_id})")
    if sent.status != "pending_approval":
        console.print(f"  [red]unexpected: {sent.status}[/red] {sent.outcome or ''}")
        return
    view = approvals.get(ws, sent.action_id)
    console.print(f"  risk {_risk(view)} — {_reasons(view)}")
    voted = approvals.vote(maria, sent.action_id, "approve", reason="looks good", via="demo")
    console.print(f"  Maria (the delegating rep) approves → [green]{voted['status']}[/green]")
    counts = worker.run_once()
    console.print(f"  worker pass: executed {counts['executed']}")
    action = gate.get_action(ws, sent.action_id)
    console.print(f"  action status: [green]{action['status']}[/green]")
    for message in sink.messages():
        console.print(
            f"  [green]delivered[/green] to {', '.join(message.rcpt_to)} — subject "
            f"{message.subject!r}, Message-ID {message.message_id}"
        )

    _step(console, 2, f"the agent edits contact {CONTACT} in the CRM")
    before = crm.get("contact", CONTACT)
    edited = gate.submit(
        principal,
        {
            "action": "crm.update",
            "run_id": RUN_ID,
            "params": {"object": "contact", "record_id": CONTACT, "fields": EDIT},
        },
    )
    console.print(f"  gate: [yellow]{edited.status}[/yellow] ({edited.action_id})")
    if edited.status == "pending_approval":
        view = approvals.get(ws, edited.action_id)
        console.print(f"  risk {_risk(view)} — {_reasons(view)}")
        voted = approvals.vote(lee, edited.action_id, "approve", reason="fine", via="demo")
        console.print(f"  Lee (manager) approves → [green]{voted['status']}[/green]")
        counts = worker.run_once()
        console.print(f"  worker pass: executed {counts['executed']}")
    after = crm.get("contact", CONTACT)
    diff = Table(title=f"contact {CONTACT}: before → after")
    diff.add_column("field")
    diff.add_column("before")
    diff.add_column("after")
    for field in EDIT:
        diff.add_row(field, str(before.get(field)), f"[green]{after.get(field)}[/green]")
    console.print(diff)

    _step(console, 3, f"roll back the whole run {RUN_ID}")
    result = RollbackService.of(services).run(ws, "run", RUN_ID, actor=f"user:{lee.user_id}")
    console.print(Panel(preview_text(result), expand=False))
    restored = crm.get("contact", CONTACT)
    for field in EDIT:
        console.print(f"  {field} restored: {restored.get(field)!r} (was {after.get(field)!r})")
    ok = services.admin.audit_verify(ws).ok
    console.print(f"  audit chain verifies: {'[green]yes[/green]' if ok else '[red]no[/red]'}")
