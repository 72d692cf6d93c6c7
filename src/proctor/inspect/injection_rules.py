"""Hand-written signals for indirect prompt injection: phrases, markers, hidden and encoded text."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "HIDDEN_CHARS",
    "RuleHit",
    "decode_base64_runs",
    "find_hidden_spans",
    "normalise_for_match",
    "phrase_hits",
    "rot13_lines",
    "strip_hidden",
    "structural_hits",
]

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
HIDDEN_CHARS = ZERO_WIDTH + BIDI
_HIDDEN_CHAR_RE = re.compile(f"[{HIDDEN_CHARS}]")

# Latin look-alikes from Cyrillic and Greek (the usual confusables), mapped back to ASCII.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅοαρνκτуΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhqwABEKMHOPCTXIJSoapvktyABEZHIKMNOPTYX",
)
_LATIN = re.compile(r"[A-Za-z]")
_NONLATIN_LOOKALIKE = re.compile("[аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅοαρνκτΑΒΕΖΗΙΚΜΝΟΡΤΥΧ]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule match: its family, a weight in 0..1, a short detail and the span in the text."""

    kind: str
    weight: float
    detail: str
    start: int
    end: int


def normalise_for_match(text: str) -> str:
    """Same-length copy of `text` with confusables mapped to Latin and hidden chars made spaces."""
    out = text.translate(_CONFUSABLES)
    if _HIDDEN_CHAR_RE.search(out):
        out = _HIDDEN_CHAR_RE.sub("\x00", out)
    return out


def strip_hidden(text: str) -> tuple[str, list[int] | None]:
    """Drop NUL/zero-width/bidi chars; also returns a map from new to old offsets (None if unchanged)."""
    if "\x00" not in text and not _HIDDEN_CHAR_RE.search(text):
        return text, None
    keep = [i for i, ch in enumerate(text) if ch != "\x00" and ch not in HIDDEN_CHARS]
    return "".join(text[i] for i in keep), keep


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_AI = (
    r"(?:ai|a\.i\.|llm|gpt|chatgpt|claude|gemini|copilot|chatbot|bot|language model|assistant|"
    r"ai agent|agent|model|ki|ia|iA|modèle de langage|modelo de lenguaje|sprachmodell|ki-assistent|"
    r"assistente|asistente|assistent)"
)
_PRIOR = (
    r"(?:previous|prior|above|earlier|preceding|former|original|initial|all|any|your|the|system|"
    r"developer|existing|current)"
)
_RULES = (
    r"(?:instructions?|directions?|directives?|prompts?|rules|guidelines|commands?|context|tasks?|orders)"
)

_REPLY = r"\b(?:in|within|into|to)\s+your\s+(?:response|reply|answer|output|summary)\b"
_PLUG = (
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}|https?://|www\.|\(\w[\w-]*\.(?:com|net|org|io|co)\)|"
    r"\b(?:readers?|users?|recipients?|the audience)\b"
)

