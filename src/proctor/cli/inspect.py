"""`proctor inspect`: the content-check results for one request (PII, terms, topics, claims vs evidence)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from proctor.cli.io import dumps, read_object
from proctor.domain.actions import CATALOGUE, ActionSpec, AnyParams, Category, Reversibility
from proctor.domain.errors import RequestError
from proctor.domain.requests import ActionRequest
from proctor.inspect.claims import extract_claims, match_claims
from proctor.inspect.pii import find_pii
from proctor.inspect.topics import find_sensitive_topics
from proctor.policy.compile import CompiledPolicy, load_policy
from proctor.policy.derived import derive, outbound_text

STARTER_POLICY = Path(__file__).resolve().parent.parent / "templates" / "policy.yaml"


def inspect_request(policy: CompiledPolicy, data: dict[str, Any]) -> dict[str, Any]:
    """Run every content check on a request's outbound text and report each finding."""
    try:
        request = ActionRequest.model_validate(data)
    except Exception as exc:
        raise RequestError(f"invalid request: {exc}".splitlines()[0], field="request") from None
    spec = CATALOGUE.get(request.action) or ActionSpec(
        request.action, Category.SEND, Reversibility.NONE, AnyParams, "none"
    )
    derived = derive(spec, request.params)
    subject, body = outbound_text(request.params)
    text = f"{subject}\n{body}" if subject else body
    facts = request.evidence.facts if request.evidence else []
    claims = match_claims(extract_claims(body), facts, min_confidence=policy.document.evidence.min_confidence)
    pii = find_pii(text, allowed_emails=(derived.sender, *derived.recipients))
    industry = request.facts.resource.get("industry")
    return {
        "pii": [{"kind": f.kind, "start": f.start, "end": f.end, "redacted": f.redacted} for f in pii],
        "blocked_terms": policy.blocked_terms.find(text),
        "competitors": policy.competitors.find(text),
        "sensitive_topics": [asdict(t) for t in find_sensitive_topics(text)],
        "restricted_industry": industry
        if isinstance(industry, str) and industry.lower() in policy.restricted_industries
        else None,
        "claims": [
            {
                "sentence": r.claim.sentence,
                "kind": r.claim.kind,
                "value": r.claim.value,
                "supported": r.supported,
                "fact_index": r.fact_index,
                "detail": r.detail,
            }
            for r in claims
        ],
        "unsupported_claims": sum(1 for r in claims if not r.supported),
    }


def inspect_command(
    request: Annotated[str, typer.Option("--request", "-r", help="Request JSON file, or - for stdin.")] = "-",
    policy: Annotated[
        Path, typer.Option("--policy", "-p", help="Policy whose lists to use.")
    ] = STARTER_POLICY,
) -> None:
    """Print the content-check results for one request as JSON."""
    typer.echo(dumps(inspect_request(load_policy(policy), read_object(request))))
