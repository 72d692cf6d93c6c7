"""The store: SQLAlchemy 2 + Alembic over SQLite (embedded default) or PostgreSQL."""

from proctor.store.engine import Store, create_store_engine
from proctor.store.migrate import upgrade

__all__ = ["Store", "create_store_engine", "upgrade"]
