"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from proctor.store.engine import create_store_engine
from proctor.store.migrate import current_revision, head_revision, upgrade
from proctor.store.tables import metadata


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        assert upgrade(engine) == head_revision() == current_revision(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: object) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/p.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
