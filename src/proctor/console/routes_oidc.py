"""Single sign-on: `/login/oidc` sends the browser to the identity provider, the callback signs it in."""

from __future__ import annotations

import logging

import httpx
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from proctor.console import oidc
from proctor.console.routes_auth import safe_next
from proctor.console.session import sign_in
from proctor.console.templating import render

router = APIRouter()
log = logging.getLogger(__name__)
_NEXT = "oidc_next"


def _refuse(request: Request, message: str, status: int = 403) -> Response:
    return render(
        request,
        "login.html",
        status_code=status,
        next="/console/inbox",
        oidc=oidc.enabled(request.app.state.services.settings),
        error=message,
    )


def _callback_url(request: Request) -> str:
    public = request.app.state.services.settings.public_url
    if public:
        return f"{str(public).rstrip('/')}/console/login/oidc/callback"
    return str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
async def oidc_start(request: Request, next: str | None = None) -> Response:
    """Send the browser to the identity provider (state, nonce and a PKCE challenge kept in the session)."""
    settings = request.app.state.services.settings
    if not oidc.enabled(settings):
        return _refuse(request, "Single sign-on is not configured here: sign in with your password.", 404)
    client = oidc.client(request.app.state, settings)
    request.session[_NEXT] = safe_next(next)
    try:
        response: Response = await client.authorize_redirect(request, _callback_url(request))
    except (AuthlibBaseError, httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("oidc: cannot reach the identity provider: %s", exc)
        return _refuse(
            request,
            "The identity provider cannot be reached right now: try again, or use your password.",
            502,
        )
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    """Check state, PKCE, the ID token (signature, issuer, audience, nonce), then sign the person in."""
    services = request.app.state.services
    settings = services.settings
    if not oidc.enabled(settings):
        return _refuse(request, "Single sign-on is not configured here: sign in with your password.", 404)
    client = oidc.client(request.app.state, settings)
    target = safe_next(request.session.get(_NEXT))
    try:
        metadata = await client.load_server_metadata()
        issuer = str(metadata.get("issuer") or "").rstrip("/")
        if issuer != oidc.issuer_of(settings):
            raise ValueError(f"the provider says its issuer is {issuer!r}, not the configured one")
        token = await client.authorize_access_token(
            request, claims_options=oidc.claims_options(str(metadata["issuer"]), settings.oidc_client_id)
        )
    except (AuthlibBaseError, JoseError, httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("oidc: sign-in refused: %s: %s", type(exc).__name__, exc)
        detail = (
            getattr(exc, "description", None) or getattr(exc, "error", None) or str(exc) or type(exc).__name__
        )
        return _refuse(
            request,
            f"Single sign-on failed: {str(detail).rstrip('.')}. Start again from the sign-in page.",
            401,
        )
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims:
        return _refuse(request, "Single sign-on failed: the provider sent no ID token. Start again.", 401)
    try:
        row = await run_in_threadpool(oidc.match_user, services, oidc.issuer_of(settings), dict(claims))
    except oidc.OidcRefusedError as exc:
        return _refuse(request, f"You cannot sign in: {exc}.")
    sign_in(request, row, via="oidc")
    return RedirectResponse(target, status_code=303)
