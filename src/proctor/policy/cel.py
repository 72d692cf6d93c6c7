"""CEL conditions compiled once into cheap Python closures over plain Python values.

Parsing uses cel-python's Lark grammar (`celpy.celparser.CELParser`); the tree is translated into nested
closures `fn(activation) -> value` over dict/list/str/int/float/bool/None/bytes/datetime/timedelta values
(tuples, sets and frozensets count as lists; any Mapping counts as a map; `CelUint` tags uint values).
Anything the translator does not understand is rejected with CelSyntaxError at compile time.
"""

from __future__ import annotations

import operator
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from celpy.celparser import CELParseError, CELParser
from lark import Token, Tree

from proctor.policy import cel_functions as fx
from proctor.policy.cel_functions import CelEvaluationError, CelSyntaxError, CelUint

__all__ = ["CelEvaluationError", "CelSyntaxError", "CelUint", "CompiledExpression", "compile_expression"]

Evaluator = Callable[[Mapping[str, Any]], Any]
_UNSET: Any = object()
_PASSTHROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
    | {"primary", "paren_expr"}
)
_MACROS = {"all": (2,), "exists": (2,), "exists_one": (2,), "filter": (2,), "map": (2, 3)}
_ORDER_OPS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "relation_lt": (operator.lt, "_<_"),
    "relation_le": (operator.le, "_<=_"),
    "relation_gt": (operator.gt, "_>_"),
    "relation_ge": (operator.ge, "_>=_"),
}
_ARITH_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "addition_add": fx.add,
    "addition_sub": fx.sub,
    "multiplication_mul": fx.mul,
    "multiplication_div": fx.div,
    "multiplication_mod": fx.mod,
}
_SIMPLE = fx.SIMPLE_TYPES
_parser: CELParser | None = None
_parser_lock = threading.Lock()


class _Node:
    """A compiled subexpression: evaluator, value when constant, variable path when a plain `a.b.c`."""

    __slots__ = ("const", "fn", "path")

    def __init__(self, fn: Evaluator, const: Any = _UNSET, path: tuple[str, ...] | None = None) -> None:
        self.fn, self.const, self.path = fn, const, path


def _const(value: Any) -> _Node:
    return _Node(lambda act: value, value)


def _fold(fn: Evaluator, *children: _Node) -> _Node:
    """Evaluate `fn` now when every child is constant (runtime errors stay runtime errors)."""
    if all(c.const is not _UNSET for c in children):
        try:
            return _const(fn({}))
        except Exception:
            pass
    return _Node(fn)


def _and(left: _Node, right: _Node, is_and: bool) -> _Node:
    """`&&` / `||` with short-circuit and commutative error absorption."""
    absorb = not is_and  # `false` absorbs for &&, `true` absorbs for ||
    for side in (left, right):
        if side.const is absorb:
            return _const(absorb)
    lf, rf, name = left.fn, right.fn, "_&&_" if is_and else "_||_"

    def f(act: Mapping[str, Any]) -> Any:
        err: Exception | None = None
        try:
            a = lf(act)
        except Exception as exc:
            a, err = None, exc
        if a is absorb:
            return absorb
        if err is None and a is (not absorb):
            b = rf(act)
            if b is True or b is False:
                return b
            raise fx.no_overload(name, a, b)
        try:
            b = rf(act)
        except Exception:
            b = None
        if b is absorb:
            return absorb
        if err is not None:
            raise err
        raise fx.no_overload(name, a, b)

    return _fold(f, left, right)


def _eq(left: _Node, right: _Node, negate: bool) -> _Node:
    if right.const is not _UNSET and type(right.const) is str:
        left, right = right, left
    lf, rf = left.fn, right.fn
    if left.const is not _UNSET and type(left.const) is str:
        c = left.const

        def eq_str(act: Mapping[str, Any]) -> bool:
            v = rf(act)
            return (type(v) is str and v == c) is not negate

        return _fold(eq_str, left, right)

    def eq(act: Mapping[str, Any]) -> bool:
        a, b = lf(act), rf(act)
        if type(a) is type(b) and type(a) in _SIMPLE:
            return (a == b) is not negate
        return fx.cel_eq(a, b) is not negate

    return _fold(eq, left, right)


