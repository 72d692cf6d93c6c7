"""Settings (pydantic-settings, prefix PROCTOR_): the only reader of environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from proctor.domain.errors import ProctorError
from proctor.store.secrets import Keyring, SecretKeyError


class ConfigError(ProctorError):
    """The configuration is missing something or holds a placeholder secret."""


class Settings(BaseSettings):
    """Where Proctor keeps its policy, keys and database; defaults live under `home`."""

    model_config = SettingsConfigDict(env_prefix="PROCTOR_", extra="ignore")

    home: Path = Path(".")
    database_url: str = ""
    policy_path: str = ""
    keys_path: str = ""
    secret_keys: SecretStr | None = None
    signing_key: SecretStr | None = None
    checkpoint_every: int = Field(default=1000, ge=0)
    sandbox_crm_path: str = ""  # the default workspace's sandbox CRM; others: sandbox_crm/{workspace}.db
    # SMTP for workspaces without credentials: unset = the local sink 127.0.0.1:8025, but only for the
    # embedded default (SQLite); a server deployment without credentials refuses to send.
    local_smtp: str | None = None
    smtp_attempts: int = Field(default=4, ge=1, le=10)
    smtp_backoff: float = Field(default=0.5, ge=0)  # seconds; doubles per retry, capped at 30 s
    # Approvals: how long a pending approval lives, where approvers are told, and the worker.
    approval_ttl_hours: float = Field(default=72.0, gt=0)
    approval_webhook_url: str | None = None  # a Slack-compatible incoming webhook
    approval_smtp: str | None = None  # "host:port" for approval emails with signed links
    approval_email_from: str | None = None
    public_url: str | None = None  # the base of approve/reject links, e.g. https://proctor.acme.io
    approval_worker: bool = True  # run the approval worker inside `proctor serve`
    # An action `executing` longer than this (no attempt recorded since) lost its process: the worker marks
    # it `outcome_unknown` (never re-runs it).
    execution_lease_seconds: float = Field(default=300.0, ge=0)
    # Console sign-in: local passwords always; OIDC single sign-on when an issuer is configured.
    oidc_issuer: str | None = None  # e.g. https://login.acme.io (OpenID discovery document under it)
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_workspace: str | None = None  # workspace (name or id) whose users OIDC signs in; "default"
    console_session_hours: float = Field(default=12.0, gt=0)  # a console session's lifetime

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        home = self.home.expanduser().resolve()
        self.home = home
        if not self.database_url:
            self.database_url = f"sqlite:///{home}/proctor.db"
        if not self.policy_path:
            self.policy_path = str(home / "proctor.yaml")
        if not self.keys_path:
            self.keys_path = str(home / "proctor.keys")
        if not self.sandbox_crm_path:
            self.sandbox_crm_path = str(home / "sandbox_crm.db")
        return self

    def keyring(self) -> Keyring:
        """The encryption and signing keys; ConfigError when missing or a placeholder."""
        stored = read_keys_file(Path(self.keys_path))
        if self.secret_keys is not None:
            fernet = [k.strip() for k in self.secret_keys.get_secret_value().split(",") if k.strip()]
        else:
            fernet = list(stored.get("fernet_keys", []))
        signing = (
            self.signing_key.get_secret_value()
            if self.signing_key is not None
            else stored.get("signing_key", "")
        )
        if not fernet or not signing:
            raise ConfigError(
                f"no secret keys: run `proctor init` (writes {self.keys_path}) "
                "or set PROCTOR_SECRET_KEYS and PROCTOR_SIGNING_KEY"
            )
        try:
            return Keyring(fernet, str(signing))
        except SecretKeyError as exc:
            raise ConfigError(str(exc)) from None

    def persist_keys(self, fernet_keys: list[str]) -> None:
        """Save the encryption keys (newest first) where they came from, or refuse when env-configured."""
        if self.secret_keys is not None:
            configured = [k.strip() for k in self.secret_keys.get_secret_value().split(",") if k.strip()]
            if configured[:1] != fernet_keys[:1]:
                raise ConfigError(
                    "keys come from PROCTOR_SECRET_KEYS: put the new key first there, restart, then rotate"
                )
            return
        stored = read_keys_file(Path(self.keys_path))
        write_keys_file(Path(self.keys_path), fernet_keys, str(stored.get("signing_key", "")))


def read_keys_file(path: Path) -> dict[str, Any]:
    """The keys file as a dict ({} when absent); ConfigError when unreadable."""
    if not path.exists():
        return {}
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read keys file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"keys file {path} is not a JSON object")
    return data


def write_keys_file(path: Path, fernet_keys: list[str], signing_key: str) -> None:
    """Write the keys file atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = orjson.dumps({"fernet_keys": fernet_keys, "signing_key": signing_key}, option=orjson.OPT_INDENT_2)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
