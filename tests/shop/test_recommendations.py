"""Recommendations: personalised only with consent, bestsellers otherwise, no history without consent,
and withdrawal deletes what was recorded (C26)."""

from __future__ import annotations

from example_shop.extensions import db
from example_shop.models import BrowsingEvent
from example_shop.recommendations import bestsellers

from .conftest import decide, login, token


def history_count(app) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(db.func.count()).select_from(BrowsingEvent)))


def test_without_consent_bestsellers_and_no_browsing_history(shop, client):  # C26
    for slug in ("clay-pot", "bamboo-steamer", "carbon-steel-wok"):
        r = client.get(f"/product/{slug}")
        assert "recs_recent" not in r.headers.get("Set-Cookie", "")
    decide(client, "reject_all", scope="due")
    client.get("/product/clay-pot")
    assert history_count(shop) == 0
    page = client.get("/recommendations").get_data(as_text=True)
    assert 'data-recommendations="bestsellers"' in page
    with shop.app_context():
        top = bestsellers(1)[0].name
    assert top in page and top in client.get("/").get_data(as_text=True)


def test_with_consent_recommendations_follow_browsing(shop, client):  # C26
    decide(client, "grant", "recommendations")
    for slug in ("clay-pot", "bamboo-steamer", "carbon-steel-wok"):
        r = client.get(f"/product/{slug}")
        assert any(h.startswith("recs_recent=") for h in r.headers.getlist("Set-Cookie"))
    assert history_count(shop) == 3
    page = client.get("/recommendations").get_data(as_text=True)
    assert 'data-recommendations="personalised"' in page
    assert "Cleaver" in page and "Dim sum tongs" in page  # more from the kitchen category
    assert "Recently viewed" in client.get("/").get_data(as_text=True)


def test_member_favourites_shape_recommendations(shop, client):  # C26
    login(client, shop)
    decide(client, "grant", "recommendations")
    client.post("/product/tiger-balm/favourite", data={"csrf_token": token(client, "/product/tiger-balm")})
    page = client.get("/recommendations").get_data(as_text=True)
    assert "Sandalwood soap" in page  # personal care, from the favourite


def test_withdrawing_deletes_history_and_its_cookie(shop_on, db_url):  # C26
    client = shop_on.test_client()
    decide(client, "grant", "recommendations")
    client.get("/product/clay-pot")
    assert history_count(shop_on) == 1 and client.get_cookie("recs_recent") is not None
    r = client.post("/consent", data={"csrf_token": token(client), "action": "save", "scope": "all", "next": "/"})
    assert r.status_code == 303
    assert history_count(shop_on) == 0
    expired = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("recs_recent=")]
    assert expired and ("Max-Age=0" in expired[0] or "1970" in expired[0])
    client.get("/product/bamboo-steamer")
    assert history_count(shop_on) == 0
    assert 'data-recommendations="bestsellers"' in client.get("/recommendations").get_data(as_text=True)


def test_consent_alone_does_not_pretend_to_personalise(client):  # C26
    decide(client, "grant", "recommendations")
    assert 'data-recommendations="bestsellers"' in client.get("/recommendations").get_data(as_text=True)
    assert "Not personalised" in client.get("/").get_data(as_text=True)