def _order(left: _Node, right: _Node, op: Callable[[Any, Any], bool], name: str) -> _Node:
    lf, rf = left.fn, right.fn

    def cmp(act: Mapping[str, Any]) -> bool:
        a, b = lf(act), rf(act)
        ta = type(a)
        if ta is type(b) and (ta is int or ta is str or ta is float):
            return op(a, b)
        return fx.compare(op, name, a, b)

    return _fold(cmp, left, right)


def _in(left: _Node, right: _Node) -> _Node:
    lf, rf, c = left.fn, right.fn, right.const
    if type(c) is list and all(type(x) is str for x in c):
        members = frozenset(c)

        def in_const(act: Mapping[str, Any]) -> bool:
            x = lf(act)
            return x in members if type(x) is str else fx.in_op(x, c)

        return _fold(in_const, left, right)

    def in_(act: Mapping[str, Any]) -> bool:
        x, container = lf(act), rf(act)
        if type(x) is str and (type(container) is list or type(container) is dict):
            return x in container
        return fx.in_op(x, container)

    return _fold(in_, left, right)


def _binary(fn: Callable[[Any, Any], Any], left: _Node, right: _Node) -> _Node:
    lf, rf = left.fn, right.fn
    return _fold(lambda act: fn(lf(act), rf(act)), left, right)


def _unary(fn: Callable[[Any], Any], operand: _Node) -> _Node:
    of = operand.fn
    return _fold(lambda act: fn(of(act)), operand)


def _call(fn: Callable[..., Any], args: list[_Node]) -> _Node:
    fns = [a.fn for a in args]
    if len(fns) == 1:
        f0 = fns[0]
        return _fold(lambda act: fn(f0(act)), *args)
    if len(fns) == 2:
        f0, f1 = fns
        return _fold(lambda act: fn(f0(act), f1(act)), *args)
    return _fold(lambda act: fn(*[f(act) for f in fns]), *args)


