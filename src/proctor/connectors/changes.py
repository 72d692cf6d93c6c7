"""Restore planning shared by CRM connectors: which fields go back, which changed since (conflicts)."""

from __future__ import annotations

from typing import Any

from proctor.connectors.base import Change, Conflict

WHOLE_RECORD_OPS = frozenset({"create", "add_note", "add_task"})


def object_names(object: str) -> list[str]:
    """Candidate singular names of an object ('companies' → companies, company; 'deals' → deal)."""
    name = object.strip().lower()
    out = [name]
    if name.endswith("ies"):
        out.append(name[:-3] + "y")
    if name.endswith("s"):
        out.append(name[:-1])
    return out


def same_value(a: Any, b: Any) -> bool:
    """Equal as a CRM would see it: None == "", 5 == "5.0", True == "true"."""
    if a == b:
        return True
    if a in (None, "") and b in (None, ""):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def conflicts_of(change: Change, current: dict[str, Any]) -> tuple[Conflict, ...]:
    """Fields whose current value is no longer what the change wrote."""
    return tuple(
        Conflict(field=name, expected=after, current=current.get(name), restore_to=change.before.get(name))
        for name, after in sorted(change.after.items())
        if not same_value(current.get(name), after)
    )


def plan_field_restore(
    change: Change, current: dict[str, Any], *, force: bool
) -> tuple[dict[str, Any], tuple[Conflict, ...]]:
    """The fields to write back (their `before` values) and the conflicts refused (none when forced)."""
    conflicts = conflicts_of(change, current)
    refused = {c.field for c in conflicts}
    to_write = {name: change.before.get(name) for name in change.after if force or name not in refused}
    return to_write, () if force else conflicts
