"""Issue 18: an iframe switched on without a reload keeps the attributes given to ``consent_iframe(...)``.

The placeholder carries them (``data-attrs``) and consent.js sets the safe ones on the iframe it creates: its
size, ``allow``, ``allowfullscreen``, ``loading``, ``referrerpolicy``, ``sandbox`` and ``class``; never an
``on*`` handler or ``srcdoc``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import LiveServer
from flask import Flask, render_template_string
from playwright.sync_api import Page, expect

from flask_consent import Consent, Purpose

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Live</title>
<link rel="stylesheet" href="{{ url_for('consent.static', filename='consent/consent.css') }}">
<style>iframe{border:0}</style></head>
<body><main><h1>Live</h1>
{{ consent_iframe("social_embeds", "/embed", "Live", width=560, height=315, allow="autoplay; fullscreen",
                  allowfullscreen=True, loading="lazy", referrerpolicy="no-referrer", class_="live",
                  hidden_=False) }}
{{ consent_iframe("social_embeds", "/embed", "Hostile", onload="window.pwned = 1",
                  srcdoc="<script>parent.pwned = 2</script>", width=200) }}
</main></body></html>"""


def build_app(instance: str) -> Flask:
    app = Flask("consent_iframe_attributes", instance_path=instance)
    app.config.update(SECRET_KEY="iframe-attributes-secret-0123456789", TESTING=True,
                      CONSENT_DATABASE_URL=f"sqlite:///{instance}/consent.db")
    app.add_url_rule("/", "index", lambda: render_template_string(PAGE))
    app.add_url_rule("/embed", "embed", lambda: "<!doctype html><title>Player</title><p>Player</p>")
    Consent(app, purposes=[Purpose("social_embeds", "Live broadcasts", "A live player.", vendors=["Stream Co"])])
    return app


@pytest.fixture
def url(live_server: Callable[[Flask], LiveServer], tmp_path: Any) -> str:
    return live_server(build_app(str(tmp_path))).url


def test_the_placeholder_carries_the_attributes_in_html_names(url: str, page: Page) -> None:
    page.goto(url + "/")
    attrs = json.loads(page.locator(".consent-placeholder").first.get_attribute("data-attrs") or "{}")
    assert attrs == {"width": "560", "height": "315", "allow": "autoplay; fullscreen", "allowfullscreen": "",
                     "loading": "lazy", "referrerpolicy": "no-referrer", "class": "live"}


def test_a_frame_allowed_in_place_is_560_by_315(url: str, page: Page) -> None:  # C6, C25
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url + "/")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Allow: Live broadcasts").first.click()
    frame = page.locator('iframe[title="Live"]')
    expect(frame).to_have_attribute("src", "/embed")
    assert page.evaluate("window.sameDocument") is True  # no reload
    box = frame.bounding_box()
    assert box is not None and (round(box["width"]), round(box["height"])) == (560, 315)
    for name, value in {"allow": "autoplay; fullscreen", "allowfullscreen": "", "loading": "lazy",
                        "referrerpolicy": "no-referrer", "class": "live"}.items():
        expect(frame).to_have_attribute(name, value)


def test_handlers_and_srcdoc_are_never_set(url: str, page: Page) -> None:
    page.goto(url + "/")
    page.get_by_role("button", name="Allow: Live broadcasts").first.click()
    frame = page.locator('iframe[title="Hostile"]')
    expect(frame).to_have_attribute("src", "/embed")
    expect(frame).to_have_attribute("width", "200")
    assert frame.get_attribute("onload") is None and frame.get_attribute("srcdoc") is None
    page.wait_for_function("() => document.querySelector('iframe[title=Hostile]').contentDocument?.title")
    assert page.evaluate("window.pwned") is None
