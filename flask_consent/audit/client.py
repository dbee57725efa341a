"""The audit with Flask's test client: three visitors walk every parameterless GET route of the app."""

from __future__ import annotations

import contextvars
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from ..spool import Spool
from ..store import SQLStore
from .cookies import cookie_problem, granted_keys, own_cookies, registry_of, set_cookie_names
from .markup import PageMarkup, markup_problems, read_page
from .report import VISITORS, AuditReport

#: The contract's JSON choice that "Reject all" posts, for every optional purpose.
REJECT_ALL = {"action": "reject_all", "scope": "all"}
JSON = {"Accept": "application/json"}


def consent_prefix(app: Flask) -> str:
    """Where the extension's own endpoints live (``/consent`` by the HTTP contract)."""
    return str(app.config.get("CONSENT_URL_PREFIX", "/consent")).rstrip("/")


@contextmanager
def scratch_log(app: Flask) -> Iterator[None]:
    """While the audit runs, the app records consent in an empty log and spool of a temporary folder.

    The audit's own choices ("Reject all", the refusals of the GPC signal) are nobody's consent: they must
    never reach the app's consent log, which is evidence, nor replay its outage spool into a throw-away one.
    """
    recorder = app.extensions["consent"].recorder
    real = recorder.store, recorder.spool
    with tempfile.TemporaryDirectory(prefix="consent-audit-") as folder:
        scratch = SQLStore(f"sqlite:///{folder}/consent.db")
        recorder.store, recorder.spool = scratch, Spool(folder)
        try:
            yield
        finally:
            recorder.store, recorder.spool = real
            scratch.close()


def audit_paths(app: Flask, paths: Iterable[str] | None = None) -> list[str]:
    """The app's GET routes that need no URL parameter, then ``paths``; never the extension's own endpoints
    (under ``/consent`` and ``/.well-known/gpc.json``) nor static files."""
    prefix = consent_prefix(app)
    found: list[str] = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "GET" not in (rule.methods or ()) or "<" in rule.rule or rule.host or rule.subdomain:
            continue
        if endpoint == "static" or endpoint.endswith(".static") or endpoint == "consent_gpc_json":
            continue
        if rule.rule == prefix or rule.rule.startswith(prefix + "/"):
            continue
        if rule.rule not in found:
            found.append(rule.rule)
    found.extend(p for p in paths or () if p not in found)
    return found


class StatementLog:
    """Counts the SQL statements the consent log's engine runs while it is armed, through SQLAlchemy's
    public event API; a store without an ``engine`` (a custom ``ConsentStore``) is not watched."""

    def __init__(self, app: Flask):
        self.engine = getattr(app.extensions["consent"].store, "engine", None)
        self.statements: list[str] = []
        self.armed = False

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.armed:
            self.statements.append(statement)

    @contextmanager
    def listening(self) -> Iterator[StatementLog]:
        """Listen on the engine for the duration of the block."""
        if self.engine is not None:
            event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            yield self
        finally:
            if self.engine is not None:
                event.remove(self.engine, "before_cursor_execute", self._seen)

    @contextmanager
    def page_view(self) -> Iterator[list[str]]:
        """The statements run inside the block."""
        self.statements = []
        self.armed = True
        try:
            yield self.statements
        finally:
            self.armed = False


@dataclass
class PageView:
    """What one visitor was given on one path."""

    path: str
    cookies: list[str] = field(default_factory=list)
    markup: PageMarkup | None = None


def _statement_problem(statements: list[str], may_record_gpc: bool, may_read: bool = False) -> str | None:
    """A page view may run no statement on the consent log, except the one ``gpc`` record written the first
    time a visitor's Global Privacy Control signal is honoured, and reads on a page the shop names as one
    that shows visitors their own records (``reads_log``)."""
    rest = [s for s in statements if not (may_read and s.lstrip().upper().startswith("SELECT"))]
    if may_record_gpc:
        inserts = [s for s in rest if s.lstrip().upper().startswith("INSERT")]
        if inserts:
            rest.remove(inserts[0])
    if not rest:
        return None
    first = " ".join(rest[0].split())[:80]
    return f"ran {len(rest)} database statement(s) on the consent log during a page view (first: {first})"