# (kind, weight, regex) — kept deliberately specific; the learned scorer covers paraphrases.
_PHRASE_TABLE: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "override",
        0.92,
        _compile(
            [
                rf"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon)\b(?:\s+\w+){{0,3}}?\s+{_PRIOR}"
                rf"(?:\s+\w+){{0,2}}?\s+{_RULES}",
                r"\b(?:ignore|disregard|forget)\s+(?:everything|all(?: of)? (?:that|this|the above))\b",
                rf"\bnew\s+{_RULES}\s*:",
                r"\b(?:do not|don't)\s+follow\s+(?:the|your|any)\s+(?:previous|prior|original|above|earlier)",
                r"\binstead of (?:summari[sz]ing|answering|replying|doing|following|completing)\b",
                r"\bfrom now on,?\s+(?:you|your|act|respond|reply|always|only)\b",
                r"\bdecode\s+(?:this|the following|it)\b[^.\n]{0,30}\b(?:and|then)\s+(?:obey|follow|execute|"
                r"run|do|comply)",
                r"\b(?:stop|cease) (?:what you are|your current) (?:doing|task)",
                # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Russian, Chinese, Japanese.
                r"\b(?:ignorier\w*|vergiss\w*|missacht\w*|übergeh\w*)\b(?:\s+\w+){0,3}?\s+(?:vorherige\w*|"
                r"bisherige\w*|obige\w*|frühere\w*|alle\w*|deine\w*|ursprüngliche\w*)\s+(?:\w+\s+)?"
                r"(?:anweisungen|instruktionen|befehle|regeln|vorgaben|aufgaben)",
                r"\bneue\s+anweisungen?\s*:",
                r"\b(?:ignore[zs]?|oublie[zs]?|ne tiens pas compte)\b(?:\s+\w+){0,3}?\s+(?:les |tes |vos )?"
                r"(?:instructions|consignes|directives|règles)\s+(?:précédentes|antérieures|ci-dessus|"
                r"initiales|d'origine)",
                r"\b(?:ignor[ae]|olvid[ae]|descart[ae])\w*\b(?:\s+\w+){0,3}?\s+(?:las |tus |sus )?"
                r"(?:instrucciones|indicaciones|órdenes|reglas)\s+"
                r"(?:anteriores|previas|de arriba|originales)",
                r"\b(?:ignora|dimentica)\w*\b(?:\s+\w+){0,3}?\s+(?:le |tutte le )?(?:istruzioni|indicazioni)"
                r"\s+(?:precedenti|iniziali)",
                r"\bignor[ae]\w*\b(?:\s+\w+){0,3}?\s+(?:as |todas as )?instruções\s+(?:anteriores|prévias)",
                r"\bnegeer\b(?:\s+\w+){0,3}?\s+(?:de |alle )?(?:vorige|eerdere)\s+instructies",
                r"\bzignoruj\b(?:\s+\w+){0,3}?\s+(?:poprzednie|wcześniejsze)\s+(?:instrukcje|polecenia)",
                r"игнорируй\w*(?:\s+\w+){0,3}?\s+(?:предыдущие|прежние|все)\s+(?:инструкции|указания)",
                r"忽略(?:之前|以上|先前|所有)的?(?:指令|指示|说明)",
                r"(?:以前|前|上記)の指示を無視",
            ]
        ),
    ),
    (
        "addressed_to_ai",
        0.72,
        _compile(
            [
                rf"\b(?:dear|attention|note to|message for|hey|hello|hi|to)\s+(?:the\s+)?{_AI}s?\b\s*[,:!]",
                rf"\bif you are an?\s+(?:\w+\s+)?{_AI}\b",
                r"(?m:^)\s*(?:ai|ai assistant|ai agent|assistant|llm|chatbot|copilot)\s*:\s*(?=\S)",
                r"(?:(?m:^)|[\"'>]|[.!?]\s)\s*(?:ai|a\.i\.|assistant|ai assistant|ai agent|agent|llm|chatbot|"
                r"copilot|bot)\s*,",
                r"\b(?:ai|llm|language model|automated|autonomous)\s+(?:agents?|assistants?|models?|systems?)"
                r"\s+(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|crawling|that reads?)\b",
                r"\b(?:an alle|an die|liebe[rs]?)\s+(?:ki|ki-\w+|sprachmodelle?|assistent\w*)\b",
                r"\bfalls du eine ki\b|\bwenn du ein(?:e)? (?:ki|sprachmodell|assistent)",
                r"\bsi (?:tu es|vous êtes) (?:une? )?(?:ia|intelligence artificielle|assistant|modèle)",
                r"\bsi eres (?:una? )?(?:ia|inteligencia artificial|asistente|modelo)",
                rf"\byou are (?:now\s+)?(?:a|an|the|my)\s+(?:\w+\s+){{0,2}}?(?:{_AI}|dan|jailbroken|"
                r"unrestricted|unfiltered)\b",
                r"\byour (?:new |real |true |actual )?(?:task|goal|job|role|objective|mission|purpose)"
                r" (?:is|now is|has changed)\b",
                r"\b(?:act|behave|respond|pretend) as (?:if you (?:were|are) )?(?:a|an|the)\s+\w+",
                r"\b(?:system prompt|hidden instructions|jailbreak|developer mode|dan mode)\b",
            ]
        ),
    ),
    (
        "output_manipulation",
        0.35,
        _compile(
            [
                r"\b(?:add|include|integrate|insert|append|incorporate|embed|put|weave|mention|promote|"
                r"highlight|suggest|recommend|claim|state)\b[^.\n]{0,80}\b(?:in|to|into|within|throughout)\s+"
                r"your\s+(?:response|reply|answer|output|summary|message)\b",
                r"\b(?:in|within)\s+your\s+(?:response|reply|answer|output|summary)\s*,\s*(?:please\s+)?"
                r"(?:add|include|integrate|insert|append|incorporate|mention|promote|highlight|suggest|recommend|"
                r"claim|state|tell|remind|encourage|ask|invite|urge|advise|say)\b",
            ]
        ),
    ),
    (
        "output_manipulation",
        0.62,
        _compile(
            [
                r"\b(?:modify|change|alter|augment|enhance|rewrite|format|end|begin|start)\s+your\s+"
                r"(?:response|reply|answer|output|summary)\b",
                r"\byour\s+(?:response|reply|answer|output)(?:'s)?\s+(?:should|must|will)\b",
                r"\b(?:respond|reply|answer|write)\s+(?:only\s+)?(?:in|using|with)\s+(?:base\s?\d+|emojis?|"
                r"reverse|a (?:caesar|substitution) cipher|rot13|leetspeak|all caps|pig latin)",
                r"\b(?:encode|encrypt|reverse|scramble|jumble|misspell|anagram)\w*\s+(?:\w+\s+)?your\s+"
                r"(?:response|reply|answer|message|output)",
                r"\b(?:in|dans|en)\s+(?:deiner|ihrer|ta|votre|tu|su)\s+(?:antwort|réponse|respuesta)\b",
                # what the reader of the agent's reply should be told: a contact, a link, "users", "readers"
                _REPLY + r"[^.\n]{0,100}(?:" + _PLUG + r")",
                r"(?:" + _PLUG + r")[^.\n]{0,100}" + _REPLY,
            ]
        ),
    ),
    (
        "output_manipulation",
        0.2,
        _compile([r"\b(?:in|to|into|within)\s+your\s+(?:response|reply|answer|output|summary)\b"]),
    ),
    (
        "tool_request",
        0.55,
        _compile(
            [
                r"\b(?:call|invoke|use|run|execute|trigger)\s+(?:the\s+)?`?[\w.]+`?\s+(?:tool|function|api|plugin|"
                r"action|endpoint)\b",
                r"\b(?:email\.send|data\.export|crm\.update|crm\.create|sequence\.enroll|routing\.assign)\b",
                r"\b(?:send|forward|email|export|upload|post|transmit|leak|exfiltrate|share)\s+(?:\w+\s+){0,4}?"
                r"(?:all|every|the entire|the full|the complete|our|my)\s+(?:\w+\s+){0,2}?"
                r"(?:contacts?|leads?|"
                r"customer (?:list|data|records)|pipeline|crm (?:data|records)|deals?|emails|inbox|"
                r"conversations|"
                r"chat history|api keys?|passwords?|credentials|tokens?|secrets?|database)\b",
                r"\b(?:send|forward|export|upload|post|transmit)\b[^.\n]{0,80}\bto\s+"
                r"(?:https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+)[^.\n]{0,40}\b(?:immediately|now|silently|without)",
                r"!\[[^\]]*\]\(https?://[^)\s]+\?[^)\s]*=[^)\s]*\)",
                r"\b(?:visit|open|browse to|navigate to|fetch|load|click)\s+(?:this\s+)?(?:link\s+)?"
                r"(?:https?://|www\.)\S+\s+(?:and|then)\s+(?:follow|execute|do|run|obey)",
                r"\b(?:mark|set|update|change)\s+(?:this|the)\s+(?:lead|deal|account|contact|opportunity)\s+"
                r"(?:as|to)\s+(?:closed[- ]won|qualified|vip|high priority|do not contact)\b(?:[^.\n]{0,40})"
                r"\b(?:immediately|now|without)",
            ]
        ),
    ),
    (
        "secrecy",
        0.7,
        _compile(
            [
                r"\b(?:do not|don't|never)\s+(?:tell|inform|mention|reveal|disclose|alert|notify|show)\s+"
                r"(?:this\s+|these\s+|it\s+)?(?:to\s+)?(?:the\s+)?(?:user|human|operator|anyone|rep|"
                r"sales ?rep|recipient)",
                r"\bwithout (?:telling|informing|notifying|alerting|asking) (?:the )?"
                r"(?:user|human|operator|anyone)",
                r"\b(?:do not|don't|never) mention (?:this|these|the) (?:instructions?|message|note|request)",
                r"\bkeep (?:this|these instructions) (?:secret|hidden|confidential) from\b",
                r"\bsag(?:e)? (?:dem|der) (?:nutzer|benutzer)\w* nichts\b",
                r"\bne (?:le )?dis rien à l'utilisateur",
                r"\bno (?:le )?(?:digas|menciones) (?:nada )?(?:al|a el) usuario",
            ]
        ),
    ),
]

