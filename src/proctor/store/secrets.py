"""Secrets at rest: the Keyring (MultiFernet + Ed25519 signing key) and encrypted service credentials."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, select, update

from proctor.domain.errors import NotFoundError, ProctorError, StoreError
from proctor.store.engine import Store
from proctor.store.tables import service_credentials

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "changethis", "secret", "placeholder", "xxx", "todo"})


class SecretKeyError(ProctorError):
    """A secret key is missing, a placeholder, or malformed."""


def new_fernet_key() -> str:
    """A fresh Fernet key (url-safe base64 text)."""
    return Fernet.generate_key().decode()


def new_signing_key() -> str:
    """A fresh Ed25519 private key as base64 of its 32 raw bytes."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return base64.b64encode(raw).decode()


def _fernet(key: str) -> Fernet:
    if key.strip().lower() in PLACEHOLDERS:
        raise SecretKeyError("a secret key is a placeholder: run `proctor init` or set real keys")
    try:
        return Fernet(key.strip().encode())
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(f"a secret key is not a valid Fernet key: {exc}") from None


class Keyring:
    """Encryption keys (newest first) and the checkpoint signing key; thread-safe rotation."""

    def __init__(self, fernet_keys: Sequence[str], signing_key: str) -> None:
        if not fernet_keys:
            raise SecretKeyError("no secret keys configured: run `proctor init` or set PROCTOR_SECRET_KEYS")
        self._lock = threading.Lock()
        self._keys = [k.strip() for k in fernet_keys]
        self._multi = MultiFernet([_fernet(k) for k in self._keys])
        if signing_key.strip().lower() in PLACEHOLDERS:
            raise SecretKeyError("the signing key is a placeholder: run `proctor init`")
        try:
            self._signer = Ed25519PrivateKey.from_private_bytes(base64.b64decode(signing_key))
        except ValueError as exc:
            raise SecretKeyError(f"the signing key is not a base64 Ed25519 key: {exc}") from None
        self.signing_key_b64 = signing_key.strip()
        self.public_key = base64.b64encode(self._signer.public_key().public_bytes_raw()).decode()

    @property
    def fernet_keys(self) -> list[str]:
        """The encryption keys, newest first."""
        return list(self._keys)

    def encrypt(self, data: dict[str, Any]) -> str:
        """Encrypt a JSON object with the newest key."""
        return self._multi.encrypt(orjson.dumps(data)).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        """Decrypt with whichever configured key fits; StoreError when none does."""
        try:
            value: dict[str, Any] = orjson.loads(self._multi.decrypt(token.encode()))
        except InvalidToken:
            raise StoreError("stored credentials cannot be decrypted with the configured keys") from None
        return value

    def reencrypt(self, token: str) -> str:
        """Re-encrypt a token with the newest key (MultiFernet.rotate)."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken:
            raise StoreError("stored credentials cannot be decrypted with the configured keys") from None

    def add_newest(self, key: str) -> None:
        """Make `key` the encryption key; older keys still decrypt."""
        fernet = _fernet(key)
        with self._lock:
            olds = [k for k in self._keys if k != key.strip()]
            self._keys = [key.strip(), *olds]
            self._multi = MultiFernet([fernet, *(_fernet(k) for k in olds)])

    def sign(self, message: bytes) -> str:
        """Ed25519 signature of `message`, base64."""
        return base64.b64encode(self._signer.sign(message)).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        """True when `signature` is this keyring's signature of `message`."""
        return verify_signature(self.public_key, message, signature)


def verify_signature(public_key: str, message: bytes, signature: str) -> bool:
    """Check an Ed25519 signature given a base64 public key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def put_credentials(
    conn: Connection, store: Store, keyring: Keyring, ws: str, connector: str, data: dict[str, Any], at: str
) -> None:
    """Store a connector's credentials encrypted (insert or replace)."""
    token = keyring.encrypt(data)
    fields = sorted(data)
    conn.execute(
        store.insert_ignore(service_credentials, ["workspace_id", "connector"]).values(
            workspace_id=ws, connector=connector, ciphertext=token, fields=fields, updated_at=at
        )
    )
    conn.execute(
        update(service_credentials)
        .where(service_credentials.c.workspace_id == ws, service_credentials.c.connector == connector)
        .values(ciphertext=token, fields=fields, updated_at=at)
    )


def get_credentials(conn: Connection, keyring: Keyring, ws: str, connector: str) -> dict[str, Any]:
    """Decrypt a connector's credentials; NotFoundError when there are none in this workspace."""
    token = conn.execute(
        select(service_credentials.c.ciphertext).where(
            service_credentials.c.workspace_id == ws, service_credentials.c.connector == connector
        )
    ).scalar_one_or_none()
    if token is None:
        raise NotFoundError(f"no credentials for connector {connector!r}")
    return keyring.decrypt(token)


def rotate_all(store: Store, keyring: Keyring, on_row: Callable[[str, str], None] | None = None) -> int:
    """Re-encrypt every credentials row with the newest key, one short transaction per row."""
    with store.read() as conn:
        rows = conn.execute(select(service_credentials.c.workspace_id, service_credentials.c.connector)).all()
    count = 0
    for ws, connector in rows:
        with store.write() as conn:
            token = conn.execute(
                select(service_credentials.c.ciphertext)
                .where(service_credentials.c.workspace_id == ws, service_credentials.c.connector == connector)
                .with_for_update()
            ).scalar_one_or_none()
            if token is None:
                continue
            conn.execute(
                update(service_credentials)
                .where(service_credentials.c.workspace_id == ws, service_credentials.c.connector == connector)
                .values(ciphertext=keyring.reencrypt(token))
            )
        count += 1
        if on_row is not None:
            on_row(ws, connector)
    return count
