"""Approval tables (SQLAlchemy Core) on the store's shared metadata: approvals, votes, single-use links."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from proctor.store.tables import metadata

_TS = 32


def _ws() -> Column[str]:
    return Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False)


approvals = Table(
    "approvals",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("action_id", String(40), nullable=False, unique=True),
    Column("action", String(200), nullable=False),
    Column("agent_id", String(40), nullable=False),
    Column("on_behalf_of", String(40)),
    Column("batch_id", String(200)),
    Column("status", String(20), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("approvals_required", Integer, nullable=False),
    Column("approver_roles", JSON, nullable=False),
    Column("reason", Text),
    Column("edits", JSON, nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("expires_at", String(_TS), nullable=False),
    Column("decided_at", String(_TS)),
    Column("updated_at", String(_TS), nullable=False),
    Column("notified_at", String(_TS)),
    Column("claimed_by", String(200)),
    Column("claimed_at", String(_TS)),
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_approvals_ws_status", "workspace_id", "status"),
    Index("ix_approvals_status_expires", "status", "expires_at"),
    Index("ix_approvals_batch", "workspace_id", "batch_id"),
)

approval_votes = Table(
    "approval_votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ws(),
    Column("approval_id", String(40), ForeignKey("approvals.id"), nullable=False),
    Column("user_id", String(40), nullable=False),
    Column("vote", String(10), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("reason", Text),
    Column("via", String(20), nullable=False),
    Column("at", String(_TS), nullable=False),
    UniqueConstraint("approval_id", "user_id", "content_hash", name="uq_approval_votes_once"),
)

approval_links = Table(
    "approval_links",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("approval_id", String(40), ForeignKey("approvals.id"), nullable=False),
    Column("user_id", String(40), nullable=False),
    Column("verb", String(10), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("expires_at", String(_TS), nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("used_at", String(_TS)),
    Index("ix_approval_links_approval", "workspace_id", "approval_id"),
)
