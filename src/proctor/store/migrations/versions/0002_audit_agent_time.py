"""Index audit events by agent and time (queries by agent + time range over millions of events).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ix_audit_events_agent_at (workspace_id, agent_id, at)."""
    op.create_index("ix_audit_events_agent_at", "audit_events", ["workspace_id", "agent_id", "at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_audit_events_agent_at", table_name="audit_events")
