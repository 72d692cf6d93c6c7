"""Outbound content checks of SPEC §6 wired to the policy: terms, competitors, PII, industries, evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from proctor.domain.decisions import Effect
from proctor.domain.requests import ActionRequest
from proctor.inspect.claims import match_claims, unsupported
from proctor.inspect.pii import PiiFinding
from proctor.inspect.text_scan import TextScan
from proctor.inspect.topics import TopicFinding
from proctor.policy.compile import CompiledPolicy
from proctor.policy.derived import Derived, outbound_text
from proctor.policy.verdict import Verdict


@dataclass(frozen=True, slots=True)
class ContentFindings:
    """What the content checks found, kept for the risk triggers."""

    pii: tuple[PiiFinding, ...] = ()
    topics: tuple[TopicFinding, ...] = ()


NO_FINDINGS = ContentFindings()


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_name_of(address: str) -> str:
    local = address.split("@", 1)[0]
    return local.split(".", 1)[0].capitalize() if local else ""


def check_content(
    policy: CompiledPolicy, request: ActionRequest, derived: Derived, verdict: Verdict, *, enforce: bool
) -> ContentFindings:
    """Run the outbound checks; with enforce=False (drafts) they are reported without changing the effect."""
    subject, body = outbound_text(request.params)
    scan = TextScan(subject, body)  # what the checks share: the lower-cased text, one stem scan
    text = scan.text
    content = policy.document.content

    def apply(effect: Effect, reason: str) -> None:
        if enforce:
            verdict.add(effect, reason)

    if text:
        blocked = scan.terms(policy.blocked_terms)
        verdict.check(
            "blocked_terms", not blocked, f"found: {', '.join(blocked)}" if blocked else "none found"
        )
        if blocked:
            apply(content.blocked_terms, f"content contains blocked terms: {', '.join(blocked)}")
        rivals = scan.terms(policy.competitors)
        verdict.check("competitors", not rivals, f"found: {', '.join(rivals)}" if rivals else "none found")
        if rivals:
            apply(content.competitors, f"content names competitors: {', '.join(rivals)}")
    pii = tuple(scan.pii((derived.sender, *derived.recipients))) if text else ()
    if text:
        kinds = sorted({f.kind for f in pii})
        verdict.check("pii", not pii, f"found: {', '.join(kinds)}" if pii else "none found")
        if pii:
            apply(content.pii, f"content contains PII: {', '.join(kinds)}")
    industry = request.facts.resource.get("industry")
    if isinstance(industry, str) and industry.lower() in policy.restricted_industries:
        verdict.check("restricted_industries", False, f"target account industry is {industry}")
        apply(content.restricted_industries, f"target account is in a restricted industry: {industry}")
    _check_protected(policy, request.params, verdict, enforce=enforce)
    if policy.evidence_required(request.action) and body:
        _check_evidence(policy, request, derived, scan, verdict, enforce=enforce)
    topics = tuple(scan.topics()) if text else ()
    return ContentFindings(pii=pii, topics=topics)


def _check_protected(
    policy: CompiledPolicy, params: dict[str, Any], verdict: Verdict, *, enforce: bool
) -> None:
    """Protected fields never leave: not as exported fields, not as parameters of a send."""
    if not policy.protected_fields:
        return
    requested: set[str] = set(params)
    fields = params.get("fields")
    if isinstance(fields, list | dict):
        requested.update(str(f) for f in fields)
    leaked = sorted(requested & policy.protected_fields)
    verdict.check(
        "protected_fields", not leaked, f"requested: {', '.join(leaked)}" if leaked else "none requested"
    )
    if leaked and enforce:
        verdict.deny(f"protected fields never leave: {', '.join(leaked)} (content.protected_fields)")


def _check_evidence(
    policy: CompiledPolicy,
    request: ActionRequest,
    derived: Derived,
    scan: TextScan,
    verdict: Verdict,
    *,
    enforce: bool,
) -> None:
    """No receipts, no send: every specific claim must be supported by a fact in the receipt."""
    facts = request.evidence.facts if request.evidence else []
    # The recipients' first names and the sender's own company are not claims that need a receipt.
    ignore = [n for n in (_first_name_of(a) for a in derived.recipients) if n]
    if derived.sender_domain:
        ignore.append(derived.sender_domain.split(".", 1)[0].capitalize())
    results = match_claims(
        scan.claims(), facts, min_confidence=policy.document.evidence.min_confidence, ignore=ignore
    )
    missing = unsupported(results)
    total = len(results)
    verdict.check("evidence", not missing, f"{total - len(missing)}/{total} claims supported")
    if missing and enforce:
        by_sentence: dict[str, list[str]] = {}
        for r in missing:
            by_sentence.setdefault(r.claim.sentence, []).append(repr(r.claim.value))
        shown = list(by_sentence.items())[:3]
        listed = "; ".join(f"{', '.join(values)} in “{_quote(sentence)}”" for sentence, values in shown)
        more = f" and {len(by_sentence) - 3} more sentence(s)" if len(by_sentence) > 3 else ""
        verdict.add(
            policy.document.evidence.unsupported_claims,
            f"{len(missing)} claim(s) not supported by the receipt: {listed}{more}",
        )