def _view(client: FlaskClient, visitor: str, path: str, log: StatementLog, may_record_gpc: bool,
          may_read: bool, ignore: frozenset[str], report: AuditReport, missing_is_a_problem: bool = False,
          ) -> PageView:
    view = PageView(path)
    with log.page_view() as statements:
        try:
            response: TestResponse = client.get(path)
        except Exception as exc:  # noqa: BLE001 - a view that raises (TESTING propagates it) is a 500
            report.add(visitor, path, f"answered 500: the view raised {type(exc).__name__}: {exc}")
            return view
    problem = _statement_problem(statements, may_record_gpc, may_read)
    if problem:
        report.add(visitor, path, problem)
    if response.status_code >= 500:
        report.add(visitor, path, f"answered {response.status_code}")
    if response.status_code == 404 and missing_is_a_problem:  # a path the caller named, so nothing was audited
        report.add(visitor, path, "answered 404: no page there, so nothing was audited; check the path")
    view.cookies = list(set_cookie_names(response.headers.getlist("Set-Cookie"), ignore))
    if response.status_code == 200 and response.mimetype == "text/html":
        view.markup = read_page(response.get_data(as_text=True), response.request.host.split(":")[0])
    return view


def _state(client: FlaskClient, prefix: str) -> dict[str, Any] | None:
    data = client.get(f"{prefix}/state", headers=JSON).get_json(silent=True)
    return data if isinstance(data, dict) else None


def _reject_all(client: FlaskClient, prefix: str, report: AuditReport) -> None:
    """Press "Reject all" as the banner script does: the CSRF token from the state, the choice as JSON."""
    token = (_state(client, prefix) or {}).get("csrf_token", "")
    response = client.post(prefix, json=REJECT_ALL, headers={"X-CSRFToken": str(token), **JSON})
    if response.status_code >= 400:
        report.add("reject_all", prefix, f'"Reject all" failed: POST {prefix} answered {response.status_code}')


def run_audit(app: Flask, paths: Iterable[str] | None = None, *, reads_log: Iterable[str] = ()) -> AuditReport:
    """Visit the app as a first visitor, after "Reject all" and with ``Sec-GPC: 1``, and report each
    cookie, third-party tag, consent-log statement, 5xx answer and missing consent control found.

    The first visitor lands on every page with an empty cookie jar; the other two keep their cookies from
    page to page, as a browser would. Cookies are judged as the visitor receives them, after the extension's
    own filter: a cookie the extension drops never reaches anyone and is not a problem.

    ``reads_log`` names pages that show a visitor their own consent records (a privacy centre): reading the
    log there is their job, so only writes are reported on them.
    """
    # Flask reuses an app context already pushed for this app (``flask`` commands, a test's fixture), so
    # every request would share one ``g``; an empty context gives each request its own, as in production.
    with scratch_log(app):
        return contextvars.Context().run(_run_audit, app, paths, frozenset(reads_log))


def _run_audit(app: Flask, paths: Iterable[str] | None, reads_log: frozenset[str]) -> AuditReport:
    registry = registry_of(app)
    prefix = consent_prefix(app)
    ignore = own_cookies(app)
    report = AuditReport(paths=audit_paths(app, paths))
    given = frozenset(paths or ())
    log = StatementLog(app)
    with log.listening():
        for visitor in VISITORS:
            shared: FlaskClient | None = None
            if visitor != "first_visit":
                shared = app.test_client()
            if visitor == "gpc":
                assert shared is not None
                shared.environ_base["HTTP_SEC_GPC"] = "1"
            elif visitor == "reject_all":
                assert shared is not None
                _reject_all(shared, prefix, report)
            views = [
                _view(shared or app.test_client(), visitor, path, log, visitor == "gpc" and i == 0,
                      path in reads_log, ignore, report,
                      missing_is_a_problem=path in given and visitor == "first_visit")
                for i, path in enumerate(report.paths)
            ]
            granted = granted_keys(_state(shared or app.test_client(), prefix))
            for view in views:
                for name in view.cookies:
                    problem = cookie_problem("sets cookie", name, registry, granted)
                    if problem:
                        report.add(visitor, view.path, problem)
                if view.markup is not None:
                    for problem in markup_problems(view.markup, granted.__contains__):
                        report.add(visitor, view.path, problem)
    return report
