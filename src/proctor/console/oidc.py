"""OpenID Connect single sign-on: the Authlib client and who a validated ID token signs in."""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]

from proctor.domain.errors import AuthError
from proctor.store import logins

NAME = "proctor"
SCOPE = "openid email profile"


class OidcRefusedError(AuthError):
    """The identity provider vouched for someone, but Proctor does not know them (no auto-provisioning)."""


def enabled(settings: Any) -> bool:
    """True when an issuer and a client id are configured."""
    return bool(getattr(settings, "oidc_issuer", None) and getattr(settings, "oidc_client_id", None))


def issuer_of(settings: Any) -> str:
    """The configured issuer without a trailing slash."""
    return str(settings.oidc_issuer).rstrip("/")


def client(state: Any, settings: Any) -> Any:
    """The Authlib Starlette client for the configured provider (PKCE S256; discovery metadata cached)."""
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    key = (issuer_of(settings), settings.oidc_client_id, secret)
    cached = getattr(state, "oidc_client", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    oauth = OAuth()
    oauth.register(
        name=NAME,
        client_id=settings.oidc_client_id,
        client_secret=secret,
        server_metadata_url=f"{key[0]}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256"},
    )
    app = oauth.create_client(NAME)
    state.oidc_client = (key, app)
    return app


def claims_options(issuer: str, client_id: str) -> dict[str, Any]:
    """ID-token claims that must hold: our issuer, our client id as audience, a subject."""
    return {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [client_id]},
        "sub": {"essential": True},
    }


def _workspace_matches(row: dict[str, Any], wanted: str) -> bool:
    return wanted in (row["workspace_id"], row["workspace_name"])


def match_user(services: Any, issuer: str, claims: dict[str, Any]) -> dict[str, Any]:
    """The user a validated ID token signs in: a linked (issuer, subject) first, else a verified email in
    the configured workspace (then linked). OidcRefusedError for anyone else."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise OidcRefusedError("the identity provider did not say who you are (no subject)")
    with services.store.read() as conn:
        linked = logins.by_oidc(conn, issuer, subject)
    if linked is not None:
        return linked
    email = str(claims.get("email") or "").strip()
    workspace = services.settings.oidc_workspace or "default"
    if not email:
        raise OidcRefusedError(
            "the identity provider did not share your email address, so Proctor cannot match you"
        )
    if claims.get("email_verified") is not True:
        raise OidcRefusedError(
            f"your identity provider has not verified {email}: Proctor matches people by verified email only"
        )
    with services.store.read() as conn:
        rows = logins.candidates(conn, email.lower()) or logins.candidates(conn, email)
    rows = [r for r in rows if _workspace_matches(r, workspace)]
    if len(rows) != 1:
        raise OidcRefusedError(
            f"{email} has no Proctor account in workspace {workspace}: ask an admin to add you "
            "(accounts are never created at sign-in)"
        )
    row = rows[0]
    services.admin.link_oidc(row["workspace_id"], row["id"], issuer, subject, actor="oidc")
    return dict(row)
