"""The consent audit in Chromium (issue 19): what only a browser sees on the leaky shop (tests/audit_apps.py),
through ``run_browser_audit`` and through ``flask consent scan --browser``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from audit_apps import build_clean_app, build_leaky_app
from playwright.sync_api import Browser

from flask_consent.audit import AuditReport
from flask_consent.audit.browser import run_browser_audit

pytestmark = pytest.mark.browser
TESTS = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def leaky_report(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> AuditReport:
    """One walk of the leaky shop in Chromium, shared by the tests that read its report."""
    path = tmp_path_factory.mktemp("leaky")
    return run_browser_audit(build_leaky_app(f"sqlite:///{path / 'consent.db'}", str(path / "instance")),
                             browser=browser)


def test_cookie_written_by_a_script_is_named_with_its_purpose(leaky_report: AuditReport) -> None:
    assert ("GET / (first visit, after Reject all, Sec-GPC: 1): a script wrote cookie '_ads_uid' of purpose "
            "'advertising', which this visitor has not granted") in leaky_report.problems


def test_web_storage_written_by_a_script_is_named(leaky_report: AuditReport) -> None:
    assert any("localStorage key '_ads_last_seen' of purpose 'advertising'" in p for p in leaky_report.problems)


def test_requests_to_other_hosts_before_consent_are_named(leaky_report: AuditReport) -> None:
    requested = [p for p in leaky_report.problems if "from another host before consent" in p]
    assert len(requested) == 2, leaky_report.problems
    assert "https://tracker.example/t.js" in requested[0] and "https://pixel.example/p.gif" in requested[1]


def test_gated_tags_cause_no_request_and_header_cookies_are_left_to_the_client_audit(
    leaky_report: AuditReport,
) -> None:
    text = "\n".join(leaky_report.problems)
    assert "analytics.example" not in text and "video.example" not in text
    assert "_tracker" not in text and "_shop_analytics" not in text


def test_clean_shop_is_clean_in_chromium(browser: Browser, sqlite_url: str, tmp_path: Any) -> None:
    report = run_browser_audit(build_clean_app(sqlite_url, str(tmp_path / "instance")), browser=browser)
    report.assert_clean()


@pytest.mark.parametrize("page", [
    '<html><head><meta http-equiv="refresh" content="0; url=/landed"></head><body>moving</body></html>',
    "<html><body><script>location.replace('/landed')</script>moving</body></html>",
])
def test_a_page_that_moves_on_as_it_loads_is_audited_not_crashed(
    browser: Browser, sqlite_url: str, tmp_path: Any, page: str
) -> None:
    app = build_clean_app(sqlite_url, str(tmp_path / "instance"))
    app.add_url_rule("/moving", "moving", lambda: page)
    app.add_url_rule("/landed", "landed", lambda: "<html><body><h1>Landed</h1></body></html>")
    assert run_browser_audit(app, browser=browser, paths=["/moving"]).problems == []


def test_a_sandboxed_page_whose_storage_cannot_be_read_is_audited(
    browser: Browser, sqlite_url: str, tmp_path: Any
) -> None:
    app = build_clean_app(sqlite_url, str(tmp_path / "instance"))

    @app.get("/sandboxed")
    def sandboxed() -> Any:
        return "<html><body><h1>Sandboxed</h1></body></html>", 200, {"Content-Security-Policy": "sandbox"}

    assert run_browser_audit(app, browser=browser, paths=["/sandboxed"]).problems == []


def test_scan_browser_names_the_script_written_cookie(tmp_path: Path) -> None:
    """The command as a shop runs it: its own Chromium, on a port of its own, in a process of its own."""
    (tmp_path / "leaky_wsgi.py").write_text(
        "from audit_apps import build_leaky_app\n"
        f"app = build_leaky_app('sqlite:///{tmp_path / 'consent.db'}', {str(tmp_path / 'instance')!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS)])}
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "--app", "leaky_wsgi:app", "consent", "scan", "--browser", "--json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240)
    assert result.returncode == 1, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert any("a script wrote cookie '_ads_uid' of purpose 'advertising'" in p for p in problems), problems
    assert any("sets cookie '_tracker', which no purpose declares" in p for p in problems), problems
