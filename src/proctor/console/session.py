"""Who is signed in: the session cookie's contents, the fresh user row behind it, and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from proctor.domain.errors import ForbiddenError, ProctorError
from proctor.domain.identity import UserPrincipal
from proctor.notify.links import derive_key
from proctor.store import logins

SESSION_COOKIE = "proctor_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_CONTEXT = b"proctor/console-session/v1"


class LoginRequiredError(ProctorError):
    """No valid console session: the browser is sent to the sign-in page."""


def session_secret(keyring: Any) -> str:
    """The cookie-signing secret: HMAC-SHA256(signing key, context), never the signing key itself."""
    return derive_key(str(keyring.signing_key_b64), _CONTEXT).hex()


@dataclass(frozen=True)
class ConsoleUser:
    """A signed-in person, read fresh from the store on every request."""

    user_id: str
    workspace_id: str
    workspace_name: str
    email: str
    name: str
    roles: frozenset[str]
    timezone: str | None = None

    def has(self, *roles: str) -> bool:
        """True when the person holds one of `roles`."""
        return bool(self.roles & set(roles))

    def require(self, *roles: str) -> None:
        """ForbiddenError unless the person holds one of `roles`."""
        if not self.has(*roles):
            raise ForbiddenError(f"this needs one of the roles: {', '.join(sorted(roles))}")

    @property
    def principal(self) -> UserPrincipal:
        """The same person as the services' principal type (what approvals and rollback take)."""
        return UserPrincipal(
            workspace_id=self.workspace_id,
            user_id=self.user_id,
            key_id="console",
            roles=sorted(self.roles),
            timezone=self.timezone,
        )

    @property
    def actor(self) -> str:
        """The audit actor string."""
        return f"user:{self.user_id}"


def sign_in(request: Request, row: dict[str, Any], via: str) -> None:
    """Start a fresh session for a user row (drops anything the old session held)."""
    request.session.clear()
    request.session.update(
        {
            "uid": row["id"],
            "ws": row["workspace_id"],
            "via": via,
            "at": int(time.time()),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def sign_out(request: Request) -> None:
    """End the session (a fresh CSRF token remains for the sign-in form)."""
    request.session.clear()
    request.session["csrf"] = secrets.token_urlsafe(32)


def current_user(request: Request) -> ConsoleUser:
    """The signed-in person (roles as stored now), or LoginRequiredError."""
    session = request.session
    uid, ws, started = session.get("uid"), session.get("ws"), session.get("at")
    services = request.app.state.services
    max_age = float(services.settings.console_session_hours) * 3600
    if not uid or not ws:
        raise LoginRequiredError("sign in to continue")
    if not isinstance(started, int) or time.time() - started > max_age:
        sign_out(request)
        raise LoginRequiredError("your session expired: sign in again")
    with services.store.read() as conn:
        row = logins.session_user(conn, ws, uid)
    if row is None:
        sign_out(request)
        raise LoginRequiredError("this account no longer exists")
    return ConsoleUser(
        user_id=row["id"],
        workspace_id=row["workspace_id"],
        workspace_name=row["workspace_name"],
        email=row["email"],
        name=row["name"],
        roles=frozenset(row["roles"]),
        timezone=row.get("timezone"),
    )


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """ForbiddenError unless an unsafe request carries this session's CSRF token (header or form field)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if not given:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise ForbiddenError("the form expired or did not come from this console: reload the page and retry")
