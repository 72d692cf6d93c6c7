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


def fast_id(prefix: str) -> str:
    """A random prefixed identifier such as `act_3f9k…` (20 characters, ~99 bits)."""
    n = _rng.getrandbits(128)
    out = []
    for _ in range(20):
        n, r = divmod(n, _BASE)
        out.append(_ALPHABET[r])
    return f"{prefix}_{''.join(out)}"
