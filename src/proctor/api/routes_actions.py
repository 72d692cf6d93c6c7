"""Agent-facing routes: the lean `POST /v1/actions`, `GET /v1/actions/{id}` and `POST /v1/firewall/scan`."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from proctor.api import errors
from proctor.api.deps import Caller, bearer_token, services_of
from proctor.api.schemas import ERRORS, ActionView, ScanView
from proctor.domain.errors import ForbiddenError, ProctorError, RequestError
from proctor.inspect.injection import neutralise, scan

MAX_BODY = 1_048_576  # 1 MiB: an action request is small; anything larger is refused before parsing


def submit_result_json(result: Any) -> dict[str, Any]:
    """The JSON answer of `POST /v1/actions` for a SubmitResult."""
    decision = result.decision
    if hasattr(result, "decision_json"):  # the gate's SubmitResult: the JSON the writer already made
        decision = result.decision_json()
    elif hasattr(decision, "model_dump"):
        decision = decision.model_dump(mode="json")
    outcome = result.outcome
    if hasattr(outcome, "model_dump"):
        outcome = outcome.model_dump(mode="json")
    return {
        "action_id": result.action_id,
        "status": result.status,
        "decision": decision,
        "outcome": outcome,
        "replayed": bool(result.replayed),
    }


def _parse_payload(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or RequestError naming the body."""
    if len(raw) > MAX_BODY:
        raise RequestError(f"the request body is larger than {MAX_BODY} bytes", field="body")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"invalid JSON: {exc}", field="body") from None
    if not isinstance(payload, dict):
        raise RequestError("expected a JSON object", field="body")
    return payload


def _check_declared(content_type: str | None, declared: str | None) -> None:
    """Refuse a wrong Content-Type or a declared body over MAX_BODY before reading the body."""
    ctype = (content_type or "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise RequestError("expected Content-Type: application/json", field="body")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestError(f"the request body is larger than {MAX_BODY} bytes", field="body")


def _authenticate_and_submit(gate: Any, token: str, payload: dict[str, Any]) -> Any:
    principal = gate.authenticate_agent(token)
    return gate.submit(principal, payload)


async def _answer(
    gate: Any,
    authorization: str | None,
    content_type: str | None,
    declared: str | None,
    read_body: Callable[[], Awaitable[bytes]],
) -> bytes:
    """The JSON answer of one `POST /v1/actions`; domain errors are raised for the caller to map."""
    token = bearer_token(authorization)
    _check_declared(content_type, declared)
    payload = _parse_payload(await read_body())
    if hasattr(gate, "submit_async"):
        # Group commit: authenticate (cached; a miss reads in a worker thread), validate, read facts and
        # decide on the loop, then await the writer's commit without tying up a worker thread.
        principal = gate.cached_agent(token)
        if principal is None:
            principal = await run_in_threadpool(gate.authenticate_agent, token)
        result = await gate.submit_async(principal, payload)
    elif inspect.iscoroutinefunction(gate.submit):
        principal = gate.authenticate_agent(token)
        if inspect.isawaitable(principal):
            principal = await principal
        result = await gate.submit(principal, payload)
    else:
        result = await run_in_threadpool(_authenticate_and_submit, gate, token, payload)
    return orjson.dumps(submit_result_json(result))


async def submit_action(request: Request) -> Response:
    """`POST /v1/actions`: authenticate the agent key, run the gate, answer the SubmitResult (no FastAPI)."""
    headers = request.headers
    answer = await _answer(
        services_of(request).gate,
        headers.get("authorization"),
        headers.get("content-type"),
        headers.get("content-length"),
        request.body,
    )
    return Response(answer, media_type="application/json")


_JSON_HEADERS = (b"content-type", b"application/json")


async def serve_submit(scope: Scope, receive: Receive, send: Send) -> None:
    """`POST /v1/actions` straight on ASGI (no middleware stack, no routing): the same answers as
    `submit_action` behind the app's error handlers, for the route every agent action takes."""
    wanted = {b"authorization": None, b"content-type": None, b"content-length": None}
    for name, value in scope["headers"]:
        if name in wanted and wanted[name] is None:
            wanted[name] = value.decode("latin-1")

    async def read_body() -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:  # all of it, as Request.body() reads it, but never more than MAX_BODY
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > MAX_BODY:  # a chunked body declares no length: stop reading here
                    raise RequestError(f"the request body is larger than {MAX_BODY} bytes", field="body")
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    try:
        answer = await _answer(
            scope["app"].state.services.gate,
            wanted[b"authorization"],
            wanted[b"content-type"],
            wanted[b"content-length"],
            read_body,
        )
    except ClientDisconnect:
        return
    except Exception as exc:
        request = Request(scope, receive)
        if isinstance(exc, ProctorError):
            response = await errors.proctor_error_handler(request, exc)
        else:
            response = await errors.unexpected_error_handler(request, exc)
        await response(scope, receive, send)
        return
    headers = [_JSON_HEADERS, (b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


router = APIRouter(tags=["actions"])


@router.get("/v1/actions/{action_id}", response_model=ActionView, responses=ERRORS)
def get_action(action_id: str, request: Request, caller: Caller) -> Any:
    """One action of the caller's workspace: request, status, decision, outcome."""
    return services_of(request).gate.get_action(caller.workspace_id, action_id)


class ScanBody(BaseModel):
    """A tool output to scan; with `run_id` (agents only) a hit is recorded and taints the run."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000)
    run_id: str | None = Field(default=None, min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=2000)


@router.post("/v1/firewall/scan", response_model=ScanView, responses=ERRORS)
def firewall_scan(body: ScanBody, request: Request, caller: Caller) -> Any:
    """Scan a tool output for indirect prompt injection (SPEC §6); agents' scans are audited, runs tainted."""
    if getattr(caller, "agent_id", None) is not None:
        gate = services_of(request).gate
        return gate.record_tool_output(caller, body.run_id, body.text, body.source or "tool")
    if body.run_id is not None:
        raise ForbiddenError("only agents record tool output for a run")
    result = scan(body.text)
    out = result.to_dict()
    out["text"] = neutralise(body.text, result)
    return out
