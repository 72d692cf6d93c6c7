"""Console sign-in: a local password hash and a linked OIDC subject per user.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create user_logins (one row per user who may sign in to the console)."""
    op.create_table(
        "user_logins",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("oidc_issuer", sa.String(length=400), nullable=True),
        sa.Column("oidc_subject", sa.String(length=400), nullable=True),
        sa.Column("link_used_at", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_logins_user"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_user_logins_ws"),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_logins"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_user_logins_oidc"),
    )


def downgrade() -> None:
    """Drop user_logins."""
    op.drop_table("user_logins")
