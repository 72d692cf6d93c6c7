"""Run Alembic migrations programmatically (`proctor db upgrade`, `build(migrate=True)`): no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from proctor.domain.errors import StoreError
from proctor.store.engine import create_store_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic Config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(target: Engine | str, revision: str = "head") -> str | None:
    """Migrate the database to `revision` (default head); returns the revision it is at."""
    engine = create_store_engine(target) if isinstance(target, str) else target
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return current_revision(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"migration failed: {exc}") from exc
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Proctor."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
