"""Runtime value semantics and standard functions for the CEL-to-closure compiler in `cel.py`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, NoReturn, TypeAlias
from zoneinfo import ZoneInfo


class CelSyntaxError(ValueError):
    """A CEL expression does not parse or uses something unsupported."""


class CelEvaluationError(Exception):
    """Evaluating a CEL expression failed (missing key, type mismatch, ...)."""


class CelUint(int):
    """A CEL `uint` value (Python has no unsigned int type, so it is tagged by this subclass)."""

    __slots__ = ()


Activation: TypeAlias = Mapping[str, Any]
INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIST_TYPES: frozenset[type] = frozenset({list, tuple, set, frozenset})
NUMBER_TYPES: frozenset[type] = frozenset({int, float, CelUint})
SIMPLE_TYPES: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), bytes, CelUint, datetime, timedelta}
)
ORDERED_TYPES: frozenset[type] = frozenset({str, int, float, bool, bytes, CelUint, datetime, timedelta})


def fail(message: str) -> NoReturn:
    """Raise a CelEvaluationError with `message`."""
    raise CelEvaluationError(message)


def type_name(value: object) -> str:
    """The CEL type name of a Python value, for error messages."""
    t = type(value)
    if t is CelUint:
        return "uint"
    if t in LIST_TYPES:
        return "list"
    if isinstance(value, Mapping):
        return "map"
    names = {
        str: "string",
        int: "int",
        float: "double",
        bool: "bool",
        bytes: "bytes",
        type(None): "null_type",
    }
    return names.get(t) or {datetime: "timestamp", timedelta: "duration"}.get(t, t.__name__)


def no_overload(op: str, *args: object) -> CelEvaluationError:
    """The CEL 'no such overload' error for `op` applied to `args` (for the caller to raise)."""
    return CelEvaluationError(f"no such overload: {op}({', '.join(type_name(a) for a in args)})")


def is_map(value: object) -> bool:
    """True for CEL map values (any Mapping)."""
    return type(value) is dict or isinstance(value, Mapping)


def check_int(value: int) -> int:
    """Return `value` if it fits in int64, else raise an overflow error."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    fail("int64 overflow")


def check_uint(value: int) -> CelUint:
    """Return `value` as a CelUint if it fits in uint64, else raise an overflow error."""
    if 0 <= value <= UINT64_MAX:
        return CelUint(value)
    fail("uint64 overflow")


# --- equality, ordering, membership -------------------------------------------------------------------


def cel_eq(a: Any, b: Any) -> bool:
    """CEL `==`: heterogeneous numeric equality, deep list/map equality, other cross-type pairs are false."""
    ta, tb = type(a), type(b)
    if ta is tb and ta in SIMPLE_TYPES:
        return bool(a == b)
    if ta in NUMBER_TYPES and tb in NUMBER_TYPES:
        return bool(a == b)
    if ta in LIST_TYPES and tb in LIST_TYPES:
        return len(a) == len(b) and all(cel_eq(x, y) for x, y in zip(a, b, strict=False))
    if is_map(a) and is_map(b):
        if len(a) != len(b):
            return False
        for key, value in a.items():
            found, other = map_lookup(b, key)
            if not found or not cel_eq(value, other):
                return False
        return True
    return False


def compare(op: Callable[[Any, Any], bool], name: str, a: Any, b: Any) -> bool:
    """CEL ordering (`<` etc.): same-type or numeric operands only."""
    ta, tb = type(a), type(b)
    if (ta is tb and ta in ORDERED_TYPES) or (ta in NUMBER_TYPES and tb in NUMBER_TYPES):
        return op(a, b)
    raise no_overload(name, a, b)


def map_lookup(m: Mapping[Any, Any], key: Any) -> tuple[bool, Any]:
    """Look `key` up in a map with CEL key equality (so `true` never finds the key `1`)."""
    if type(key) is str:
        return (True, m[key]) if key in m else (False, None)
    if type(key) not in NUMBER_TYPES and type(key) is not bool:
        raise no_overload("map key lookup", m, key)
    for k, v in m.items():
        if type(k) is not str and cel_eq(k, key) and (type(k) is bool) == (type(key) is bool):
            return True, v
    return False, None


