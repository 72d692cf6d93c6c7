"""One place that turns Proctor's exception tree into HTTP answers: `{"error": {type, message, field}}`."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from proctor.domain.errors import (
    AuthError,
    CatalogueError,
    ConflictError,
    EvaluationError,
    ForbiddenError,
    NotFoundError,
    PolicyError,
    ProctorError,
    RequestError,
    StoreError,
)

log = logging.getLogger("proctor.api")

# Most specific first: the first isinstance match decides the status code.
STATUS: tuple[tuple[type[ProctorError], int, str], ...] = (
    (AuthError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (RequestError, 422, "invalid_request"),
    (CatalogueError, 422, "unknown_action"),
    (StoreError, 503, "store_unavailable"),
    (PolicyError, 500, "policy_error"),
    (EvaluationError, 500, "evaluation_error"),
)

_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def error_body(type_: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The JSON error envelope every non-2xx answer carries."""
    return {"error": {"type": type_, "message": message, "field": field}}


def json_error(
    status: int, type_: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """A JSON error response."""
    return Response(
        orjson.dumps(error_body(type_, message, field)),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def status_of(exc: ProctorError) -> tuple[int, str]:
    """The HTTP status and error type for a domain error."""
    for cls, status, type_ in STATUS:
        if isinstance(exc, cls):
            return status, type_
    return 400, "bad_request"


def _message(exc: ProctorError) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) and message else str(exc) or type(exc).__name__


async def proctor_error_handler(request: Request, exc: Exception) -> Response:
    """Map a ProctorError to its status code."""
    assert isinstance(exc, ProctorError)
    status, type_ = status_of(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    field = getattr(exc, "field", None)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_error(status, type_, _message(exc), field if isinstance(field, str) else None, headers)


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) if parts else "body"


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """Request validation errors answer 422 naming the first offending field."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if not errors:
        return json_error(422, "invalid_request", "invalid request", "body")
    first = errors[0]
    field = _loc_to_field(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "json_invalid":
        field, message = "body", "invalid JSON"
    return json_error(422, "invalid_request", message, field)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette/FastAPI HTTP exceptions (404 route, 405 method…) in the same envelope."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        # FastAPI's answer to an undecodable body: report it like any other invalid input.
        return json_error(422, "invalid_request", "the body is not valid JSON", "body")
    type_ = _HTTP_TYPES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return json_error(exc.status_code, type_, str(exc.detail), None, headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """A true bug: log it with its traceback and answer a JSON 500 without details."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_error(500, "internal_error", "internal server error")


def install(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(ProctorError, proctor_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
