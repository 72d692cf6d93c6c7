"""The ASGI app: FastAPI for the admin surface and OpenAPI, a lean Starlette route for `POST /v1/actions`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from importlib import import_module
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import proctor
from proctor.api import errors, routes_actions, routes_admin, routes_approvals, routes_audit
from proctor.api.deps import services_of
from proctor.api.schemas import ERRORS, ErrorBody, Health, SubmitRequest, SubmitResponse
from proctor.inspect.injection_model import load_model
from proctor.runtime import settle_heap

DESCRIPTION = (
    "Every action of an AI sales agent passes through Proctor before it touches the world. "
    "Agents authenticate with `Authorization: Bearer <agent key>`, people with a personal token."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def actions_path_item(components: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI path item of the lean `POST /v1/actions`; adds its schemas to `components`."""
    _, top = models_json_schema(
        [(SubmitRequest, "validation"), (SubmitResponse, "serialization"), (ErrorBody, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    for name, schema in top.get("$defs", {}).items():
        components.setdefault(name, schema)
    errors_doc = {
        str(code): {
            "description": spec["description"],
            "content": {"application/json": {"schema": _ref("ErrorBody")}},
        }
        for code, spec in ERRORS.items()
    }
    return {
        "post": {
            "tags": ["actions"],
            "summary": "Submit an action",
            "description": (
                "Authenticate the agent key, decide under the workspace policy, record the audit trail and "
                "execute when allowed. Answers `executed`, `pending_approval` or `denied` with the decision. "
                "Re-submitting with the same `idempotency_key` replays the first answer (`replayed: true`)."
            ),
            "operationId": "submit_action_v1_actions_post",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("SubmitRequest")}},
            },
            "responses": {
                "200": {
                    "description": "The gate's answer",
                    "content": {"application/json": {"schema": _ref("SubmitResponse")}},
                },
                **errors_doc,
            },
        }
    }


def _install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        schema["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
        }
        paths = schema.setdefault("paths", {})
        paths["/v1/actions"] = {**actions_path_item(components), **paths.get("/v1/actions", {})}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ping(services: Any) -> None:
    with services.store.read() as conn:
        conn.execute(text("SELECT 1"))


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Start-up of a server process: compile the policy and load the firewall model now, then freeze the
    # long-lived heap out of the garbage collector's full passes (51 ms each with the app loaded; ~0
    # after) — no request pays for either.
    if getattr(app.state, "owns_process", False):
        gate = getattr(app.state.services, "gate", None)
        policy = getattr(gate, "policy", None)
        if callable(policy):
            with suppress(Exception):  # a broken policy file is reported per request (deny), not here
                policy()
        load_model()
        settle_heap()
    yield
    # Server shutdown: finish the queued group commits and stop the writer (the owner closes the store).
    gate = getattr(app.state.services, "gate", None)
    if gate is not None and hasattr(gate, "close"):
        await run_in_threadpool(gate.close)


class ProctorAPI(FastAPI):
    """FastAPI whose `POST /v1/actions` skips the middleware stack and the router: the lean route is served
    straight on ASGI (`routes_actions.serve_submit`, same answers and error bodies); everything else,
    and that route under a root path, goes through FastAPI as usual."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one ASGI call."""
        if (
            scope["type"] == "http"
            and scope["path"] == "/v1/actions"
            and scope["method"] == "POST"
            and not scope.get("root_path")
            and not self.root_path
        ):
            scope["app"] = self
            await routes_actions.serve_submit(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(services: Any, *, server: bool = False) -> FastAPI:
    """The Proctor HTTP API over wired `Services` (gate, admin, store).

    ``server`` (what `proctor serve` passes): this app owns its process, so start-up compiles the policy,
    loads the firewall model and freezes the long-lived heap out of the garbage collector's full passes.
    """
    app = ProctorAPI(
        lifespan=_lifespan,
        title="Proctor",
        version=proctor.__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "actions", "description": "What agents submit"},
            {"name": "agents", "description": "Agent identities, keys and quarantine"},
            {"name": "users", "description": "People and their roles"},
            {"name": "delegations", "description": "Agents acting on a person's behalf"},
            {"name": "audit", "description": "The tamper-evident trail"},
            {"name": "health", "description": "Liveness and readiness"},
        ],
    )
    app.state.services = services
    app.state.owns_process = server
    errors.install(app)

    # The hot path first: a plain Starlette route, matched before any FastAPI route.
    app.router.routes.insert(0, Route("/v1/actions", routes_actions.submit_action, methods=["POST"]))
    app.include_router(routes_actions.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_approvals.router)
    app.include_router(import_module("proctor.api.routes_rollback").router)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
    async def readyz(request: Request) -> Any:
        """Readiness: the database answers."""
        try:
            await run_in_threadpool(_ping, services_of(request))
        except Exception as exc:  # any failure means "not ready", never a 500
            body = Health(status="unavailable", detail=f"database: {type(exc).__name__}")
            return Response(body.model_dump_json(), status_code=503, media_type="application/json")
        return {"status": "ok"}

    _install_openapi(app)
    if services is not None:  # an app built only to read its OpenAPI document has no console
        import_module("proctor.console.app").mount(app, services)
    return app


def app_from_settings() -> FastAPI:
    """The API over the services of `Settings()` (PROCTOR_HOME, PROCTOR_DATABASE_URL, …), built in the
    calling process: the factory each `proctor serve --workers N` process runs (migrations are applied
    once, by the parent, before the workers start)."""
    from proctor.bootstrap import build
    from proctor.config import Settings

    return create_app(build(Settings()), server=True)
