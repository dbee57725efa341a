"""Issue 4, items 5 and 6: receipts and history (C14-C17), and the cookie declaration (C10)."""

from __future__ import annotations

import re

from conftest import choose
from core_util import records

RECEIPT_FIELDS = {
    "version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID", "previousReceiptID",
    "language", "piiPrincipalId", "piiControllers", "policyUrl", "policyVersion", "noticeHash", "services",
    "globalPrivacyControl",
}


def test_receipt_has_the_kantara_fields(make_app):  # C17, C15
    app = make_app(CONSENT_CONTROLLER={"piiController": "Test Shop Ltd", "contact": "privacy@shop.test"},
                   CONSENT_POLICY_URL="/privacy/policy", CONSENT_POLICY_VERSION="2026-11")
    client = app.test_client()
    choose(client, "save", ("analytics",))
    choose(client, "save", ("analytics", "advertising"))
    first, second = records(app)
    receipt = client.get(f"/consent/receipt/{second.id}").get_json()
    assert RECEIPT_FIELDS <= set(receipt)
    assert receipt["consentReceiptID"] == second.id and receipt["previousReceiptID"] == first.id
    assert receipt["policyUrl"] == "/privacy/policy" and receipt["policyVersion"] == "2026-11"
    assert receipt["piiControllers"] == [{"piiController": "Test Shop Ltd", "contact": "privacy@shop.test"}]
    assert receipt["jurisdiction"] == "HK" and receipt["collectionMethod"] == "preferences"
    assert receipt["noticeHash"] == second.banner_hash and receipt["language"] == "en"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", receipt["consentTime"])
    services = {s["purpose"]: s for s in receipt["services"]}
    assert services["advertising"]["status"] == "granted" and services["advertising"]["thirdPartyNames"] == [
        "Ad Partner"]
    assert services["location"]["status"] == "denied" and services["location"]["purposeVersion"] == 1
    assert services["necessary"]["consentType"] == "NOT-REQUIRED"
    assert services["analytics"]["thirdPartyDisclosure"] is True


def test_receipt_only_for_the_visitor_own_records(client, app):  # C17
    choose(client, "accept_all")
    (record,) = records(app)
    assert client.get(f"/consent/receipt/{record.id}").status_code == 200
    stranger = app.test_client()
    assert stranger.get(f"/consent/receipt/{record.id}").status_code == 404
    choose(stranger, "reject_all")
    assert stranger.get(f"/consent/receipt/{record.id}").status_code == 404
    assert client.get("/consent/receipt/" + "x" * 200).status_code == 404
    assert client.get("/consent/receipt/does-not-exist").status_code == 404


def test_history_has_every_change_as_its_own_record(client):  # C14, C17
    choose(client, "accept_all")          # grant
    choose(client, "save", ("analytics",))  # change
    choose(client, "reject_all")          # withdrawal
    client.get("/", headers={"Sec-GPC": "1"})  # nothing left to opt out of: no record
    history = client.get("/consent/history").get_json()["records"]
    assert len(history) == 3
    assert history[0]["granted"] == {"necessary": 1} and history[2]["granted"]["advertising"] == 1
    assert [h["previous_id"] for h in history[:2]] == [history[1]["id"], history[2]["id"]]
    for h in history:
        assert h["policy_version"] == "1" and len(h["banner_hash"]) == 64
        assert h["created_at"].endswith("Z") and "ip" not in h


def test_banner_hash_is_per_locale(client, app):  # C15
    choose(client, "reject_all")
    zh = app.test_client()
    zh.get("/", headers={"Accept-Language": "zh-HK"})
    token = zh.get("/consent/state").get_json()["csrf_token"]
    zh.post("/consent", data={"csrf_token": token, "action": "reject_all"}, headers={"Accept-Language": "zh-HK"})
    en_record, zh_record = records(app)
    assert zh_record.locale == "zh-HK" and en_record.locale == "en"
    assert zh_record.banner_hash != en_record.banner_hash


def test_banner_hash_changes_with_what_the_banner_says(make_app):  # C15
    from conftest import shop_purposes

    from flask_consent import Purpose

    one = make_app().extensions["consent"].banner_hash("en")
    purposes = shop_purposes()
    purposes[0] = Purpose("recommendations", "Personalised recommendations", "Suggestions from what you buy.")
    two = make_app(purposes=purposes).extensions["consent"].banner_hash("en")
    assert one != two


def test_declaration_data_lists_every_purpose_from_the_definitions(app):  # C10
    declaration = app.extensions["consent"].declaration()
    assert [d["key"] for d in declaration] == [
        "necessary", "recommendations", "location", "analytics", "advertising", "third_party_sharing"]
    necessary = declaration[0]
    assert necessary["required"] and necessary["justification"]
    assert {c["name"] for c in necessary["cookies"]} >= {"consent", "session", "remember_token"}
    analytics = next(d for d in declaration if d["key"] == "analytics")
    assert analytics["vendors"] == ["Local Analytics"]
    assert analytics["cookies"] == [{"name": "_shop_analytics", "lifetime": "13 months", "path": "/", "domain": None,
                                     "description": ""}]
    recs = next(d for d in declaration if d["key"] == "recommendations")
    assert recs["refusal_effect"] == "You see bestsellers instead."


def test_declaration_page_renders_every_purpose(client):  # C10, C6
    html = client.get("/consent/declaration").get_data(as_text=True)
    assert "<h1>Cookie and SDK declaration</h1>" in html
    for text in ("Personalised recommendations", "Local Analytics", "<code>_shop_analytics</code>",
                 "<td>13 months</td>", "<code>recs_*</code>", "Why it is necessary:", "Affiliate Co",
                 "If you refuse:</strong> You see bestsellers instead."):
        assert text in html, text
    assert client.get("/consent/declaration.json").get_json()["purposes"][0]["key"] == "necessary"


def test_banner_hash_is_worked_out_once_per_locale_and_matches_the_texts(make_app, monkeypatch):  # C15
    import flask_consent.recording as recording
    from flask_consent.i18n import strings
    from flask_consent.records import banner_text_hash

    app = make_app()
    comps = app.extensions["consent"]
    worked_out: list[str] = []

    def counting(registry, texts, locale, policy):
        worked_out.append(locale)
        return banner_text_hash(registry, texts, locale, policy)

    monkeypatch.setattr(recording, "banner_text_hash", counting)
    hashes = [comps.banner_hash(loc) for loc in ("en", "zh-HK", "en", "zh-HK", "en")]
    assert worked_out == ["en", "zh-HK"]
    with app.app_context():
        assert hashes[0] == banner_text_hash(comps.registry, strings("en"), "en", comps.policy_version)
        assert hashes[1] == banner_text_hash(comps.registry, strings("zh-HK"), "zh-HK", comps.policy_version)
    assert hashes[0] != hashes[1]
