"""Connector errors: third-party failures translated at the boundary into two kinds the caller acts on.

ProctorError
└── ConnectorError                 a connector failed (names the connector)
    ├── ConnectorUnavailableError  transient (refused, timeout, 429, 5xx, SMTP 4xx): retry with backoff
    ├── DeliveryUnknownError       the connection broke after the message was handed over: never retry
    └── ConnectorRejectedError     permanent: bad input, 4xx, SMTP 5xx, not allowed — do not retry
        ├── RecordNotFoundError    no such record (or it is archived)
        └── VendorNotAllowedError  an enrichment vendor outside the allowlist
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proctor.domain.errors import ProctorError

if TYPE_CHECKING:
    from proctor.connectors.base import Delivery


class ConnectorError(ProctorError):
    """A connector failed; `connector` names it, `status` carries the remote code when there is one."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        connector: str = "",
        status: int | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.message = message
        self.connector = connector
        self.status = status
        self.delivery = delivery
        super().__init__(f"{connector}: {message}" if connector else message)


class ConnectorUnavailableError(ConnectorError):
    """A transient failure: the caller may retry with backoff."""

    retryable = True


class DeliveryUnknownError(ConnectorError):
    """The server may have accepted the message (lost after DATA): retrying could send it twice."""


class ConnectorRejectedError(ConnectorError):
    """A permanent failure: the remote side refused the request; retrying will not help."""


class RecordNotFoundError(ConnectorRejectedError):
    """The record does not exist in the connector (or is archived)."""


class VendorNotAllowedError(ConnectorRejectedError):
    """The enrichment vendor is not in the allowlist."""
