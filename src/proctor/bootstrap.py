"""Wiring: Settings → store, keyring, audit log, policy → Gate and Admin; `init_home` for `proctor init`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path

from sqlalchemy import select

from proctor.admin import Admin
from proctor.config import ConfigError, Settings, write_keys_file
from proctor.executor import Connectors, Retry
from proctor.gate import Gate
from proctor.policy.compile import CompiledPolicy, load_policy
from proctor.store.audit import AuditLog
from proctor.store.engine import Store
from proctor.store.keycache import KeyCache
from proctor.store.migrate import upgrade
from proctor.store.secrets import Keyring, new_fernet_key, new_signing_key
from proctor.store.tables import workspaces

DEFAULT_WORKSPACE = "default"  # the workspace `proctor init` creates; it owns `sandbox_crm_path`
EMBEDDED_SMTP = "127.0.0.1:8025"  # `proctor smtp-sink`'s default port


class PolicySource:
    """The current policy: reloaded when the file changes; a bad edit raises PolicyError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._policy: CompiledPolicy | None = None
        self()

    def __call__(self) -> CompiledPolicy:
        try:
            st = self.path.stat()
        except OSError as exc:
            raise ConfigError(f"policy file {self.path} is missing: run `proctor init`") from exc
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._policy is None or stamp != self._stamp:
                self._policy = load_policy(self.path)
                self._stamp = stamp
            return self._policy


@dataclass
class Services:
    """Everything a process needs; call `close()` when done."""

    settings: Settings
    store: Store
    keyring: Keyring
    audit: AuditLog
    policy: Callable[[], CompiledPolicy]
    gate: Gate
    admin: Admin

    def close(self) -> None:
        """Stop the writer (after its queued jobs), then release database connections."""
        self.gate.close()
        self.store.close()


def build(
    settings: Settings | None = None,
    *,
    migrate: bool = False,
    clock: Callable[[], datetime] | None = None,
    policy: Callable[[], CompiledPolicy] | None = None,
) -> Services:
    """Wire the services from settings; refuses to start without real secret keys."""
    settings = settings or Settings()
    keyring = settings.keyring()
    source = policy or PolicySource(Path(settings.policy_path))
    store = Store.from_url(settings.database_url)
    try:
        if migrate:
            upgrade(store.engine)
        audit = AuditLog(store, keyring, settings.checkpoint_every)
        keys = KeyCache()
        admin = Admin(
            store,
            audit,
            keyring,
            clock=clock,
            persist_keys=settings.persist_keys,
            on_identity_change=keys.clear,
        )
        connectors = build_connectors(settings, store, admin, clock)
        gate = Gate(store, audit, source, clock=clock, keys=keys, connectors=connectors)
    except BaseException:
        store.close()
        raise
    return Services(settings, store, keyring, audit, source, gate, admin)


def build_connectors(
    settings: Settings, store: Store, admin: Admin, clock: Callable[[], datetime] | None = None
) -> Connectors:
    """Connectors over the workspaces' service credentials; the local SMTP sink only for embedded SQLite."""
    names: dict[str, bool] = {}

    def is_default(ws: str) -> bool:
        if ws not in names:
            with store.read() as conn:
                name = conn.execute(select(workspaces.c.name).where(workspaces.c.id == ws)).scalar()
            names[ws] = name == DEFAULT_WORKSPACE
        return names[ws]

    local = settings.local_smtp
    if local is None and settings.database_url.startswith("sqlite"):
        local = EMBEDDED_SMTP
    return Connectors(
        home=settings.home,
        sandbox_crm_path=settings.sandbox_crm_path,
        credentials=admin.get_service_credentials,
        is_default=is_default,
        local_smtp=local or None,
        retry=Retry(attempts=settings.smtp_attempts, backoff=settings.smtp_backoff),
        clock=clock,
    )


@dataclass
class InitResult:
    """What `proctor init` did."""

    home: str
    policy_path: str
    keys_path: str
    database_url: str
    created: list[str] = field(default_factory=list)


def init_home(directory: str | Path) -> InitResult:
    """Write a starter policy and a keys file (0600), create and migrate the database; never overwrites."""
    home = Path(directory).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home)
    created: list[str] = []
    policy_path = Path(settings.policy_path)
    if not policy_path.exists():
        policy_path.write_text(files("proctor").joinpath("templates/policy.yaml").read_text(encoding="utf-8"))
        created.append(str(policy_path))
    keys_path = Path(settings.keys_path)
    if not keys_path.exists() and settings.secret_keys is None:
        write_keys_file(keys_path, [new_fernet_key()], new_signing_key())
        created.append(str(keys_path))
    settings.keyring()
    store = Store.from_url(settings.database_url)
    try:
        upgrade(store.engine)
    finally:
        store.close()
    if settings.database_url.startswith("sqlite:///"):
        created.append(settings.database_url)
    return InitResult(str(home), str(policy_path), str(keys_path), settings.database_url, created)
