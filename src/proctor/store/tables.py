"""The store's tables (SQLAlchemy Core). Every tenant table carries workspace_id; timestamps are UTC text."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_TS = 32  # "2026-11-24T10:00:00.000000Z"


def _ws() -> Column[str]:
    return Column("workspace_id", String(40), ForeignKey("workspaces.id"), nullable=False)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", String(_TS), nullable=False),
)

agents = Table(
    "agents",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False, default="active"),
    Column("status_reason", Text),
    Column("created_at", String(_TS), nullable=False),
    Index("ix_agents_ws", "workspace_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("timezone", String(64)),
    Column("created_at", String(_TS), nullable=False),
    UniqueConstraint("workspace_id", "email", name="uq_users_ws_email"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("owner_kind", String(10), nullable=False),
    Column("owner_id", String(40), nullable=False),
    Column("prefix", String(20), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("revoked_at", String(_TS)),
    Index("ix_api_keys_owner", "workspace_id", "owner_id"),
)

delegations = Table(
    "delegations",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("agent_id", String(40), ForeignKey("agents.id"), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("constraints", JSON, nullable=False),
    Column("expires_at", String(_TS), nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("revoked_at", String(_TS)),
    Index("ix_delegations_lookup", "workspace_id", "agent_id", "user_id"),
)

service_credentials = Table(
    "service_credentials",
    metadata,
    _ws(),
    Column("connector", String(100), nullable=False),
    Column("ciphertext", Text, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("updated_at", String(_TS), nullable=False),
    UniqueConstraint("workspace_id", "connector", name="uq_service_credentials_ws_connector"),
)

actions = Table(
    "actions",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("agent_id", String(40), nullable=False),
    Column("key_id", String(40)),
    Column("run_id", String(200)),
    Column("on_behalf_of", String(40)),
    Column("action", String(200), nullable=False),
    Column("idempotency_key", String(200)),
    Column("request_hash", String(64), nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(30), nullable=False),
    Column("decision", JSON, nullable=False),
    Column("outcome", JSON),
    Column("changes", JSON),
    Column("policy_version", String(80), nullable=False),
    Column("created_at", String(_TS), nullable=False),
    Column("updated_at", String(_TS), nullable=False),
    UniqueConstraint("workspace_id", "agent_id", "idempotency_key", name="uq_actions_idempotency"),
    Index("ix_actions_run", "workspace_id", "run_id"),
    Index("ix_actions_status", "workspace_id", "status"),
    # every workspace by status and age: the worker's reconcile (stale `executing`) and approval sync
    Index("ix_actions_status_updated", "status", "updated_at"),
)

runs = Table(
    "runs",
    metadata,
    _ws(),
    Column("run_id", String(200), nullable=False),
    Column("tainted", Boolean, nullable=False, default=False),
    Column("taint_reason", Text),
    Column("updated_at", String(_TS), nullable=False),
    UniqueConstraint("workspace_id", "run_id", name="uq_runs_ws_run"),
)

usage_counters = Table(
    "usage_counters",
    metadata,
    _ws(),
    Column("name", String(100), nullable=False),
    Column("key", String(320), nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("value", Float, nullable=False, default=0.0),
    UniqueConstraint("workspace_id", "name", "key", "window_start", name="uq_usage_counters_slot"),
)

known_values = Table(
    "known_values",
    metadata,
    _ws(),
    Column("kind", String(40), nullable=False),
    Column("value", String(320), nullable=False),
    Column("first_seen", String(_TS), nullable=False),
    UniqueConstraint("workspace_id", "kind", "value", name="uq_known_values_slot"),
)

resources = Table(
    "resources",
    metadata,
    _ws(),
    Column("record_id", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("workspace_id", "record_id", name="uq_resources_ws_record"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ws(),
    Column("action_id", String(40), nullable=False),
    Column("agent_id", String(40), nullable=False),
    Column("run_id", String(200)),
    Column("batch_id", String(200)),
    Column("action", String(200), nullable=False),
    Column("connector", String(100), nullable=False),
    Column("object", String(100), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("op", String(40), nullable=False),
    Column("reversible", Boolean, nullable=False),
    Column("change", JSON, nullable=False),
    Column("provenance", JSON),
    Column("at", String(_TS), nullable=False),
    Column("reverted_at", String(_TS)),
    Column("reverted_by", String(40)),
    Index("ix_changes_action", "workspace_id", "action_id"),
    Index("ix_changes_run", "workspace_id", "run_id"),
    Index("ix_changes_batch", "workspace_id", "batch_id"),
    Index("ix_changes_agent_at", "workspace_id", "agent_id", "at"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("workspace_id", String(40), ForeignKey("workspaces.id"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(40), primary_key=True),
    _ws(),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("agent_id", String(40)),
    Column("user_id", String(40)),
    Column("action", String(200)),
    Column("effect", String(20)),
    Column("run_id", String(200)),
    Column("action_id", String(40)),
    Column("record_ids", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("workspace_id", "seq", name="uq_audit_events_ws_seq"),
    Index("ix_audit_events_at", "workspace_id", "at"),
    Index("ix_audit_events_action_id", "workspace_id", "action_id"),
    Index("ix_audit_events_agent_at", "workspace_id", "agent_id", "at"),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ws(),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", String(_TS), nullable=False),
    Column("public_key", String(100), nullable=False),
    Column("signature", String(200), nullable=False),
    Index("ix_audit_checkpoints_ws", "workspace_id", "seq"),
)

user_logins = Table(
    "user_logins",
    metadata,
    Column("user_id", String(40), ForeignKey("users.id", name="fk_user_logins_user"), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", name="fk_user_logins_ws"), nullable=False),
    Column("password_hash", Text),
    Column("oidc_issuer", String(400)),
    Column("oidc_subject", String(400)),
    Column("link_used_at", String(_TS)),
    Column("updated_at", String(_TS), nullable=False),
    UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_user_logins_oidc"),
)
