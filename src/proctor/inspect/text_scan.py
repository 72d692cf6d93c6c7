"""One outbound text analysed once for every content check of a decision.

A send runs five checks on the same subject and body: blocked terms, competitors, PII, sensitive
topics and the evidence claims. ``TextScan`` computes what they share once per decision: the
joined text, its lower-cased form, and one stem scan for both the sensitive-topic phrases and the
event phrases of the claims (one pass over the text instead of two). Each check reads it through
the same functions it uses on its own, so the results are those of the standalone checks.
"""

from __future__ import annotations

from proctor.inspect.claims import Claim, extract_claims
from proctor.inspect.claims_lexicon import EVENTS
from proctor.inspect.pii import PiiFinding, find_pii
from proctor.inspect.terms import StemPatterns, TermMatcher
from proctor.inspect.text_sentences import may_have_links
from proctor.inspect.topics import PATTERNS, TopicFinding, topics_in

__all__ = ["TextScan"]

# Tags are prefixed by their source; within each source, hits sort as they do on their own.
_ENTRIES: list[tuple[str, str, str] | tuple[str, str, str, str]] = [
    (f"e{tag}", stem, regex) for tag, stem, regex in EVENTS
]
for _tag, _stem, _regex, *_before in PATTERNS:
    _ENTRIES.append((f"t{_tag}", _stem, _regex, _before[0]) if _before else (f"t{_tag}", _stem, _regex))
_BOTH = StemPatterns(_ENTRIES)


class TextScan:
    """The subject and body of one outbound action, with what every content check shares."""

    __slots__ = ("_hits", "body", "low", "offset", "text")

    def __init__(self, subject: str, body: str) -> None:
        self.body = body
        body_low = body.lower()
        if subject:
            self.text = f"{subject}\n{body}"
            self.low = f"{subject.lower()}\n{body_low}"  # = text.lower(): '\n' stops final-sigma context
        else:
            self.text = body
            self.low = body_low
        self.offset = len(self.low) - len(body_low)  # where the body starts in ``low``
        self._hits: list[tuple[int, int, str]] | None = None

    def _scan(self) -> list[tuple[int, int, str]]:
        hits = self._hits
        if hits is None:
            hits = self._hits = _BOTH.scan(self.low) if self.low else []
        return hits

    def terms(self, matcher: TermMatcher) -> list[str]:
        """``matcher.find(text)``."""
        return matcher.find(self.text, low=self.low)

    def pii(self, allowed_emails: tuple[str, ...]) -> list[PiiFinding]:
        """``find_pii(text, allowed_emails=...)``."""
        return find_pii(self.text, allowed_emails=allowed_emails, low=self.low)

    def topics(self) -> list[TopicFinding]:
        """``find_sensitive_topics(text)``."""
        if not self.text:
            return []
        hits = [(s, e, tag[1:]) for s, e, tag in self._scan() if tag[0] == "t"]
        return topics_in(self.text, self.low, hits)

    def claims(self) -> list[Claim]:
        """``extract_claims(body)``."""
        body = self.body
        if may_have_links(body):
            return extract_claims(body)  # links are blanked first: the scan of the text does not apply
        off = self.offset
        events = [(s - off, e - off, tag[1:]) for s, e, tag in self._scan() if tag[0] == "e" and s >= off]
        return extract_claims(body, events=events, links=False)
