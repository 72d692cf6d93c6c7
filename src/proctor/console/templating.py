"""Jinja2 rendering for the console: every page gets the signed-in person, the CSRF token and the nav."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from proctor.api.deps import AUDIT_ROLES
from proctor.console.session import CSRF_FIELD, ConsoleUser, csrf_token
from proctor.domain.approvals import APPROVER_ROLES

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# (path under /console, label, roles that see it; empty = everyone signed in)
NAV: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/inbox", "Inbox", frozenset()),
    ("/batch", "Batch review", APPROVER_ROLES),
    ("/runs", "Runs", frozenset()),
    ("/audit", "Audit", AUDIT_ROLES),
    ("/agents", "Agents", frozenset()),
    ("/policies", "Policies", frozenset()),
)


def nav_for(user: ConsoleUser | None) -> list[tuple[str, str]]:
    """The navigation entries this person may see."""
    if user is None:
        return []
    return [(path, label) for path, label, roles in NAV if not roles or user.has(*roles)]


def render(
    request: Request,
    template: str,
    user: ConsoleUser | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render `template` with the console's common context (user, csrf, nav, current path)."""
    base = str(request.scope.get("root_path", ""))
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": csrf_token(request) if "session" in request.scope else "",
            "csrf_field": CSRF_FIELD,
            "nav": nav_for(user),
            "base": base,
            "path": request.url.path,
            "flash": flash,
            **context,
        },
        status_code=status_code,
    )


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session["flash"] = {"message": message, "kind": kind}
