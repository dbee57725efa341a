"""Issue 18: a receipt does not call the shop's own processing a third-party disclosure (C17).

A purpose's ``vendors`` are its third parties, except the controller itself: a vendor named as
``CONSENT_CONTROLLER`` names the controller (``piiController`` or ``name``) is the shop doing its own processing.
"""

from __future__ import annotations

from conftest import choose
from core_util import records

from flask_consent import Purpose

PURPOSES = [
    Purpose("recommendations", "Recommendations", "From what you browse.", vendors=["Test Shop Ltd"]),
    Purpose("analytics", "Analytics", "Page views.", vendors=["Test Shop Ltd", "Stats Co"]),
    Purpose("advertising", "Advertising", "Ads elsewhere.", vendors=["Ad Partner"]),
    Purpose("newsletter", "Newsletter", "Offers by e-mail."),
    Purpose("location", "Nearby offers", "Your position.", separate=True),
]


def services(app, client) -> dict[str, dict]:
    choose(client, "accept_all")
    (record,) = records(app)
    receipt = client.get(f"/consent/receipt/{record.id}", headers={"Accept": "application/json"}).get_json()
    return {s["purpose"]: s for s in receipt["services"]}


def test_the_shop_named_as_a_vendor_is_no_third_party(make_app):  # C17
    app = make_app(PURPOSES, CONSENT_CONTROLLER={"piiController": "Test Shop Ltd", "email": "dpo@shop.test"})
    found = services(app, app.test_client())
    assert found["recommendations"]["thirdPartyDisclosure"] is False
    assert found["recommendations"]["thirdPartyNames"] == []


def test_other_vendors_beside_the_shop_are_still_third_parties(make_app):  # C17
    app = make_app(PURPOSES, CONSENT_CONTROLLER={"piiController": "Test Shop Ltd"})
    found = services(app, app.test_client())
    assert found["analytics"]["thirdPartyDisclosure"] is True
    assert found["analytics"]["thirdPartyNames"] == ["Stats Co"]
    assert found["advertising"]["thirdPartyNames"] == ["Ad Partner"]
    assert found["newsletter"]["thirdPartyDisclosure"] is False  # no vendors at all


def test_the_controller_name_key_and_spacing_or_case_count_too(make_app):  # C17
    app = make_app(PURPOSES, CONSENT_CONTROLLER={"name": " test shop ltd"})
    assert services(app, app.test_client())["recommendations"]["thirdPartyDisclosure"] is False


def test_without_a_controller_every_vendor_is_a_third_party(make_app):  # C17
    app = make_app(PURPOSES)
    found = services(app, app.test_client())
    assert found["recommendations"]["thirdPartyNames"] == ["Test Shop Ltd"]
    assert found["recommendations"]["thirdPartyDisclosure"] is True


def test_the_receipt_page_lists_only_the_third_parties(make_app):  # C17
    app = make_app(PURPOSES, CONSENT_CONTROLLER={"piiController": "Test Shop Ltd"})
    client = app.test_client()
    choose(client, "accept_all")
    (record,) = records(app)
    html = client.get(f"/consent/receipt/{record.id}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "(Vendors and SDKs: Stats Co)" in html and "(Vendors and SDKs: Ad Partner)" in html
    assert "Vendors and SDKs: Test Shop Ltd" not in html


def test_the_example_shop_discloses_only_to_its_partners(make_app):  # C17
    from example_shop.purposes import PURPOSES as SHOP_PURPOSES
    from example_shop.purposes import SHOP_NAME

    app = make_app(SHOP_PURPOSES, CONSENT_CONTROLLER={"piiController": SHOP_NAME})
    client = app.test_client()
    choose(client, "save", tuple(p.key for p in SHOP_PURPOSES if not p.required))
    (record,) = records(app)
    receipt = client.get(f"/consent/receipt/{record.id}", headers={"Accept": "application/json"}).get_json()
    disclosed = {s["purpose"] for s in receipt["services"] if s["thirdPartyDisclosure"]}
    assert disclosed == {"advertising", "third_party_sharing", "social_embeds", "voice_photo_search"}
