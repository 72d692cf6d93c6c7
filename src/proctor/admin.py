"""Administration: workspaces, agents, keys, users, delegations, credentials, audit; every change audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from proctor.domain.audit import AuditFilters, VerifyReport, utc_stamp
from proctor.domain.errors import RequestError
from proctor.domain.identity import AGENT_STATUSES, Role
from proctor.store import facts as fact_rows
from proctor.store import identities, logins
from proctor.store import secrets as creds
from proctor.store.audit import AuditLog
from proctor.store.engine import Store
from proctor.store.secrets import Keyring

Json = dict[str, Any]
PAUSE_PREFIX = "workspace paused by "  # the status reason a workspace pause leaves on each agent


def _filters(filters: AuditFilters | Mapping[str, Any] | None) -> AuditFilters:
    if filters is None:
        return AuditFilters()
    if isinstance(filters, AuditFilters):
        return filters
    try:
        return AuditFilters.model_validate(dict(filters))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RequestError(err["msg"], field=".".join(str(p) for p in err["loc"]) or "filters") from None


class Admin:
    """The management facade the API and CLI call; methods take the workspace id and an actor string."""

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        keyring: Keyring,
        *,
        clock: Callable[[], datetime] | None = None,
        persist_keys: Callable[[list[str]], None] | None = None,
        on_identity_change: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.keyring = keyring
        self.clock = clock or (lambda: datetime.now(UTC))
        self.persist_keys = persist_keys
        self.on_identity_change = on_identity_change  # cached credentials are dropped at once

    def _changed(self) -> None:
        if self.on_identity_change is not None:
            self.on_identity_change()

    def _record(self, conn: Any, ws: str, actor: str, change: str, now: datetime, **detail: Any) -> None:
        self.audit.append(
            conn,
            ws,
            "admin",
            now,
            actor={"workspace_id": ws, "by": actor},
            detail={"change": change, **detail},
        )

    def create_workspace(self, name: str, actor: str = "system") -> Json:
        """Create a tenant with an empty audit chain."""
        if not name.strip():
            raise RequestError("a workspace needs a name", field="name")
        now = self.clock()
        with self.store.write() as conn:
            ws = identities.create_workspace(conn, name.strip(), utc_stamp(now))
            self.audit.create_head(conn, ws.id)
            self._record(conn, ws.id, actor, "workspace.create", now, name=ws.name)
        return ws.model_dump(mode="json")

    def get_workspace(self, ws: str) -> Json:
        """One workspace."""
        with self.store.read() as conn:
            return identities.get_workspace(conn, ws).model_dump(mode="json")

    def create_agent(self, ws: str, name: str, actor: str = "system") -> Json:
        """Create an active agent (no keys yet)."""
        if not name.strip():
            raise RequestError("an agent needs a name", field="name")
        now = self.clock()
        with self.store.write() as conn:
            agent = identities.create_agent(conn, ws, name.strip(), utc_stamp(now))
            self._record(conn, ws, actor, "agent.create", now, agent_id=agent.id, name=agent.name)
        return agent.model_dump(mode="json")

    def list_agents(self, ws: str) -> list[Json]:
        """Every agent of the workspace."""
        with self.store.read() as conn:
            return [a.model_dump(mode="json") for a in identities.list_agents(conn, ws)]

    def get_agent(self, ws: str, agent_id: str) -> Json:
        """One agent with its keys' metadata; NotFoundError across workspaces."""
        with self.store.read() as conn:
            agent = identities.get_agent(conn, ws, agent_id).model_dump(mode="json")
            agent["keys"] = [k.model_dump(mode="json") for k in identities.list_keys(conn, ws, agent_id)]
        return agent

    def issue_agent_key(
        self, ws: str, agent_id: str, scopes: list[str] | None = None, actor: str = "system"
    ) -> tuple[Json, str]:
        """A new API key for an agent: (metadata, raw key shown once)."""
        scopes = list(scopes) if scopes else ["*"]
        if not all(isinstance(s, str) and s for s in scopes):
            raise RequestError("scopes are non-empty action patterns", field="scopes")
        now = self.clock()
        with self.store.write() as conn:
            identities.get_agent(conn, ws, agent_id)
            meta, raw = identities.issue_key(conn, ws, "agent", agent_id, scopes, utc_stamp(now))
            self._record(
                conn, ws, actor, "agent_key.issue", now, agent_id=agent_id, key_id=meta.id, scopes=scopes
            )
        return meta.model_dump(mode="json"), raw

    def revoke_agent_key(self, ws: str, key_id: str, actor: str = "system") -> Json:
        """Revoke a key (agent key or personal token) of this workspace."""
        now = self.clock()
        with self.store.write() as conn:
            meta = identities.revoke_key(conn, ws, key_id, utc_stamp(now))
            self._record(conn, ws, actor, "key.revoke", now, key_id=key_id, owner_id=meta.owner_id)
        self._changed()
        return meta.model_dump(mode="json")

    def set_agent_status(
        self, ws: str, agent_id: str, status: str, reason: str | None = None, actor: str = "system"
    ) -> Json:
        """Activate, quarantine or disable an agent."""
        if status not in AGENT_STATUSES:
            raise RequestError(f"status must be one of {', '.join(AGENT_STATUSES)}", field="status")
        now = self.clock()
        with self.store.write() as conn:
            agent = identities.set_agent_status(conn, ws, agent_id, status, reason)
            self._record(
                conn, ws, actor, "agent.status", now, agent_id=agent_id, status=status, reason=reason
            )
        self._changed()
        return agent.model_dump(mode="json")

    def pause_workspace(self, ws: str, actor: str = "system") -> list[str]:
        """Quarantine every active agent at once ("workspace paused by …"); one audited change."""
        reason = f"{PAUSE_PREFIX}{actor}"
        now = self.clock()
        with self.store.write() as conn:
            paused = [a.id for a in identities.list_agents(conn, ws) if a.status == "active"]
            for agent_id in paused:
                identities.set_agent_status(conn, ws, agent_id, "quarantined", reason)
            self._record(conn, ws, actor, "workspace.pause", now, agent_ids=paused, reason=reason)
        self._changed()
        return paused

    def resume_workspace(self, ws: str, actor: str = "system") -> list[str]:
        """Release only the agents a workspace pause quarantined; one audited change."""
        now = self.clock()
        with self.store.write() as conn:
            resumed = [
                a.id
                for a in identities.list_agents(conn, ws)
                if a.status == "quarantined" and (a.status_reason or "").startswith(PAUSE_PREFIX)
            ]
            for agent_id in resumed:
                identities.set_agent_status(conn, ws, agent_id, "active", f"workspace resumed by {actor}")
            self._record(conn, ws, actor, "workspace.resume", now, agent_ids=resumed)
        self._changed()
        return resumed

    def create_user(
        self,
        ws: str,
        email: str,
        name: str,
        roles: list[str],
        timezone: str | None = None,
        actor: str = "system",
    ) -> Json:
        """Create a human with roles (admin, manager, rep, approver, auditor)."""
        bad = [r for r in roles if r not in {x.value for x in Role}]
        if bad or not roles:
            raise RequestError(f"roles must be among {', '.join(r.value for r in Role)}", field="roles")
        if "@" not in email:
            raise RequestError("not an email address", field="email")
        now = self.clock()
        with self.store.write() as conn:
            user = identities.create_user(conn, ws, email, name, roles, timezone, utc_stamp(now))
            self._record(conn, ws, actor, "user.create", now, user_id=user.id, roles=roles)
        return user.model_dump(mode="json")

    def list_users(self, ws: str) -> list[Json]:
        """Every user of the workspace."""
        with self.store.read() as conn:
            return [u.model_dump(mode="json") for u in identities.list_users(conn, ws)]

    def set_password(self, ws: str, user_id: str, password: str, actor: str = "system") -> None:
        """Set a user's console password (Argon2id hash); audited without the password."""
        from proctor.console.passwords import hash_password

        hashed = hash_password(password)
        now = self.clock()
        with self.store.write() as conn:
            logins.set_password_hash(conn, ws, user_id, hashed, utc_stamp(now))
            self._record(conn, ws, actor, "user.password_set", now, user_id=user_id)

    def link_oidc(self, ws: str, user_id: str, issuer: str, subject: str, actor: str = "system") -> None:
        """Link an OIDC identity (issuer, subject) to a user; audited."""
        now = self.clock()
        with self.store.write() as conn:
            identities.get_user(conn, ws, user_id)
            logins.link_oidc(conn, ws, user_id, issuer, subject, utc_stamp(now))
            self._record(conn, ws, actor, "user.oidc_link", now, user_id=user_id, issuer=issuer)

    def issue_user_token(self, ws: str, user_id: str, actor: str = "system") -> tuple[Json, str]:
        """A personal token for a user: (metadata, raw token shown once)."""
        now = self.clock()
        with self.store.write() as conn:
            identities.get_user(conn, ws, user_id)
            meta, raw = identities.issue_key(conn, ws, "user", user_id, ["*"], utc_stamp(now))
            self._record(conn, ws, actor, "user_token.issue", now, user_id=user_id, key_id=meta.id)
        return meta.model_dump(mode="json"), raw

    def create_delegation(
        self,
        ws: str,
        user_id: str,
        agent_id: str,
        scopes: list[str],
        expires_at: datetime,
        constraints: list[Mapping[str, str]] | tuple[Mapping[str, str], ...] = (),
        actor: str = "system",
    ) -> Json:
        """Let an agent act for a user within scopes until expires_at (required, timezone-aware)."""
        if not scopes:
            raise RequestError("a delegation needs at least one scope", field="scopes")
        if expires_at.tzinfo is None:
            raise RequestError("expires_at needs a timezone", field="expires_at")
        items = [dict(c) for c in constraints]
        if any("expr" not in c for c in items):
            raise RequestError("each constraint needs an expr", field="constraints")
        now = self.clock()
        with self.store.write() as conn:
            dlg = identities.create_delegation(
                conn, ws, user_id, agent_id, list(scopes), expires_at, items, utc_stamp(now)
            )
            self._record(
                conn,
                ws,
                actor,
                "delegation.create",
                now,
                delegation_id=dlg.id,
                user_id=user_id,
                agent_id=agent_id,
                scopes=list(scopes),
                expires_at=utc_stamp(expires_at),
            )
        return dlg.model_dump(mode="json")

    def revoke_delegation(self, ws: str, delegation_id: str, actor: str = "system") -> Json:
        """Revoke a delegation of this workspace."""
        now = self.clock()
        with self.store.write() as conn:
            dlg = identities.revoke_delegation(conn, ws, delegation_id, utc_stamp(now))
            self._record(conn, ws, actor, "delegation.revoke", now, delegation_id=delegation_id)
        return dlg.model_dump(mode="json")

    def list_delegations(self, ws: str) -> list[Json]:
        """Every delegation of the workspace."""
        with self.store.read() as conn:
            return [d.model_dump(mode="json") for d in identities.list_delegations(conn, ws)]

    def put_resource(self, ws: str, record_id: str, data: Mapping[str, Any], actor: str = "system") -> None:
        """Set the attributes decisions see as `resource` for a record or account."""
        now = self.clock()
        with self.store.write() as conn:
            fact_rows.put_resource(conn, self.store, ws, record_id, dict(data))
            self._record(conn, ws, actor, "resource.put", now, record_id=record_id, fields=sorted(data))

    def set_service_credentials(
        self, ws: str, connector: str, credentials: Mapping[str, Any], actor: str = "system"
    ) -> Json:
        """Store a connector's credentials encrypted at rest; returns metadata only, never the secret."""
        if not connector.strip() or not credentials:
            raise RequestError("a connector name and credentials are required", field="credentials")
        now = self.clock()
        with self.store.write() as conn:
            creds.put_credentials(
                conn, self.store, self.keyring, ws, connector, dict(credentials), utc_stamp(now)
            )
            self._record(
                conn, ws, actor, "credentials.set", now, connector=connector, fields=sorted(credentials)
            )
        return {
            "workspace_id": ws,
            "connector": connector,
            "fields": sorted(credentials),
            "updated_at": utc_stamp(now),
        }

    def get_service_credentials(self, ws: str, connector: str) -> Json:
        """Decrypted credentials, for connectors only (never expose over the API)."""
        with self.store.read() as conn:
            return creds.get_credentials(conn, self.keyring, ws, connector)

    def rotate_keys(self, new_key: str, actor: str = "system") -> int:
        """Make `new_key` the encryption key; re-encrypt every credentials row, one by one (no downtime)."""
        key = new_key.strip()
        try:
            creds.Keyring([key], self.keyring.signing_key_b64)  # validate before anything changes
        except creds.SecretKeyError as exc:
            raise RequestError(str(exc), field="new_key") from None
        if self.persist_keys is not None:
            self.persist_keys([key, *(k for k in self.keyring.fernet_keys if k != key)])
        self.keyring.add_newest(key)
        touched: dict[str, int] = {}

        def count(ws: str, _connector: str) -> None:
            touched[ws] = touched.get(ws, 0) + 1

        total = creds.rotate_all(self.store, self.keyring, count)
        now = self.clock()
        for ws, n in sorted(touched.items()):
            with self.store.write() as conn:
                self._record(conn, ws, actor, "credentials.rotate", now, rows=n)
        return total

    def audit_query(
        self,
        ws: str,
        filters: AuditFilters | Mapping[str, Any] | None = None,
        cursor: str | None = None,
        limit: int = 100,
        *,
        descending: bool = False,
    ) -> tuple[list[Json], str | None]:
        """One page of this workspace's events and the cursor of the next page."""
        with self.store.read() as conn:
            return self.audit.query(conn, ws, _filters(filters), cursor, limit, descending=descending)

    def audit_export(
        self, ws: str, filters: AuditFilters | Mapping[str, Any] | None = None
    ) -> Iterator[Json]:
        """Stream every matching event of this workspace in seq order."""
        return self.audit.export(ws, _filters(filters))

    def audit_verify(self, ws: str) -> VerifyReport:
        """Recompute the chain; the report names the first altered, removed or reordered event."""
        return self.audit.verify(ws)

    def checkpoint(self, ws: str, actor: str = "system") -> Json:
        """Sign the chain head with Ed25519 now."""
        now = self.clock()
        with self.store.write() as conn:
            return self.audit.checkpoint(conn, ws, now)

    def list_checkpoints(self, ws: str) -> list[Json]:
        """Every signed checkpoint of this workspace."""
        with self.store.read() as conn:
            return self.audit.checkpoints(conn, ws)
