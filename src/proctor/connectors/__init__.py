"""Connectors: the only code that touches CRMs, SMTP, calendars and enrichment vendors.

Each connector implements one or more capability protocols of `proctor.connectors.base`;
third-party errors are translated at the boundary into `ConnectorError` subclasses.
Vendor modules (hubspot, salesforce, smtp, calendar) are imported on demand.
"""

from __future__ import annotations

from proctor.connectors.base import (
    AlternativePart,
    Attachment,
    CalendarConnector,
    Change,
    Conflict,
    CrmConnector,
    Delivery,
    EmailConnector,
    EnrichmentConnector,
    EnrichmentResult,
    Enrollment,
    FieldValue,
    Invite,
    Message,
    RestoreResult,
    SequenceConnector,
)
from proctor.connectors.errors import (
    ConnectorError,
    ConnectorRejectedError,
    ConnectorUnavailableError,
    RecordNotFoundError,
    VendorNotAllowedError,
)
from proctor.connectors.registry import ConnectorRegistry, capabilities_of

__all__ = [
    "AlternativePart",
    "Attachment",
    "CalendarConnector",
    "Change",
    "Conflict",
    "ConnectorError",
    "ConnectorRegistry",
    "ConnectorRejectedError",
    "ConnectorUnavailableError",
    "CrmConnector",
    "Delivery",
    "EmailConnector",
    "EnrichmentConnector",
    "EnrichmentResult",
    "Enrollment",
    "FieldValue",
    "Invite",
    "Message",
    "RecordNotFoundError",
    "RestoreResult",
    "SequenceConnector",
    "VendorNotAllowedError",
    "capabilities_of",
]
