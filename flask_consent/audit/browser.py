"""The audit in Chromium (Playwright): what only a browser sees.

The app is served on a loopback port; each of the three visitors opens it in a fresh browser context,
and the audit records cookies that scripts wrote (``document.cookie``: in the browser's jar but set by no
``Set-Cookie`` header), ``localStorage`` / ``sessionStorage`` keys, and every request to another host, which
is aborted so nothing leaves the machine. Storage keys are judged like cookies: a shop declares them in
its purposes' ``cookies``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response as PlaywrightResponse
from werkzeug.serving import WSGIRequestHandler, make_server

from .client import JSON, REJECT_ALL, audit_paths, consent_prefix, scratch_log
from .cookies import Registry, cookie_problem, granted_keys, own_cookies, registry_of, set_cookie_names
from .report import VISITORS, AuditReport

#: Debian's Chromium, used when present; otherwise the browser Playwright manages.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# A sandboxed page (CSP ``sandbox``) may not read its storage at all: it then stored nothing either.
_STORAGE_KEYS = ("() => { try { return [Object.keys(localStorage), Object.keys(sessionStorage)]; }"
                 " catch (e) { return [[], []]; } }")
_GPC_SCRIPT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


class _QuietHandler(WSGIRequestHandler):
    """Keeps the server's access log out of the report."""

    def log(self, type: str, message: str, *args: Any) -> None:
        return None


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread for the duration of the block; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium: Debian's where installed, else Playwright's own."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    options: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS}
    if path:
        options["executable_path"] = path
    return playwright.chromium.launch(**options)


class _Visitor:
    """One visitor's browser context: requests to other hosts are recorded and aborted, and the names of
    cookies that ``Set-Cookie`` headers set are noted, so a cookie in the jar without one was scripted."""

    def __init__(self, browser: Browser, name: str, base: str, ignore: frozenset[str]):
        self.name = name
        self.base = base
        self.ignore = ignore
        gpc = name == "gpc"
        self.context: BrowserContext = browser.new_context(extra_http_headers={"Sec-GPC": "1"} if gpc else None)
        if gpc:
            self.context.add_init_script(_GPC_SCRIPT)
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.on("response", self._response)
        self.requested: list[str] = []
        self.header_cookies: set[str] = set()
        self.storage: set[tuple[str, str]] = set()

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
            self.requested.append(url)
            route.abort()
        else:
            route.continue_()

    def _response(self, response: PlaywrightResponse) -> None:
        values = [h["value"] for h in response.headers_array() if h["name"].lower() == "set-cookie"]
        self.header_cookies.update(set_cookie_names("\n".join(values).split("\n"), self.ignore))

    def jar(self) -> set[tuple[str, str]]:
        return {(c.get("name", ""), c.get("value", "")) for c in self.context.cookies()}

    def state(self, prefix: str) -> dict[str, Any] | None:
        data = self.context.request.get(self.base + prefix + "/state", headers=JSON).json()
        return data if isinstance(data, dict) else None

    def reject_all(self, prefix: str, report: AuditReport) -> None:
        token = str((self.state(prefix) or {}).get("csrf_token", ""))
        response = self.context.request.post(
            self.base + prefix, data=json.dumps(REJECT_ALL),
            headers={"Content-Type": "application/json", "X-CSRFToken": token, **JSON},
        )
        if response.status >= 400:
            report.add(self.name, prefix, f'"Reject all" failed in Chromium: POST {prefix} answered {response.status}')

    def visit(self, path: str, report: AuditReport) -> list[tuple[str, str]]:
        """Open ``path``; note its requests to other hosts and return what scripts stored: (kind, name)."""
        before = self.jar()
        self.requested, self.header_cookies = [], set()
        try:
            self.page.goto(self.base + path, wait_until="load")
        except PlaywrightError as exc:
            # Playwright's goto fails this way on an attachment (a data download): no page, nothing ran.
            if "Download is starting" not in str(exc):
                report.add(self.name, path, f"could not be loaded in Chromium: {str(exc).splitlines()[0]}")
            return []
        for url in dict.fromkeys(self.requested):
            report.add(self.name, path, f"requested {url} from another host before consent (the audit blocked it)")
        stored = [("a script wrote cookie", name) for name, _ in sorted(self.jar() - before)
                  if name not in self.header_cookies and name not in self.ignore]
        local, session = self._storage_keys()
        for area, keys in (("localStorage", local), ("sessionStorage", session)):
            kind = f"a script stored {area} key"
            for key in keys:
                if (kind, key) not in self.storage:
                    self.storage.add((kind, key))
                    stored.append((kind, key))
        return stored

    def _storage_keys(self) -> tuple[list[str], list[str]]:
        """The page's localStorage and sessionStorage keys. A page that moves on as it loads (a meta refresh, a
        script redirect) is read once it has landed."""
        for _ in range(3):
            try:
                local, session = self.page.evaluate(_STORAGE_KEYS)
                return local, session
            except PlaywrightError:  # the page navigated while it was read
                self.page.wait_for_load_state("load")
        return [], []

    def close(self) -> None:
        self.context.close()


def _walk(browser: Browser, visitor: str, base: str, paths: list[str], app: Flask, report: AuditReport) -> None:
    prefix = consent_prefix(app)
    registry: Registry = registry_of(app)
    ignore = own_cookies(app)
    first_visit = visitor == "first_visit"
    shared = None if first_visit else _Visitor(browser, visitor, base, ignore)
    if shared is not None and visitor == "reject_all":
        shared.reject_all(prefix, report)
    stored: list[tuple[str, str, str]] = []
    for path in paths:
        one = shared or _Visitor(browser, visitor, base, ignore)
        stored.extend((path, kind, name) for kind, name in one.visit(path, report))
        if first_visit:
            one.close()
    probe = shared or _Visitor(browser, visitor, base, ignore)
    granted = granted_keys(probe.state(prefix))
    probe.close()
    for path, kind, name in stored:
        problem = cookie_problem(kind, name, registry, granted)
        if problem:
            report.add(visitor, path, problem)


def run_browser_audit(app: Flask, paths: Iterable[str] | None = None, browser: Browser | None = None) -> AuditReport:
    """Serve ``app`` on loopback and walk it in headless Chromium as the three visitors of :func:`run_audit`,
    reporting scripted cookies, web storage and requests to other hosts.

    ``browser`` is a Chromium already running (a test's, from pytest-playwright); without it one is launched
    and closed again.
    """
    report = AuditReport(paths=audit_paths(app, paths), browser=True)
    with scratch_log(app), serve(app) as base:
        if browser is not None:
            for visitor in VISITORS:
                _walk(browser, visitor, base, report.paths, app, report)
            return report
        with sync_playwright() as playwright:
            own = launch(playwright)
            try:
                for visitor in VISITORS:
                    _walk(own, visitor, base, report.paths, app, report)
            finally:
                own.close()
    return report
