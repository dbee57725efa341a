"""The consent audit (issue 19): the ``consent_audit`` fixture and ``flask consent scan`` on a clean shop and
on a deliberately leaky one (tests/audit_apps.py), each problem named with its visitor, path and thing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pytest
from audit_apps import build_clean_app, build_leaky_app
from flask import Flask

from flask_consent.audit import AuditReport, audit_paths
from flask_consent.audit.client import _statement_problem

Audit = Callable[..., AuditReport]


@pytest.fixture
def leaky(sqlite_url: str, tmp_path: Any) -> Flask:
    return build_leaky_app(sqlite_url, str(tmp_path / "instance"))


@pytest.fixture
def clean(sqlite_url: str, tmp_path: Any) -> Flask:
    return build_clean_app(sqlite_url, str(tmp_path / "instance"))


@pytest.fixture
def leaky_problems(leaky: Flask, consent_audit: Audit) -> list[str]:
    return consent_audit(leaky).problems


def problem_on(problems: list[str], path: str, *words: str) -> str:
    """The one problem line about ``path`` that contains every word."""
    found = [p for p in problems if p.startswith(f"GET {path} (") and all(w in p for w in words)]
    assert len(found) == 1, f"no single problem on {path} with {words}:\n" + "\n".join(problems)
    return found[0]


# --- the fixture on the leaky shop: each problem, named --------------------------------------------------

def test_undeclared_tracker_cookie_on_first_visit_is_named(leaky_problems: list[str]) -> None:
    line = problem_on(leaky_problems, "/", "'_tracker'")
    assert line == ("GET / (first visit, after Reject all, Sec-GPC: 1): "
                    "sets cookie '_tracker', which no purpose declares")


def test_analytics_cookie_after_reject_all_names_cookie_and_purpose(leaky_problems: list[str]) -> None:
    line = problem_on(leaky_problems, "/about", "'_shop_analytics'")
    assert line.startswith("GET /about (after Reject all, Sec-GPC: 1): ")
    assert "of purpose 'analytics', which this visitor has not granted" in line
    assert "first visit" not in line


def test_ungated_third_party_script_and_pixel_are_named(leaky_problems: list[str]) -> None:
    assert "not gated" in problem_on(leaky_problems, "/", "script https://tracker.example/t.js")
    assert "not gated" in problem_on(leaky_problems, "/", "image (pixel) https://pixel.example/p.gif")


def test_gated_script_and_frame_are_not_reported(leaky_problems: list[str]) -> None:
    assert not [p for p in leaky_problems if "analytics.example" in p or "video.example" in p]


def test_page_view_reading_the_consent_log_is_reported(leaky_problems: list[str]) -> None:
    line = problem_on(leaky_problems, "/stats", "database statement")
    assert "SELECT count(*)" in line and "first visit, after Reject all, Sec-GPC: 1" in line


def test_failing_view_is_reported_as_500(leaky_problems: list[str]) -> None:
    assert "RuntimeError: the basket service is down" in problem_on(leaky_problems, "/boom", "answered 500")


def test_html_page_without_banner_or_reopen_control_is_reported(leaky_problems: list[str]) -> None:
    assert 'id="consent-banner"' in problem_on(leaky_problems, "/fragment", "without the consent banner")


def test_clean_page_of_leaky_shop_has_only_the_middleware_cookie(leaky_problems: list[str]) -> None:
    about = [p for p in leaky_problems if p.startswith("GET /about ")]
    assert len(about) == 1 and "'_shop_analytics'" in about[0]


def test_assert_clean_lists_every_problem(leaky: Flask, consent_audit: Audit) -> None:
    report = consent_audit(leaky)
    with pytest.raises(AssertionError) as raised:
        report.assert_clean()
    message = str(raised.value)
    assert f"found {len(report.problems)} problem(s)" in message
    assert all(p in message for p in report.problems)


def test_report_to_dict_is_json(leaky: Flask, consent_audit: Audit) -> None:
    report = consent_audit(leaky)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["clean"] is False and data["problems"] == report.problems
    assert data["visitors"] == ["first visit", "after Reject all", "Sec-GPC: 1"]
    assert {"visitor": "first visit", "path": "/", "problem": "sets cookie '_tracker', which no purpose declares"} \
        in data["findings"]


# --- no false alarms -------------------------------------------------------------------------------------

def test_clean_shop_is_clean(clean: Flask, consent_audit: Audit) -> None:
    report = consent_audit(clean)
    report.assert_clean()
    assert report.paths == ["/", "/logout", "/export"]


def test_the_audit_never_writes_to_the_apps_consent_log_nor_replays_its_spool(
    clean: Flask, consent_audit: Audit
) -> None:
    """The audit's "Reject all" and GPC refusals are nobody's consent: they go to a throw-away log (where the
    GPC visitor's one record is allowed, see below), and records the app's spool keeps stay there."""
    from flask_consent.state import undecided

    comps = clean.extensions["consent"]
    with clean.test_request_context("/"):
        waiting = undecided(comps.registry, "1", comps.settings.max_age).apply(
            "reject_all", method="banner_reject_all", record_id="spooledrecord001")
        comps.spool.append(_record_of(waiting))
    store = comps.store
    consent_audit(clean).assert_clean()
    assert comps.store is store and list(store.iter_records()) == []
    assert [r.id for r in comps.spool.records()] == ["spooledrecord001"]
    result = clean.test_cli_runner().invoke(args=["consent", "scan"])
    assert result.exit_code == 0 and list(store.iter_records()) == []


def _record_of(state: Any) -> Any:
    from flask_consent.records import make_record

    return make_record(state, record_id=state.record_id, previous_id=None, method="banner_reject_all",
                       banner_hash="0" * 64, locale="en", user_id=None, ip_hash_value=None, ua="Chrome",
                       now=state.now)


def test_a_path_the_caller_names_that_answers_404_is_a_problem(clean: Flask, consent_audit: Audit) -> None:
    problems = consent_audit(clean, paths=["/no-such-page"]).problems
    assert problems == ["GET /no-such-page (first visit): answered 404: no page there, so nothing was audited; "
                        "check the path"]
    result = clean.test_cli_runner().invoke(args=["consent", "scan", "/no-such-page"])
    assert result.exit_code == 1 and "answered 404" in result.stdout


def test_statements_beyond_the_one_gpc_record_are_problems() -> None:
    insert = "INSERT INTO consent_records (id) VALUES (?)"
    assert _statement_problem([insert], may_record_gpc=True) is None
    assert _statement_problem([insert], may_record_gpc=False) is not None
    assert "1 database statement" in str(_statement_problem([insert, insert], may_record_gpc=True))
    assert "SELECT" in str(_statement_problem(["SELECT 1", insert], may_record_gpc=True))


def test_paths_skip_consent_endpoints_static_and_parameters_and_add_extra(clean: Flask) -> None:
    assert audit_paths(clean, ["/items/3", "/"]) == ["/", "/logout", "/export", "/items/3"]


def test_extra_paths_are_visited(leaky: Flask, consent_audit: Audit) -> None:
    report = consent_audit(leaky, paths=["/fragment?again=1"])
    assert problem_on(report.problems, "/fragment?again=1", "without the consent banner")


# --- flask consent scan -----------------------------------------------------------------------------------

def test_scan_prints_each_problem_and_exits_1(leaky: Flask, consent_audit: Audit) -> None:
    result = leaky.test_cli_runner().invoke(args=["consent", "scan"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines == consent_audit(leaky).problems
    for name in ("'_tracker'", "'_shop_analytics'", "https://tracker.example/t.js", "database statement",
                 "answered 500", "without the consent banner"):
        assert any(name in line for line in lines), name
    assert "problem(s) found" in result.stderr


def test_scan_json(leaky: Flask) -> None:
    result = leaky.test_cli_runner().invoke(args=["consent", "scan", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["clean"] is False
    problem_on(data["problems"], "/", "'_tracker'")


def test_scan_clean_exits_0(clean: Flask) -> None:
    result = clean.test_cli_runner().invoke(args=["consent", "scan"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No problems found: 3 path(s), 3 visitors.\n"


def test_scan_visits_extra_paths(clean: Flask) -> None:
    result = clean.test_cli_runner().invoke(args=["consent", "scan", "/items/3"])
    assert result.exit_code == 1
    assert "GET /items/3 (first visit, after Reject all, Sec-GPC: 1): answered 500" in result.stdout


def test_scan_browser_without_playwright_says_so(clean: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    monkeypatch.delitem(sys.modules, "flask_consent.audit.browser", raising=False)
    result = clean.test_cli_runner().invoke(args=["consent", "scan", "--browser"])
    assert result.exit_code == 2
    assert "--browser needs Playwright, which is not installed" in result.output
    assert "pip install 'flask-consent-log[scan]'" in result.output


# --- the plugin ------------------------------------------------------------------------------------------

def test_plugin_is_registered_as_pytest11_entry_point() -> None:
    assert "flask_consent.audit.plugin" in {e.value for e in entry_points(group="pytest11")}


def test_plugin_imports_neither_playwright_nor_runs_anything() -> None:
    code = ("import sys, flask_consent.audit.plugin as p; "
            "print(sorted(m for m in sys.modules if m.startswith('playwright')), "
            "[n for n in dir(p) if n.startswith('pytest_')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


def test_audit_inside_an_app_context_gives_each_request_its_own(clean: Flask, consent_audit: Audit) -> None:
    with clean.app_context():
        consent_audit(clean).assert_clean()


def test_reads_log_pages_may_read_but_not_write(leaky: Flask, consent_audit: Audit) -> None:
    problems = consent_audit(leaky, reads_log=["/stats"]).problems
    assert not [p for p in problems if "database statement" in p]
    write = "INSERT INTO consent_records (id) VALUES (?)"
    assert _statement_problem(["SELECT 1", write], may_record_gpc=False, may_read=True) is not None


def test_scan_reads_log_option(leaky: Flask) -> None:
    result = leaky.test_cli_runner().invoke(args=["consent", "scan", "--reads-log", "/stats"])
    assert result.exit_code == 1 and "database statement" not in result.stdout


def test_every_script_type_a_browser_runs_and_every_image_candidate_is_read() -> None:
    """Legacy JavaScript types (``text/x-javascript``...) and ``srcset`` candidates are fetched by browsers, so
    the test-client audit must see them; inert types (``text/plain``, and a type with parameters, which
    Chromium does not run) and own-host URLs are not reported."""
    from flask_consent.audit.markup import read_page

    html = """<body>
    <script type="text/x-javascript" src="https://tracker.example/x.js"></script>
    <script type="application/x-javascript" src="https://tracker.example/y.js"></script>
    <script type="text/javascript1.5" src="https://tracker.example/z.js"></script>
    <script type="text/javascript; charset=utf-8" src="https://inert.example/b.js"></script>
    <script type="text/plain" data-consent="analytics" src="https://inert.example/a.js"></script>
    <img srcset="https://pixel.example/p.gif 1x, /own.png 2x, https://pixel.example/q.gif 3x">
    </body>"""
    urls = [e.url for e in read_page(html, "shop.test").external]
    assert urls == ["https://tracker.example/x.js", "https://tracker.example/y.js", "https://tracker.example/z.js",
                    "https://pixel.example/p.gif", "https://pixel.example/q.gif"]
