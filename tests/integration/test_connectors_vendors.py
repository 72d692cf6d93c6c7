"""HubSpot and Salesforce connectors against recorded API responses, replayed at the HTTP transport.

The real SDKs run (hubspot-api-client over urllib3, simple-salesforce over requests); only the
socket is replaced by `proctor.connectors.replay`, which answers from tests/integration/recordings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.connectors import (
    ConnectorRejectedError,
    ConnectorUnavailableError,
    CrmConnector,
    RecordNotFoundError,
)
from proctor.connectors.hubspot import HubSpotConnector
from proctor.connectors.replay import Cassette, ReplayMismatchError, ReplayPoolManager, replay_session
from proctor.connectors.salesforce import SalesforceConnector

RECORDINGS = Path(__file__).parent / "recordings"
SF_CREDS = {"instance_url": "https://acme.my.salesforce.com", "access_token": "00Dxx!recorded"}
SF_CONTACT = "003Hp00002cQxYzIAK"
SF_OPP = "006Hp00001XyZaBIAV"


def hubspot(name: str) -> tuple[HubSpotConnector, Cassette]:
    cassette = Cassette.load(RECORDINGS / "hubspot" / name)
    return HubSpotConnector(
        {"access_token": "pat-recorded"}, pool_manager=ReplayPoolManager(cassette)
    ), cassette


def salesforce(name: str) -> tuple[SalesforceConnector, Cassette]:
    cassette = Cassette.load(RECORDINGS / "salesforce" / name)
    return SalesforceConnector(SF_CREDS, session=replay_session(cassette)), cassette


def test_hubspot_update_reads_before_writing_and_restore_refuses_the_conflicted_field() -> None:
    crm, tape = hubspot("update_restore.json")
    assert isinstance(crm, CrmConnector)
    change = crm.update("contact", "51", {"title": "Chief Revenue Officer", "phone": "+49 30 5550199"})
    assert change.connector == "hubspot"
    assert change.before == {"title": "VP Sales", "phone": "+49 30 5550123"}
    assert change.after == {"title": "Chief Revenue Officer", "phone": "+49 30 5550199"}
    assert tape.calls[1].body == {
        "properties": {"jobtitle": "Chief Revenue Officer", "phone": "+49 30 5550199"}
    }
    result = crm.restore(change)
    assert result.restored == ("title",)
    [conflict] = result.conflicts
    assert (conflict.field, conflict.current) == ("phone", "+49 30 5550777")
    assert tape.calls[3].body == {"properties": {"jobtitle": "VP Sales"}}
    assert tape.exhausted


def test_hubspot_deal_owner_and_stage_map_to_hubspot_properties() -> None:
    crm, tape = hubspot("deal_owner_stage.json")
    owner = crm.set_owner("9001", "77", object="opportunity")
    assert owner.before == {"owner_id": "42"}
    assert tape.calls[0].path == "/crm/v3/owners/77"
    assert tape.calls[2].body == {"properties": {"hubspot_owner_id": "77"}}
    stage = crm.stage_change("9001", "negotiation", object="deal", expected_from="discovery")
    assert stage.before == {"stage": "discovery"}  # presentationscheduled, in Proctor's words
    assert tape.calls[4].body == {"properties": {"dealstage": "contractsent"}}
    assert crm.restore(owner).complete
    assert tape.calls[6].body == {"properties": {"hubspot_owner_id": "42"}}
    assert tape.exhausted


def test_hubspot_create_and_note_are_undone_by_archiving() -> None:
    crm, tape = hubspot("create_note_archive.json")
    created = crm.create("company", {"name": "Globex Corporation", "domain": "globex.com", "employees": 4200})
    assert (created.object, created.record_id, created.inverse_op) == ("account", "3301", "archive")
    assert tape.calls[0].body["properties"] == {
        "name": "Globex Corporation",
        "domain": "globex.com",
        "numberofemployees": "4200",
    }
    note = crm.add_note("51", "Asked about the Berlin office.", object="contact")
    assert (note.object, note.record_id, note.parent) == (
        "note",
        "8801",
        {"object": "contact", "record_id": "51"},
    )
    sent = tape.calls[1].body
    assert sent["properties"]["hs_note_body"] == "Asked about the Berlin office."
    assert sent["associations"] == [
        {"to": {"id": "51"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}
    ]
    assert crm.restore(note).complete
    assert (tape.calls[3].method, tape.calls[3].path) == ("DELETE", "/crm/v3/objects/notes/8801")
    refused = crm.restore(created)  # renamed by an admin since: not archived
    assert [c.field for c in refused.conflicts] == ["name"]
    assert refused.change is None
    assert tape.exhausted  # no DELETE was sent for the company


def test_hubspot_errors_are_translated_at_the_boundary() -> None:
    crm, tape = hubspot("errors.json")
    with pytest.raises(RecordNotFoundError, match="Object not found"):
        crm.get("contact", "999")
    with pytest.raises(ConnectorRejectedError) as rejected:
        crm.update("contact", "51", {"favourite_colour": "blue"})
    assert rejected.value.status == 400
    for status in (429, 502, None):
        with pytest.raises(ConnectorUnavailableError) as unavailable:
            crm.get("contact", "51")
        assert unavailable.value.status == status
        assert unavailable.value.retryable
    assert tape.exhausted


def test_hubspot_ids_do_not_name_their_object() -> None:
    crm, _ = hubspot("errors.json")
    with pytest.raises(ConnectorRejectedError, match="pass object="):
        crm.set_owner("51", "77")
    with pytest.raises(ConnectorRejectedError, match="HubSpot credentials need an access_token"):
        HubSpotConnector({})


def test_salesforce_update_and_restore() -> None:
    crm, tape = salesforce("update_restore.json")
    assert isinstance(crm, CrmConnector)
    change = crm.update("contact", SF_CONTACT, {"title": "Chief Revenue Officer", "phone": "+49 30 5550199"})
    assert change.before == {"title": "VP Sales", "phone": "+49 30 5550123"}
    assert tape.calls[0].query == {"fields": "Title,Phone"}
    assert tape.calls[1].body == {"Title": "Chief Revenue Officer", "Phone": "+49 30 5550199"}
    result = crm.restore(change)
    assert result.complete
    assert tape.calls[3].body == {"Title": "VP Sales", "Phone": "+49 30 5550123"}
    assert tape.exhausted


def test_salesforce_owner_and_stage_from_the_id_prefix_and_a_stage_moved_on_is_a_conflict() -> None:
    crm, tape = salesforce("opportunity_owner_stage.json")
    owner = crm.set_owner(SF_OPP, "005Hp00000AbCdEIAV")
    assert owner.object == "opportunity"
    assert owner.before == {"owner_id": "005Hp00000MaRiAIAV"}
    assert tape.calls[2].body == {"OwnerId": "005Hp00000AbCdEIAV"}
    stage = crm.stage_change(SF_OPP, "proposal", expected_from="discovery")
    assert stage.before == {"stage": "discovery"}
    assert tape.calls[4].body == {"StageName": "Proposal/Price Quote"}
    result = crm.restore(stage)
    assert result.restored == ()
    [conflict] = result.conflicts
    assert (conflict.expected, conflict.current, conflict.restore_to) == (
        "proposal",
        "closed_won",
        "discovery",
    )
    assert tape.exhausted  # no PATCH: the deal was won since


def test_salesforce_task_goes_on_the_contact_and_restore_deletes_it() -> None:
    crm, tape = salesforce("task_create_restore.json")
    task = crm.add_task(SF_CONTACT, "Send the Berlin case study", due="2026-11-28")
    assert (task.object, task.record_id) == ("task", "00THp00000TaSkAIAV")
    assert tape.calls[0].body == {
        "Subject": "Send the Berlin case study",
        "Description": "",
        "Status": "Not Started",
        "ActivityDate": "2026-11-28",
        "WhoId": SF_CONTACT,
    }
    assert crm.restore(task).complete
    assert tape.calls[2].method == "DELETE"
    assert tape.exhausted


def test_salesforce_errors_are_translated_at_the_boundary() -> None:
    crm, tape = salesforce("errors.json")
    with pytest.raises(RecordNotFoundError, match="NOT_FOUND"):
        crm.get("contact", "003Hp00009NoNeXIAV")
    with pytest.raises(ConnectorRejectedError, match="INVALID_FIELD") as rejected:
        crm.update("contact", SF_CONTACT, {"Favourite_Colour__c": "blue"})
    assert rejected.value.status == 400
    with pytest.raises(ConnectorUnavailableError) as down:
        crm.get("contact", SF_CONTACT)
    assert down.value.status == 503
    with pytest.raises(ConnectorUnavailableError, match="ReadTimeout"):
        crm.get("contact", SF_CONTACT)
    assert tape.exhausted


def test_archived_records_cannot_be_brought_back_through_vendor_apis() -> None:
    crm, _ = salesforce("errors.json")
    from proctor.connectors import Change

    change = Change("salesforce", "contact", SF_CONTACT, "archive", {"archived": False}, {"archived": True})
    with pytest.raises(ConnectorRejectedError, match="recycle bin"):
        crm.restore(change)


def test_the_replay_transport_fails_loudly_on_an_unrecorded_request() -> None:
    crm, _ = salesforce("task_create_restore.json")
    with pytest.raises(ReplayMismatchError, match="expected POST"):
        crm.get("contact", SF_CONTACT)
