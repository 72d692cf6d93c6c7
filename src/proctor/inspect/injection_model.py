"""The shipped learned scorer: hashed word/char n-gram logistic regression over text segments.

Pure Python at run time (no numpy): weights are int16 with one scale, loaded once from the package.
The same feature code is used by `benchmarks/train_firewall.py`, which writes the weights.
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

__all__ = [
    "DIM",
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


# Work vocabulary (sales, SaaS, IT, finance, support), as 5-letter stems: a prior that generalises to
# business sentences the training data never showed. Written for this project.
_WORK = frozenset(
    w[:5]
    for w in re.findall(
        r"\w+",
        "account admin agenda agreement analytics approval approve attachment audit authentication backup "
        "billing board budget business buyer calendar call campaign cancel case champion channel checkout "
        "churn client colleague committee company compliance configure connector contact contract cost "
        "crm currency customer dashboard data database deadline deal deck demo department deploy desk "
        "discount document domain draft email employee enterprise error estimate expense export feature "
        "field file finance firewall forecast form funnel import implementation install integration "
        "invoice kickoff lead legal license login manager margin meeting merge migration mobile module "
        "notification office onboarding opportunity order organization owner partner password payment "
        "permission pilot pipeline plan platform policy portal price pricing procurement product profile "
        "project proposal prospect provision purchase quarter quota quote record referral refund region "
        "release renewal report request requirement reseller revenue review role rollout sales sandbox "
        "schedule seat security sequence server service session settings setup signature signed sprint "
        "staff stage stakeholder status subscription supplier support sync system team tenant ticket "
        "tier timeline token trial update upgrade usage user vendor verification webhook webinar "
        "workflow workspace invoice payroll shipping shipment warehouse inventory delivery logistics "
        "customer retention renewal upsell headcount hiring interview candidate onboard offboard "
        "roadmap release version bug outage incident uptime latency api sdk integration zapier slack "
        "salesforce hubspot outlook google microsoft okta jira zendesk stripe",
    )
)


def _content_words(seg: str) -> set[str]:
    return {w[:5] for w in _CONTENT.findall(seg.lower()) if w not in _STOP}


def segment_contexts(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, str, str]]:
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
    out: list[tuple[str, str, str]] = []
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


def segment_features(seg: str, ctx: tuple[str, str, str] = ("only", "line", "na")) -> list[int]:
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
    work = sum(w in _WORK for w in words)
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
    return sorted(feats)


def blank_tags(text: str) -> str:
    """Replace HTML tags with spaces of the same length (offsets survive)."""
    if "<" not in text:
        return text
    return _TAG.sub(lambda m: " " * len(m.group(0)), text)


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

    def score(self, seg: str, ctx: tuple[str, str, str] = ("only", "line", "na")) -> float:
        """Probability (0..1) that this one segment (in context `ctx`) is an injected instruction."""
        feats = segment_features(seg, ctx)
        if not feats:
            return 0.0
        w = self.weights
        total = sum(w[i] for i in feats)
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
