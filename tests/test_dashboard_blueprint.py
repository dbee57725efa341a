"""The consent dashboard blueprint: guard, figures, server-rendered SVG chart, table alternative, request queue."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any

from consent_log_data import Req, seed
from flask import Flask, abort, redirect

from flask_consent.charts import rate_chart
from flask_consent.dashboard import make_dashboard

QUEUE = [
    Req("access", date(2026, 11, 20), date(2026, 12, 5), date(2026, 12, 30), "open", False),
    Req("deletion", date(2026, 9, 1), date(2026, 9, 16), date(2026, 10, 11), "in progress", True),
    Req("correction", date(2026, 11, 1), date(2026, 11, 16), date(2026, 12, 11), "open", True),
]


def mount(app: Flask, **kwargs: Any) -> Flask:
    kwargs.setdefault("guard", None)
    app.register_blueprint(make_dashboard(**kwargs), url_prefix="/admin/consent")
    return app


def test_guard_refusing_blocks_the_dashboard(app: Flask) -> None:
    mount(app, guard=lambda: abort(403))
    assert app.test_client().get("/admin/consent/").status_code == 403


def test_guard_can_redirect_to_a_login(app: Flask) -> None:
    mount(app, guard=lambda: redirect("/login"))
    response = app.test_client().get("/admin/consent/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_guard_letting_through_shows_the_figures(app: Flask) -> None:  # C14, C15, C18
    seed(app, recent=True)
    mount(app, guard=lambda: None)
    html = app.test_client().get("/admin/consent/").get_data(as_text=True)
    totals = re.search(r'<dl class="dash-cards">.*?</dl>', html, re.S).group(0)  # type: ignore[union-attr]
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", totals))
    assert cards == {"Decisions recorded": "4", "Visitors": "3", "Refusal rate": "25.0%",
                     "Global Privacy Control share": "25.0%"}
    purposes = re.search(r'id="dash-purposes".*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r"Personalised recommendations</th><td>3</td><td>1</td>\s*<td>75.0%</td>", purposes)
    assert ">banner_reject_all</th><td>1</td>" in html
    banners = re.search(r'id="dash-banners".*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    assert banners.index(">2</th>") < banners.index(">1</th>")
    assert "b" * 12 in banners and "a" * 12 in banners


def test_chart_is_server_rendered_svg_with_a_table_alternative(app: Flask) -> None:  # C28
    seed(app, recent=True)
    mount(app)
    html = app.test_client().get("/admin/consent/").get_data(as_text=True)
    svg = re.search(r'<svg id="dash-chart".*?</svg>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'role="img"' in svg and 'aria-labelledby="dash-chart-title dash-chart-desc"' in svg
    assert svg.count('class="dash-series"') == 5
    assert "<polyline" in svg
    assert "<script" not in html.split('id="consent-')[0]
    table = re.search(r'<table id="dash-chart-table">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    rows = re.findall(r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td>(\d+)</td>', table)
    assert [n for _, n in rows] == ["2", "1", "1"]
    assert "<td>50.0%</td>" in table


def test_data_requests_are_listed_overdue_first(app: Flask) -> None:  # C27
    late = SimpleNamespace(kind="portability", created_at=date(2026, 11, 5), target_due=date(2026, 11, 20),
                           legal_due=date(2026, 12, 15), status="open", overdue=False, target_missed=True)
    mount(app, requests_provider=lambda: [*QUEUE, late])
    html = app.test_client().get("/admin/consent/").get_data(as_text=True)
    table = re.search(r'<table id="dash-request-table">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    assert re.findall(r'<th scope="row">(\w+)</th>', table) == ["deletion", "correction", "portability", "access"]
    assert table.count('class="dash-late"') == 1 and "Past target" in table
    assert table.count('class="dash-overdue"') == 2
    assert "(2 overdue)" in html


def test_without_a_request_queue_says_so(app: Flask) -> None:
    mount(app)
    html = app.test_client().get("/admin/consent/").get_data(as_text=True)
    assert "No data-request queue is connected" in html
    assert "No decisions in this window." in html


def test_window_choice_is_limited_to_the_offered_ones(app: Flask) -> None:
    mount(app)
    client = app.test_client()
    assert '<option value="7" selected>' in client.get("/admin/consent/?days=7").get_data(as_text=True)
    assert '<option value="30" selected>' in client.get("/admin/consent/?days=100000").get_data(as_text=True)


def test_chart_geometry_breaks_lines_where_a_day_has_no_data() -> None:
    chart = rate_chart(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"],
                       [("A", [1.0, 0.0, None, 0.5]), ("B", [None, None, None, None])])
    a, b = chart.series
    assert len(a.runs) == 2
    first = a.runs[0].split()
    assert first == [f"{float(chart.left)},{float(chart.top)}", f"{a.points[1][0]},{float(chart.bottom)}"]
    assert a.points[2][2] == "A, 2026-11-04: 50%"
    assert b.runs == () and b.points == ()
    assert a.colour != b.colour and a.dash != b.dash
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
