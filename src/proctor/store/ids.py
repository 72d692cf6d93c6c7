"""Cheap random identifiers shaped like `proctor.domain.identity.new_id` (prefix + 20 of its alphabet).

`new_id` draws each character from the OS (20 system calls an id); on the hot path ids come from one
generator seeded by the OS once per process. Ids are identifiers, never secrets: keys and tokens still
come from `new_secret`.
"""

from __future__ import annotations

import os
import random

from proctor.domain.identity import _ALPHABET

_rng = random.Random(os.urandom(32))
_BASE = len(_ALPHABET)
assert _BASE == 32  # 5 bits a character: two characters are 10 bits
# the two characters of every 10-bit value, least significant digit first
_PAIRS = tuple(_ALPHABET[v & 31] + _ALPHABET[v >> 5] for v in range(1024))


def fast_id(prefix: str) -> str:
    """A random prefixed identifier such as `act_3f9k…` (20 characters, ~99 bits): the base-32 digits
    of 100 random bits, least significant first, looked up two at a time."""
    n = _rng.getrandbits(128)
    p = _PAIRS
    return (
        f"{prefix}_{p[n & 1023]}{p[(n >> 10) & 1023]}{p[(n >> 20) & 1023]}{p[(n >> 30) & 1023]}"
        f"{p[(n >> 40) & 1023]}{p[(n >> 50) & 1023]}{p[(n >> 60) & 1023]}{p[(n >> 70) & 1023]}"
        f"{p[(n >> 80) & 1023]}{p[(n >> 90) & 1023]}"
    )
