"""The first real-Chromium check: the banner works with JavaScript off."""

from __future__ import annotations

import pytest
from conftest import build_app


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "java_script_enabled": False}


def test_reject_all_without_javascript_sets_cookie_and_hides_banner(page, live_server, tmp_path):  # C32, C7
    app = build_app(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path / "inst"))
    server = live_server(app)
    page.goto(server.url + "/")
    banner = page.locator("#consent-banner")
    assert banner.is_visible()
    page.get_by_role("button", name="Reject all").click()
    page.wait_for_load_state()
    assert page.locator("#consent-banner").count() == 0
    assert page.locator("#consent-reopen").is_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["consent"]["httpOnly"] is True
    assert app.extensions["consent"].store.count() == 1
