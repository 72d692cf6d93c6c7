"""Integration fixtures: real SQLite (a temp file) and real PostgreSQL (a database per test session)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from proctor.bootstrap import Services, build
from proctor.config import Settings, write_keys_file
from proctor.connectors.smtp_sink import SmtpSink
from proctor.store.migrate import upgrade
from proctor.store.secrets import new_fernet_key, new_signing_key

PG_HOST = os.environ.get("PROCTOR_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PROCTOR_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("PROCTOR_TEST_PG_USER", "postgres")

ALLOW_ALL: dict[str, Any] = {
    "version": 1,
    "name": "it",
    "maturity": 3,
    "lists": {"sending_domains": ["acme.io"]},
    "actions": {
        "*": {"effect": "allow"},
        "email.send": {"effect": "allow"},
        "crm.stage_change": {"effect": "require_approval"},
        "data.export": {"effect": "require_approval", "approvals": 2},
        "crm.update": {"effect": "allow", "fields": {"allow": ["title", "phone"], "deny": ["owner_id"]}},
    },
    "content": {"protected_fields": ["ssn", "salary"]},
    "limits": [
        {"name": "notes-per-agent", "action": "note.create", "per": "agent", "max": 10, "window": "1h"}
    ],
}


def _pg_admin_url(db: str = "postgres") -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session, dropped at the end."""
    import psycopg

    required = os.environ.get("PROCTOR_REQUIRE_POSTGRES") == "1"
    name = f"proctor_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL unreachable at {PG_USER}@{PG_HOST}:{PG_PORT}: {exc}".splitlines()[0]
        if required:
            pytest.fail(f"PROCTOR_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _pg_admin_url(name)
    upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL: a temp SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/proctor.db"
        upgrade(url)
        return url
    return str(request.getfixturevalue("postgres_url"))


class Clock:
    """A settable clock for the services under test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The clock the services read."""
    return Clock()


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    """A real SMTP sink on a free loopback port (aiosmtpd), storing into tmp_path/sink."""
    with SmtpSink(tmp_path / "sink") as running:
        yield running


@pytest.fixture
def make_services(
    database_url: str, tmp_path: Path, clock: Clock, sink: SmtpSink
) -> Iterator[Callable[..., Services]]:
    """Build services over the test database with a policy written from a dict (email goes to `sink`)."""
    built: list[Services] = []

    def factory(policy: dict[str, Any] | None = None, **settings: Any) -> Services:
        home = tmp_path / f"home{len(built)}"
        home.mkdir()
        (home / "proctor.yaml").write_text(yaml.safe_dump(policy or ALLOW_ALL))
        write_keys_file(home / "proctor.keys", [new_fernet_key()], new_signing_key())
        settings.setdefault("local_smtp", f"{sink.host}:{sink.port}")
        settings.setdefault("smtp_backoff", 0.01)
        services = build(Settings(home=home, database_url=database_url, **settings), clock=clock)
        built.append(services)
        return services

    yield factory
    for services in built:
        services.close()


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    """Services with the default integration policy."""
    return make_services()


def seed_workspace(services: Services, ws: str) -> None:
    """Fill the workspace's sandbox CRM with the sample data (email goes to the `sink` via local_smtp)."""
    assert services.gate.connectors is not None
    services.gate.connectors.crm(ws).seed()


@pytest.fixture
def tenant(services: Services) -> dict[str, Any]:
    """A fresh workspace (sandbox CRM seeded, SMTP to the sink) with an agent, a user and a delegation."""
    admin = services.admin
    ws = admin.create_workspace("Acme")["id"]
    seed_workspace(services, ws)
    agent = admin.create_agent(ws, "sdr-bot")["id"]
    key_meta, key = admin.issue_agent_key(ws, agent, ["*"])
    user = admin.create_user(ws, "maria@acme.io", "Maria", ["rep"], timezone="Europe/Berlin")["id"]
    return {"ws": ws, "agent": agent, "key": key, "key_id": key_meta["id"], "user": user}