def in_op(x: Any, container: Any) -> bool:
    """CEL `in`: element of a list, or key of a map."""
    tc = type(container)
    if type(x) is str and (tc is list or tc is dict or tc is frozenset or tc is set or tc is tuple):
        return x in container
    if tc in LIST_TYPES:
        return any(cel_eq(x, e) for e in container)
    if is_map(container):
        return map_lookup(container, x)[0]
    raise no_overload("in", x, container)


# --- arithmetic ----------------------------------------------------------------------------------------


def add(a: Any, b: Any) -> Any:
    """CEL `+` for numbers, strings, bytes, lists, timestamps and durations."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return check_int(a + b)
    if ta is tb and (ta is str or ta is float or ta is bytes or ta is timedelta):
        return a + b
    if ta is CelUint and tb is CelUint:
        return check_uint(a + b)
    if ta in LIST_TYPES and tb in LIST_TYPES:
        return [*a, *b]
    if (ta is datetime and tb is timedelta) or (ta is timedelta and tb is datetime):
        return a + b
    raise no_overload("_+_", a, b)


def sub(a: Any, b: Any) -> Any:
    """CEL `-` for numbers, timestamps and durations."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return check_int(a - b)
    if (ta is tb and ta in (float, timedelta, datetime)) or (ta is datetime and tb is timedelta):
        return a - b
    if ta is CelUint and tb is CelUint:
        return check_uint(a - b)
    raise no_overload("_-_", a, b)


def mul(a: Any, b: Any) -> Any:
    """CEL `*` for numbers."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return check_int(a * b)
    if ta is float and tb is float:
        return a * b
    if ta is CelUint and tb is CelUint:
        return check_uint(a * b)
    raise no_overload("_*_", a, b)


def _trunc_div(a: int, b: int) -> int:
    if b == 0:
        fail("division by zero")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def div(a: Any, b: Any) -> Any:
    """CEL `/`: integer division truncates toward zero; double division follows IEEE 754."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return check_int(_trunc_div(a, b))
    if ta is float and tb is float:
        if b == 0.0:
            return math.nan if a == 0.0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b
    if ta is CelUint and tb is CelUint:
        return check_uint(_trunc_div(a, b))
    raise no_overload("_/_", a, b)


def mod(a: Any, b: Any) -> Any:
    """CEL `%` on ints/uints: the result takes the sign of the dividend (C semantics)."""
    ta, tb = type(a), type(b)
    if (ta is int and tb is int) or (ta is CelUint and tb is CelUint):
        if b == 0:
            fail("modulus by zero")
        r = abs(a) % abs(b)
        return CelUint(r) if ta is CelUint else (r if a >= 0 else -r)
    raise no_overload("_%_", a, b)


def neg(a: Any) -> Any:
    """CEL unary `-` for int, double and duration."""
    ta = type(a)
    if ta is int:
        return check_int(-a)
    if ta is float or ta is timedelta:
        return -a
    raise no_overload("-_", a)


def logical_not(a: Any) -> bool:
    """CEL `!` on a bool."""
    if a is True:
        return False
    if a is False:
        return True
    raise no_overload("!_", a)


# --- selection and indexing ----------------------------------------------------------------------------


def select(obj: Any, name: str) -> Any:
    """CEL field selection `obj.name` on a map; a missing key is an error."""
    if is_map(obj):
        try:
            return obj[name]
        except KeyError:
            fail(f"no such key: '{name}'")
    fail(f"cannot select field '{name}' on a value of type {type_name(obj)}")


def has_field(obj: Any, name: str) -> bool:
    """CEL `has(obj.name)`: key presence on a map; error on non-maps."""
    if is_map(obj):
        return name in obj
    fail(f"has() cannot test field '{name}' on a value of type {type_name(obj)}")


