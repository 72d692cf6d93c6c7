"""The HTTP API (SPEC §8): `create_app(services)` returns the ASGI app."""

from __future__ import annotations

from proctor.api.app import create_app

__all__ = ["create_app"]
