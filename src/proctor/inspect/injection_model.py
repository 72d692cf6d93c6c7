"""The shipped learned scorer: hashed word/char n-gram logistic regression over text segments.

Pure Python at run time (no numpy): weights are int16 with one scale, loaded once from the package.
The same feature code is used by `benchmarks/train_firewall.py`, which writes the weights. Besides the
n-grams, each segment carries its document context (position, own line, lexical overlap with the
other segments) and topic priors from `injection_lexicon` (work vocabulary, everyday-life words,
pronouns), so a request about a holiday reads differently from one about a quote.
"""

from __future__ import annotations

import json
import math
import re
import sys
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from proctor.inspect.injection_lexicon import PERSONAL, REQUEST_OPENERS, WORK, in_world

__all__ = [
    "ALONE",
    "DIM",
    "Context",
    "Model",
    "load_model",
    "segment_contexts",
    "segment_features",
    "segments",
]

DIM = 1 << 18
_MASK = DIM - 1
_DATA_PACKAGE = "proctor.inspect.data"
META_FILE = "injection_model.json"
WEIGHTS_FILE = "injection_weights.bin"

_TOKEN = re.compile(r"[^\W\d_]+|\d+|[?!:@/]")
# Segment boundaries: line breaks, sentence ends, BIPIA-style `|FIELD:` separators, JSON string edges,
# literal "\n" escapes, and wide runs of spaces (where HTML tags were blanked out).
_BOUNDARY = re.compile(
    r"\r?\n|(?<=[.!?。！？])\s+|\|(?=[A-Z_ ]{3,}:)|\"\s*[,:}\]]\s*\"?|\\n|\s{3,}|\t",
)
_TAG = re.compile(r"<[^>]{0,400}>")
MAX_SEGMENT = 360


def _h(s: str) -> int:
    return zlib.crc32(s.encode("utf-8")) & _MASK


@lru_cache(maxsize=200_000)
def _token_ids(tok: str) -> tuple[int, ...]:
    """Unigram id plus char 3..5-grams of the padded token (cached; vocabulary is Zipfian)."""
    ids = [_h("w:" + tok)]
    if tok.isalpha() and len(tok) > 2:
        padded = f"<{tok[:24]}>"
        for n in (3, 4, 5):
            ids.extend(_h(f"c{n}:{padded[i : i + n]}") for i in range(len(padded) - n + 1))
    return tuple(ids)


def _norm_token(tok: str) -> str:
    return "0" if tok.isdigit() else tok


_CONTENT = re.compile(r"[^\W\d_]{4,}")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "that this with from have your what when where which would could should there their they them "
        "about also been were will just more some into than then only very make like does here over such "
        "please thanks thank best regards hello dear",
    )
)


Context = tuple[str, str, str]
"""(position, own line or inline, lexical-overlap bucket) of a segment in its document."""
ALONE: Context = ("only", "line", "na")


def _content_words(seg: str) -> set[str]:
    return {w[:5] for w in _CONTENT.findall(seg.lower()) if w not in _STOP}


def segment_contexts(text: str, spans: list[tuple[int, int]]) -> list[Context]:
    """Document context of each segment: (position, own-line-or-inline, lexical-overlap bucket).

    Position is first/mid/last/only among the segments; overlap is the share of the segment's content
    words that occur in some other segment (a planted off-topic request shares almost none).
    """
    n = len(spans)
    words = [_content_words(text[s:e]) for s, e in spans]
    seen: dict[str, int] = {}
    for ws in words:
        for w in ws:
            seen[w] = seen.get(w, 0) + 1
    out: list[Context] = []
    for i, (start, end) in enumerate(spans):
        pos = "only" if n == 1 else "first" if i == 0 else "last" if i == n - 1 else "mid"
        before = text.rfind("\n", 0, start)
        after = text.find("\n", end)
        own_line = (
            not text[before + 1 : start].strip()
            and not text[end : after if after >= 0 else len(text)].strip()
        )
        ws = words[i]
        if n == 1 or not ws:
            ov = "na"
        else:
            share = sum(seen[w] > 1 for w in ws) / len(ws)
            ov = "0" if share == 0 else "lo" if share < 0.34 else "hi"
        out.append((pos, "line" if own_line else "inline", ov))
    return out