def index(obj: Any, key: Any) -> Any:
    """CEL `obj[key]` on lists (int index) and maps (key lookup)."""
    to, tk = type(obj), type(key)
    if to is dict and tk is str:
        try:
            return obj[key]
        except KeyError:
            fail(f"no such key: '{key}'")
    if to is list or to is tuple:
        if tk is float and key.is_integer():
            key, tk = int(key), int
        if tk is int or tk is CelUint:
            if 0 <= key < len(obj):
                return obj[key]
            fail(f"index out of range: {key}")
        raise no_overload("_[_]", obj, key)
    if is_map(obj):
        found, value = map_lookup(obj, key)
        if found:
            return value
        fail(f"no such key: {key!r}")
    raise no_overload("_[_]", obj, key)


def iteration_items(target: Any) -> Iterable[Any]:
    """What a comprehension macro iterates: list elements or map keys."""
    if type(target) in LIST_TYPES or is_map(target):
        return list(target)
    fail(f"cannot iterate over a value of type {type_name(target)}")


# --- closures built by the compiler ---------------------------------------------------------------------


def walk_path(act: Activation, path: tuple[str, ...]) -> Any:
    """Slow path of a variable path lookup, raising precise errors."""
    try:
        value = act[path[0]]  # a lookup, not `in`: activations may build variables on first use
    except KeyError:
        fail(f"unknown variable '{path[0]}'")
    for name in path[1:]:
        value = select(value, name)
    return value


def path_getter(path: tuple[str, ...]) -> Callable[[Activation], Any]:
    """Fused evaluator for `var.f1.f2...` (the common case in policy conditions)."""
    k0 = path[0]
    if len(path) == 1:

        def get1(act: Activation) -> Any:
            try:
                return act[k0]
            except KeyError:
                raise CelEvaluationError(f"unknown variable '{k0}'") from None

        return get1
    if len(path) == 2:
        k1 = path[1]

        def get2(act: Activation) -> Any:
            try:
                return act[k0][k1]
            except Exception:
                return walk_path(act, path)

        return get2
    return lambda act: walk_path(act, path)


def make_map(
    pairs: list[tuple[Callable[[Activation], Any], Callable[[Activation], Any]]],
) -> Callable[[Activation], Any]:
    def build(act: Activation) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for kf, vf in pairs:
            key = kf(act)
            if type(key) not in (str, int, bool, CelUint):
                fail(f"unsupported map key type {type_name(key)}")
            if key in out:
                fail(f"repeated map key {key!r}")
            out[key] = vf(act)
        return out

    return build


class Scope(dict[str, Any]):
    """A macro's scope: its loop variable, then whatever the enclosing activation has."""

    __slots__ = ("parent",)

    def __init__(self, parent: Activation) -> None:
        super().__init__()
        self.parent = parent

    def __missing__(self, name: str) -> Any:
        return self.parent[name]


def comprehension(
    kind: str,
    target: Callable[[Activation], Any],
    var: str,
    pred: Callable[[Activation], Any],
    xform: Callable[[Activation], Any] | None,
) -> Callable[[Activation], Any]:
    """The all/exists/exists_one/filter/map macros; `var` is bound in a scope over the activation."""

    def run(act: Activation) -> Any:
        items = iteration_items(target(act))
        local = Scope(act)
        if kind == "map" and xform is None:
            out = []
            for item in items:
                local[var] = item
                out.append(pred(local))
            return out
        err: Exception | None = None
        hits, kept = 0, []
        for item in items:
            local[var] = item
            try:
                r = pred(local)
            except Exception as exc:
                if kind in ("all", "exists"):
                    err = err or exc
                    continue
                raise
            if r is not True and r is not False:
                if kind in ("all", "exists"):
                    err = err or CelEvaluationError(f"{kind}() predicate returned {type_name(r)}")
                    continue
                raise no_overload(kind, r)
            if r and kind == "exists":
                return True
            if not r and kind == "all":
                return False
            if r:
                hits += 1
                if kind != "exists_one":
                    kept.append(xform(local) if xform is not None else item)
        if err is not None:
            raise err
        if kind in ("all", "exists"):
            return kind == "all"
        return hits == 1 if kind == "exists_one" else kept

    return run


