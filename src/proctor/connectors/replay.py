"""Recorded HTTP at the transport boundary: replay vendor API responses offline (urllib3 and requests)."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter


class ReplayMismatchError(AssertionError):
    """A request did not match the next recorded interaction (or none was left)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request the connector made: method, path, query and decoded JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Cassette:
    """A list of recorded interactions replayed in order; every call made is kept in `calls`."""

    interactions: list[dict[str, Any]]
    calls: list[Call] = field(default_factory=list)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        """Read a recordings JSON file ({"interactions": [{"request": …, "response": …}, …]})."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(list(data["interactions"]))

    @property
    def exhausted(self) -> bool:
        """True when every recorded interaction was played."""
        return self._next >= len(self.interactions)

    def play(self, method: str, url: str, body: Any) -> dict[str, Any]:
        """The recorded response for this request; ReplayMismatchError when it is not the next one."""
        parts = urlsplit(url)
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        if isinstance(body, bytes):
            body = body.decode()
        decoded = json.loads(body) if isinstance(body, str) and body.strip() else body
        with self._lock:
            self.calls.append(Call(method.upper(), parts.path, query, decoded))
            if self.exhausted:
                raise ReplayMismatchError(f"unexpected request {method} {url}: no recorded interaction left")
            recorded = self.interactions[self._next]
            want = recorded["request"]
            if want["method"].upper() != method.upper() or want["path"] != parts.path:
                raise ReplayMismatchError(
                    f"request {self._next}: expected {want['method']} {want['path']}, "
                    f"got {method} {parts.path}"
                )
            for key, value in (want.get("query") or {}).items():
                if set(str(value).split(",")) != set(query.get(key, "").split(",")):
                    raise ReplayMismatchError(f"request {self._next}: query {key}={query.get(key)!r}")
            self._next += 1
        return dict(recorded["response"])


def _payload(response: dict[str, Any]) -> bytes:
    body = response.get("body")
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


class ReplayPoolManager:
    """A urllib3 PoolManager stand-in (HubSpot's SDK transport) that answers from a Cassette."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette

    def request(
        self,
        method: str,
        url: str,
        fields: Any = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **_: Any,
    ) -> urllib3.HTTPResponse:
        """Replay the next interaction as a urllib3 response."""
        if fields and method.upper() in {"GET", "HEAD"}:
            url = f"{url}?{urlencode(list(fields.items()) if isinstance(fields, dict) else fields)}"
        response = self.cassette.play(method, url, body)
        error = response.get("error")
        if error == "timeout":
            raise urllib3.exceptions.ReadTimeoutError(None, url, "read timed out")  # type: ignore[arg-type]
        if error:
            cause = urllib3.exceptions.NewConnectionError(None, str(error))  # type: ignore[arg-type]
            raise urllib3.exceptions.MaxRetryError(None, url, cause)  # type: ignore[arg-type]
        return urllib3.HTTPResponse(
            body=io.BytesIO(_payload(response)),
            headers={"Content-Type": "application/json", **response.get("headers", {})},
            status=int(response["status"]),
            reason=str(response.get("reason", "")),
            preload_content=True,
        )


class ReplayAdapter(BaseAdapter):
    """A requests transport adapter (simple-salesforce's transport) that answers from a Cassette."""

    def __init__(self, cassette: Cassette) -> None:
        super().__init__()
        self.cassette = cassette

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Replay the next interaction as a requests Response."""
        response = self.cassette.play(str(request.method), str(request.url), request.body)
        error = response.get("error")
        if error == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out", request=request)
        if error:
            raise requests.exceptions.ConnectionError(str(error), request=request)
        out = requests.Response()
        out.status_code = int(response["status"])
        out._content = _payload(response)
        out.headers.update({"Content-Type": "application/json", **response.get("headers", {})})
        out.url = str(request.url)
        out.request = request
        out.encoding = "utf-8"
        return out

    def close(self) -> None:
        """Nothing to release."""


def replay_session(cassette: Cassette) -> requests.Session:
    """A requests Session whose every HTTP(S) call is answered by `cassette`."""
    session = requests.Session()
    adapter = ReplayAdapter(cassette)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