# Cheap substring gates (on the lower-cased text): a family's regex only runs when one is present.
_GATES: dict[str, tuple[str, ...]] = {
    "override": (
        "ignor",
        "disregard",
        "forget",
        "overrid",
        "bypass",
        "skip",
        "drop",
        "abandon",
        "neue",
        "follow",
        "new instruction",
        "new direction",
        "new rule",
        "new prompt",
        "new task",
        "new command",
        "new order",
        "instead of",
        "from now on",
        "stop",
        "cease",
        "vergiss",
        "missacht",
        "übergeh",
        "oubli",
        "tiens pas",
        "olvid",
        "descart",
        "dimentic",
        "negeer",
        "zignoruj",
        "игнор",
        "忽略",
        "無視",
        "decode",
    ),
    "output_manipulation": (
        "your",
        "respond",
        "reply",
        "answer",
        "deiner",
        "ihrer",
        " ta ",
        "votre",
        " tu ",
        " su ",
    ),
    "tool_request": (
        "tool",
        "function",
        "api",
        "plugin",
        "endpoint",
        ".send",
        ".export",
        "crm.",
        "sequence.",
        "routing.",
        "contact",
        "lead",
        "customer",
        "pipeline",
        "deal",
        "inbox",
        "history",
        "key",
        "password",
        "credential",
        "token",
        "secret",
        "database",
        "![",
        "follow",
        "execute",
        "obey",
        "closed",
        "qualified",
        "vip",
        "priority",
        "conversations",
        "emails",
        "immediately",
        "silently",
        "without",
    ),
    "secrecy": (
        "tell",
        "inform",
        "mention",
        "reveal",
        "disclose",
        "alert",
        "notify",
        "show",
        "without",
        "keep",
        "nichts",
        "dis rien",
        "digas",
        "menciones",
    ),
}
_PHRASES = [(kind, weight, _GATES.get(kind), pattern) for kind, weight, pattern in _PHRASE_TABLE]

