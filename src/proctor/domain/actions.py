"""The action catalogue (SPEC §2): each action's category, reversibility, parameter schema and connector."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from proctor.domain.errors import CatalogueError, RequestError


class Category(StrEnum):
    """What kind of side effect an action has; the maturity ceiling is keyed by it."""

    RESEARCH = "research"
    DRAFT = "draft"
    ENRICHMENT = "enrichment"
    CRM_WRITE = "crm_write"
    SEND = "send"
    EXPORT = "export"


class Reversibility(StrEnum):
    """Whether Proctor can undo an action, and how."""

    READ = "read"  # nothing to undo
    NONE = "none"  # no side effect (drafts)
    REVERSIBLE = "reversible"
    IRREVERSIBLE = "irreversible"


class _Params(BaseModel):
    """Base of every parameter schema: unknown parameters are kept (connectors may use them)."""

    model_config = ConfigDict(extra="allow", frozen=True)


class ResearchParams(_Params):
    query: str | None = None
    url: str | None = None
    object: str | None = None
    record_id: str | None = None


class DraftParams(_Params):
    to: str | list[str] | None = None
    subject: str | None = None
    body: str | None = None


class EnrichParams(_Params):
    vendor: str = Field(min_length=1)
    record: str = Field(min_length=1)
    fields: dict[str, Any]
    cost_usd: float = Field(default=0.0, ge=0)


class EmailSendParams(_Params):
    from_: str = Field(alias="from", min_length=3)
    to: str | list[str]
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    attachments: list[str] = Field(default_factory=list)
    touch: Literal["first", "followup"] | None = None
    persona: str | None = None


class SequenceParams(_Params):
    sequence_id: str | None = None
    record_id: str | None = None
    enrollment_id: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | list[str] | None = None
    subject: str | None = None
    body: str | None = None


class CalendarInviteParams(_Params):
    from_: str | None = Field(default=None, alias="from")
    to: str | list[str]
    subject: str = ""
    body: str = ""
    start: str
    end: str | None = None


class CrmCreateParams(_Params):
    object: str = Field(min_length=1)
    fields: dict[str, Any]


class CrmUpdateParams(_Params):
    object: str = Field(min_length=1)
    record_id: str = Field(min_length=1)
    fields: dict[str, Any] = Field(min_length=1)


class StageChangeParams(_Params):
    record_id: str = Field(min_length=1)
    from_: str | None = Field(default=None, alias="from")
    to: str = Field(min_length=1)


class TaskNoteParams(_Params):
    record_id: str = Field(min_length=1)
    body: str | None = None
    subject: str | None = None
    due: str | None = None


class RoutingAssignParams(_Params):
    record_id: str = Field(min_length=1)
    owner_id: str = Field(min_length=1)


class ExportParams(_Params):
    object: str = Field(min_length=1)
    filter: dict[str, Any] | str | None = None
    fields: list[str] = Field(min_length=1)


class AnyParams(_Params):
    """Schema for custom actions registered without one."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One catalogue entry: the four properties of SPEC §2 (+ whether a crm_write is 'light')."""

    name: str
    category: Category
    reversibility: Reversibility
    params: type[BaseModel]
    connector: str
    light: bool = False

    @property
    def reversible(self) -> bool:
        """True when Proctor can undo the action from what it recorded."""
        return self.reversibility is Reversibility.REVERSIBLE


_R, _C = Reversibility, Category

