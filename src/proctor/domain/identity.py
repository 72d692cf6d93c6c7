"""Identities (SPEC §1): workspaces, agents, users, roles, delegations, API keys; key helpers. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AgentStatus = Literal["active", "quarantined", "disabled"]
AGENT_STATUSES: tuple[str, ...] = ("active", "quarantined", "disabled")
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


class Role(StrEnum):
    """What a human may do in a workspace."""

    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    APPROVER = "approver"
    AUDITOR = "auditor"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Workspace(_Frozen):
    """A tenant: nothing crosses workspaces."""

    id: str
    name: str
    created_at: str


class Agent(_Frozen):
    """A system identity with its own keys; never a human's credentials."""

    id: str
    workspace_id: str
    name: str
    status: AgentStatus = "active"
    status_reason: str | None = None
    created_at: str


class User(_Frozen):
    """A human with roles and an optional IANA timezone."""

    id: str
    workspace_id: str
    email: str
    name: str
    roles: list[Role]
    timezone: str | None = None
    created_at: str


class ApiKey(_Frozen):
    """The public metadata of an agent key or a personal token (never the secret)."""

    id: str
    workspace_id: str
    owner_kind: Literal["agent", "user"]
    owner_id: str
    prefix: str
    scopes: list[str] = Field(default_factory=lambda: ["*"])
    created_at: str
    revoked_at: str | None = None


class Delegation(_Frozen):
    """A user lets an agent act on their behalf within scopes until expires_at."""

    id: str
    workspace_id: str
    user_id: str
    agent_id: str
    scopes: list[str]
    constraints: list[dict[str, str]] = Field(default_factory=list)
    expires_at: datetime
    created_at: str
    revoked_at: str | None = None


class AgentPrincipal(_Frozen):
    """An authenticated agent: who is calling and what its key may do."""

    workspace_id: str
    agent_id: str
    key_id: str
    scopes: list[str]
    status: AgentStatus


class UserPrincipal(_Frozen):
    """An authenticated human (personal token)."""

    workspace_id: str
    user_id: str
    key_id: str
    roles: list[Role]
    timezone: str | None = None


def new_id(prefix: str) -> str:
    """A random prefixed identifier such as `agt_3f9k…`."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(20))}"


def new_secret(kind: Literal["agent", "user"]) -> tuple[str, str]:
    """A fresh (prefix, raw key): `pa_<prefix>_<secret>` for agents, `pu_…` for users."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    tag = "pa" if kind == "agent" else "pu"
    return prefix, f"{tag}_{prefix}_{secrets.token_urlsafe(32)}"


def parse_prefix(raw: str) -> str | None:
    """The public prefix of a raw key, or None when it is not shaped like one."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] not in ("pa", "pu") or len(parts[1]) != 12 or len(parts[2]) < 20:
        return None
    return parts[1]


def hash_secret(raw: str) -> str:
    """SHA-256 of a high-entropy key (hex); the only form a key is stored in."""
    return hashlib.sha256(raw.encode()).hexdigest()


def secret_matches(raw: str, stored_hash: str) -> bool:
    """Constant-time comparison of a raw key with its stored hash."""
    return hmac.compare_digest(hash_secret(raw), stored_hash)


def scopes_cover(scopes: list[str], action: str) -> bool:
    """True when one of the glob `scopes` matches `action`."""
    return any(fnmatchcase(action, s) for s in scopes)
