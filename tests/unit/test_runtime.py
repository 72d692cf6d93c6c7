"""settle_heap: what a server calls once after start-up."""

from __future__ import annotations

import gc

from proctor.runtime import settle_heap


def test_settle_heap_freezes_what_is_alive_and_keeps_collecting() -> None:
    try:
        kept = [object() for _ in range(10)]
        frozen = settle_heap()
        assert frozen == gc.get_freeze_count() > len(kept)
        assert gc.isenabled()
        cycle: list[object] = []
        cycle.append(cycle)  # garbage made after start-up is still collected
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()


def test_a_server_app_settles_its_heap_at_start_up_and_a_library_app_does_not(tmp_path: object) -> None:
    """`proctor serve` builds its app with server=True: start-up freezes; an embedded app leaves GC alone."""
    from pathlib import Path

    from fastapi.testclient import TestClient

    from proctor.api import create_app
    from proctor.bootstrap import build, init_home
    from proctor.config import Settings

    home = Path(str(tmp_path))
    init_home(home)
    services = build(Settings(home=home, database_url=f"sqlite:///{home}/proctor.db"), migrate=True)
    try:
        gc.unfreeze()
        with TestClient(create_app(services)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(services, server=True)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 10_000  # the app, the policy, the firewall model
    finally:
        gc.unfreeze()
        services.close()