# --- string and collection functions --------------------------------------------------------------------


def size(value: Any) -> int:
    """CEL `size()`: code points of a string, bytes, list elements or map entries."""
    if type(value) in (str, bytes) or type(value) in LIST_TYPES or is_map(value):
        return len(value)
    raise no_overload("size", value)


def _strings(name: str, a: Any, b: Any) -> None:
    if type(a) is not str or type(b) is not str:
        raise no_overload(name, a, b)


def contains(s: Any, sub_: Any) -> bool:
    """CEL `string.contains(string)`."""
    _strings("contains", s, sub_)
    return bool(sub_ in s)


def starts_with(s: Any, prefix: Any) -> bool:
    """CEL `string.startsWith(string)`."""
    _strings("startsWith", s, prefix)
    return bool(s.startswith(prefix))


def ends_with(s: Any, suffix: Any) -> bool:
    """CEL `string.endsWith(string)`."""
    _strings("endsWith", s, suffix)
    return bool(s.endswith(suffix))


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile (and cache) an RE2-style pattern with Python's `re`."""
    return re.compile(pattern)


def matches(s: Any, pattern: Any) -> bool:
    """CEL `matches`: an unanchored regex search."""
    _strings("matches", s, pattern)
    try:
        return compile_regex(pattern).search(s) is not None
    except re.error as exc:
        fail(f"invalid regular expression {pattern!r}: {exc}")


_LOWER = {c: c + 32 for c in range(65, 91)}
_UPPER = {c + 32: c for c in range(65, 91)}


def lower_ascii(s: Any) -> str:
    """CEL `lowerAscii()`: lower-case ASCII letters only."""
    if type(s) is not str:
        raise no_overload("lowerAscii", s)
    return s.lower() if s.isascii() else s.translate(_LOWER)


def upper_ascii(s: Any) -> str:
    """CEL `upperAscii()`: upper-case ASCII letters only."""
    if type(s) is not str:
        raise no_overload("upperAscii", s)
    return s.upper() if s.isascii() else s.translate(_UPPER)


# --- conversions ---------------------------------------------------------------------------------------


