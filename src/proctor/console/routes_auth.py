"""Sign-in pages: local email + password, one-time links, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from proctor.console import oidc, signin_links
from proctor.console.passwords import check_password
from proctor.console.session import sign_in, sign_out, verify_csrf
from proctor.console.templating import render
from proctor.domain.errors import AuthError
from proctor.store import logins

router = APIRouter()


def safe_next(target: str | None) -> str:
    """A post-sign-in target inside the console (never an open redirect)."""
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/inbox"


def _oidc_enabled(request: Request) -> bool:
    return oidc.enabled(request.app.state.services.settings)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "login.html", next=safe_next(next), oidc=_oidc_enabled(request), error=None)


def _check(
    request: Request, email: str, password: str, workspace: str
) -> tuple[dict[str, object] | None, list[str]]:
    with request.app.state.services.store.read() as conn:
        rows = logins.candidates(conn, email.strip().lower()) or logins.candidates(conn, email.strip())
    matching = [r for r in rows if check_password(r["password_hash"], password)] if rows else []
    if not rows:
        check_password(None, password)  # same work as a wrong password
    if workspace:
        matching = [r for r in matching if workspace in (r["workspace_id"], r["workspace_name"])]
    if len(matching) == 1:
        return matching[0], []
    return None, [str(r["workspace_name"]) for r in matching]


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    workspace: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check email + password; on success start a session and go to `next`."""
    if not email or not password:
        return render(
            request,
            "login.html",
            status_code=400,
            next=safe_next(next),
            oidc=_oidc_enabled(request),
            error="Enter your email and password.",
            email=email,
        )
    throttle = request.app.state.signin_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(email, address)
    if wait is not None:
        refused = render(
            request,
            "login.html",
            status_code=429,
            next=safe_next(next),
            oidc=_oidc_enabled(request),
            error=f"Too many failed sign-ins. Try again in {max(1, round(wait / 60))} min.",
            email=email,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    row, choices = await run_in_threadpool(_check, request, email, password, workspace)
    if row is None:
        throttle.failed(email, address)
        error = (
            "You belong to several workspaces: pick one."
            if len(choices) > 1
            else "That email and password do not match an account."
        )
        return render(
            request,
            "login.html",
            status_code=401,
            next=safe_next(next),
            oidc=_oidc_enabled(request),
            error=error,
            email=email,
            workspaces=choices,
        )
    throttle.succeeded(email)
    sign_in(request, dict(row), via="password")
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/login/link")
async def login_link(request: Request, token: str = "") -> Response:
    """Redeem a one-time sign-in link."""
    try:
        row = await run_in_threadpool(signin_links.redeem, request.app.state.services, token)
    except AuthError as exc:
        return render(
            request,
            "login.html",
            status_code=401,
            next="/console/inbox",
            oidc=_oidc_enabled(request),
            error=str(exc),
        )
    sign_in(request, row, via="link")
    return RedirectResponse("/console/inbox", status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
async def logout(request: Request) -> Response:
    """End the session."""
    sign_out(request)
    return RedirectResponse("/console/login", status_code=303)
