"""One-time console sign-in links (for `make demo` and operators): signed, expiring, single-use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from proctor.domain.audit import utc_stamp
from proctor.domain.errors import AuthError
from proctor.notify.links import LinkSigner, derive_key
from proctor.store import logins

_CONTEXT = b"proctor/console-signin-links/v1"
PATH = "/console/login/link"


def _signer(keyring: Any) -> LinkSigner:
    return LinkSigner(derive_key(str(keyring.signing_key_b64), _CONTEXT))


def issue(services: Any, ws: str, user_id: str, ttl: timedelta = timedelta(minutes=30)) -> str:
    """The path (with token) of a link that signs `user_id` in once, before `ttl` passes."""
    now = datetime.now(UTC)
    with services.store.read() as conn:
        if logins.session_user(conn, ws, user_id) is None:
            raise AuthError(f"no user {user_id}")
    claims = {"u": user_id, "w": ws, "i": utc_stamp(now), "e": utc_stamp(now + ttl)}
    return f"{PATH}?token={_signer(services.keyring).sign(claims)}"


def redeem(services: Any, token: str) -> dict[str, Any]:
    """The user row a valid, unused, unexpired link names (and mark it used); AuthError otherwise."""
    try:
        claims = _signer(services.keyring).verify(token)
    except AuthError:
        raise AuthError("this sign-in link is not valid") from None
    ws, uid, issued, expires = (str(claims.get(k, "")) for k in ("w", "u", "i", "e"))
    if not expires or expires <= utc_stamp(datetime.now(UTC)):
        raise AuthError("this sign-in link expired: ask for a new one")
    with services.store.write() as conn:
        row = logins.session_user(conn, ws, uid)
        if row is None:
            raise AuthError("this sign-in link is not valid")
        if not logins.spend_link(conn, ws, uid, issued):
            raise AuthError("this sign-in link was already used")
    return row
