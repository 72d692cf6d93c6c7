"""Proctor's exception tree.

ProctorError
├── PolicyError            a policy file or expression is invalid (names file, line and key)
├── RequestError           an action request is malformed (names the field)
├── CatalogueError         an action is unknown or registered twice
└── EvaluationError        evaluating a policy failed (the engine turns this into a deny)
"""

from __future__ import annotations


class ProctorError(Exception):
    """The root of every error Proctor raises on purpose."""


class PolicyError(ProctorError):
    """A policy document or one of its expressions is invalid."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file or "<policy>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.key:
            return f"{where}: {self.key}: {self.message}"
        return f"{where}: {self.message}"


class RequestError(ProctorError):
    """An action request is malformed; `field` names the offending field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class CatalogueError(ProctorError):
    """An action name is unknown to the catalogue, or registered twice."""


class EvaluationError(ProctorError):
    """Evaluating a policy condition failed; the engine answers deny."""


class AuthError(ProctorError):
    """Missing, unknown, revoked or expired credentials."""


class ForbiddenError(ProctorError):
    """The caller is authenticated but may not do this."""


class NotFoundError(ProctorError):
    """No such object in the caller's workspace (other workspaces' objects are never revealed)."""


class ConflictError(ProctorError):
    """The request conflicts with the stored state (e.g. idempotency key reused with another payload)."""


class StoreError(ProctorError):
    """The store failed; translated from the database driver's error at the boundary."""