_ROLE_MARKERS = re.compile(
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>"
    r"|\[/?(?:system|inst|sys|assistant|admin)\]|<</?SYS>>|</?system>"
    r"|^\s*#{2,}\s*(?:instruction|system|response|new instructions?)\b"
    r"|^\s*(?:system|assistant|developer)\s*(?:prompt|message|override)?\s*:\s*(?=\S)"
    r"|\b(?:begin|end) (?:system|admin) (?:prompt|message|instructions?)\b"
    r"|```\s*system\b",
    re.IGNORECASE | re.MULTILINE,
)
_STRONG_MARKER = re.compile(r"<\||\|>|\[/?inst\]|<</?sys>>|\[system\]|</?system>|#{2,}", re.IGNORECASE)

_HTML_COMMENT = re.compile(r"<!--(.*?)(?:-->|$)", re.DOTALL)
_HIDDEN_STYLE = (
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:[;\"']|$)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:[;\"']|$)|(?<![-\w])color\s*:\s*(?:#fff(?:fff)?\b|white\b|"
    r"rgba?\(\s*255\s*,\s*255\s*,\s*255)|height\s*:\s*0(?:px)?\s*;[^\"']*overflow\s*:\s*hidden"
    r"|left\s*:\s*-\d{3,}px|text-indent\s*:\s*-\d{3,}"
)
_HIDDEN_ELEMENT = re.compile(
    r"<(?P<tag>[a-zA-Z][\w-]*)\b(?P<attrs>[^>]*?(?:style\s*=\s*[\"'][^\"']*(?:"
    + _HIDDEN_STYLE
    + r")[^\"']*[\"']|\shidden(?:\s|=|>|/)|aria-hidden\s*=\s*[\"']true)[^>]*)>(?P<body>.*?)</(?P=tag)\s*>",
    re.IGNORECASE | re.DOTALL,
)
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{20,}={0,2}(?![A-Za-z0-9+/=])")
_B64_ALPHABET_MIX = re.compile(r"[a-z].*[A-Z]|[A-Z].*[a-z]")


def find_hidden_spans(text: str) -> list[tuple[str, int, int, int, int]]:
    """Hidden regions as (kind, outer_start, outer_end, inner_start, inner_end)."""
    spans: list[tuple[str, int, int, int, int]] = []
    if "<!--" in text:
        for m in _HTML_COMMENT.finditer(text):
            spans.append(("hidden_html_comment", m.start(), m.end(), m.start(1), m.end(1)))
    if "<" in text:
        for m in _HIDDEN_ELEMENT.finditer(text):
            spans.append(("hidden_css", m.start(), m.end(), m.start("body"), m.end("body")))
    return spans


def _is_texty(raw: bytes) -> str | None:
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not s or sum(ch.isprintable() or ch in "\n\t" for ch in s) < 0.97 * len(s):
        return None
    letters = sum(ch.isalpha() or ch == " " for ch in s)
    if letters < 0.75 * len(s) or len(_WORD.findall(s)) < 3 or " " not in s.strip():
        return None
    return s


def decode_base64_runs(text: str) -> list[tuple[int, int, str]]:
    """Base64 runs that decode to natural-language text: (start, end, decoded)."""
    out: list[tuple[int, int, str]] = []
    for m in _B64_RUN.finditer(text):
        run = m.group(0)
        if not _B64_ALPHABET_MIX.search(run):
            continue
        padded = run + "=" * (-len(run) % 4)
        try:
            raw = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _is_texty(raw)
        if decoded is not None:
            out.append((m.start(), m.end(), decoded))
    return out


def phrase_hits(norm: str, offset: int = 0) -> list[RuleHit]:
    """Instruction-phrase rules (override, address to an AI, output changes, tools, secrecy)."""
    hits: list[RuleHit] = []
    lower = norm.lower()
    for kind, weight, gate, pattern in _PHRASES:
        if gate is not None and not any(g in lower for g in gate):
            continue
        for m in pattern.finditer(norm):
            snippet = " ".join(m.group(0).split())[:80]
            hits.append(RuleHit(kind, weight, snippet, m.start() + offset, m.end() + offset))
    for m in _ROLE_MARKERS.finditer(norm):
        weight = 0.85 if _STRONG_MARKER.search(m.group(0)) else 0.4
        snippet = " ".join(m.group(0).split())[:80]
        hits.append(RuleHit("role_marker", weight, snippet, m.start() + offset, m.end() + offset))
    return hits


_COMMON = frozenset(
    re.findall(
        r"\w+",
        "the and to of a in you your is for that this it with be on as are all or not do if any please "
        "from now must will an by at send write what how ignore instructions assistant",
    )
)
_ALPHA_WORD = re.compile(r"[A-Za-z]+")


def _common_ratio(line: str) -> float:
    words = _ALPHA_WORD.findall(line.lower())
    return sum(w in _COMMON for w in words) / len(words) if len(words) >= 4 else 0.0


def rot13_lines(text: str) -> list[tuple[int, int, str]]:
    """Lines whose rot13 decoding reads like English much more than the line itself."""
    out: list[tuple[int, int, str]] = []
    decoded_all = codecs.decode(text, "rot13")
    pos = 0
    for m in _PIECE.finditer(text):
        start, end = pos, m.start()
        pos = m.end()
        if end - start >= 20:
            dec = decoded_all[start:end]
            ratio = _common_ratio(dec)
            if ratio >= 0.2 and ratio - _common_ratio(text[start:end]) >= 0.15:
                out.append((start, end, dec))
    return out


_PIECE = re.compile(r"\n|(?<=[:.!?;])\s+|\"|$")


def _homoglyph_hits(text: str) -> list[RuleHit]:
    hits: list[RuleHit] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if len(word) > 2 and _LATIN.search(word) and _NONLATIN_LOOKALIKE.search(word):
            hits.append(RuleHit("homoglyph", 0.35, f"mixed-script word {word!r}", m.start(), m.end()))
    if len(hits) > 1:
        boosted = min(0.9, 0.35 + 0.15 * len(hits))
        return [RuleHit(h.kind, boosted, h.detail, h.start, h.end) for h in hits]
    return hits


def structural_hits(text: str) -> list[RuleHit]:
    """Signals that do not depend on wording: hidden chars, mixed scripts, rot13."""
    hits: list[RuleHit] = []
    zw = [m.start() for m in _HIDDEN_CHAR_RE.finditer(text)]
    if zw:
        inside_words = sum(
            1 for i in zw if 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        )
        bidi = sum(1 for i in zw if text[i] in BIDI and text[i] not in "\u200e\u200f")
        names = sorted({unicodedata.name(text[i], hex(ord(text[i]))) for i in zw})[:3]
        weight = 0.15 + (0.35 if inside_words >= 3 else 0.0) + (0.3 if bidi else 0.0)
        detail = f"{len(zw)} invisible/bidi control char(s): {', '.join(names)}"
        hits.append(RuleHit("hidden_chars", min(weight, 0.8), detail, zw[0], zw[-1] + 1))
    if any(ord(ch) > 0x36F for ch in text):
        hits.extend(_homoglyph_hits(text))
    return hits
