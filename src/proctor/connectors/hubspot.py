"""HubSpot CRM connector (hubspot-api-client): Proctor objects and fields mapped to HubSpot's v3 objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import hubspot
import urllib3
from hubspot.crm import objects as hs_objects
from hubspot.crm import owners as hs_owners

from proctor.connectors.errors import ConnectorError, ConnectorRejectedError, ConnectorUnavailableError
from proctor.connectors.remote_crm import RemoteCrm, error_for_status

NAME = "hubspot"
OBJECT_TYPES = {
    "contact": "contacts",
    "account": "companies",
    "opportunity": "deals",
    "lead": "leads",
    "note": "notes",
    "task": "tasks",
}
# HubSpot-defined association type ids (note/task → contact, company, deal).
ASSOCIATION_TYPES = {
    ("note", "contact"): 202, ("note", "account"): 190, ("note", "opportunity"): 214,
    ("task", "contact"): 204, ("task", "account"): 192, ("task", "opportunity"): 216,
}  # fmt: skip


class HubSpotConnector(RemoteCrm):
    """CrmConnector over HubSpot; `pool_manager` swaps the HTTP transport (recordings, proxies)."""

    name: ClassVar[str] = NAME
    FIELDS: ClassVar[dict[str, dict[str, str]]] = {
        "contact": {
            "first_name": "firstname", "last_name": "lastname", "email": "email", "title": "jobtitle",
            "phone": "phone", "owner_id": "hubspot_owner_id", "persona": "hs_persona",
            "lifecycle_stage": "lifecyclestage",
        },
        "account": {
            "name": "name", "domain": "domain", "industry": "industry", "employees": "numberofemployees",
            "annual_revenue": "annualrevenue", "country": "country", "owner_id": "hubspot_owner_id",
            "tier": "hs_ideal_customer_profile",
        },
        "opportunity": {
            "name": "dealname", "stage": "dealstage", "amount": "amount", "close_date": "closedate",
            "owner_id": "hubspot_owner_id", "pipeline": "pipeline",
        },
        "lead": {"name": "hs_lead_name", "status": "hs_pipeline_stage", "owner_id": "hubspot_owner_id"},
        "note": {"body": "hs_note_body", "at": "hs_timestamp", "owner_id": "hubspot_owner_id"},
        "task": {
            "subject": "hs_task_subject", "body": "hs_task_body", "due": "hs_timestamp",
            "status": "hs_task_status", "owner_id": "hubspot_owner_id",
        },
    }  # fmt: skip
    VALUES: ClassVar[dict[tuple[str, str], dict[str, str]]] = {
        ("opportunity", "stage"): {
            "prospecting": "appointmentscheduled", "qualification": "qualifiedtobuy",
            "discovery": "presentationscheduled", "proposal": "decisionmakerboughtin",
            "negotiation": "contractsent", "closed_won": "closedwon", "closed_lost": "closedlost",
        },
        ("task", "status"): {"open": "NOT_STARTED", "in_progress": "IN_PROGRESS", "done": "COMPLETED"},
    }  # fmt: skip

    def __init__(
        self, credentials: dict[str, Any], *, pool_manager: Any = None, default_object: str | None = None
    ) -> None:
        token = credentials.get("access_token")
        if not token:
            raise ConnectorRejectedError("HubSpot credentials need an access_token", connector=NAME)
        self._pool_manager = pool_manager
        self.default_object = default_object
        self.client = hubspot.Client.create(access_token=token, api_factory=self._api_factory)
        self.objects = self.client.crm.objects.basic_api
        self.owners = self.client.crm.owners.owners_api

    def _api_factory(self, package: Any, api_name: str, config: dict[str, Any]) -> Any:
        configuration = package.Configuration()
        configuration.access_token = config.get("access_token")
        api = getattr(package, api_name)(api_client=package.ApiClient(configuration=configuration))
        if self._pool_manager is not None:
            api.api_client.rest_client.pool_manager = self._pool_manager
        return api

    def object_of(self, record_id: str) -> str:
        """HubSpot ids carry no type: `default_object`, else `object=` must be given."""
        if self.default_object:
            return self.canonical(self.default_object)
        raise ConnectorRejectedError(
            f"HubSpot record id {record_id!r} does not name its object; pass object=", connector=NAME
        )

    def owner_exists(self, owner_id: str) -> None:
        """Read the owner; RecordNotFoundError when HubSpot does not know it."""
        self.owners.get_by_id(int(owner_id) if owner_id.isdigit() else owner_id, id_property="id")

    def _read(self, obj: str, record_id: str, remote_fields: list[str]) -> dict[str, Any]:
        found = self.objects.get_by_id(OBJECT_TYPES[obj], record_id, properties=remote_fields or None)
        props = dict(found.properties or {})
        return {k: props.get(k) for k in remote_fields}

    def _patch(self, obj: str, record_id: str, remote: dict[str, Any]) -> None:
        body = hs_objects.SimplePublicObjectInput(properties=_strings(remote))
        self.objects.update(OBJECT_TYPES[obj], record_id, body)

    def _post(self, obj: str, remote: dict[str, Any], parent: tuple[str, str] | None) -> str:
        properties = _strings(remote)
        associations = []
        if parent is not None:
            type_id = ASSOCIATION_TYPES.get((obj, parent[0]))
            if type_id is None:
                raise ConnectorRejectedError(f"cannot attach a {obj} to a {parent[0]}", connector=NAME)
            properties.setdefault("hs_timestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            associations.append(
                {
                    "to": {"id": parent[1]},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
                }
            )
        body = hs_objects.SimplePublicObjectInputForCreate(properties=properties, associations=associations)
        return str(self.objects.create(OBJECT_TYPES[obj], body).id)

    def _remove(self, obj: str, record_id: str) -> None:
        self.objects.archive(OBJECT_TYPES[obj], record_id)

    def _translate(self, exc: Exception) -> ConnectorError | None:
        if isinstance(exc, urllib3.exceptions.HTTPError):
            return ConnectorUnavailableError(f"{type(exc).__name__}: {exc}", connector=NAME)
        if isinstance(exc, hs_objects.ApiException | hs_owners.ApiException):
            return error_for_status(NAME, exc.status, f"{exc.status} {_message(exc.body) or exc.reason}")
        return None


def _strings(remote: dict[str, Any]) -> dict[str, str]:
    """HubSpot properties are strings on the wire ('' clears a value)."""
    return {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in remote.items()
    }


def _message(body: Any) -> str:
    try:
        return str(json.loads(body).get("message", ""))
    except (TypeError, ValueError, AttributeError):
        return ""
