"""Salesforce connector (simple-salesforce): Proctor objects and fields mapped to Salesforce sObjects."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from proctor.connectors.errors import ConnectorError, ConnectorRejectedError, ConnectorUnavailableError
from proctor.connectors.remote_crm import RemoteCrm, error_for_status

NAME = "salesforce"
API_VERSION = "59.0"
SOBJECTS = {
    "contact": "Contact",
    "account": "Account",
    "opportunity": "Opportunity",
    "lead": "Lead",
    "task": "Task",
    "note": "Note",
    "owner": "User",
}
# The first three characters of a Salesforce id name its sObject type.
KEY_PREFIXES = {
    "003": "contact", "001": "account", "006": "opportunity", "00Q": "lead", "00T": "task",
    "002": "note", "005": "owner",
}  # fmt: skip


class SalesforceConnector(RemoteCrm):
    """CrmConnector over the Salesforce REST API; `session` swaps the HTTP transport (recordings, proxies)."""

    name: ClassVar[str] = NAME
    FIELDS: ClassVar[dict[str, dict[str, str]]] = {
        "contact": {
            "first_name": "FirstName", "last_name": "LastName", "email": "Email", "title": "Title",
            "phone": "Phone", "owner_id": "OwnerId", "account_id": "AccountId",
            "do_not_contact": "HasOptedOutOfEmail",
        },
        "account": {
            "name": "Name", "domain": "Website", "industry": "Industry", "employees": "NumberOfEmployees",
            "annual_revenue": "AnnualRevenue", "country": "BillingCountry", "owner_id": "OwnerId",
        },
        "opportunity": {
            "name": "Name", "stage": "StageName", "amount": "Amount", "close_date": "CloseDate",
            "owner_id": "OwnerId", "account_id": "AccountId", "probability": "Probability",
        },
        "lead": {
            "first_name": "FirstName", "last_name": "LastName", "email": "Email", "company": "Company",
            "title": "Title", "status": "Status", "source": "LeadSource", "owner_id": "OwnerId",
        },
        "task": {
            "subject": "Subject", "body": "Description", "due": "ActivityDate", "status": "Status",
            "owner_id": "OwnerId",
        },
        "note": {"title": "Title", "body": "Body", "record_id": "ParentId"},
        "owner": {"name": "Name", "email": "Email", "active": "IsActive"},
    }  # fmt: skip
    VALUES: ClassVar[dict[tuple[str, str], dict[str, str]]] = {
        ("opportunity", "stage"): {
            "prospecting": "Prospecting", "qualification": "Qualification", "discovery": "Needs Analysis",
            "proposal": "Proposal/Price Quote", "negotiation": "Negotiation/Review",
            "closed_won": "Closed Won", "closed_lost": "Closed Lost",
        },
        ("lead", "status"): {
            "new": "Open - Not Contacted", "working": "Working - Contacted",
            "qualified": "Closed - Converted", "unqualified": "Closed - Not Converted",
        },
        ("task", "status"): {"open": "Not Started", "in_progress": "In Progress", "done": "Completed"},
    }  # fmt: skip

    def __init__(self, credentials: dict[str, Any], *, session: requests.Session | None = None) -> None:
        try:
            if credentials.get("access_token"):
                self.sf = Salesforce(
                    instance_url=credentials["instance_url"],
                    session_id=credentials["access_token"],
                    version=str(credentials.get("version", API_VERSION)),
                    session=session,
                )
            else:
                self.sf = Salesforce(
                    username=credentials["username"],
                    password=credentials["password"],
                    security_token=credentials.get("security_token", ""),
                    domain=credentials.get("domain"),
                    version=str(credentials.get("version", API_VERSION)),
                    session=session,
                )
        except KeyError as exc:
            raise ConnectorRejectedError(f"Salesforce credentials need {exc}", connector=NAME) from None
        except (SalesforceError, requests.RequestException) as exc:
            raise self._translate(exc) or ConnectorUnavailableError(str(exc), connector=NAME) from exc

    def _sobject(self, obj: str) -> Any:
        return getattr(self.sf, SOBJECTS[obj])

    def object_of(self, record_id: str) -> str:
        """The object named by the id's key prefix (003… → contact)."""
        obj = KEY_PREFIXES.get(record_id[:3])
        if obj is None:
            raise ConnectorRejectedError(f"unknown Salesforce id prefix in {record_id!r}", connector=NAME)
        return obj

    def owner_exists(self, owner_id: str) -> None:
        """Read the User; RecordNotFoundError when Salesforce does not know it."""
        self._sobject("owner").get(owner_id)

    def _read(self, obj: str, record_id: str, remote_fields: list[str]) -> dict[str, Any]:
        params = {"fields": ",".join(remote_fields)} if remote_fields else None
        found = dict(self._sobject(obj).get(record_id, params=params))
        return {k: found.get(k) for k in remote_fields}

    def _patch(self, obj: str, record_id: str, remote: dict[str, Any]) -> None:
        self._sobject(obj).update(record_id, remote)

    def _post(self, obj: str, remote: dict[str, Any], parent: tuple[str, str] | None) -> str:
        data = dict(remote)
        if parent is not None:
            parent_obj, parent_id = parent
            if obj == "note":
                data["ParentId"] = parent_id
            else:
                data["WhoId" if parent_obj in {"contact", "lead"} else "WhatId"] = parent_id
        result = dict(self._sobject(obj).create(data))
        if not result.get("success", True) or not result.get("id"):
            raise ConnectorRejectedError(f"create {obj} failed: {result.get('errors')}", connector=NAME)
        return str(result["id"])

    def _remove(self, obj: str, record_id: str) -> None:
        self._sobject(obj).delete(record_id)

    def _translate(self, exc: Exception) -> ConnectorError | None:
        if isinstance(exc, requests.RequestException):
            return ConnectorUnavailableError(f"{type(exc).__name__}: {exc}", connector=NAME)
        if isinstance(exc, SalesforceError):
            return error_for_status(NAME, exc.status, f"{exc.status} {_message(exc.content)}")
        return None


def _message(content: Any) -> str:
    """Salesforce errors are a JSON list of {message, errorCode, fields}."""
    try:
        errors = json.loads(content)
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in errors)
    except (TypeError, ValueError, AttributeError):
        return str(content)[:200]
