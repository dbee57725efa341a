"""The consent dashboard in real Chromium: it renders, and axe-core finds no accessibility violation."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from conftest import build_app
from consent_log_data import Req, synthetic

from flask_consent.dashboard import make_dashboard
from flask_consent.store import _to_row, records

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard.png"


def queue() -> list[Req]:
    today = date.today()

    def opened(days_ago: int, kind: str, status: str) -> Req:
        created = today - timedelta(days=days_ago)
        return Req(kind, created, created + timedelta(days=15), created + timedelta(days=40), status,
                   overdue=days_ago > 15)

    return [opened(3, "access", "open"), opened(22, "deletion", "in progress"), opened(9, "correction", "open")]


def test_dashboard_renders_with_no_axe_violations(page: Any, live_server: Any, tmp_path: Any) -> None:  # C28
    app = build_app(f"sqlite:///{tmp_path / 'c.db'}", str(tmp_path / "inst"))
    app.register_blueprint(make_dashboard(guard=None, requests_provider=queue), url_prefix="/admin/consent")
    with app.extensions["consent"].store.engine.begin() as conn:
        conn.execute(records.insert(), [_to_row(r) for r in synthetic()])
    server = live_server(app)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(server.url + "/")
    with page.expect_response(lambda r: r.url.endswith("/consent") and r.request.method == "POST"):
        page.get_by_role("button", name="Reject all").click()
    page.goto(server.url + "/admin/consent/")
    assert page.get_by_role("heading", name="Consent dashboard").is_visible()
    assert page.get_by_role("img", name="Opt-in rate per purpose per day").is_visible()
    assert page.locator("#dash-chart polyline").count() == 5
    rows = page.locator("#dash-request-table tbody tr")
    assert rows.first.locator("th").inner_text() == "deletion"
    page.get_by_text("Table of the chart's figures").click()
    assert page.locator("#dash-chart-table tbody tr").count() == 30
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_text("Table of the chart's figures").click()
    if os.environ.get("CONSENT_SAVE_SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1100, "height": page.evaluate("document.body.scrollHeight")})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
