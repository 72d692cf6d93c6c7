"""PostgreSQL pool: a connection dropped while idle in the pool is replaced before use, never handed out."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from proctor.store import engine as engine_module
from proctor.store.engine import Store

pytestmark = pytest.mark.postgres


def _drop_other_sessions(store: Store) -> None:
    """Terminate every other session on the store's database (as a server restart would)."""
    with store.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@pytest.mark.parametrize("path", ["read", "raw_read"])
def test_an_idle_connection_dropped_by_the_server_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    store = Store.from_url(postgres_url)
    killer = Store.from_url(postgres_url)
    try:
        with store.read() as conn:  # one pooled connection, now idle
            assert conn.execute(text("SELECT 1")).scalar() == 1
        _drop_other_sessions(killer)
        monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # it has been idle long enough
        if path == "read":
            with store.read() as conn:
                assert conn.execute(text("SELECT 2")).scalar() == 2
        else:
            with store.raw_read() as cur:
                cur.execute("SELECT 2")
                assert cur.fetchone()[0] == 2
    finally:
        store.close()
        killer.close()
