"""An index on actions(status, updated_at): the worker's scans across workspaces by status and age.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Index actions by status then updated_at (reconcile of stale `executing`, approval sync)."""
    op.create_index("ix_actions_status_updated", "actions", ["status", "updated_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_actions_status_updated", table_name="actions")
