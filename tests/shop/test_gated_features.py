"""Location and voice/photo search: each its own just-in-time consent with why and what refusing changes,
and an alternative that needs neither (C25, C8)."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

from example_shop.geo import haversine_km

from .conftest import decide, token


def test_nearby_refused_shows_prompt_with_why_and_alternative(client):  # C25
    r = client.get("/nearby")
    html = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "sensitive personal information" in html  # why
    assert "Pick your district by hand" in html  # what refusing changes
    assert 'name="purposes" value="location"' in html and 'value="grant"' in html
    api = client.post("/nearby/stores", json={"lat": 22.28, "lng": 114.16}, headers={"X-CSRFToken": token(client)})
    assert api.status_code == 403 and api.get_json()["purpose"] == "location"


def test_district_picker_needs_no_location(client):  # C25, C8
    decide(client, "reject_all", scope="due")
    html = client.get("/stores?district=Sha+Tin").get_data(as_text=True)
    assert "Harbour Goods Sha Tin" in html and "Harbour Goods Central" not in html
    assert "% off" in html


def test_nearby_granted_lists_nearest_stores(client):  # C25
    decide(client, "grant", "location")
    html = client.get("/nearby").get_data(as_text=True)
    assert 'src="/static/shop/nearby.js"' in html and 'type="module"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"text/plain\")[^>]*>\s*\S", html.split("</head>")[1])
    def nearest(body):
        return client.post("/nearby/stores", json=body, headers={"X-CSRFToken": token(client)})

    data = nearest({"lat": 22.2975, "lng": 114.1720}).get_json()  # by the Star Ferry, TST
    assert data["in_hong_kong"] is True
    assert [s["name"] for s in data["stores"]][0] == "Harbour Goods Tsim Sha Tsui"
    assert data["stores"][0]["distance_km"] < 0.2 and data["stores"][0]["offers"]
    for bad in ({"lat": "abc", "lng": 1}, {"lat": 91, "lng": 114}, {"lat": True, "lng": 114}, [22, 114], {}):
        assert nearest(bad).status_code == 400, bad
    assert client.post("/nearby/stores", json={"lat": 22.3, "lng": 114.2}).status_code == 400  # no CSRF token


def test_withdrawing_location_stops_nearby(client):  # C25
    decide(client, "grant", "location")
    assert client.get("/nearby").status_code == 200
    decide(client, "save")
    assert client.get("/nearby").status_code == 403


def test_haversine_matches_a_known_distance():
    # Central to Sha Tin stores: about 11 km as the crow flies.
    assert haversine_km(22.2820, 114.1588, 22.3817, 114.1877) == pytest.approx(11.4, abs=0.2)
    assert haversine_km(22.3, 114.2, 22.3, 114.2) == 0


def png(colour: tuple[int, int, int], size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def test_voice_and_photo_search_ask_first(client):  # C25
    for path in ("/search/voice", "/search/photo"):
        r = client.get(path)
        assert r.status_code == 403
        html = r.get_data(as_text=True)
        assert "voice and photos can identify you" in html.lower() and "Text search works as always" in html
    assert client.get("/products?q=oolong").status_code == 200


def test_photo_search_matches_by_colour_in_memory(shop, client, monkeypatch):  # C25
    decide(client, "grant", "voice_photo_search")
    assert "voice.js" in client.get("/search/voice").get_data(as_text=True)
    import werkzeug.formparser as fp

    def no_disk(*a, **k):
        raise AssertionError("upload written to a temporary file")

    monkeypatch.setattr(fp, "SpooledTemporaryFile", no_disk, raising=False)
    monkeypatch.setattr("tempfile.SpooledTemporaryFile", no_disk)
    monkeypatch.setattr("tempfile.TemporaryFile", no_disk)
    before = sorted(os.listdir(shop.instance_path))
    big = Image.effect_noise((900, 900), 20).convert("RGB")  # > 500 KB: Werkzeug would spool this to disk
    red = Image.new("RGB", (900, 900), (211, 47, 47))
    red = Image.blend(red, big, 0.05)
    buf = io.BytesIO()
    red.save(buf, "PNG")
    assert len(buf.getvalue()) > 500 * 1024
    r = client.post("/search/photo", data={"csrf_token": token(client, "/search/photo"),
                                           "photo": (io.BytesIO(buf.getvalue()), "lantern.png")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    first = re.search(r'class="card-title">([^<]+)<', html)
    assert first and first.group(1) == "Red lantern"
    assert sorted(os.listdir(shop.instance_path)) == before


def test_photo_search_refuses_non_images(client):  # C25
    decide(client, "grant", "voice_photo_search")
    r = client.post("/search/photo", data={"csrf_token": token(client, "/search/photo"),
                                           "photo": (io.BytesIO(b"not an image"), "x.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "not an image" in r.get_data(as_text=True)


def test_withdrawing_voice_photo_search_stops_it(client):  # C25
    decide(client, "grant", "voice_photo_search")
    assert client.get("/search/photo").status_code == 200
    decide(client, "save", "location")
    assert client.get("/search/photo").status_code == 403 and client.get("/search/voice").status_code == 403


@pytest.mark.parametrize("scope", ["due", "all"])
def test_accept_all_never_grants_sensitive_purposes(client, scope):  # C25
    html = client.get("/").get_data(as_text=True)
    banner = html[html.index('id="consent-banner"'):]
    assert 'value="location"' not in banner and 'value="voice_photo_search"' not in banner
    decide(client, "accept_all", scope=scope)
    state = client.get("/consent/state").get_json()
    assert "analytics" in state["granted"]
    assert "location" not in state["granted"] and "voice_photo_search" not in state["granted"]
    assert state["banner_due"] is False, "sensitive purposes are asked just in time, not by the banner"
    assert client.get("/nearby").status_code == 403
    decide(client, "grant", "location")
    assert client.get("/nearby").status_code == 200
    decide(client, "reject_all", scope="all")
    assert client.get("/nearby").status_code == 403, "reject all on the preferences page withdraws it too"
