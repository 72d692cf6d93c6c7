"""Property-based API testing: schemathesis drives every operation of `/openapi.json` with valid credentials.

A bounded run (a few examples per operation): no answer may be a 5xx, and every answer must match the
status codes, content types and response schemas the document declares.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from proctor.api import create_app
from proctor.bootstrap import Services, build, init_home
from proctor.config import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 12


@dataclass
class World:
    """The app under test and real identities to aim at."""

    services: Services
    app: Any
    admin_token: str
    agent_key: str
    agent_id: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("schemathesis")
    init_home(home)
    services = build(Settings(home=home), migrate=True)
    admin = services.admin
    ws = admin.create_workspace("fuzz")["id"]
    user = admin.create_user(ws, "root@fuzz.example", "Root", ["admin", "auditor"])
    _, token = admin.issue_user_token(ws, user["id"])
    agent = admin.create_agent(ws, "fuzz-bot")
    _, key = admin.issue_agent_key(ws, agent["id"], ["*"])
    try:
        yield World(services, create_app(services), token, key, agent["id"])
    finally:
        services.close()


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", world.app)


# The document does not depend on the database: list its operations at collection time.
DOCUMENT = create_app(None).openapi()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
)
# Invalid input needs something to be invalid: a parameter or a body.
TAKES_INPUT = {
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and (op.get("parameters") or op.get("requestBody"))
}
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or (method, path) in TAKES_INPUT
]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_every_operation_keeps_its_contract(
    method: str, path: str, mode: GenerationMode, world: World, api_schema: Any
) -> None:
    operation = api_schema[path][method]
    is_agent = path in ("/v1/actions", "/v1/firewall/scan")
    token = world.agent_key if is_agent else world.admin_token

    @given(case=operation.as_strategy(generation_mode=mode), aim_at_real=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: Any, aim_at_real: bool) -> None:
        if aim_at_real and "agent_id" in (case.path_parameters or {}):
            case.path_parameters["agent_id"] = world.agent_id  # reach the real agent, not only 404s
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)

    check()