class _Compiler:
    """Translates a celpy Lark tree into `_Node`s; collects top-level variable references."""

    def __init__(self) -> None:
        self.refs: set[str] = set()

    def error(self, message: str, token: object = None) -> CelSyntaxError:
        column = getattr(token, "column", None)
        return CelSyntaxError(f"{message} (column {column})" if column else message)

    def compile(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        rule = str(tree.data)
        if rule in _PASSTHROUGH and len(tree.children) == 1:
            return self.compile(tree.children[0], scope)  # type: ignore[arg-type]
        method: Callable[[Tree[Token], frozenset[str]], _Node] | None = getattr(self, "_" + rule, None)
        if method is None:
            raise self.error(f"unsupported CEL construct '{rule}'", _first_token(tree))
        return method(tree, scope)

    def _args(self, tree: Any) -> list[Tree[Token]]:
        return list(tree.children) if isinstance(tree, Tree) else []

    def _expr(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        cond, yes, no = (self.compile(c, scope) for c in tree.children)  # type: ignore[arg-type]
        if cond.const is True or cond.const is False:
            return yes if cond.const else no
        cf, yf, nf = cond.fn, yes.fn, no.fn

        def ternary(act: Mapping[str, Any]) -> Any:
            c = cf(act)
            if c is True:
                return yf(act)
            if c is False:
                return nf(act)
            raise fx.no_overload("_?_:_", c)

        return _Node(ternary)

    def _conditionalor(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left, right = (self.compile(c, scope) for c in tree.children)  # type: ignore[arg-type]
        return _and(left, right, is_and=False)

    def _conditionaland(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left, right = (self.compile(c, scope) for c in tree.children)  # type: ignore[arg-type]
        return _and(left, right, is_and=True)

    def _relation(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        op_tree, right_tree = tree.children
        assert isinstance(op_tree, Tree)
        assert isinstance(right_tree, Tree)
        left, right = self.compile(op_tree.children[0], scope), self.compile(right_tree, scope)  # type: ignore[arg-type]
        op = str(op_tree.data)
        if op in ("relation_eq", "relation_ne"):
            return _eq(left, right, negate=op == "relation_ne")
        if op == "relation_in":
            return _in(left, right)
        return _order(left, right, *_ORDER_OPS[op])

    def _addition(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        op_tree, right_tree = tree.children
        assert isinstance(op_tree, Tree)
        assert isinstance(right_tree, Tree)
        left, right = self.compile(op_tree.children[0], scope), self.compile(right_tree, scope)  # type: ignore[arg-type]
        return _binary(_ARITH_OPS[str(op_tree.data)], left, right)

    _multiplication = _addition

    def _unary(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        op_tree, operand = tree.children
        assert isinstance(op_tree, Tree)
        assert isinstance(operand, Tree)
        fn = fx.logical_not if op_tree.data == "unary_not" else fx.neg
        return _unary(fn, self.compile(operand, scope))

    def _ident(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        name = str(tree.children[0])
        if name not in scope:
            self.refs.add(name)
        return _Node(fx.path_getter((name,)), path=(name,))

    def _dot_ident(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        return self._ident(tree, frozenset())  # `.name` is resolved in the root scope only

    def _member_dot(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        inner = self.compile(tree.children[0], scope)  # type: ignore[arg-type]
        name = str(tree.children[1])
        if inner.path is not None:
            path = (*inner.path, name)
            return _Node(fx.path_getter(path), path=path)
        return _unary(lambda obj: fx.select(obj, name), inner)

    def _member_index(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        obj, key = (self.compile(c, scope) for c in tree.children)  # type: ignore[arg-type]
        return _binary(fx.index, obj, key)

    def _member_dot_arg(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        receiver, name_tok = tree.children[0], tree.children[1]
        arg_trees = self._args(tree.children[2] if len(tree.children) > 2 else None)
        name = str(name_tok)
        if name in _MACROS:
            return self._macro(name, name_tok, receiver, arg_trees, scope)  # type: ignore[arg-type]
        args = [self.compile(receiver, scope)] + [self.compile(a, scope) for a in arg_trees]  # type: ignore[arg-type]
        return self._function(name, name_tok, args, method=True)

    def _ident_arg(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        name_tok = tree.children[0]
        arg_trees = self._args(tree.children[1] if len(tree.children) > 1 else None)
        if str(name_tok) == "has":
            return self._has(name_tok, arg_trees, scope)
        args = [self.compile(a, scope) for a in arg_trees]
        return self._function(str(name_tok), name_tok, args, method=False)

    _dot_ident_arg = _ident_arg

    def _function(self, name: str, token: object, args: list[_Node], method: bool) -> _Node:
        spec = fx.FUNCTIONS.get(name)
        if spec is None or not spec[3 if method else 2]:
            raise self.error(f"unknown {'method' if method else 'function'} '{name}'", token)
        fn, arities = spec[0], spec[1]
        if len(args) not in arities:
            shown = "/".join(str(n - method) for n in arities)
            raise self.error(
                f"wrong number of arguments to '{name}': got {len(args) - method}, want {shown}", token
            )
        pattern = args[1].const if name == "matches" else None
        if type(pattern) is str:
            try:
                rx = re.compile(pattern)
            except re.error as exc:
                raise self.error(f"invalid regular expression {pattern!r}: {exc}", token) from None
            sf = args[0].fn

            def match_const(act: Mapping[str, Any]) -> bool:
                s = sf(act)
                return rx.search(s) is not None if type(s) is str else fx.matches(s, pattern)

            return _fold(match_const, *args)
        return _call(fn, args)

    def _has(self, token: object, arg_trees: list[Tree[Token]], scope: frozenset[str]) -> _Node:
        target = _unwrap(arg_trees[0]) if len(arg_trees) == 1 else None
        if target is None or target.data != "member_dot":
            raise self.error("has() takes a single field selection such as has(a.b)", token)
        inner = self.compile(target.children[0], scope)  # type: ignore[arg-type]
        name = str(target.children[1])
        return _unary(lambda obj: fx.has_field(obj, name), inner)

    def _macro(
        self, name: str, token: object, receiver: Tree[Token], args: list[Tree[Token]], scope: frozenset[str]
    ) -> _Node:
        if len(args) not in _MACROS[name]:
            raise self.error(f"wrong number of arguments to macro '{name}': got {len(args)}", token)
        var_tree = _unwrap(args[0])
        if var_tree is None or var_tree.data != "ident":
            raise self.error(f"the first argument of '{name}' must be a simple identifier", token)
        var = str(var_tree.children[0])
        target = self.compile(receiver, scope)
        inner = scope | {var}
        pred = self.compile(args[1], inner)
        xform = self.compile(args[2], inner) if len(args) == 3 else None
        run = fx.comprehension(name, target.fn, var, pred.fn, xform.fn if xform else None)
        return _fold(run, target)

    def _list_lit(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        items = [self.compile(c, scope) for c in self._args(tree.children[0] if tree.children else None)]
        if all(i.const is not _UNSET for i in items):
            return _const([i.const for i in items])
        fns = [i.fn for i in items]
        return _Node(lambda act: [f(act) for f in fns])

    def _map_lit(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        nodes = [self.compile(c, scope) for c in self._args(tree.children[0] if tree.children else None)]
        pairs = [(nodes[i].fn, nodes[i + 1].fn) for i in range(0, len(nodes), 2)]
        return _fold(fx.make_map(pairs), *nodes)

    def _member_object(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        raise self.error("message construction (Type{field: value}) is not supported", _first_token(tree))

    def _literal(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        token = tree.children[0]
        assert isinstance(token, Token)
        kind, text = token.type, str(token)
        if kind in ("INT_LIT", "UINT_LIT"):
            digits = text.rstrip("uU")
            sign, body = (-1, digits[1:]) if digits.startswith("-") else (1, digits)
            value = sign * (int(body[2:], 16) if body[:2] in ("0x", "0X") else int(body, 10))
            if kind == "UINT_LIT":
                if not 0 <= value <= fx.UINT64_MAX:
                    raise self.error(f"uint literal out of range: {text}", token)
                return _const(CelUint(value))
            if not fx.INT64_MIN <= value <= fx.INT64_MAX:
                raise self.error(f"int literal out of range: {text}", token)
            return _const(value)
        if kind == "FLOAT_LIT":
            return _const(float(text))
        if kind in ("STRING_LIT", "MLSTRING_LIT", "BYTES_LIT"):
            try:
                return _const(fx.decode_string_literal(text))
            except CelSyntaxError as exc:
                raise self.error(str(exc), token) from None
        if kind in ("BOOL_LIT", "NULL_LIT"):
            return _const({"true": True, "false": False, "null": None}[text])
        raise self.error(f"unsupported literal {text!r}", token)


def _unwrap(tree: Tree[Token]) -> Tree[Token] | None:
    """Descend through single-child wrapper rules to the meaningful node."""
    while str(tree.data) in _PASSTHROUGH and len(tree.children) == 1:
        child = tree.children[0]
        if not isinstance(child, Tree):
            return None
        tree = child
    return tree


def _first_token(tree: Tree[Token]) -> Token | None:
    return next(iter(tree.scan_values(lambda v: isinstance(v, Token))), None)


def _parse(source: str) -> Tree[Token]:
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = CELParser()
        try:
            return _parser.parse(source)
        except CELParseError as exc:
            column = getattr(exc, "column", None)
            where = f" at line {exc.line}, column {column}" if column else ""
            raise CelSyntaxError(f"CEL syntax error{where}: {source!r}") from None
        except Exception as exc:
            raise CelSyntaxError(f"CEL syntax error: {exc}") from None


class CompiledExpression:
    """A compiled CEL expression; call it with an activation (a mapping of variable names to values)."""

    __slots__ = ("_fn", "references", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        compiler = _Compiler()
        try:
            node = compiler.compile(_parse(source), frozenset())
        except RecursionError:
            raise CelSyntaxError("CEL expression is nested too deeply") from None
        self._fn: Evaluator = node.fn
        self.references: frozenset[str] = frozenset(compiler.refs)

    def __call__(self, activation: Mapping[str, Any]) -> Any:
        try:
            return self._fn(activation)
        except CelEvaluationError:
            raise
        except Exception as exc:
            raise CelEvaluationError(f"{type(exc).__name__}: {exc}") from None

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


def compile_expression(source: str) -> CompiledExpression:
    """Compile `source` once; raises CelSyntaxError for bad syntax or unsupported constructs."""
    return CompiledExpression(source)
