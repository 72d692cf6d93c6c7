"""`proctor init`, `proctor serve` and `proctor db upgrade`: set up a home, run the HTTP API, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from proctor.cli.admin import ensure_default_workspace, open_services
from proctor.cli.io import dumps

db_app = typer.Typer(no_args_is_help=True, help="Database schema migrations.")


def init_command(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Where to put the policy, keys and database (default: PROCTOR_HOME or .)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
    sample_data: Annotated[
        bool, typer.Option("--sample-data", help="Seed the sandbox CRM with deterministic sample records.")
    ] = False,
) -> None:
    """Write a starter policy, a keys file and an embedded SQLite database with a default workspace."""
    from proctor.bootstrap import build, init_home
    from proctor.config import Settings

    home = directory if directory is not None else Settings().home
    result = init_home(home)
    services = build(Settings(home=Path(result.home)))
    seeded: dict[str, Any] | None = None
    try:
        workspace = ensure_default_workspace(services)
        if sample_data and services.gate.connectors is not None:
            from proctor.connectors.sandbox_crm import seed

            path = services.gate.connectors.crm_path(workspace["id"])
            path.parent.mkdir(parents=True, exist_ok=True)
            crm = seed(path)
            seeded = {
                "path": str(path),
                "counts": {o: crm.count(o) for o in ("account", "contact", "lead", "opportunity")},
            }
            crm.close()
    finally:
        services.close()
    out = {
        "home": result.home,
        "policy_path": result.policy_path,
        "keys_path": result.keys_path,
        "database_url": result.database_url,
        "created": result.created,
        "workspace": {"id": workspace["id"], "name": workspace["name"]},
    }
    if seeded is not None:
        out["sandbox_crm"] = seeded
    if as_json:
        typer.echo(dumps(out))
        return
    typer.echo(f"proctor home: {result.home}")
    for item in result.created:
        typer.echo(f"  created {item}")
    typer.echo(f"  workspace {workspace['name']} ({workspace['id']})")
    if seeded is not None:
        typer.echo(f"  sandbox CRM {seeded['path']}: {seeded['counts']}")
    typer.echo("next: export PROCTOR_HOME=" + result.home + " && proctor serve")


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8700,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Server processes (uvicorn workers, each with its own writer and approval worker). Limits "
            "and the audit chain stay exact across them; a key revoked through one process is refused by "
            "the others within 2 s (their key cache).",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json); applies database migrations on start."""
    import uvicorn

    from proctor.api import create_app
    from proctor.config import Settings

    if workers > 1:
        from proctor.store.migrate import upgrade

        settings = Settings()
        settings.keyring()  # refuse to start without real keys before spawning anything
        upgrade(settings.database_url)  # once, before the workers start
        uvicorn.run(
            "proctor.api.app:app_from_settings",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=access_log,
        )
        return
    with open_services(migrate=True) as services:
        app = create_app(services, server=True)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
) -> None:
    """Apply database migrations up to `revision` (default: head)."""
    from proctor.config import Settings
    from proctor.store.migrate import upgrade

    settings = Settings()
    at = upgrade(settings.database_url, revision)
    typer.echo(dumps({"database_url": _safe_url(settings.database_url), "revision": at}))


def _safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL the store refused already raised; never print secrets
        return "<database>"
