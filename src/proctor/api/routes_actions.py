"""Agent-facing routes: the lean `POST /v1/actions`, `GET /v1/actions/{id}` and `POST /v1/firewall/scan`."""

from __future__ import annotations

import inspect
from typing import Any

import orjson
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from proctor.api.deps import Caller, bearer_token, services_of
from proctor.api.schemas import ERRORS, ActionView, ScanView
from proctor.domain.errors import ForbiddenError, RequestError
from proctor.inspect.injection import neutralise, scan

MAX_BODY = 1_048_576  # 1 MiB: an action request is small; anything larger is refused before parsing


def submit_result_json(result: Any) -> dict[str, Any]:
    """The JSON answer of `POST /v1/actions` for a SubmitResult."""
    decision = result.decision
    if hasattr(decision, "model_dump"):
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


async def _read_payload(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise RequestError("expected Content-Type: application/json", field="body")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestError(f"the request body is larger than {MAX_BODY} bytes", field="body")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise RequestError(f"the request body is larger than {MAX_BODY} bytes", field="body")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"invalid JSON: {exc}", field="body") from None
    if not isinstance(payload, dict):
        raise RequestError("expected a JSON object", field="body")
    return payload


def _authenticate_and_submit(gate: Any, token: str, payload: dict[str, Any]) -> Any:
    principal = gate.authenticate_agent(token)
    return gate.submit(principal, payload)


async def submit_action(request: Request) -> Response:
    """`POST /v1/actions`: authenticate the agent key, run the gate, answer the SubmitResult (no FastAPI)."""
    token = bearer_token(request.headers.get("authorization"))
    payload = await _read_payload(request)
    gate = services_of(request).gate
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
    return Response(orjson.dumps(submit_result_json(result)), media_type="application/json")


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
