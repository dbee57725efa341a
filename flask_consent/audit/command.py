"""``flask consent scan``: the consent audit from the command line."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .client import run_audit
from .report import VISITORS

EXIT_PROBLEMS = 1


@click.command("scan", epilog="Exit codes: 0 clean, 1 problems found, 2 usage error.")
@click.argument("paths", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--reads-log", "reads_log", multiple=True, metavar="PATH",
              help="A page that shows visitors their own consent records: reading the log there is no problem.")
@click.option("--browser", is_flag=True,
              help="Also walk the app in headless Chromium (needs the 'scan' extra: Playwright).")
@with_appcontext
def scan_command(paths: tuple[str, ...], as_json: bool, reads_log: tuple[str, ...], browser: bool) -> None:
    """Audit the app as a first visitor, after "Reject all" and with Sec-GPC: 1.

    Visits every GET route without URL parameters, plus PATHS, and prints one problem per line: cookies no
    purpose declares or of a purpose not granted, tags loaded from other hosts without consent gating,
    database statements on the consent log during page views, 5xx answers, and HTML pages without the
    banner or the "Privacy choices" control.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report = run_audit(app, paths, reads_log=reads_log)
    if browser:
        try:
            from .browser import run_browser_audit
        except ImportError as exc:
            raise click.UsageError(
                f"--browser needs Playwright, which is not installed ({exc}). "
                "Install it with: pip install 'flask-consent-log[scan]'"
            ) from exc
        report.extend(run_browser_audit(app, paths))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for problem in report.problems:
            click.echo(problem)
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s) found on {len(report.paths)} path(s).", err=True)
        sys.exit(EXIT_PROBLEMS)
    if not as_json:
        click.echo(f"No problems found: {len(report.paths)} path(s), {len(VISITORS)} visitors"
                   f"{' (with Chromium)' if report.browser else ''}.")
