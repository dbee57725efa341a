"""A small CSP-protected shop for the browser tests, and Chromium pages with JavaScript on or off.

The test shop declares the example shop's eight purposes and carries what the banner script must handle:
a stub ``gtag`` with the Consent Mode default before any tag, gated external and inline scripts, a gated
iframe behind a placeholder, server-set cookies of optional purposes, a just-in-time prompt page and a
page long enough to scroll under the banner. Every response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveServer
from flask import Flask, g, make_response, render_template_string
from playwright.sync_api import Browser, Page

from flask_consent import Consent, Cookie, Purpose, consent_required

TIMEOUT_MS = 5000
NECESSARY_COOKIES = {"consent", "consent_csrf", "session"}

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Test shop</title>
{#- The page has a gated-iframe placeholder: its style must not arrive after it has been laid out. #}
<link rel="stylesheet" href="{{ url_for('consent.static', filename='consent/consent.css') }}">
<script nonce="{{ g.nonce }}">window.gtagLog=[];window.gatedLog=[];window.dataLayer=[];
window.gtag=function(){gtagLog.push(Array.prototype.slice.call(arguments))};</script>
{{ consent_gcm_default() }}
</head><body><main><h1>Test shop</h1>
<p>Choices: <span id="granted">{{ consent.granted_keys() | join(" ") }}</span></p>
{{ consent_script("analytics", src="/t/a.js") }}
<script nonce="{{ g.nonce }}" data-consent="analytics"
{%- if not consent.granted("analytics") %} type="text/plain"{% endif %}>gatedLog.push("inline")</script>
{{ consent_script("analytics", src="/t/b.js") }}
{{ consent_script(["analytics", "advertising"], src="/t/tag.js") }}
{{ consent_iframe("social_embeds", src="/t/embed", title="Live broadcast") }}
<nav aria-label="Departments"><ul>
{%- for i in range(40) %}<li><a href="/?d={{ i }}">Department {{ i }}</a></li>{% endfor %}</ul></nav>
<p><a href="/nearby">Nearby offers</a></p>
</main></body></html>"""

EMBED = """<!doctype html><html lang="en"><head><title>Live broadcast</title></head>
<body><main><p>Live broadcast player</p></main></body></html>"""

SCRIPTS = {
    "a.js": 'gatedLog.push("a"); document.cookie = "_sa_js=1; path=/";',
    "b.js": 'gatedLog.push("b");',
    "tag.js": 'gtag("js", "google-tag-loaded");',
}


def purposes() -> list[Purpose]:
    """The example shop's purposes (necessary is added by the extension)."""
    return [
        Purpose("recommendations", "Personalised recommendations", "Suggestions from what you browse and buy.",
                cookies=[Cookie("recs_*", lifetime="30 days")], vendors=["Test shop"],
                gcm=["personalization_storage"], refusal_effect="You see bestsellers instead."),
        Purpose("location", "Nearby goods and offers", "Stores and offers near you, from your location.",
                why="To find the stores nearest to you.", refusal_effect="Pick a district by hand instead."),
        Purpose("voice_photo_search", "Voice and photo search", "Search by speaking or with a photo.",
                refusal_effect="Type your search instead."),
        Purpose("analytics", "Analytics", "Counts visits to improve the shop.",
                cookies=[Cookie("_shop_analytics", lifetime="13 months"), Cookie("_sa_js", lifetime="13 months")],
                vendors=["Local Analytics"], gcm=["analytics_storage"]),
        Purpose("advertising", "Advertising", "Marketing based on your visits.", cookies=["_ads_*"],
                vendors=["Ad Partner"], gpc_opt_out=True, gcm=["ad_storage", "ad_user_data", "ad_personalization"]),
        Purpose("third_party_sharing", "Sharing with partners", "Affiliates use your data for their own offers.",
                gpc_opt_out=True, vendors=["Affiliate Co"]),
        Purpose("social_embeds", "Social embeds", "Live-broadcast players from a third party.",
                vendors=["Stream Co"], gcm=["functionality_storage"]),
    ]


