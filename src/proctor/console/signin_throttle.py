"""Throttling of failed password sign-ins, per account and per client address."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

ACCOUNT_LIMIT = parse("5/15 minutes")
ADDRESS_LIMIT = parse("30/15 minutes")
NAMESPACE = "proctor-console-signin"


class SigninThrottle:
    """Counts failed sign-ins in a moving window; a locked account or address is refused before checking."""

    def __init__(
        self,
        storage: Storage | None = None,
        account_limit: RateLimitItem = ACCOUNT_LIMIT,
        address_limit: RateLimitItem = ADDRESS_LIMIT,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._rules = (("account", account_limit), ("address", address_limit))

    def _keys(self, email: str, address: str) -> dict[str, str]:
        return {"account": email.strip().lower(), "address": address}

    def retry_after(self, email: str, address: str) -> int | None:
        """Seconds until another attempt is allowed, or None when the attempt may go ahead."""
        keys = self._keys(email, address)
        waits = [
            self._limiter.get_window_stats(limit, NAMESPACE, kind, keys[kind]).reset_time - time.time()
            for kind, limit in self._rules
            if not self._limiter.test(limit, NAMESPACE, kind, keys[kind])
        ]
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, email: str, address: str) -> None:
        """Count one failed attempt against the account and the client address."""
        keys = self._keys(email, address)
        for kind, limit in self._rules:
            self._limiter.hit(limit, NAMESPACE, kind, keys[kind])

    def succeeded(self, email: str) -> None:
        """A successful sign-in clears the account's failures (the address keeps its count)."""
        self._limiter.clear(self._rules[0][1], NAMESPACE, "account", self._keys(email, "")["account"])