def _seconds(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(seconds=1)


_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def to_int(v: Any) -> int:
    """CEL `int()` conversion."""
    t = type(v)
    if t is int or t is CelUint:
        return check_int(int(v))
    if t is float:
        if not math.isfinite(v) or not -(2.0**63) <= v < 2.0**63:
            fail("double out of int64 range")
        return int(v)
    if t is str:
        if _INT_TEXT.fullmatch(v):
            return check_int(int(v, 10))
        fail(f"cannot convert {v!r} to int")
    if t is datetime:
        return _seconds(v)
    raise no_overload("int", v)


def to_uint(v: Any) -> CelUint:
    """CEL `uint()` conversion."""
    t = type(v)
    if t is int or t is CelUint:
        return check_uint(v)
    if t is float:
        if not math.isfinite(v) or not 0 <= v < 2.0**64:
            fail("double out of uint64 range")
        return CelUint(int(v))
    if t is str:
        if _INT_TEXT.fullmatch(v):
            return check_uint(int(v, 10))
        fail(f"cannot convert {v!r} to uint")
    raise no_overload("uint", v)


def to_double(v: Any) -> float:
    """CEL `double()` conversion."""
    t = type(v)
    if t is float or t is int or t is CelUint:
        return float(v)
    if t is str and "_" not in v and v.strip() == v:
        try:
            return float(v)
        except ValueError:
            fail(f"cannot convert {v!r} to double")
    raise no_overload("double", v)


def format_timestamp(ts: datetime) -> str:
    """RFC 3339 text of a timestamp in UTC, as CEL's `string(timestamp)` gives it."""
    text = ts.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def format_duration(d: timedelta) -> str:
    """Seconds text of a duration (`'5400s'`, `'1.5s'`), as CEL's `string(duration)` gives it."""
    micros = d // timedelta(microseconds=1)
    whole, frac = divmod(abs(micros), 1_000_000)
    text = f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
    return f"{'-' if micros < 0 else ''}{text}s"


def to_string(v: Any) -> str:
    """CEL `string()` conversion."""
    t = type(v)
    if t is str:
        return str(v)
    if t is int or t is CelUint:
        return str(int(v))
    if t is float:
        text = repr(v)
        return text.removesuffix(".0") if text.endswith(".0") else text
    if t is bool:
        return "true" if v else "false"
    if t is bytes:
        try:
            return str(v.decode("utf-8"))
        except UnicodeDecodeError:
            fail("bytes are not valid UTF-8")
    if t is datetime:
        return format_timestamp(v)
    if t is timedelta:
        return format_duration(v)
    raise no_overload("string", v)


_BOOL_TEXT = {"true": True, "True": True, "TRUE": True, "t": True, "1": True}
_BOOL_TEXT.update({"false": False, "False": False, "FALSE": False, "f": False, "0": False})


def to_bool(v: Any) -> bool:
    """CEL `bool()` conversion."""
    if type(v) is bool:
        return bool(v)
    if type(v) is str and v in _BOOL_TEXT:
        return _BOOL_TEXT[v]
    raise no_overload("bool", v)


def to_bytes(v: Any) -> bytes:
    """CEL `bytes()` conversion."""
    if type(v) is bytes:
        return bytes(v)
    if type(v) is str:
        return str(v).encode("utf-8")
    raise no_overload("bytes", v)


_TS_RE = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def to_timestamp(v: Any) -> datetime:
    """CEL `timestamp()`: from RFC 3339 text, from unix seconds, or identity."""
    t = type(v)
    if t is datetime:
        return v  # type: ignore[no-any-return]
    if t is int:
        try:
            return EPOCH + timedelta(seconds=v)
        except OverflowError:
            fail("timestamp out of range")
    if t is str:
        if _TS_RE.fullmatch(v):
            text = v.upper()
            frac = re.search(r"\.(\d+)", text)
            if frac and len(frac.group(1)) > 6:  # Python keeps microseconds; drop extra digits
                text = text.replace(frac.group(0), "." + frac.group(1)[:6])
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        fail(f"cannot parse timestamp {v!r}")
    raise no_overload("timestamp", v)


_DUR_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)")
_DUR_UNITS = {"h": 3600e6, "m": 60e6, "s": 1e6, "ms": 1e3, "us": 1.0, "µs": 1.0, "ns": 1e-3}


def to_duration(v: Any) -> timedelta:
    """CEL `duration()`: from Go-style text such as '1h30m', '-1.5s', '250ms', or identity."""
    if type(v) is timedelta:
        return v
    if type(v) is str:
        text = v[1:] if v[:1] in "+-" else v
        if text == "0":
            return timedelta(0)
        parts = _DUR_PART.findall(text)
        if text and "".join(n + u for n, u in parts) == text:
            micros = sum(float(n) * _DUR_UNITS[u] for n, u in parts)
            try:
                return timedelta(microseconds=-micros if v.startswith("-") else micros)
            except OverflowError:
                pass
        fail(f"cannot parse duration {v!r}")
    raise no_overload("duration", v)


# --- timestamp and duration accessors ------------------------------------------------------------------

_OFFSET_RE = re.compile(r"([+-])(\d\d):(\d\d)")


def _in_zone(ts: Any, tz: Any, name: str) -> datetime:
    if type(ts) is not datetime or (tz is not None and type(tz) is not str):
        raise no_overload(name, ts, *([] if tz is None else [tz]))
    zone: tzinfo = UTC
    if tz is not None:
        m = _OFFSET_RE.fullmatch(tz)
        if m:
            minutes = int(m.group(2)) * 60 + int(m.group(3))
            zone = timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
        else:
            try:
                zone = ZoneInfo(tz)
            except (ValueError, KeyError, OSError):
                fail(f"unknown time zone {tz!r}")
    return ts.astimezone(zone)