def build_test_shop(db: str, instance: str) -> Flask:
    app = Flask("consent_browser_shop", instance_path=instance)
    app.config.update(
        SECRET_KEY="browser-test-secret-0123456789", TESTING=True, CONSENT_DATABASE_URL=db,
        CONSENT_CSP_NONCE=lambda: g.nonce,
    )

    @app.before_request
    def make_nonce() -> None:
        g.nonce = secrets.token_urlsafe(16)

    @app.after_request
    def csp(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{g.nonce}'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
        )
        return response

    @app.get("/")
    def index() -> Any:
        response = make_response(render_template_string(PAGE))
        # Set on every view; the extension strips them until their purpose is granted.
        response.set_cookie("_shop_analytics", "1", httponly=True)
        response.set_cookie("_ads_id", "1")
        return response

    @app.get("/t/<name>")
    def asset(name: str) -> Any:
        if name == "embed":
            return EMBED
        response = make_response(SCRIPTS[name])
        response.mimetype = "text/javascript"
        return response

    @app.get("/nearby")
    @consent_required("location")
    def nearby() -> str:
        return render_template_string(
            '<!doctype html><html lang="en"><head><title>Nearby</title></head>'
            '<body><main><h1 id="nearby">Stores near you</h1></main></body></html>'
        )

    Consent(app, purposes=purposes())
    return app


@dataclass
class Shop:
    app: Flask
    url: str

    @property
    def records(self) -> list[Any]:
        """The consent log, oldest first."""
        return list(self.app.extensions["consent"].store.iter_records())

    def granted(self, page: Page) -> set[str]:
        """The optional purposes the server holds as granted for the page's visitor."""
        return set(page.request.get(self.url + "/consent/state").json()["granted"]) - {"necessary"}


@pytest.fixture
def shop(live_server: Callable[[Flask], LiveServer], tmp_path: Any) -> Shop:
    app = build_test_shop(f"sqlite:///{tmp_path / 'consent.db'}", str(tmp_path / "instance"))
    return Shop(app, live_server(app).url)


@pytest.fixture(scope="session")
def seeded_shop_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example shop's instance folder, created and seeded once and copied per test."""
    from example_shop import create_app

    path = tmp_path_factory.mktemp("harbour") / "instance"
    create_app({"TESTING": True, "INSTANCE_PATH": str(path), "SHOP_PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    return path


@pytest.fixture
def harbour(live_server: Callable[[Flask], LiveServer], tmp_path: Any, seeded_shop_instance: Path) -> Shop:
    """The example shop on a live server, on its own copy of the seeded instance folder."""
    from example_shop import create_app

    instance = tmp_path / "instance"
    shutil.copytree(seeded_shop_instance, instance)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SHOP_PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    return Shop(app, live_server(app).url)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context: ``js``, ``width``/``height``, ``dark``, ``gpc`` (navigator only),
    ``locale`` (sent as Accept-Language).

    ``no_banner_script`` keeps JavaScript on but never loads consent.js: the page is exactly what a visitor
    without JavaScript gets, and tools that need JavaScript (axe) can still inspect it.
    """
    contexts = []

    def open_(js: bool = True, width: int = 1280, height: int = 800, dark: bool = False, gpc: bool = False,
              no_banner_script: bool = False, locale: str = "en-GB") -> Page:
        ctx = browser.new_context(
            java_script_enabled=js, viewport={"width": width, "height": height},
            color_scheme="dark" if dark else "light", reduced_motion="reduce", locale=locale,
        )
        contexts.append(ctx)
        ctx.set_default_timeout(TIMEOUT_MS)
        if no_banner_script:
            ctx.route("**/consent/consent.js", lambda route: route.abort())
        if gpc:
            ctx.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
        # Collect CSP violations from the very start of every document.
        ctx.add_init_script(
            "window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
            "e => cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        return ctx.new_page()

    yield open_
    for ctx in contexts:
        ctx.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request: pytest.FixtureRequest) -> bool:
    """Run the test with JavaScript on and with it off (C32)."""
    return bool(request.param)