def segment_features(seg: str, ctx: Context = ALONE) -> list[int]:
    """Sorted unique feature ids of one segment in its document context (values are 1/sqrt(count))."""
    toks = [_norm_token(t) for t in _TOKEN.findall(seg.lower())]
    if not toks:
        return []
    feats: set[int] = {0}
    prev = _h("<s>")
    for tok in toks:
        ids = _token_ids(tok)
        feats.update(ids)
        feats.add(((prev * 0x9E3779B1) + ids[0] * 31 + 7) & _MASK)
        prev = ids[0]
    feats.add(((prev * 0x9E3779B1) + _h("</s>") * 31 + 7) & _MASK)
    feats.add(_h("first:" + toks[0]))
    if len(toks) > 1:
        feats.add(_h(f"first2:{toks[0]} {toks[1]}"))
    feats.add(_h(f"len:{min(len(toks), 40) // 4}"))
    feats.add(_h("last:" + toks[-1]))
    pos, line, ov = ctx
    words = {w[:5] for w in _CONTENT.findall(seg.lower()) if w not in _STOP}
    work = sum(w in WORK for w in words)
    biz = "na" if not words else "0" if not work else "lo" if work * 3 < len(words) else "hi"
    feats.add(_h(f"biz:{biz}"))
    feats.add(_h(f"biz:{biz}|ov={ov}"))
    feats.add(_h(f"biz:{biz}|first={toks[0]}"))
    feats.add(_h(f"biz:{biz}|{pos}|{line}"))
    feats.add(_h(f"ctx:{pos}|{line}"))
    feats.add(_h(f"ctx:ov={ov}"))
    feats.add(_h(f"ctx:{pos}|{line}|ov={ov}"))
    feats.add(_h(f"ctx:first={toks[0]}|ov={ov}"))
    feats.add(_h(f"ctx:last={toks[-1]}|ov={ov}"))
    feats.add(_h(f"ctx:first={toks[0]}|{pos}|{line}"))
    feats.update(_topic_features(toks, biz, ctx))
    return sorted(feats)


_WE = frozenset({"we", "us", "our", "ours", "ourselves"})
_YOU = frozenset({"you", "your", "yours", "yourself"})


def _topic_features(toks: list[str], biz: str, ctx: Context) -> list[int]:
    """Everyday-topic words (injection_lexicon.WORLD) in a request or a statement, and who speaks to
    whom (I / we / you)."""
    pos, line, ov = ctx
    world = sum(in_world(t) for t in toks)
    wb = "0" if not world else "1" if world == 1 else "2"
    tokset = set(toks)
    pr = "".join(
        tag for tag, group in (("I", PERSONAL), ("we", _WE), ("you", _YOU)) if not tokset.isdisjoint(group)
    )
    first = toks[0]
    rq = "q" if first in REQUEST_OPENERS or toks[-1] == "?" else "s"
    keys = (
        f"wd:{wb}|{rq}",
        f"wd:{wb}|{rq}|biz:{biz}",
        f"wd:{wb}|{rq}|biz:{biz}|ov={ov}",
        f"wd:{wb}|first={first}",
        f"wd:{wb}|{rq}|{pos}|{line}",
        f"pr:{pr}",
        f"pr:{pr}|biz:{biz}",
        f"pr:{pr}|wd:{wb}",
        f"pr:{pr}|first={first}",
    )
    return [_h(k) for k in keys]


def blank_tags(text: str) -> str:
    """Replace HTML tags with spaces of the same length (offsets survive).

    An HTML comment's delimiters are blanked but its text is kept, so a passage hidden in a comment is
    scored in its document context like visible text.
    """
    if "<" not in text:
        return text
    if "<!--" in text:
        text = _COMMENT_MARK.sub(lambda m: " " * len(m.group(0)), text)
    return _TAG.sub(lambda m: " " * len(m.group(0)), text)


_COMMENT_MARK = re.compile(r"<!--|-->")


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentence/line-like segments with some letters in them."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        _add_span(text, pos, m.start(), spans)
        pos = m.end()
    _add_span(text, pos, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and not text[start].isalnum() and text[start] not in "<[#{(":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start < 4:
        return
    while end - start > MAX_SEGMENT:
        cut = text.rfind(" ", start + MAX_SEGMENT // 2, start + MAX_SEGMENT)
        cut = cut if cut > start else start + MAX_SEGMENT
        spans.append((start, cut))
        start = cut + 1
    if end - start >= 4:
        spans.append((start, end))


@dataclass(frozen=True, slots=True)
class Model:
    """A loaded linear scorer: int16 weights times `scale`, plus `bias`."""

    weights: array  # type: ignore[type-arg]
    scale: float
    bias: float
    version: str

    def score(self, seg: str, ctx: Context = ALONE) -> float:
        """Probability (0..1) that this one segment (in context `ctx`) is an injected instruction."""
        feats = segment_features(seg, ctx)
        if not feats:
            return 0.0
        w = self.weights
        total = sum(map(w.__getitem__, feats))
        z = self.bias + total * self.scale / math.sqrt(len(feats))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def score_text(self, text: str) -> list[tuple[int, int, float]]:
        """(start, end, probability) for every segment of `text`, scored in document context."""
        spans = segments(text)
        ctxs = segment_contexts(text, spans)
        return [(s, e, self.score(text[s:e], c)) for (s, e), c in zip(spans, ctxs, strict=True)]


@lru_cache(maxsize=1)
def load_model() -> Model:
    """Load the shipped weights once (no network)."""
    base = resources.files(_DATA_PACKAGE)
    meta = json.loads(base.joinpath(META_FILE).read_text(encoding="utf-8"))
    raw = zlib.decompress(base.joinpath(WEIGHTS_FILE).read_bytes())
    weights = array("h")
    weights.frombytes(raw)
    if sys.byteorder != "little":
        weights.byteswap()
    if len(weights) != int(meta["dim"]) or int(meta["dim"]) != DIM:
        raise ValueError("injection model weights do not match the feature dimension")
    return Model(weights, float(meta["scale"]), float(meta["bias"]), str(meta["version"]))