BUILTIN_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("research.web", _C.RESEARCH, _R.READ, ResearchParams, "web"),
    ActionSpec("research.kb", _C.RESEARCH, _R.READ, ResearchParams, "kb"),
    ActionSpec("research.crm_read", _C.RESEARCH, _R.READ, ResearchParams, "crm"),
    ActionSpec("enrich.append", _C.ENRICHMENT, _R.REVERSIBLE, EnrichParams, "enrichment"),
    ActionSpec("draft.email", _C.DRAFT, _R.NONE, DraftParams, "none"),
    ActionSpec("draft.linkedin", _C.DRAFT, _R.NONE, DraftParams, "none"),
    ActionSpec("draft.followup", _C.DRAFT, _R.NONE, DraftParams, "none"),
    ActionSpec("email.send", _C.SEND, _R.IRREVERSIBLE, EmailSendParams, "email"),
    ActionSpec("sequence.enroll", _C.SEND, _R.REVERSIBLE, SequenceParams, "sequences"),
    ActionSpec("sequence.pause", _C.SEND, _R.REVERSIBLE, SequenceParams, "sequences"),
    ActionSpec("sequence.cancel", _C.SEND, _R.REVERSIBLE, SequenceParams, "sequences"),
    ActionSpec("calendar.invite", _C.SEND, _R.REVERSIBLE, CalendarInviteParams, "calendar"),
    ActionSpec("crm.create", _C.CRM_WRITE, _R.REVERSIBLE, CrmCreateParams, "crm"),
    ActionSpec("crm.update", _C.CRM_WRITE, _R.REVERSIBLE, CrmUpdateParams, "crm"),
    ActionSpec("crm.stage_change", _C.CRM_WRITE, _R.REVERSIBLE, StageChangeParams, "crm"),
    ActionSpec("task.create", _C.CRM_WRITE, _R.REVERSIBLE, TaskNoteParams, "crm", light=True),
    ActionSpec("note.create", _C.CRM_WRITE, _R.REVERSIBLE, TaskNoteParams, "crm", light=True),
    ActionSpec("routing.assign", _C.CRM_WRITE, _R.REVERSIBLE, RoutingAssignParams, "crm"),
    ActionSpec("data.export", _C.EXPORT, _R.IRREVERSIBLE, ExportParams, "crm"),
)


class Catalogue:
    """A registry of actions by name; built-ins first, custom actions registrable."""

    def __init__(self, specs: tuple[ActionSpec, ...] = BUILTIN_ACTIONS) -> None:
        self._specs: dict[str, ActionSpec] = {}
        # Each schema's validator, called directly on the decision path: the result is not needed,
        # only the errors, and the TypeAdapter wrapper costs more than the check of a small dict.
        self._validators: dict[str, Any] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ActionSpec) -> ActionSpec:
        """Add an action; re-registering a name is an error."""
        if spec.name in self._specs:
            raise CatalogueError(f"action {spec.name!r} is already registered")
        if not spec.name or "*" in spec.name:
            raise CatalogueError(f"invalid action name {spec.name!r}")
        self._specs[spec.name] = spec
        self._validators[spec.name] = TypeAdapter(spec.params).validator
        return spec

    def get(self, name: str) -> ActionSpec | None:
        """The spec of `name`, or None when the action is unknown."""
        return self._specs.get(name)

    def names(self) -> list[str]:
        """Every registered action name, sorted."""
        return sorted(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def validate_params(self, name: str, params: dict[str, Any]) -> None:
        """Check `params` against the action's schema; raises RequestError naming the field."""
        validator = self._validators.get(name)
        if validator is None:
            raise CatalogueError(f"unknown action {name!r}")
        try:
            validator.validate_python(params)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in ("params", *err["loc"]))
            raise RequestError(err["msg"], field=loc) from None


CATALOGUE = Catalogue()


def register_action(
    name: str,
    category: Category | str,
    reversibility: Reversibility | str,
    params: type[BaseModel] = AnyParams,
    connector: str = "custom",
    *,
    light: bool = False,
    catalogue: Catalogue = CATALOGUE,
) -> ActionSpec:
    """Register a custom action with its category, reversibility, schema and connector."""
    try:
        spec = ActionSpec(name, Category(category), Reversibility(reversibility), params, connector, light)
    except ValueError as exc:
        raise CatalogueError(str(exc)) from None
    return catalogue.register(spec)