def _ts_getter(name: str, fn: Callable[[datetime], int]) -> Callable[..., int]:
    def getter(ts: Any, tz: Any = None) -> int:
        if type(ts) is timedelta and tz is None and name in _DURATION_GETTERS:
            return _DURATION_GETTERS[name](ts)
        return fn(_in_zone(ts, tz, name))

    return getter


_DURATION_GETTERS: dict[str, Callable[[timedelta], int]] = {
    "getHours": lambda d: int(d.total_seconds() / 3600),
    "getMinutes": lambda d: int(d.total_seconds() / 60),
    "getSeconds": lambda d: int(d.total_seconds()),
}

TIME_GETTERS: dict[str, Callable[..., int]] = {
    name: _ts_getter(name, fn)
    for name, fn in {
        "getFullYear": lambda t: t.year,
        "getMonth": lambda t: t.month - 1,
        "getDate": lambda t: t.day,
        "getDayOfMonth": lambda t: t.day - 1,
        "getDayOfYear": lambda t: t.timetuple().tm_yday - 1,
        "getDayOfWeek": lambda t: (t.weekday() + 1) % 7,
        "getHours": lambda t: t.hour,
        "getMinutes": lambda t: t.minute,
        "getSeconds": lambda t: t.second,
        "getMilliseconds": lambda t: t.microsecond // 1000,
    }.items()
}


def dyn(v: Any) -> Any:
    """CEL `dyn()`: identity."""
    return v


# name -> (implementation, allowed arities counting the receiver, callable as global, callable as method)
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, ...], bool, bool]] = {
    "size": (size, (1,), True, True),
    "contains": (contains, (2,), False, True),
    "startsWith": (starts_with, (2,), False, True),
    "endsWith": (ends_with, (2,), False, True),
    "matches": (matches, (2,), True, True),
    "lowerAscii": (lower_ascii, (1,), False, True),
    "upperAscii": (upper_ascii, (1,), False, True),
    "int": (to_int, (1,), True, False),
    "uint": (to_uint, (1,), True, False),
    "double": (to_double, (1,), True, False),
    "string": (to_string, (1,), True, False),
    "bool": (to_bool, (1,), True, False),
    "bytes": (to_bytes, (1,), True, False),
    "timestamp": (to_timestamp, (1,), True, False),
    "duration": (to_duration, (1,), True, False),
    "dyn": (dyn, (1,), True, False),
    **{name: (fn, (1, 2), False, True) for name, fn in TIME_GETTERS.items()},
}


# --- literals ------------------------------------------------------------------------------------------

_ESCAPE_RE = re.compile(
    r"\\(?:([abfnrtv\"'\\?`])|([0-3][0-7]{2})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|)"
)
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def decode_string_literal(token: str) -> str | bytes:
    """Decode a CEL string or bytes literal token (quotes, raw prefix and escapes)."""
    is_bytes = token[:1] in "bB"
    body = token[1:] if is_bytes else token
    raw = body[:1] in "rR"
    body = body[1:] if raw else body
    quote = 3 if body[:3] in ('"""', "'''") else 1
    body = body[quote:-quote]
    if raw:
        return body.encode("utf-8") if is_bytes else body
    out = bytearray()
    pos = 0
    for m in _ESCAPE_RE.finditer(body):
        out += body[pos : m.start()].encode("utf-8")
        pos = m.end()
        simple, octal, hex2, u4, u8 = m.groups()
        if simple is not None:
            out += bytes([_SIMPLE_ESCAPES.get(simple, ord(simple))])
            continue
        if octal is not None or hex2 is not None:
            code = int(octal, 8) if octal is not None else int(hex2, 16)
            out += bytes([code]) if is_bytes else chr(code).encode("utf-8")
            continue
        if u4 is None and u8 is None:
            raise CelSyntaxError(f"invalid escape sequence in {token!r}")
        code = int(u4 or u8, 16)
        if is_bytes or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise CelSyntaxError(f"invalid unicode escape in {token!r}")
        out += chr(code).encode("utf-8")
    out += body[pos:].encode("utf-8")
    if is_bytes:
        return bytes(out)
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise CelSyntaxError(f"invalid UTF-8 in string literal {token!r}") from None
