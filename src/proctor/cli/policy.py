"""`proctor decide` and `proctor policy test|lint|version`: dry runs of the pure engine."""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from proctor.cli.io import dumps, read_object
from proctor.domain.actions import CATALOGUE
from proctor.domain.errors import PolicyError
from proctor.policy.cases import CaseResult, parse_cases, run_case
from proctor.policy.compile import CompiledPolicy, load_policy
from proctor.policy.evaluate import decide
from proctor.policy.loader import parse_yaml, read_policy_text
from proctor.policy.model import TRIGGERS

app = typer.Typer(no_args_is_help=True, help="Test, lint and inspect policy files.")
console = Console(soft_wrap=True)


def with_clock(request: dict[str, Any]) -> dict[str, Any]:
    """Fill `facts.now` with the current UTC time when a dry run did not give one."""
    facts = request.get("facts")
    if facts is None:
        return {**request, "facts": {"now": datetime.now(UTC).isoformat()}}
    if isinstance(facts, dict) and "now" not in facts:
        return {**request, "facts": {**facts, "now": datetime.now(UTC).isoformat()}}
    return request


def decide_command(
    policy: Annotated[Path, typer.Option("--policy", "-p", help="The policy file (YAML).")],
    request: Annotated[str, typer.Option("--request", "-r", help="Request JSON file, or - for stdin.")] = "-",
) -> None:
    """Print the decision (SPEC §4 JSON) for one request; no side effects."""
    compiled = load_policy(policy)
    decision = decide(compiled, with_clock(read_object(request)))
    typer.echo(dumps(decision.model_dump(mode="json")))


def _case_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted([*path.glob("*.tests.yaml"), *path.glob("*.tests.yml")])
        if not files:
            raise PolicyError("no *.tests.yaml files in this folder", file=str(path))
        return files
    return [path]


def _show_failure(result: CaseResult) -> None:
    console.print(f"[red]✗ {result.case.name}[/red]")
    for key, want, got in result.mismatches:
        console.print(f"    {key}:  [green]- expected {want!r}[/green]")
        console.print(f"    {' ' * len(key)}   [red]+ got      {got!r}[/red]")
    for reason in result.decision.reasons:
        console.print(f"    reason: {reason}", markup=False, highlight=False)


@app.command("test")
def run_cases_command(
    path: Annotated[Path, typer.Argument(help="A *.tests.yaml file, or a folder of them.")],
    policy: Annotated[
        Path | None, typer.Option("--policy", "-p", help="Override the file's `policy:`.")
    ] = None,
) -> None:
    """Run policy test cases (request + expected decision); exit 1 when any case fails."""
    failed = total = 0
    for file in _case_files(path):
        text, name = read_policy_text(file)
        data, _ = parse_yaml(text, file=name)
        policy_ref, cases = parse_cases(data, file=name)
        target = policy or (file.parent / policy_ref if policy_ref else None)
        if target is None:
            raise PolicyError("no policy given: add `policy:` to the file or pass --policy", file=name)
        compiled = load_policy(target)
        console.print(f"[bold]{name}[/bold] against {compiled.name} ({compiled.version[:19]}…)")
        for case in cases:
            total += 1
            result = run_case(compiled, case)
            if result.passed:
                console.print(f"[green]✓[/green] {case.name}")
            else:
                failed += 1
                _show_failure(result)
    colour = "red" if failed else "green"
    console.print(f"[{colour}]{total - failed} passed, {failed} failed[/{colour}]")
    if failed:
        raise typer.Exit(1)


def lint_warnings(compiled: CompiledPolicy) -> list[str]:
    """Things that load fine but are probably mistakes."""
    doc = compiled.document
    warnings: list[str] = []
    names = CATALOGUE.names()
    for pattern in doc.actions:
        if not any(fnmatchcase(n, pattern) for n in names):
            warnings.append(f"actions.{pattern}: matches no action in the catalogue")
    for trigger in TRIGGERS:
        if trigger not in doc.risk.triggers:
            warnings.append(f"risk.triggers.{trigger}: no weight given (counts as 0)")
    for item in (*doc.limits, *doc.budgets):
        if not any(fnmatchcase(n, item.action) for n in names):
            warnings.append(f"{item.name}: action pattern {item.action!r} matches no action")
    for pattern in doc.evidence.required_for:
        if not any(fnmatchcase(n, pattern) for n in names):
            warnings.append(f"evidence.required_for: {pattern!r} matches no action")
    uncovered = [n for n in names if compiled.rule_for(n) is None]
    if uncovered:
        warnings.append(f"no rule for {', '.join(uncovered)} (these are denied by default)")
    return warnings


@app.command("lint")
def lint_command(
    file: Annotated[Path, typer.Argument(help="The policy file (YAML).")],
    strict: Annotated[bool, typer.Option(help="Exit 1 when there are warnings.")] = False,
) -> None:
    """Load and compile a policy, report errors (exit 2) and likely mistakes (warnings)."""
    compiled = load_policy(file)
    warnings = lint_warnings(compiled)
    for warning in warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False)
    console.print(
        f"[green]ok[/green]: {compiled.name} maturity {compiled.maturity} {compiled.version}", highlight=False
    )
    if strict and warnings:
        raise typer.Exit(1)


@app.command("version")
def version_command(file: Annotated[Path, typer.Argument(help="The policy file (YAML).")]) -> None:
    """Print the policy version (SHA-256 of its canonical form)."""
    typer.echo(load_policy(file).version)
