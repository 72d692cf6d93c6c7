"""Request and response bodies of the HTTP API (they are what `/openapi.json` documents)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from proctor.domain.decisions import Decision
from proctor.domain.identity import Agent, ApiKey, Role
from proctor.domain.requests import Batch, Evidence, Target, Versions


class ErrorDetail(BaseModel):
    """What went wrong, and which field (when one is to blame)."""

    type: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The envelope of every error answer."""

    error: ErrorDetail


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        401: "Missing, unknown or revoked credentials",
        403: "The caller may not do this",
        404: "No such object in the caller's workspace",
        409: "Conflicts with the stored state",
        422: "Invalid input; `error.field` names the field",
        503: "The store is unavailable",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


ERRORS = _errors(401, 403, 404, 409, 422, 503)


class SubmitRequest(BaseModel):
    """An action an agent asks to perform (SPEC §3); the server loads the facts itself."""

    model_config = ConfigDict(extra="forbid", title="SubmitRequest")

    action: str = Field(min_length=1, max_length=200, examples=["email.send"])
    run_id: str | None = Field(default=None, max_length=200)
    on_behalf_of: str | None = Field(default=None, max_length=40)
    intent: str | None = None
    plan: list[str] = Field(default_factory=list)
    target: Target = Field(default_factory=Target)
    params: dict[str, Any] = Field(default_factory=dict)
    evidence: Evidence | None = None
    versions: Versions = Field(default_factory=Versions)
    idempotency_key: str | None = Field(default=None, max_length=200)
    batch: Batch | None = None


class SubmitResponse(BaseModel):
    """The answer of `POST /v1/actions`."""

    action_id: str
    status: Literal[
        "executed",
        "pending_approval",
        "denied",
        "allowed",
        "approved",
        "executing",
        "failed",
        "rejected",
        "expired",
        "cancelled",
        "outcome_unknown",
    ] = Field(
        description=(
            "executed, pending_approval or denied; failed when the connector failed; "
            "executing while another request (same idempotency key) is still running it; "
            "outcome_unknown when its process died during the connector call (never re-run)"
        )
    )
    decision: Decision
    outcome: dict[str, Any] | None = None
    replayed: bool = False


class ActionView(BaseModel):
    """One governed action as stored."""

    model_config = ConfigDict(extra="allow")

    id: str
    action: str
    status: str
    decision: dict[str, Any]
    outcome: dict[str, Any] | None = None


class FindingView(BaseModel):
    """One reason behind a firewall verdict."""

    kind: str
    detail: str
    start: int | None = None
    end: int | None = None


class ScanView(BaseModel):
    """A firewall verdict; `text` is the neutralised text the agent may read."""

    model_config = ConfigDict(extra="allow")

    verdict: Literal["injection", "clean"]
    score: float
    findings: list[FindingView] = Field(default_factory=list)
    text: str | None = None


class AgentCreate(BaseModel):
    """A new agent."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class KeyCreate(BaseModel):
    """A new agent key: the action patterns it may submit."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=100)


class AgentDetail(Agent):
    """An agent with the metadata of its keys (never the secrets)."""

    keys: list[ApiKey] = Field(default_factory=list)


class IssuedKey(ApiKey):
    """A key's metadata plus the raw secret, shown exactly once."""

    key: str


class StatusChange(BaseModel):
    """Why an agent is quarantined or released."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class UserCreate(BaseModel):
    """A new person in the workspace."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(default_factory=lambda: [Role.REP], max_length=5)
    timezone: str | None = Field(default=None, max_length=64)


class UserTokenCreate(BaseModel):
    """Nothing to set: a personal token carries its user's roles."""

    model_config = ConfigDict(extra="forbid")


class DelegationConstraintIn(BaseModel):
    """A CEL condition a delegated action must satisfy."""

    model_config = ConfigDict(extra="forbid")

    expr: str = Field(min_length=1, max_length=2000)
    message: str | None = Field(default=None, max_length=2000)


class DelegationCreate(BaseModel):
    """A user lets an agent act on their behalf."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=40)
    agent_id: str = Field(min_length=1, max_length=40)
    scopes: list[str] = Field(min_length=1, max_length=100)
    expires_at: AwareDatetime
    constraints: list[DelegationConstraintIn] = Field(default_factory=list, max_length=20)


class AuditPage(BaseModel):
    """One page of audit events, newest filters applied; pass `next_cursor` back for the next page."""

    events: list[dict[str, Any]]
    next_cursor: str | None = None


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    detail: str | None = None
