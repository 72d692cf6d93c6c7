"""Authenticated credentials cached in memory for a short TTL, keyed by the SHA-256 of the raw secret.

Only credentials that the store verified are cached; revoking a key or changing an agent's status
through this process clears the cache at once, other processes' changes are seen within the TTL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TTL = 2.0
MAX_ENTRIES = 10_000


class KeyCache:
    """sha256(raw credential) -> (key metadata, owner row), each entry valid for `ttl` seconds."""

    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[float, Any]] = {}

    @staticmethod
    def digest(raw: str) -> bytes:
        """The cache key of a raw credential (the secret itself is never kept)."""
        return hashlib.sha256(raw.encode()).digest()

    def get(self, digest: bytes) -> Any | None:
        """The cached value, or None when absent or expired."""
        entry = self._entries.get(digest)
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def put(self, digest: bytes, value: Any) -> None:
        """Cache a verified credential."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (self.clock() + self.ttl, value)

    def clear(self) -> None:
        """Forget everything (a key was revoked or an identity changed)."""
        with self._lock:
            self._entries.clear()
