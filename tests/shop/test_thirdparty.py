"""Third-party stand-ins: nothing loads, collects or sets a cookie before its purpose is granted, and
withdrawal removes their cookies (HttpOnly ones too) and data (C6, C24)."""

from __future__ import annotations

import re

import pytest

from example_shop.extensions import db
from example_shop.models import AnalyticsEvent

from .conftest import decide, set_cookie_names, token


def beacon(client, path: str = "/products"):
    return client.post("/tp/collect", json={"path": path}, headers={"X-CSRFToken": token(client)})


def events(app) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(AnalyticsEvent)))


def test_sdk_scripts_are_inert_until_granted(client):  # C6
    html = client.get("/").get_data(as_text=True)
    tag = re.search(r'<script[^>]*data-consent="analytics"[^>]*>', html).group(0)
    assert 'type="text/plain"' in tag and 'data-src="/static/thirdparty/analytics.js"' in tag
    assert ' src="' not in tag
    ads = re.search(r'<script[^>]*data-consent="advertising"[^>]*>', html).group(0)
    assert 'type="text/plain"' in ads
    decide(client, "grant", "analytics")
    html = client.get("/").get_data(as_text=True)
    tag = re.search(r'<script[^>]*data-consent="analytics"[^>]*>', html).group(0)
    assert 'src="/static/thirdparty/analytics.js"' in tag and "text/plain" not in tag
    assert 'data-endpoint="/tp/collect"' in tag


def test_collect_refuses_without_consent(shop, client):  # C6
    r = beacon(client)
    assert r.status_code == 403 and r.get_json()["error"] == "consent_required"
    decide(client, "reject_all", scope="due")
    r = beacon(client)
    assert r.status_code == 403 and "_shop_analytics" not in set_cookie_names(r)
    assert events(shop) == 0


def test_analytics_cookie_is_set_with_consent_and_expired_on_withdrawal(shop_on, db_url):  # C6
    client = shop_on.test_client()
    decide(client, "grant", "analytics")
    r = beacon(client)
    assert r.status_code == 200
    header = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("_shop_analytics="))
    assert "HttpOnly" in header
    beacon(client, "/cart")
    assert events(shop_on) == 2
    r = client.post("/consent", data={"csrf_token": token(client), "action": "save", "scope": "all", "next": "/"})
    expired = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("_shop_analytics=")]
    assert expired and ("Max-Age=0" in expired[0] or "1970" in expired[0]) and "HttpOnly" in expired[0]
    assert client.get_cookie("_shop_analytics") is None
    assert events(shop_on) == 0
    assert beacon(client).status_code == 403


def test_ad_pixel_sets_its_cookie_only_with_advertising(client):  # C24
    assert "_ads_id" not in set_cookie_names(client.get("/tp/pixel.gif"))
    decide(client, "grant", "analytics")
    assert "_ads_id" not in set_cookie_names(client.get("/tp/pixel.gif"))
    decide(client, "grant", "advertising")
    r = client.get("/tp/pixel.gif")
    assert r.mimetype == "image/gif" and "_ads_id" in set_cookie_names(r)


def test_gpc_refuses_marketing_and_sharing_without_asking(client):  # C24
    decide(client, "accept_all")
    r = client.get("/tp/pixel.gif", headers={"Sec-GPC": "1"})
    assert "_ads_id" not in set_cookie_names(r)
    state = client.get("/consent/state", headers={"Sec-GPC": "1"}).get_json()
    assert "advertising" in state["denied"] and "third_party_sharing" in state["denied"]
    assert "analytics" in state["granted"]


def test_marketing_and_sharing_are_separate_unticked_choices(client):  # C24
    html = client.get("/").get_data(as_text=True)
    banner = html[html.index('id="consent-banner"'):]
    for key in ("advertising", "third_party_sharing"):
        box = re.search(rf'<input[^>]*value="{key}"[^>]*>', banner).group(0)
        assert "checked" not in box
    decide(client, "grant", "advertising")
    state = client.get("/consent/state").get_json()
    assert "advertising" in state["granted"] and "third_party_sharing" not in state["granted"]
    decide(client, "save", "analytics")  # withdrawing marketing is one choice away, any time
    assert "advertising" not in client.get("/consent/state").get_json()["granted"]


def test_live_broadcast_is_a_placeholder_until_social_embeds(client):  # C6
    html = client.get("/").get_data(as_text=True)
    assert "consent-placeholder" in html and "<iframe" not in html
    assert client.get("/tp/live").status_code == 403
    decide(client, "grant", "social_embeds")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<iframe src="/tp/live" title="Harbour Live: [^"]+" data-consent="social_embeds"', html)
    r = client.get("/tp/live")
    assert r.status_code == 200 and "_live_viewer" in set_cookie_names(r)
    assert 'id="consent-banner"' not in r.get_data(as_text=True)


@pytest.mark.parametrize(("purpose", "url", "cookie"), [
    ("advertising", "/tp/pixel.gif", "_ads_id"),
    ("social_embeds", "/tp/live", "_live_viewer"),
    ("recommendations", "/product/clay-pot", "recs_recent"),
])
def test_withdrawal_expires_the_purpose_cookie_and_stops_it(client, purpose, url, cookie):  # C6
    decide(client, "grant", purpose)
    assert cookie in set_cookie_names(client.get(url))
    assert client.get_cookie(cookie) is not None
    r = client.post("/consent", data={"csrf_token": token(client), "action": "save", "scope": "all", "next": "/"})
    expired = [h for h in r.headers.getlist("Set-Cookie") if h.startswith(f"{cookie}=")]
    assert expired and ("Max-Age=0" in expired[0] or "1970" in expired[0])
    assert client.get_cookie(cookie) is None
    assert cookie not in set_cookie_names(client.get(url))
