"""Smoke test of benchmarks/decide.py: it runs, and Proctor and cedarpy answer the same questions.

No timing assertions: the numbers depend on the machine; `make bench` is where they are read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cedarpy")
pytest.importorskip("rich")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "decide.py"


def test_decide_benchmark_runs_and_engines_agree() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr or proc.stdout
    result = json.loads(proc.stdout)
    agreement = result["agreement"]
    assert agreement["agreed"] is True, agreement["mismatches"]
    assert agreement["mismatches"] == []
    assert agreement["requests"] > 0
    groups = {row["group"] for row in result["results"]}
    assert len(groups) == 3
