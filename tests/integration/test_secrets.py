"""Secrets at rest: keys hashed, connector credentials encrypted and readable after key rotation."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from proctor.bootstrap import Services, build, init_home
from proctor.config import ConfigError, Settings
from proctor.store.secrets import new_fernet_key


def _dump(services: Services) -> str:
    out = []
    with services.store.engine.connect() as conn:
        for table in ("api_keys", "service_credentials", "audit_events"):
            out.extend(str(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}")))
    return "\n".join(out)


def test_agent_keys_and_tokens_are_not_stored_in_plain_text(
    services: Services, tenant: dict[str, Any]
) -> None:
    _meta, token = services.admin.issue_user_token(tenant["ws"], tenant["user"])
    dump = _dump(services)
    assert tenant["key"] not in dump and token not in dump
    assert tenant["key"].split("_", 2)[2] not in dump


def test_credentials_encrypted_at_rest_and_readable_after_rotation(
    services: Services, tenant: dict[str, Any]
) -> None:
    ws = tenant["ws"]
    secret = "hubspot-secret-token-7f3a9c"
    meta = services.admin.set_service_credentials(ws, "hubspot", {"token": secret, "portal": "42"})
    assert secret not in str(meta)
    assert secret not in _dump(services)
    if services.store.dialect == "sqlite":
        db = Path(services.settings.database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
        assert secret.encode() not in raw
    assert services.admin.get_service_credentials(ws, "hubspot")["token"] == secret

    with services.store.engine.connect() as conn:
        before = conn.execute(text("SELECT ciphertext FROM service_credentials")).scalars().all()
    new_key = new_fernet_key()
    assert services.admin.rotate_keys(new_key) >= 1
    with services.store.engine.connect() as conn:
        after = conn.execute(text("SELECT ciphertext FROM service_credentials")).scalars().all()
    assert not set(before) & set(after)
    assert services.admin.get_service_credentials(ws, "hubspot")["token"] == secret
    # the keys file now starts with the new key; a fresh process reads the credentials with it alone
    keys = services.settings.keyring().fernet_keys
    assert keys[0] == new_key
    fresh = build(services.settings.model_copy(update={"secret_keys": None}))
    try:
        assert fresh.admin.get_service_credentials(ws, "hubspot")["token"] == secret
    finally:
        fresh.close()
    events, _ = services.admin.audit_query(ws, {"text": "credentials"})
    assert secret not in str(events)


def test_missing_or_placeholder_secret_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="proctor init"):
        Settings(home=tmp_path).keyring()
    with pytest.raises(ConfigError, match="placeholder"):
        Settings(home=tmp_path, secret_keys="changeme", signing_key="changeme").keyring()


def test_init_home_is_idempotent_and_never_overwrites(tmp_path: Path) -> None:
    first = init_home(tmp_path / "h")
    assert Path(first.policy_path).exists()
    assert stat.S_IMODE(Path(first.keys_path).stat().st_mode) == 0o600
    keys = Path(first.keys_path).read_text()
    Path(first.policy_path).write_text(Path(first.policy_path).read_text() + "\n# mine\n")
    second = init_home(tmp_path / "h")
    assert second.created == [second.database_url]
    assert Path(first.keys_path).read_text() == keys
    assert Path(first.policy_path).read_text().endswith("# mine\n")
    services = build(Settings(home=tmp_path / "h"))
    try:
        ws = services.admin.create_workspace("w")["id"]
        assert services.admin.audit_verify(ws).ok
    finally:
        services.close()
