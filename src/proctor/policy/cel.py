"""CEL conditions compiled once into cheap Python callables.

PLACEHOLDER: evaluates through the Rust `cel` binding; to be replaced by a compiler to closures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cel


class CelSyntaxError(ValueError):
    """A CEL expression does not parse or uses something unsupported."""


class CelEvaluationError(Exception):
    """Evaluating a CEL expression failed (missing key, type mismatch, ...)."""


class CompiledExpression:
    """A compiled CEL expression; call it with an activation (a mapping of variable names to values)."""

    __slots__ = ("_program", "references", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._program = cel.compile(source)
        except Exception as exc:
            raise CelSyntaxError(str(exc)) from None
        self.references: frozenset[str] = frozenset(self._program.variables())

    def __call__(self, activation: Mapping[str, Any]) -> Any:
        try:
            return self._program.execute({k: activation[k] for k in self.references if k in activation})
        except Exception as exc:
            raise CelEvaluationError(str(exc)) from None


def compile_expression(source: str) -> CompiledExpression:
    """Compile `source` once; raises CelSyntaxError with the parser's message."""
    return CompiledExpression(source)
