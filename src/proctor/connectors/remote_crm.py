"""Shared logic of vendor CRM connectors: read before write, Change, restore; subclasses map and call."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from proctor.connectors.base import Change, RestoreResult
from proctor.connectors.changes import WHOLE_RECORD_OPS, conflicts_of, object_names, plan_field_restore
from proctor.connectors.errors import (
    ConnectorError,
    ConnectorRejectedError,
    ConnectorUnavailableError,
    RecordNotFoundError,
)

STAGE_FIELD = {"opportunity": "stage", "lead": "status"}
_ALIASES = {"company": "account", "deal": "opportunity", "user": "owner"}


class RemoteCrm(ABC):
    """A CrmConnector over a vendor API; subclasses give the field map and five HTTP primitives."""

    name: ClassVar[str]
    FIELDS: ClassVar[dict[str, dict[str, str]]]
    VALUES: ClassVar[dict[tuple[str, str], dict[str, str]]] = {}

    @abstractmethod
    def _read(self, obj: str, record_id: str, remote_fields: list[str]) -> dict[str, Any]:
        """Remote property values of one record."""

    @abstractmethod
    def _patch(self, obj: str, record_id: str, remote: dict[str, Any]) -> None:
        """Write remote properties."""

    @abstractmethod
    def _post(self, obj: str, remote: dict[str, Any], parent: tuple[str, str] | None) -> str:
        """Create a record (attached to `parent` for notes and tasks); its new id."""

    @abstractmethod
    def _remove(self, obj: str, record_id: str) -> None:
        """Archive/delete a record the vendor's way."""

    @abstractmethod
    def _translate(self, exc: Exception) -> ConnectorError | None:
        """The ConnectorError for a vendor/transport exception, or None to let it through."""

    @abstractmethod
    def object_of(self, record_id: str) -> str:
        """The Proctor object of a vendor record id."""

    @abstractmethod
    def owner_exists(self, owner_id: str) -> None:
        """Raise RecordNotFoundError when the owner is unknown."""

    @contextmanager
    def boundary(self) -> Iterator[None]:
        """Translate vendor and transport errors into ConnectorError subclasses."""
        try:
            yield
        except ConnectorError:
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    def canonical(self, object: str) -> str:
        """The Proctor object name ('contacts', 'deal' → contact, opportunity)."""
        for name in object_names(object):
            if _ALIASES.get(name, name) in self.FIELDS:
                return _ALIASES.get(name, name)
        raise ConnectorRejectedError(f"unknown object {object!r}", connector=self.name, status=400)

    def to_remote(self, obj: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Proctor field names and values → the vendor's (unmapped names pass through)."""
        mapping = self.FIELDS[obj]
        return {
            mapping.get(k, k): self.VALUES.get((obj, k), {}).get(v, v) if isinstance(v, str) else v
            for k, v in fields.items()
        }

    def from_remote(self, obj: str, remote: dict[str, Any]) -> dict[str, Any]:
        """Vendor field names and values → Proctor's."""
        reverse = {r: p for p, r in self.FIELDS[obj].items()}
        out = {}
        for key, value in remote.items():
            name = reverse.get(key, key)
            values = {r: p for p, r in self.VALUES.get((obj, name), {}).items()}
            out[name] = values.get(value, value) if isinstance(value, str) else value
        return out

    def _current(self, obj: str, record_id: str, names: list[str]) -> dict[str, Any]:
        remote = list(self.to_remote(obj, dict.fromkeys(names)))
        with self.boundary():
            return self.from_remote(obj, self._read(obj, record_id, remote))

    def get(self, object: str, record_id: str) -> dict[str, Any]:
        """The record's mapped fields with `id`; RecordNotFoundError when absent."""
        obj = self.canonical(object)
        return {"id": record_id, **self._current(obj, record_id, list(self.FIELDS[obj]))}

    def _write(
        self, obj: str, record_id: str, fields: dict[str, Any], op: str, before: dict[str, Any] | None = None
    ) -> Change:
        if before is None:
            before = self._current(obj, record_id, list(fields))
        with self.boundary():
            self._patch(obj, record_id, self.to_remote(obj, fields))
        return Change(self.name, obj, record_id, op, {k: before.get(k) for k in fields}, dict(fields))

    def create(self, object: str, fields: dict[str, Any]) -> Change:
        """Create a record; the inverse archives it."""
        obj = self.canonical(object)
        with self.boundary():
            new_id = self._post(obj, self.to_remote(obj, fields), None)
        return Change(self.name, obj, new_id, "create", {}, dict(fields))

    def update(self, object: str, record_id: str, fields: dict[str, Any]) -> Change:
        """Write fields after reading their current values (the `before`)."""
        if not fields:
            raise ConnectorRejectedError("no fields to update", connector=self.name, status=400)
        return self._write(self.canonical(object), record_id, dict(fields), "update")

    def archive(self, object: str, record_id: str) -> Change:
        """Archive a record (the vendor's recycle bin)."""
        obj = self.canonical(object)
        with self.boundary():
            self._read(obj, record_id, [])
            self._remove(obj, record_id)
        return Change(self.name, obj, record_id, "archive", {"archived": False}, {"archived": True})

    def delete(self, object: str, record_id: str) -> Change:
        """Delete a record (to the vendor's recycle bin); `before` keeps its mapped fields."""
        obj = self.canonical(object)
        before = self._current(obj, record_id, list(self.FIELDS[obj]))
        with self.boundary():
            self._remove(obj, record_id)
        return Change(self.name, obj, record_id, "delete", before, {})

    def set_owner(self, record_id: str, owner_id: str, *, object: str | None = None) -> Change:
        """Assign another owner; the inverse restores the previous one."""
        obj = self.canonical(object) if object else self.object_of(record_id)
        with self.boundary():
            self.owner_exists(owner_id)
        return self._write(obj, record_id, {"owner_id": owner_id}, "set_owner")

    def stage_change(
        self, record_id: str, to: str, *, object: str | None = None, expected_from: str | None = None
    ) -> Change:
        """Move a deal/opportunity stage (or lead status); refuse when `expected_from` is stale."""
        obj = self.canonical(object) if object else self.object_of(record_id)
        field = STAGE_FIELD.get(obj)
        if field is None or field not in self.FIELDS[obj]:
            raise ConnectorRejectedError(f"{obj} has no stage", connector=self.name, status=400)
        before = self._current(obj, record_id, [field])
        if expected_from is not None and before.get(field) != expected_from:
            raise ConnectorRejectedError(
                f"{obj} {record_id} is in {field} {before.get(field)!r}, not {expected_from!r}",
                connector=self.name,
                status=409,
            )
        return self._write(obj, record_id, {field: to}, "stage_change", before)

    def _child(self, kind: str, record_id: str, object: str | None, fields: dict[str, Any]) -> Change:
        obj = self.canonical(object) if object else self.object_of(record_id)
        with self.boundary():
            new_id = self._post(kind, self.to_remote(kind, fields), (obj, record_id))
        parent = {"object": obj, "record_id": record_id}
        return Change(self.name, kind, new_id, f"add_{kind}", {}, dict(fields), parent=parent)

    def add_note(self, record_id: str, body: str, *, object: str | None = None) -> Change:
        """Attach a note to a record; the inverse archives the note."""
        return self._child("note", record_id, object, {"body": body})

    def add_task(
        self,
        record_id: str,
        subject: str,
        *,
        body: str = "",
        due: str | None = None,
        object: str | None = None,
    ) -> Change:
        """Create an open task on a record; the inverse archives the task."""
        fields = {"subject": subject, "body": body, "status": "open", "due": due}
        return self._child("task", record_id, object, {k: v for k, v in fields.items() if v is not None})

    def restore(self, change: Change, *, force: bool = False) -> RestoreResult:
        """Undo a change from a fresh read; fields changed since are refused unless `force`."""
        obj = self.canonical(change.object)
        if change.op in {"archive", "delete"}:
            raise ConnectorRejectedError(
                f"{self.name} cannot bring back an archived {obj} through its API; "
                "restore it from the recycle bin",
                connector=self.name,
            )
        current = self._current(obj, change.record_id, list(change.after))
        if change.op in WHOLE_RECORD_OPS:
            conflicts = conflicts_of(change, current)
            if conflicts and not force:
                return RestoreResult((), conflicts)
            with self.boundary():
                self._remove(obj, change.record_id)
            undo = Change(
                self.name, obj, change.record_id, "archive", {"archived": False}, {"archived": True}
            )
            return RestoreResult(tuple(sorted(change.after)), () if force else conflicts, undo)
        to_write, conflicts = plan_field_restore(change, current, force=force)
        if not to_write:
            return RestoreResult((), conflicts)
        with self.boundary():
            self._patch(obj, change.record_id, self.to_remote(obj, to_write))
        undo = Change(
            self.name, obj, change.record_id, change.op, {k: current.get(k) for k in to_write}, to_write
        )
        return RestoreResult(tuple(sorted(to_write)), conflicts, undo)


def error_for_status(connector: str, status: int | None, detail: str) -> ConnectorError:
    """ConnectorUnavailableError for 0/408/429/5xx, else ConnectorRejectedError (RecordNotFound for 404)."""
    if status in (None, 0, 408, 429) or (status is not None and status >= 500):
        return ConnectorUnavailableError(detail, connector=connector, status=status)
    if status == 404:
        return RecordNotFoundError(detail, connector=connector, status=status)
    return ConnectorRejectedError(detail, connector=connector, status=status)
