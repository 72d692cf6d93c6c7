"""Single sign-on against a local OpenID Connect provider: PKCE + state + nonce, ID tokens validated,
people matched by linked subject or verified email, nobody provisioned."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from tests.console.conftest import ConsoleEnv, free_port
from tests.console.oidc_provider import LocalProvider, serve_provider


@pytest.fixture(scope="module")
def idp(console_env: ConsoleEnv) -> Iterator[LocalProvider]:
    """A local identity provider, and the console configured to use it (workspace acme)."""
    settings = console_env.services.settings
    with serve_provider(free_port()) as provider:
        saved = (
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret,
            settings.oidc_workspace,
        )
        settings.oidc_issuer = provider.issuer
        settings.oidc_client_id = provider.client_id
        settings.oidc_client_secret = SecretStr(provider.client_secret)
        settings.oidc_workspace = "acme"
        try:
            yield provider
        finally:
            (
                settings.oidc_issuer,
                settings.oidc_client_id,
                settings.oidc_client_secret,
                settings.oidc_workspace,
            ) = saved


def _sso(env: ConsoleEnv, client: httpx.Client | None = None) -> httpx.Response:
    """Start single sign-on and follow every redirect (console → provider → callback → page)."""
    if client is None:
        with httpx.Client(follow_redirects=True, timeout=30) as own:
            return _sso(env, own)
    return client.get(f"{env.url}/console/login/oidc?next=/console/agents")


def test_the_login_page_offers_single_sign_on(console_env: ConsoleEnv, idp: LocalProvider) -> None:
    page = httpx.get(f"{console_env.url}/console/login")
    assert "Sign in with single sign-on" in page.text


def test_a_verified_email_signs_in_and_links_the_subject(console_env: ConsoleEnv, idp: LocalProvider) -> None:
    raj = console_env.people["raj"]
    idp.mode = "ok"
    idp.user = {"sub": "idp-raj-1", "email": raj.email, "email_verified": True, "name": "Raj"}
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        response = _sso(console_env, client)
        assert response.status_code == 200
        assert str(response.url).endswith("/console/agents")
        assert "Raj Rep" in response.text
        sent = idp.authorize_requests[-1]
        assert sent["code_challenge_method"] == "S256" and sent["code_challenge"]
        assert sent["state"] and sent["nonce"]
        assert idp.pkce_verified >= 1
    # Linked now: the same subject signs in even after the email changed at the provider.
    idp.user = {"sub": "idp-raj-1", "email": "raj.new@acme.io", "email_verified": True}
    assert "Raj Rep" in _sso(console_env).text
    events, _ = console_env.services.admin.audit_query(console_env.ws, {"kind": "admin", "user_id": None})
    assert any(e["detail"].get("change") == "user.oidc_link" for e in events)


def test_unknown_and_unverified_people_are_refused(console_env: ConsoleEnv, idp: LocalProvider) -> None:
    idp.mode = "ok"
    idp.user = {"sub": "idp-stranger", "email": "stranger@acme.io", "email_verified": True}
    response = _sso(console_env)
    assert response.status_code == 403
    assert "stranger@acme.io has no Proctor account in workspace acme" in response.text
    assert "never created at sign-in" in response.text
    kim = console_env.people["kim"]
    idp.user = {"sub": "idp-kim", "email": kim.email, "email_verified": False}
    response = _sso(console_env)
    assert response.status_code == 403
    assert "has not verified" in response.text
    # Someone of another workspace is not matched through the configured one.
    outsider = console_env.people["outsider"]
    idp.user = {"sub": "idp-otto", "email": outsider.email, "email_verified": True}
    response = _sso(console_env)
    assert response.status_code == 403
    assert "no Proctor account in workspace acme" in response.text


@pytest.mark.parametrize("mode", ["wrong_audience", "wrong_nonce"])
def test_a_bad_id_token_is_refused(console_env: ConsoleEnv, idp: LocalProvider, mode: str) -> None:
    kim = console_env.people["kim"]
    idp.mode = mode
    idp.user = {"sub": f"idp-kim-{mode}", "email": kim.email, "email_verified": True}
    try:
        with httpx.Client(follow_redirects=True, timeout=30) as client:
            response = _sso(console_env, client)
            assert response.status_code == 401
            assert "Single sign-on failed" in response.text
            assert client.get(f"{console_env.url}/console/inbox").url.path == "/console/login"
    finally:
        idp.mode = "ok"


def test_a_forged_callback_is_refused(console_env: ConsoleEnv, idp: LocalProvider) -> None:
    with httpx.Client(follow_redirects=True) as client:
        response = client.get(f"{console_env.url}/console/login/oidc/callback?code=abc&state=forged")
    assert response.status_code == 401
    assert "Single sign-on failed" in response.text


@pytest.mark.browser
def test_oidc_sign_in_in_a_browser(console_env: ConsoleEnv, idp: LocalProvider, new_page: Any) -> None:
    lee = console_env.people["lee"]
    idp.mode = "ok"
    idp.user = {"sub": "idp-lee", "email": lee.email, "email_verified": True, "name": "Lee"}
    page = new_page()
    page.goto(f"{console_env.url}/console/login")
    page.click("text=Sign in with single sign-on")
    page.wait_for_url(re.compile(r".*/console/inbox.*"))
    assert page.locator("header .who").inner_text().startswith("Lee Manager")
