"""Connector registry: the built-ins plus third-party connectors of the `proctor.connectors` entry points."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from proctor.connectors.errors import ConnectorRejectedError

GROUP = "proctor.connectors"
BUILTINS: dict[str, str] = {
    "sandbox_crm": "proctor.connectors.sandbox_crm:SandboxCrm",
    "smtp": "proctor.connectors.smtp:SmtpConnector",
    "calendar": "proctor.connectors.calendar:EmailCalendar",
    "sandbox_enrichment": "proctor.connectors.enrichment:SandboxEnrichment",
    "hubspot": "proctor.connectors.hubspot:HubSpotConnector",
    "salesforce": "proctor.connectors.salesforce:SalesforceConnector",
}
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "crm": ("get", "create", "update", "archive", "set_owner", "stage_change", "add_note", "restore"),
    "email": ("send",),
    "calendar": ("invite", "cancel"),
    "enrichment": ("lookup",),
    "sequences": ("enroll", "pause", "cancel"),
}


def capabilities_of(connector: Any) -> list[str]:
    """Which capability protocols a connector class or instance provides (crm, email, calendar, …)."""
    return [cap for cap, members in CAPABILITIES.items() if all(hasattr(connector, m) for m in members)]


def _import(target: str) -> Callable[..., Any]:
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{target} is not callable")
    return obj  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    """One registered connector: its name, import target and where it came from."""

    name: str
    target: str
    origin: str  # "builtin", "entry_point" or "registered"


class ConnectorRegistry:
    """Name → connector factory; factories are imported only when first used."""

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self._infos: dict[str, ConnectorInfo] = {
            name: ConnectorInfo(name, target, "builtin") for name, target in BUILTINS.items()
        }
        self._factories: dict[str, Callable[..., Any]] = {}
        self.skipped: list[str] = []
        if load_entry_points:
            for ep in entry_points(group=GROUP):
                if ep.name in self._infos and self._infos[ep.name].target != ep.value:
                    self.skipped.append(f"{ep.name} ({ep.value}): the name is taken")
                    continue
                origin = "builtin" if ep.value == BUILTINS.get(ep.name) else "entry_point"
                self._infos[ep.name] = ConnectorInfo(ep.name, ep.value, origin)

    def register(self, name: str, factory: Callable[..., Any]) -> None:
        """Add a connector factory under a new name."""
        if name in self._infos:
            raise ConnectorRejectedError(f"connector {name!r} is already registered", connector="registry")
        target = f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', repr(factory))}"
        self._infos[name] = ConnectorInfo(name, target, "registered")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every registered connector name, sorted."""
        return sorted(self._infos)

    def info(self, name: str) -> ConnectorInfo:
        """The registration of `name`; ConnectorRejectedError when unknown."""
        if name not in self._infos:
            known = ", ".join(self.names())
            raise ConnectorRejectedError(f"unknown connector {name!r} (known: {known})", connector="registry")
        return self._infos[name]

    def factory(self, name: str) -> Callable[..., Any]:
        """The class or callable that builds connector `name` (imported on first use)."""
        info = self.info(name)
        if name not in self._factories:
            try:
                self._factories[name] = _import(info.target)
            except (ImportError, AttributeError, TypeError) as exc:
                raise ConnectorRejectedError(
                    f"cannot load connector {name!r} from {info.target}: {exc}", connector="registry"
                ) from exc
        return self._factories[name]

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build connector `name` with the given configuration."""
        return self.factory(name)(*args, **kwargs)

    def describe(self) -> list[dict[str, Any]]:
        """Name, origin, target and capabilities of every connector (capabilities need the import)."""
        out = []
        for name in self.names():
            info = self._infos[name]
            try:
                caps = capabilities_of(self.factory(name))
                error = None
            except ConnectorRejectedError as exc:
                caps, error = [], str(exc)
            row: dict[str, Any] = {
                "name": name, "origin": info.origin, "target": info.target, "capabilities": caps,
            }  # fmt: skip
            if error:
                row["error"] = error
            out.append(row)
        return out
