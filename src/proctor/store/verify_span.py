"""`python -m proctor.store.verify_span`: check one span of an audit chain in a process of its own.

`AuditLog.verify` runs this for the upper half of a long chain while it checks the lower half itself.
The request (database URL, workspace, span, checkpoint seqs) is read as JSON from standard input, so
no credential appears in the process list; the answer is one JSON line on standard output.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from proctor.store.audit import check_span
from proctor.store.engine import Store


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Check events lo+1..hi: {"ok": True, "first": prev_hash, "last": hash, "marks": …} or {"ok": False}."""
    store = Store.from_url(str(request["url"]))
    marks: dict[int, tuple[str, str]] = {int(seq): ("", "") for seq in request.get("marks", [])}
    try:
        span = check_span(store, str(request["ws"]), int(request["lo"]), int(request["hi"]), None, marks)
    finally:
        store.close()
    if span is None:
        return {"ok": False}
    return {
        "ok": True,
        "first": span[0],
        "last": span[1],
        "marks": {str(k): list(v) for k, v in marks.items()},
    }


def main() -> None:
    """Read the request from stdin, write the answer to stdout."""
    answer = run(orjson.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(orjson.dumps(answer) + b"\n")


if __name__ == "__main__":
    main()
