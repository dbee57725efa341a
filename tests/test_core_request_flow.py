"""The request flow: the banner cache gives exactly what rendering afresh gives, GPC, hooks and expiry."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, render_template_string, template_rendered

import flask_consent.extension as extension_module
import flask_consent.visitor as visitor_module
from flask_consent import Consent, Purpose
from flask_consent.state import undecided
from tests.conftest import build_app, shop_purposes
from tests.core_util import records

_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def _cookie(app: Flask, action: str = "accept_all", purposes: tuple[str, ...] = (), *,
            decided: datetime | None = None) -> str:
    """A signed consent cookie of ``app`` for a visitor who chose ``action`` (at ``decided``, default now)."""
    ext = app.extensions["consent"]
    with app.test_request_context("/"):
        state = undecided(ext.registry, ext.policy_version, ext.max_age, now=decided).apply(
            action, purposes, method="banner_custom", record_id="testrecord000001")
        return str(ext.codec.dumps(state))


def _page(app: Flask, cookie: str | None, path: str = "/", **headers: str) -> str:
    client = app.test_client()
    if cookie:
        client.set_cookie("consent", cookie)
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return _CSRF.sub('name="csrf_token" value="T"', response.get_data(as_text=True))


def _fresh(app: Flask, cookie: str | None, path: str = "/", **headers: str) -> str:
    """The page with every cache of the banner bypassed (a template listener makes it render afresh)."""
    def listener(*_: Any, **__: Any) -> None:
        return None

    template_rendered.connect(listener, app)
    try:
        return _page(app, cookie, path, **headers)
    finally:
        template_rendered.disconnect(listener, app)


def _v2(purposes: list[Purpose]) -> list[Purpose]:
    return [Purpose(p.key, p.title, p.description, cookies=p.cookies, vendors=p.vendors, gpc_opt_out=p.gpc_opt_out,
                    gcm=p.gcm, refusal_effect=p.refusal_effect, version=2 if p.key == "analytics" else p.version)
            for p in purposes]


def _with_plain_page(app: Flask) -> Flask:
    """Add ``/plain``: a page that never reads the consent state itself (so only the banner does)."""
    app.add_url_rule("/plain", "plain", lambda: "<!doctype html><html><body><p>Plain</p></body></html>")
    return app


@pytest.mark.parametrize("path", ["/", "/plain"])
def test_cached_banner_is_what_rendering_afresh_gives(
    sqlite_url: str, tmp_path: Any, path: str
) -> None:  # C1 C12 C13 C18
    v1 = _with_plain_page(build_app(sqlite_url, str(tmp_path / "a")))
    v2 = _with_plain_page(build_app(sqlite_url, str(tmp_path / "b"), _v2(shop_purposes())))
    policy2 = _with_plain_page(build_app(sqlite_url, str(tmp_path / "c"), CONSENT_POLICY_VERSION="2"))
    chose = _cookie(v1, "save", ("analytics", "recommendations", "advertising"))
    refused = _cookie(v1, "save", ("analytics", "recommendations"))  # GPC purposes refused, nothing to withdraw
    old = _cookie(v1, "reject_all", decided=datetime.now(timezone.utc) - timedelta(days=200))
    markup_path = path + '?q="><script>alert(1)</script>&x=<b>'
    visitors: list[tuple[str, Flask, str | None, str, dict[str, str]]] = [
        ("first_visit", v1, None, path, {}),
        ("decided", v1, chose, path, {}),
        ("gpc", v1, None, path, {"Sec-GPC": "1"}),
        ("decided_gpc", v1, chose, path, {"Sec-GPC": "1"}),
        ("zh-HK", v1, None, path, {"Accept-Language": "zh-HK,zh;q=0.9"}),
        ("decided_zh-CN", v1, chose, path, {"Accept-Language": "zh-CN"}),
        ("expired", v1, old, path, {}),
        ("markup_in_next", v1, None, markup_path, {}),
        ("purpose_changed", v2, chose, path, {}),
        ("purpose_changed_gpc", v2, chose, path, {"Sec-GPC": "1"}),
        ("purpose_changed_gpc_refused", v2, refused, path, {"Sec-GPC": "1"}),
        ("purpose_changed_refused", v2, refused, path, {}),
        ("policy_changed", policy2, chose, path, {}),
    ]
    for _ in range(2):  # the second pass is served from the caches the first one filled
        for case, app, cookie, url, headers in visitors:
            page = _page(app, cookie, url, **headers)
            assert page == _fresh(app, cookie, url, **headers), case
            if case.startswith("decided"):
                assert 'id="consent-reopen"' in page and 'id="consent-banner"' not in page, case
                lang = headers.get("Accept-Language", "en")
                assert re.search(f'class="consent-dock" aria-label="[^"]+" lang="{lang}"', page), case
            else:
                assert 'id="consent-banner"' in page, case
            if case == "markup_in_next":
                assert "<script>alert(1)" not in page
            if case == "purpose_changed":  # only the changed purpose is asked again (C13)
                banner = page[page.index('id="consent-banner"'):]
                assert 'data-purpose="analytics"' in banner and 'data-purpose="recommendations"' not in banner


def test_the_banner_comes_back_when_a_cached_decision_expires(
    sqlite_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:  # C13
    app = _with_plain_page(build_app(sqlite_url, str(tmp_path / "a"), CONSENT_MAX_AGE=timedelta(days=10)))
    start = datetime.now(timezone.utc)
    cookie = _cookie(app, "reject_all", decided=start)
    clock = SimpleNamespace(now=start)

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return clock.now

    monkeypatch.setattr(visitor_module, "datetime", FrozenDatetime)
    assert 'id="consent-banner"' not in _page(app, cookie, "/plain")
    clock.now = start + timedelta(days=9)
    assert 'id="consent-banner"' not in _page(app, cookie, "/plain")  # answered from the cache
    clock.now = start + timedelta(days=10, seconds=1)
    page = _page(app, cookie, "/plain")
    assert 'id="consent-banner"' in page and 'data-reason="expired"' in page


def test_a_csp_nonce_reaches_every_rendering(sqlite_url: str, tmp_path: Any) -> None:  # C32
    nonces = iter(f"n{i}" for i in range(100))
    app = build_app(sqlite_url, str(tmp_path / "a"), CONSENT_CSP_NONCE=lambda: next(nonces))
    cookie = _cookie(app)
    first, second = _page(app, None), _page(app, cookie)
    assert re.search(r'<script type="module" src="[^"]+" nonce="n\d+">', first)
    assert re.search(r'<script type="module" src="[^"]+" nonce="n\d+">', second)
    assert _page(app, cookie) != second  # a new nonce on each request, nothing kept


def test_a_plain_text_html_response_without_body_tag_is_left_alone(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "a"))
    response = app.test_client().get("/hello")
    assert response.status_code == 200 and response.get_data(as_text=True) == "hello"




def test_gpc_is_recorded_on_a_request_that_never_reads_the_state(sqlite_url: str, tmp_path: Any) -> None:  # C18 C19
    app = build_app(sqlite_url, str(tmp_path / "a"))
    app.extensions["consent"].store.init_db()
    response = app.test_client().get("/hello", headers={"Sec-GPC": "1"})  # no banner, nothing reads consent
    assert response.get_data(as_text=True) == "hello"
    assert any(c.startswith("consent=") for c in response.headers.getlist("Set-Cookie"))
    (record,) = records(app)
    assert record.method == "gpc" and {"advertising", "third_party_sharing"} <= set(record.denied)




def test_the_first_request_hook_takes_itself_off_once_its_checks_pass(sqlite_url: str, tmp_path: Any) -> None:
    app = build_app(sqlite_url, str(tmp_path / "a"))
    assert extension_module._first_request in app.before_request_funcs[None]
    client = app.test_client()
    assert client.get("/hello").status_code == 200
    assert extension_module._first_request not in app.before_request_funcs.get(None, [])
    assert client.get("/hello").status_code == 200  # later requests run without it


def _called_page(app: Flask) -> Flask:
    """Add ``/called``: a page whose template calls ``consent_banner()`` itself (before the hook runs)."""
    app.add_url_rule("/called", "called", lambda: render_template_string(
        "<!doctype html><html><body><p>Called</p>{{ consent_banner() }}</body></html>"))
    return app




def test_a_state_changed_during_the_request_is_what_the_banner_shows(sqlite_url: str, tmp_path: Any) -> None:
    """A view that records a new state before rendering (as the login merge does) gets the banner of that
    state, not the control kept for the cookie the request came with."""
    from flask_consent.context import consent_state, record_change
    from flask_consent.login import _blank

    app = build_app(sqlite_url, str(tmp_path / "a"))
    app.extensions["consent"].store.init_db()
    page = "<!doctype html><html><body>{{ consent_banner() }}</body></html>"

    def reset() -> str:
        state = consent_state()
        record_change(state, _blank(state), method="login_merge")
        return render_template_string(page)

    app.add_url_rule("/called", "called", lambda: render_template_string(page))
    app.add_url_rule("/reset", "reset", reset)
    client = app.test_client()
    client.set_cookie("consent", _cookie(app))
    for _ in range(2):
        assert 'id="consent-reopen"' in client.get("/called").get_data(as_text=True)
    assert 'id="consent-banner"' in client.get("/reset").get_data(as_text=True)




def test_url_defaults_and_babel_are_read_on_every_page_view(sqlite_url: str, tmp_path: Any) -> None:
    """URL defaults and a Flask-Babel locale may differ per request: nothing that depends on them is kept."""
    from flask import request
    from flask_babel import Babel

    app = _called_page(build_app(sqlite_url, str(tmp_path / "a")))
    # URL defaults are app set-up, so this app gets them before its first request.
    defaults = _called_page(Flask("consent_defaults", instance_path=str(tmp_path / "b")))
    defaults.config.update(SECRET_KEY="test-secret-key-0123456789abcdef", CONSENT_DATABASE_URL=sqlite_url)

    @defaults.url_defaults
    def campaign(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint.startswith("consent."):
            values.setdefault("c", request.args.get("c", "none"))

    Consent(defaults, purposes=shop_purposes())
    client = defaults.test_client()
    client.set_cookie("consent", _cookie(defaults))
    first_visit = defaults.test_client()
    for c in ("a", "b", "a"):
        page = client.get(f"/called?c={c}").get_data(as_text=True)
        assert f'href="/consent/preferences?c={c}"' in page and f"consent.js?c={c}" in page, c
        banner = first_visit.get(f"/called?c={c}").get_data(as_text=True)
        assert 'id="consent-banner"' in banner and f'action="/consent?c={c}"' in banner, c

    Babel(app, locale_selector=lambda: request.args.get("lang", "en"))
    client = app.test_client()
    client.set_cookie("consent", _cookie(app))
    for lang, expected in (("en", "en"), ("zh_Hant_HK", "zh-HK"), ("en", "en")):
        assert f'lang="{expected}"' in client.get(f"/called?lang={lang}").get_data(as_text=True), lang




def test_kept_markup_follows_each_visitors_language(sqlite_url: str, tmp_path: Any) -> None:
    """The banner cache is keyed on what decides the locale (here the Accept-Language value): visitors with
    different languages, in any order, each get their own language, decided or not, and one visitor's kept
    markup never reaches another."""
    app = _called_page(build_app(sqlite_url, str(tmp_path / "a")))
    cookie = _cookie(app)
    for language, expected in [("zh-HK", 'lang="zh-HK"'), ("en-GB", 'lang="en"'), ("zh-HK,zh;q=0.9", 'lang="zh-HK"'),
                               ("zh-CN", 'lang="zh-CN"'), ("en-GB", 'lang="en"')]:
        for visitor_cookie in (cookie, None):
            page = _page(app, visitor_cookie, "/called", **{"Accept-Language": language})
            assert expected in page, (language, visitor_cookie is not None)
    assert len(app.extensions["consent"].banners) > 0  # the markup was kept, and still answered per language


def test_requests_sharing_one_app_context_each_read_their_own_cookie(app: Flask) -> None:
    """``g`` lives as long as the app context, which several requests may share (an app context pushed around
    test requests): the second request reads its own cookie, never the first request's state."""
    cookie = _cookie(app, "accept_all")
    with app.app_context():
        with app.test_request_context("/", headers={"Cookie": f"consent={cookie}"}):
            assert extension_module.current_consent.granted("analytics")
        with app.test_request_context("/"):
            assert not extension_module.current_consent.granted("analytics")
            assert extension_module.current_consent.needs_prompt


def test_a_verified_cookie_shared_by_requests_cannot_be_changed(app: Flask) -> None:
    """The codec keeps one verified payload per cookie for every request that sends it: nothing may alter it."""
    ext = app.extensions["consent"]
    payload = ext.codec.loads(_cookie(app), now=datetime.now(timezone.utc), max_age=ext.max_age)
    assert payload is not None and payload.decisions
    with pytest.raises(TypeError):
        payload.decisions["analytics"] = payload.decisions["advertising"]  # type: ignore[index]
