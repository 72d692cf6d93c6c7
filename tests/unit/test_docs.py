"""Every command a user can type is documented (README or docs/), like every setting."""

from __future__ import annotations

from pathlib import Path

import typer.main

from proctor.cli import app
from proctor.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def _commands() -> list[str]:
    group = typer.main.get_group(app)
    names: list[str] = []
    for name, command in group.commands.items():
        names.append(f"proctor {name}")
        for sub in getattr(command, "commands", {}) or {}:
            names.append(f"proctor {name} {sub}")
    return names


def test_every_command_is_documented() -> None:
    missing = [name for name in _commands() if name not in DOCS]
    assert not missing, f"undocumented commands: {missing}"


def test_every_setting_is_documented() -> None:
    names = [f"PROCTOR_{name.upper()}" for name in Settings.model_fields]
    missing = [name for name in names if name not in DOCS]
    assert not missing, f"undocumented settings: {missing}"
