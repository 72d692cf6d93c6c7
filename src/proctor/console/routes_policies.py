"""Policies: the active version and its source, the versions decisions were made under, and a dry run."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from proctor.console.session import ConsoleUser, current_user, verify_csrf
from proctor.console.templating import render
from proctor.domain.audit import utc_stamp
from proctor.domain.decisions import Decision
from proctor.domain.errors import RequestError
from proctor.policy.compile import CompiledPolicy, compile_policy
from proctor.policy.evaluate import MATURITY_NAMES, decide
from proctor.store import actions as action_rows

router = APIRouter()
User = Annotated[ConsoleUser, Depends(current_user)]

_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s:#\"'][^:#]*?|\"[^\"]*\"|'[^']*')(:)(?=\s|$)")
_STRING = re.compile(r"(\"[^\"]*\"|'[^']*')")


def highlight_yaml(text: str) -> Markup:
    """YAML as escaped HTML with keys, strings and comments wrapped in classed spans (no dependencies)."""
    out: list[str] = []
    for line in text.splitlines():
        code, comment = line, ""
        if line.lstrip().startswith("#"):
            code, comment = "", line
        else:
            hit = re.search(r"\s#", line)
            if hit and line[: hit.start()].count('"') % 2 == 0 and line[: hit.start()].count("'") % 2 == 0:
                code, comment = line[: hit.start()], line[hit.start() :]
        key = _KEY.match(code)
        rest = code[key.end() :] if key else code
        parts = (
            [html.escape(key.group(1)), f'<span class="y-k">{html.escape(key.group(2))}</span>:']
            if key
            else []
        )
        parts.append(_STRING.sub(r'<span class="y-s">\1</span>', html.escape(rest, quote=False)))
        if comment:
            parts.append(f'<span class="y-c">{html.escape(comment)}</span>')
        out.append("".join(parts))
    return Markup("\n".join(out))


def _source(policy: CompiledPolicy, settings: Any) -> str | None:
    for candidate in (policy.source, getattr(settings, "policy_path", "")):
        path = Path(str(candidate))
        if candidate and path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def _history(services: Any, ws: str) -> list[dict[str, Any]]:
    """Each policy version decisions were made under: first and last seen, and how many actions."""
    with services.store.read() as conn:
        return action_rows.policy_versions(conn, ws)


def _json_field(raw: str, label: str, *, required: bool) -> dict[str, Any] | None:
    """A JSON object from a form field; RequestError naming the field when it is not one."""
    if not raw.strip():
        if required:
            return {}
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"not valid JSON ({exc})", field=label) from None
    if not isinstance(value, dict):
        raise RequestError(f"must be a JSON object ({{ … }}), not {type(value).__name__}", field=label)
    return value


def _at_maturity(policy: CompiledPolicy, maturity: int) -> CompiledPolicy:
    if maturity == policy.maturity:
        return policy
    return compile_policy(policy.document.model_copy(update={"maturity": maturity}), file=policy.source)


def dry_run(services: Any, form: dict[str, str]) -> Decision:
    """Decide a what-if request with the active policy; nothing is recorded or executed."""
    action = form.get("action", "").strip()
    if not action:
        raise RequestError("name the action, e.g. email.send", field="action")
    params = _json_field(form.get("params", ""), "params", required=True)
    evidence = _json_field(form.get("evidence", ""), "evidence", required=False)
    policy = services.policy()
    raw_maturity = form.get("maturity", "").strip()
    if raw_maturity:
        if raw_maturity not in {"0", "1", "2", "3"}:
            raise RequestError("must be 0, 1, 2 or 3", field="maturity")
        policy = _at_maturity(policy, int(raw_maturity))
    facts: dict[str, Any] = {
        "now": utc_stamp(datetime.now(UTC)),
        "run_tainted": form.get("run_tainted") == "on",
        "agent_status": form.get("agent_status") or "active",
    }
    if form.get("email_verified") == "on":
        facts["email_verified"] = True
    request: dict[str, Any] = {"action": action, "params": params, "facts": facts}
    if evidence is not None:
        request["evidence"] = evidence
    return decide(policy, request, services.gate.catalogue)


def _page_context(services: Any, ws: str) -> dict[str, Any]:
    policy = services.policy()
    return {
        "policy": policy,
        "maturity_name": MATURITY_NAMES.get(policy.maturity, ""),
        "source": _source(policy, services.settings),
        "history": _history(services, ws),
        "action_names": services.gate.catalogue.names(),
        "maturity_names": MATURITY_NAMES,
    }


@router.get("/policies")
async def policies_page(request: Request, user: User) -> Response:
    """The active policy, its history and the dry-run form."""
    services = request.app.state.services
    context = await run_in_threadpool(_page_context, services, user.workspace_id)
    source = context.pop("source")
    return render(
        request,
        "policies.html",
        user,
        source_html=highlight_yaml(source) if source is not None else None,
        form={"params": "{}", "maturity": str(context["policy"].maturity)},
        decision=None,
        error=None,
        **context,
    )


@router.post("/policies/dry-run", dependencies=[Depends(verify_csrf)])
async def policies_dry_run(
    request: Request,
    user: User,
    action: Annotated[str, Form()] = "",
    params: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
    maturity: Annotated[str, Form()] = "",
    agent_status: Annotated[str, Form()] = "active",
    run_tainted: Annotated[str, Form()] = "",
    email_verified: Annotated[str, Form()] = "",
) -> Response:
    """Show what the policy would decide for a request, without recording anything."""
    services = request.app.state.services
    form = {
        "action": action,
        "params": params,
        "evidence": evidence,
        "maturity": maturity,
        "agent_status": agent_status if agent_status in ("active", "quarantined", "disabled") else "active",
        "run_tainted": run_tainted,
        "email_verified": email_verified,
    }
    decision: Decision | None = None
    error: str | None = None
    try:
        decision = await run_in_threadpool(dry_run, services, form)
    except RequestError as exc:
        error = str(exc)
    status = 400 if error else 200
    if request.headers.get("hx-request"):
        # htmx swaps only 2xx answers: the error is shown in the result region instead
        return render(request, "policies_result.html", user, decision=decision, error=error)
    context = await run_in_threadpool(_page_context, services, user.workspace_id)
    source = context.pop("source")
    return render(
        request,
        "policies.html",
        user,
        status_code=status,
        source_html=highlight_yaml(source) if source is not None else None,
        form=form,
        decision=decision,
        error=error,
        **context,
    )
