"""Signing in and out of the console: local passwords, CSRF, one-time links, sessions."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tests.console.conftest import ConsoleEnv, sign_in

from proctor.console import signin_links


def _csrf(client: httpx.Client, env: ConsoleEnv) -> str:
    page = client.get(f"{env.url}/console/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def test_the_console_requires_sign_in(console_env: ConsoleEnv) -> None:
    response = httpx.get(f"{console_env.url}/console/inbox", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=/console/inbox")
    root = httpx.get(f"{console_env.url}/", follow_redirects=True)
    assert "Sign in to Proctor" in root.text


def test_wrong_password_and_missing_csrf_are_refused(console_env: ConsoleEnv) -> None:
    maria = console_env.people["maria"]
    with httpx.Client() as client:
        token = _csrf(client, console_env)
        bad = client.post(
            f"{console_env.url}/console/login",
            data={"email": maria.email, "password": "not the password", "csrf_token": token},
        )
        assert bad.status_code == 401
        assert "do not match an account" in bad.text
        forged = client.post(
            f"{console_env.url}/console/login", data={"email": maria.email, "password": maria.password}
        )
        assert forged.status_code == 403
        assert "did not come from this console" in forged.text
        good = client.post(
            f"{console_env.url}/console/login",
            data={
                "email": maria.email,
                "password": maria.password,
                "csrf_token": token,
                "next": "/console/inbox",
            },
            follow_redirects=False,
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/console/inbox"
        cookie = good.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert maria.password not in good.text


def test_open_redirects_are_refused(console_env: ConsoleEnv) -> None:
    maria = console_env.people["maria"]
    with httpx.Client() as client:
        token = _csrf(client, console_env)
        response = client.post(
            f"{console_env.url}/console/login",
            data={
                "email": maria.email,
                "password": maria.password,
                "csrf_token": token,
                "next": "//evil.example/phish",
            },
            follow_redirects=False,
        )
    assert response.headers["location"] == "/console/inbox"


def test_sign_in_link_works_once(console_env: ConsoleEnv) -> None:
    lee = console_env.people["lee"]
    path = signin_links.issue(console_env.services, console_env.ws, lee.id)
    with httpx.Client() as client:
        first = client.get(f"{console_env.url}{path}", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/console/inbox"
    with httpx.Client() as client:
        again = client.get(f"{console_env.url}{path}", follow_redirects=False)
        assert again.status_code == 401
        assert "already used" in again.text
        forged = client.get(f"{console_env.url}{path[:-4]}abcd", follow_redirects=False)
        assert forged.status_code == 401


@pytest.mark.browser
def test_sign_in_and_out_in_a_browser(console_env: ConsoleEnv, new_page: Any) -> None:
    page = sign_in(new_page(), console_env, "maria")
    assert page.locator("header .who").inner_text().startswith("Maria Rep")
    page.click("text=Sign out")
    page.wait_for_url("**/console/login")
    page.goto(f"{console_env.url}/console/inbox")
    page.wait_for_url(re.compile(r".*/console/login\?next=/console/inbox$"))


@pytest.mark.browser
def test_narrow_window_still_shows_the_navigation(console_env: ConsoleEnv, new_page: Any) -> None:
    page = sign_in(new_page(width=375, height=700), console_env, "ada")
    assert page.locator("nav[aria-label=Main]").is_visible()


def test_repeated_wrong_passwords_lock_the_account_for_a_while(console_env: ConsoleEnv) -> None:
    admin = console_env.services.admin
    user = admin.create_user(console_env.ws, "tess@acme.io", "Tess Temp", ["rep"])
    admin.set_password(console_env.ws, user["id"], "the right one, at last")
    with httpx.Client() as client:
        token = _csrf(client, console_env)
        url = f"{console_env.url}/console/login"
        for _ in range(5):
            wrong = client.post(url, data={"email": "tess@acme.io", "password": "guess", "csrf_token": token})
            assert wrong.status_code == 401
        locked = client.post(
            url, data={"email": "TESS@acme.io", "password": "the right one, at last", "csrf_token": token}
        )
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.text
        assert 60 <= int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    maria = console_env.people["maria"]
    with httpx.Client() as other:
        fine = other.post(
            f"{console_env.url}/console/login",
            data={"email": maria.email, "password": maria.password, "csrf_token": _csrf(other, console_env)},
            follow_redirects=False,
        )
        assert fine.status_code == 303  # another account from the same address is not locked out


def test_console_pages_forbid_framing_and_foreign_scripts(console_env: ConsoleEnv) -> None:
    page = httpx.get(f"{console_env.url}/console/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"  # pages hold customer data: never cached
    assert "<script>" not in page.text  # every script is a file of the console's own
    static = httpx.get(f"{console_env.url}/console/static/console.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")
