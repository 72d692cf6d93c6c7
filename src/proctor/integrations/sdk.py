"""The agent SDK (SPEC §9): `Client`/`AsyncClient` over the HTTP API and the `@governed` decorator."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

import httpx

from proctor.domain.errors import ProctorError

P = ParamSpec("P")
R = TypeVar("R")
PENDING = "pending_approval"
GO = frozenset({"allowed", "approved", "executing", "executed"})
STOPPED = frozenset({"denied", "rejected", "expired", "cancelled"})


class ProctorAPIError(ProctorError):
    """The API answered an error: `status`, `type` and the `field` it names."""

    def __init__(self, status: int, type_: str, message: str, field: str | None = None) -> None:
        self.status, self.type, self.message, self.field = status, type_, message, field
        super().__init__(f"{status} {type_}: {message}" + (f" (field {field})" if field else ""))


class ActionDenied(ProctorError):  # noqa: N818 (names fixed by SPEC §9 and the SDK contract)
    """The policy denied the action; `reasons` says why."""

    def __init__(self, action_id: str, reasons: list[str], decision: Mapping[str, Any] | None = None) -> None:
        self.action_id, self.reasons, self.decision = action_id, list(reasons), dict(decision or {})
        super().__init__(f"{action_id} denied: " + "; ".join(self.reasons))


class ActionRejected(ProctorError):  # noqa: N818 (names fixed by SPEC §9 and the SDK contract)
    """A human rejected the action (or it expired or was cancelled); `reason` says why."""

    def __init__(self, action_id: str, reason: str, status: str = "rejected") -> None:
        self.action_id, self.reason, self.status = action_id, reason, status
        super().__init__(f"{action_id} {status}: {reason}")


class ApprovalPending(ProctorError):  # noqa: N818 (names fixed by SPEC §9 and the SDK contract)
    """The action waits for a human; poll `action_id` (it is also the approval's id on /v1/approvals)."""

    def __init__(
        self, action_id: str, decision: Mapping[str, Any] | None = None, timed_out: bool = False
    ) -> None:
        self.action_id = self.approval_id = action_id
        self.decision, self.timed_out = dict(decision or {}), timed_out
        super().__init__(
            f"{action_id} is waiting for approval" + (" (timed out waiting)" if timed_out else "")
        )


@dataclass(frozen=True)
class SubmitResult:
    """What `POST /v1/actions` answered."""

    action_id: str
    status: str
    decision: dict[str, Any]
    outcome: dict[str, Any] | None = None
    replayed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SubmitResult:
        """Build from the API's JSON."""
        return cls(
            str(data["action_id"]),
            str(data["status"]),
            dict(data.get("decision") or {}),
            data.get("outcome"),
            bool(data.get("replayed")),
            dict(data),
        )


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            err = response.json().get("error") or {}
        except ValueError:
            err = {}
        message = str(err.get("message", response.text[:200]))
        raise ProctorAPIError(
            response.status_code, str(err.get("type", "http_error")), message, err.get("field")
        )
    body: dict[str, Any] = response.json()
    return body


def _payload(action: str, params: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "action": action,
        "params": dict(params or {}),
        **{k: v for k, v in fields.items() if v is not None},
    }


def _reason(action: Mapping[str, Any]) -> str:
    outcome = action.get("outcome") or {}
    return str(outcome.get("reason") or action.get("status"))


class Client:
    """Synchronous client for agents: `submit`, `get_action`, `wait`, `scan`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def submit(self, action: str, params: Mapping[str, Any] | None = None, **fields: Any) -> SubmitResult:
        """Submit one action (run_id, intent, evidence, idempotency_key… as keywords)."""
        return SubmitResult.from_json(
            _check(self._http.post("/v1/actions", json=_payload(action, params, fields)))
        )

    def get_action(self, action_id: str) -> dict[str, Any]:
        """The action as stored: status, decision, outcome (with a rejection's reason)."""
        return _check(self._http.get(f"/v1/actions/{action_id}"))

    def wait(self, action_id: str, timeout: float = 300.0) -> dict[str, Any]:
        """Poll until a human decided (or the action otherwise left pending); ApprovalPending on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            action = self.get_action(action_id)
            if action["status"] != PENDING:
                return action
            if time.monotonic() >= deadline:
                raise ApprovalPending(action_id, action.get("decision"), timed_out=True)
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    def scan(self, text: str, run_id: str | None = None, source: str | None = None) -> dict[str, Any]:
        """Scan a tool output with the firewall (with run_id: recorded, and a hit taints the run)."""
        body = {"text": text, "run_id": run_id, "source": source}
        return _check(
            self._http.post("/v1/firewall/scan", json={k: v for k, v in body.items() if v is not None})
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient:
    """The asynchronous twin of `Client`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        self.poll_interval = poll_interval
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def submit(
        self, action: str, params: Mapping[str, Any] | None = None, **fields: Any
    ) -> SubmitResult:
        """Submit one action."""
        response = await self._http.post("/v1/actions", json=_payload(action, params, fields))
        return SubmitResult.from_json(_check(response))

    async def get_action(self, action_id: str) -> dict[str, Any]:
        """The action as stored."""
        return _check(await self._http.get(f"/v1/actions/{action_id}"))

    async def wait(self, action_id: str, timeout: float = 300.0) -> dict[str, Any]:
        """Poll until decided; ApprovalPending on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            action = await self.get_action(action_id)
            if action["status"] != PENDING:
                return action
            if time.monotonic() >= deadline:
                raise ApprovalPending(action_id, action.get("decision"), timed_out=True)
            await asyncio.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    async def scan(self, text: str, run_id: str | None = None, source: str | None = None) -> dict[str, Any]:
        """Scan a tool output with the firewall."""
        body = {k: v for k, v in {"text": text, "run_id": run_id, "source": source}.items() if v is not None}
        return _check(await self._http.post("/v1/firewall/scan", json=body))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _verdict(result: SubmitResult) -> dict[str, Any] | None:
    """Raise for deny; None when the action may run now; the pending decision otherwise."""
    if result.status == "denied":
        raise ActionDenied(result.action_id, result.decision.get("reasons", []), result.decision)
    if result.status == PENDING:
        return result.decision
    return None


def _settle(action_id: str, action: Mapping[str, Any]) -> dict[str, Any]:
    """The params to run with after a human decided; raises when the answer was no."""
    status = str(action["status"])
    if status == "denied":
        raise ActionDenied(
            action_id, (action.get("decision") or {}).get("reasons", []), action.get("decision")
        )
    if status in STOPPED or status not in GO | {"failed"}:
        raise ActionRejected(action_id, _reason(action), status)
    return dict((action.get("request") or {}).get("params") or {})


def _call_args(sig: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name; `**kwargs` are flattened (they are params like any other)."""
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            raise TypeError("a governed function takes named parameters, not *args")
        else:
            out[name] = value
    return out


def governed(
    action: str,
    *,
    client: Client | AsyncClient,
    wait: bool = True,
    timeout: float = 300.0,
    **fields: Any,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Ask Proctor before running the function: allow runs it, approval waits (or raises), deny raises.

    The function's arguments are the action's params. When an approver edited them, the function runs
    with the edited values.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        sig = inspect.signature(fn)

        def edited(call: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
            return {k: params.get(k, v) for k, v in call.items()}

        if inspect.iscoroutinefunction(fn):
            assert isinstance(client, AsyncClient), "an async function needs an AsyncClient"

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                call = _call_args(sig, args, kwargs)
                result = await client.submit(action, call, **fields)
                if _verdict(result) is not None:
                    if not wait:
                        raise ApprovalPending(result.action_id, result.decision)
                    call = edited(
                        call, _settle(result.action_id, await client.wait(result.action_id, timeout))
                    )
                return await cast(Callable[..., Awaitable[Any]], fn)(**call)

            return cast(Callable[P, R], run_async)
        assert isinstance(client, Client), "a sync function needs a Client"

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            call = _call_args(sig, args, kwargs)
            result = client.submit(action, call, **fields)
            if _verdict(result) is not None:
                if not wait:
                    raise ApprovalPending(result.action_id, result.decision)
                call = edited(call, _settle(result.action_id, client.wait(result.action_id, timeout)))
            return fn(**call)  # type: ignore[call-arg]

        return run

    return decorate
