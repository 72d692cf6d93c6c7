"""Changes: every connector write (before/after + inverse) and send, for rollback; drop the in-store sandbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create changes; drop sandbox_records and outbox (the sandbox CRM lives in its own SQLite file)."""
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("connector", sa.String(length=100), nullable=False),
        sa.Column("object", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("op", sa.String(length=40), nullable=False),
        sa.Column("reversible", sa.Boolean(), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("reverted_at", sa.String(length=32), nullable=True),
        sa.Column("reverted_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_changes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_action", "changes", ["workspace_id", "action_id"], unique=False)
    op.create_index("ix_changes_run", "changes", ["workspace_id", "run_id"], unique=False)
    op.create_index("ix_changes_batch", "changes", ["workspace_id", "batch_id"], unique=False)
    op.create_index("ix_changes_agent_at", "changes", ["workspace_id", "agent_id", "at"], unique=False)
    op.drop_index("ix_sandbox_records_object", table_name="sandbox_records")
    op.drop_table("sandbox_records")
    op.drop_index("ix_outbox_ws", table_name="outbox")
    op.drop_table("outbox")


def downgrade() -> None:
    """Drop changes; recreate the (empty) in-store sandbox tables."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("action_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_outbox_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_ws", "outbox", ["workspace_id", "id"], unique=False)
    op.create_table(
        "sandbox_records",
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("object", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_sandbox_records_workspace_id_workspaces")
        ),
        sa.UniqueConstraint("workspace_id", "record_id", name="uq_sandbox_records_ws_record"),
    )
    op.create_index("ix_sandbox_records_object", "sandbox_records", ["workspace_id", "object"], unique=False)
    for name in ("ix_changes_agent_at", "ix_changes_batch", "ix_changes_run", "ix_changes_action"):
        op.drop_index(name, table_name="changes")
    op.drop_table("changes")
