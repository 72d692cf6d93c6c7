"""Sentences of an outbound body for the evidence check: links blanked, greetings, asks and sign-offs marked.

``sentences`` splits a body into sentences and gives each a mode: ``claim`` (its specific facts
need a receipt), ``ask`` (a request such as "Happy to share…": only money and percentages count)
or ``skip`` (a question). A greeting at the start of a sentence is not part of its content, and
the body ends at a sign-off line ("Best,", "Thanks,", "--"): the signature below is not checked.
"""

from __future__ import annotations

import re

from proctor.inspect.claims_lexicon import (
    ABBREVIATIONS,
    ASK,
    ASK_BY_FIRST,
    GREETING,
    GREETING_FIRST,
    SIGNOFF,
    SIGNOFF_FIRST,
    fold_case,
)

__all__ = ["Sentence", "blank_links", "may_have_links", "sentences"]

# (start, content_start, end, mode): the sentence is text[start:end], its content text[content_start:end].
Sentence = tuple[int, int, int, str]

_CLEAN_RE = re.compile(r"https?://\S+|www\.\S+|[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# Sentence ends: '.', '!' or '?' before a capital or a number, or a line break. Starts with one
# character class for speed; a line break's match is extended back over the spaces before it.
_BOUNDARY_RE = re.compile(
    r"[.!?\n](?:(?<=[.!?])[.!?]*[\"'’”)\]]*([ \t]+)(?=[\"'“(\[]?[A-Z0-9$€£])|(?<=\n)\s*)"
)
_ROUND_RE = re.compile(fold_case(r"(?i:series|round|class|tier|type|plan|phase|grade|level)\s+[A-Z]$"))
_GREETING_MATCH = re.compile(fold_case(GREETING)).match
_SIGNOFF_MATCH = re.compile(fold_case(SIGNOFF)).match
_ASK_MATCH = re.compile(fold_case(ASK)).match
# An ASCII lead letter can only start the ask phrases that start with it (ASCII letters fold only
# onto their own case): the ask regex of those phrases gives the same answer, with fewer tries.
_ASK_MATCH_BY_LEAD = {
    case(letter): re.compile(fold_case(pattern)).match
    for letter, pattern in ASK_BY_FIRST.items()
    for case in (str.lower, str.upper)
}
_LOCAL_CHARS = frozenset("_.+%-")


def _find_all(text: str, needle: str) -> list[int]:
    out = []
    pos = text.find(needle)
    while pos != -1:
        out.append(pos)
        pos = text.find(needle, pos + 1)
    return out


# Literal-led regexes: CPython's regex engine finds a literal prefix faster than ``in`` does.
_HTTP_SEARCH = re.compile("http").search
_WWW_SEARCH = re.compile(r"www\.").search


def may_have_links(text: str) -> bool:
    """Whether ``text`` has an '@', "http" or "www.": where ``blank_links`` can change anything."""
    return "@" in text or _HTTP_SEARCH(text) is not None or _WWW_SEARCH(text) is not None


def blank_links(text: str) -> str:
    """Blank out URLs and email addresses (``_CLEAN_RE``), trying the regex only where one can start."""
    starts = [(i, False) for needle in ("http", "www.") for i in _find_all(text, needle)]
    for at in _find_all(text, "@"):
        lo = at  # an address starts where the run of local-part characters before its '@' starts
        while lo > 0 and (text[lo - 1].isalnum() or text[lo - 1] in _LOCAL_CHARS):
            lo -= 1
        if lo < at:
            starts.append((lo, True))
    starts.sort()
    parts: list[str] = []
    pos = 0
    for start, local in starts:
        if start < pos:
            if not local:
                continue
            start = pos
        m = _CLEAN_RE.match(text, start)
        if m is not None:
            parts += (text[pos:start], " " * (m.end() - start))
            pos = m.end()
    return "".join(parts) + text[pos:] if parts else text


def sentences(text: str) -> list[Sentence]:
    """Split into (start, content_start, end, mode) with mode 'claim', 'ask' or 'skip'; stop at a sign-off.

    Candidate sentences end at each boundary (``_BOUNDARY_RE``) except after an abbreviation or an
    initial; each is classified as it is found, and the split stops at the first sign-off line.
    """
    out: list[Sentence] = []
    append = out.append
    pos = last = 0
    n = len(text)
    boundaries = _BOUNDARY_RE.finditer(text)
    while True:
        m = next(boundaries, None)
        if m is None:
            start, end = pos, n
        else:
            b_start, b_end = m.span()
            ch = text[b_start]
            if ch == "\n":
                while b_start > last and text[b_start - 1] in " \t":
                    b_start -= 1
                last = b_end
                start, end = pos, b_start
            else:
                last = b_end
                if ch == ".":
                    word = text[max(pos, b_start - 6) : b_start].rsplit(None, 1)[-1:] or [""]
                    w = word[0]
                    if w.lower() in ABBREVIATIONS or (
                        len(w) == 1
                        and w.isupper()
                        and not _ROUND_RE.search(text, max(0, b_start - 12), b_start)
                    ):
                        continue  # an abbreviation or an initial: the sentence goes on
                # The sentence keeps its closing marks, not the spaces after them.
                start, end = pos, m.start(1)
            pos = b_end
        chunk = text[start:end].strip()
        if chunk:
            first = chunk[0]
            if (
                (first in SIGNOFF_FIRST or not first.isascii())
                and (start == 0 or "\n" in text[max(0, start - 3) : start])
                and len(chunk.split()) <= 5
                and _SIGNOFF_MATCH(chunk)
            ):
                break
            content = start
            first = text[start]
            if first in GREETING_FIRST or not first.isascii():
                g = _GREETING_MATCH(text, start, end)
                if g is not None:
                    content = g.end()
                    if content >= end or text[content:end].isspace():
                        if m is None:
                            break
                        continue
            # The content's last visible character is the chunk's: it holds one.
            if chunk[-1] == "?":
                append((start, content, end, "skip"))
            else:
                lead = text[content]
                ask = _ASK_MATCH_BY_LEAD.get(lead)
                if ask is None and not lead.isascii():
                    ask = _ASK_MATCH
                if ask is not None and ask(text, content, end):
                    append((start, content, end, "ask"))
                else:
                    append((start, content, end, "claim"))
        if m is None:
            break
    return out
