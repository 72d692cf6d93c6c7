"""Signed approve/reject links: HMAC-SHA256 under a key derived from the keyring, single-use, expiring."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any, Literal

import orjson

from proctor.domain.audit import canonical, utc_stamp
from proctor.domain.errors import AuthError, RequestError
from proctor.domain.identity import new_id
from proctor.store import approvals as rows

LinkVerb = Literal["approve", "reject"]
_CONTEXT = b"proctor/approval-links/v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: str | bytes, context: bytes = _CONTEXT) -> bytes:
    """A key of its own for `context`: HMAC-SHA256(secret, context), never the secret itself."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, context, hashlib.sha256).digest()


class LinkSigner:
    """Signs and verifies link claims (`<payload>.<mac>`, both base64url)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_keyring(cls, keyring: Any) -> LinkSigner:
        """A signer keyed from the keyring's signing secret."""
        return cls(derive_key(str(keyring.signing_key_b64)))

    def sign(self, claims: dict[str, Any]) -> str:
        """A token carrying `claims`."""
        payload = _b64(canonical(claims))
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return f"{payload}.{_b64(mac)}"

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of an authentic token; AuthError for anything forged or malformed."""
        payload, _, mac = token.partition(".")
        try:
            expected = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
            if not mac or not hmac.compare_digest(expected, _unb64(mac)):
                raise AuthError("this approval link is not valid")
            claims = orjson.loads(_unb64(payload))
        except (ValueError, orjson.JSONDecodeError):
            raise AuthError("this approval link is not valid") from None
        if not isinstance(claims, dict):
            raise AuthError("this approval link is not valid")
        return claims


class Links:
    """Issues links for one approver and redeems them once, before they expire, for the content they name."""

    def __init__(self, service: Any, signer: LinkSigner, base_url: str, ttl: timedelta = timedelta(hours=24)):
        self.service = service
        self.signer = signer
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl

    def issue(self, ws: str, approval_id: str, user_id: str) -> dict[str, str]:
        """Approve and reject URLs bound to this approver, this approval and its current content."""
        now = self.service.clock()
        out: dict[str, str] = {}
        with self.service.store.write() as conn:
            row = rows.get(conn, ws, approval_id)
            for verb in ("approve", "reject"):
                link_id = new_id("lnk")
                expires = utc_stamp(now + self.ttl)
                rows.insert_link(
                    conn,
                    {
                        "id": link_id,
                        "workspace_id": ws,
                        "approval_id": row["id"],
                        "user_id": user_id,
                        "verb": verb,
                        "content_hash": row["content_hash"],
                        "expires_at": expires,
                        "created_at": utc_stamp(now),
                    },
                )
                claims = {"l": link_id, "w": ws, "a": row["id"], "u": user_id, "v": verb, "e": expires}
                out[verb] = f"{self.base_url}/v1/approvals/links/{self.signer.sign(claims)}"
        return out

    def check(self, token: str) -> dict[str, Any]:
        """The claims of a usable link (authentic, known, unused, unexpired); AuthError otherwise."""
        claims = self.signer.verify(token)
        with self.service.store.read() as conn:
            link = rows.get_link(conn, str(claims.get("l")))
        if link is None or link["workspace_id"] != claims.get("w") or link["verb"] != claims.get("v"):
            raise AuthError("this approval link is not valid")
        if link["used_at"] is not None:
            raise AuthError("this approval link was already used")
        if link["expires_at"] <= utc_stamp(self.service.clock()):
            raise AuthError("this approval link expired")
        return {**claims, "content_hash": link["content_hash"]}

    def redeem(self, token: str, reason: str | None = None) -> dict[str, Any]:
        """Spend the link (exactly once) and cast its vote as the approver it was issued to."""
        claims = self.check(token)
        if claims["v"] not in ("approve", "reject"):
            raise RequestError("unknown link verb", field="token")
        with self.service.store.write() as conn:
            if not rows.use_link(conn, claims["l"], utc_stamp(self.service.clock())):
                raise AuthError("this approval link was already used")
        user = self.service.user(claims["w"], claims["u"])
        view: dict[str, Any] = self.service.vote(
            user, claims["a"], claims["v"], reason=reason, expected_hash=claims["content_hash"], via="link"
        )
        return view
