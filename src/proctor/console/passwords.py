"""Local console passwords: Argon2id hashes (argon2-cffi), never stored or logged in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from proctor.domain.errors import RequestError

MIN_LENGTH = 10
_HASHER = PasswordHasher()
# A hash to verify against when the email is unknown, so a miss costs as much as a wrong password.
_DUMMY = _HASHER.hash("proctor-no-such-user")


def hash_password(password: str) -> str:
    """An Argon2id hash of `password`; RequestError (field `password`) when too short."""
    if len(password) < MIN_LENGTH:
        raise RequestError(f"a password needs at least {MIN_LENGTH} characters", field="password")
    return _HASHER.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash` (constant work when there is no hash)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
