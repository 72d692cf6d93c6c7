"""Request-scoped dependencies: the wired services, bearer credentials, principals and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from proctor.domain.errors import AuthError, ForbiddenError

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An agent API key (agents) or a personal access token (people).",
)

ADMIN_ROLES = frozenset({"admin"})
AUDIT_ROLES = frozenset({"admin", "auditor", "manager"})
READ_ROLES = frozenset({"admin", "auditor", "manager"})


def services_of(request: Request) -> Any:
    """The Services object the app was built with."""
    return request.app.state.services


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header, or AuthError."""
    if not header:
        raise AuthError("missing Authorization: Bearer header")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("expected Authorization: Bearer <token>")
    return token


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise AuthError("missing Authorization: Bearer header")
    return credentials.credentials.strip()


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def current_user(request: Request, credentials: Credentials) -> Any:
    """The person behind a personal token (UserPrincipal)."""
    return services_of(request).gate.authenticate_user(_token(credentials))


def current_agent(request: Request, credentials: Credentials) -> Any:
    """The agent behind an API key (AgentPrincipal)."""
    return services_of(request).gate.authenticate_agent(_token(credentials))


def current_caller(request: Request, credentials: Credentials) -> Any:
    """An agent or a person: agent keys are tried first, then personal tokens."""
    token = _token(credentials)
    gate = services_of(request).gate
    try:
        return gate.authenticate_agent(token)
    except AuthError:
        return gate.authenticate_user(token)


def has_role(principal: Any, roles: Iterable[str]) -> bool:
    """True when a user principal holds one of `roles`."""
    held = set(getattr(principal, "roles", ()) or ())
    return bool(held & set(roles))


def require_roles(*roles: str) -> Callable[..., Any]:
    """A dependency: the current user, who must hold one of `roles`."""
    wanted = frozenset(roles)

    def dependency(user: Annotated[Any, Depends(current_user)]) -> Any:
        if not has_role(user, wanted):
            raise ForbiddenError(f"requires one of the roles: {', '.join(sorted(wanted))}")
        return user

    return dependency


def actor_of(principal: Any) -> str:
    """The audit actor string of a principal (`user:usr_…` or `agent:agt_…`)."""
    user_id = getattr(principal, "user_id", None)
    if user_id:
        return f"user:{user_id}"
    return f"agent:{getattr(principal, 'agent_id', 'unknown')}"


User = Annotated[Any, Depends(current_user)]
Agent = Annotated[Any, Depends(current_agent)]
Caller = Annotated[Any, Depends(current_caller)]
Admin = Annotated[Any, Depends(require_roles(*ADMIN_ROLES))]
Auditor = Annotated[Any, Depends(require_roles(*AUDIT_ROLES))]
Reader = Annotated[Any, Depends(require_roles(*READ_ROLES))]
