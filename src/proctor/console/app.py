"""The console as an ASGI sub-application mounted at `/console` of `proctor serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from proctor.api.errors import status_of
from proctor.console import (
    routes_agents,
    routes_audit,
    routes_auth,
    routes_batch,
    routes_inbox,
    routes_oidc,
    routes_policies,
    routes_runs,
)
from proctor.console.headers import SecurityHeaders
from proctor.console.session import SESSION_COOKIE, LoginRequiredError, current_user, session_secret
from proctor.console.signin_throttle import SigninThrottle
from proctor.console.templating import render
from proctor.domain.errors import ProctorError

MOUNT = "/console"
PAGES = (
    routes_auth,
    routes_inbox,
    routes_batch,
    routes_runs,
    routes_audit,
    routes_agents,
    routes_policies,
    routes_oidc,
)


def _secure(services: Any) -> bool:
    url = getattr(services.settings, "public_url", None) or ""
    return str(url).startswith("https://")


async def _on_login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": f"{MOUNT}/login"})
    return RedirectResponse(f"{MOUNT}/login?next={quote(target)}", status_code=303)


async def _on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProctorError)
    status, kind = status_of(exc)
    try:
        user = current_user(request)
    except ProctorError:
        user = None
    return render(request, "error.html", user, status_code=status, kind=kind, message=str(exc))


def create_console(services: Any) -> FastAPI:
    """The console app over wired Services (sessions in signed, HttpOnly, SameSite=Lax cookies)."""
    console = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="Proctor console")
    console.state.services = services
    console.state.signin_throttle = SigninThrottle()
    console.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(services.keyring),
        session_cookie=SESSION_COOKIE,
        max_age=int(float(services.settings.console_session_hours) * 3600),
        same_site="lax",
        https_only=_secure(services),
        path=MOUNT,
    )
    console.add_middleware(SecurityHeaders)
    console.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    console.add_exception_handler(LoginRequiredError, _on_login_required)
    console.add_exception_handler(ProctorError, _on_error)
    for page in PAGES:
        console.include_router(page.router)

    @console.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/inbox", status_code=303)

    return console


def mount(app: FastAPI, services: Any) -> None:
    """Mount the console at /console and send `/` there."""
    app.mount(MOUNT, create_console(services))

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/", status_code=307)
