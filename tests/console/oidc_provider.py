"""A tiny OpenID Connect identity provider for tests, served on loopback by uvicorn.

Discovery, JWKS, an authorization endpoint that consents at once for `provider.user`, and a token endpoint
that checks the client secret, the redirect URI and the PKCE verifier, then signs an RS256 ID token with
joserfc. `provider.mode` makes it misbehave on purpose: "wrong_audience" or "wrong_nonce".
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tests.serving import serving


@dataclass
class LocalProvider:
    """The provider's state: who signs in, how it misbehaves, and what it saw."""

    issuer: str = ""
    client_id: str = "proctor-console"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: dict[str, Any] = field(default_factory=dict)
    mode: str = "ok"
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    pkce_verified: int = 0
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        """The provider as an ASGI app."""
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        """The OpenID discovery document."""
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        """The public signing key."""
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        """Consent at once for `self.user`: redirect back with a code."""
        q = dict(request.query_params)
        self.authorize_requests.append(q)
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q.get("nonce"),
            "challenge": q.get("code_challenge"),
            "method": q.get("code_challenge_method"),
            "redirect_uri": q.get("redirect_uri"),
            "user": dict(self.user),
        }
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return RedirectResponse(
            f"{q['redirect_uri']}{sep}{urlencode({'code': code, 'state': q.get('state', '')})}", 302
        )

    def _client_ok(self, request: Request, form: dict[str, Any]) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            cid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return cid == self.client_id and secret == self.client_secret

    async def token(self, request: Request) -> Response:
        """Exchange a code (client secret, redirect URI, PKCE) for an ID token."""
        form = dict(await request.form())
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or not verifier or digest != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        self.pkce_verified += 1
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": grant["user"]["sub"],
            "aud": "someone-else" if self.mode == "wrong_audience" else self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": "not-the-nonce" if self.mode == "wrong_nonce" else grant["nonce"],
            **{k: v for k, v in grant["user"].items() if k != "sub"},
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )


@contextmanager
def serve_provider(port: int) -> Iterator[LocalProvider]:
    """Run a LocalProvider on 127.0.0.1:`port` until the block ends."""
    provider = LocalProvider(issuer=f"http://127.0.0.1:{port}")
    with serving(provider.app(), port, "the test identity provider"):
        yield provider
