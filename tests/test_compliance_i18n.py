"""Issue 4, item 7: English, Traditional Chinese (Hong Kong) and Simplified Chinese (C30: the right ``lang``)."""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import choose

from flask_consent import Cookie, Purpose
from flask_consent.i18n import LOCALES, normalise, strings

ZH = ("zh-HK", "zh-CN")


def _texts(en: str, hk: str, cn: str) -> dict[str, str]:
    return {"en": en, "zh-HK": hk, "zh-CN": cn}


def localised_purposes() -> list[Purpose]:
    return [
        Purpose("recommendations", _texts("For you", "為你推薦", "为你推荐"), _texts("Picks.", "精選。", "精选。")),
        Purpose("location", _texts("Nearby offers", "附近優惠", "附近优惠"),
                _texts("Stores near you.", "你附近的分店。", "你附近的门店。"),
                why=_texts("To find stores.", "為了尋找分店。", "为了寻找门店。"),
                refusal_effect=_texts("Pick a district.", "手動選擇地區。", "手动选择地区。"),
                cookies=[Cookie("loc", lifetime=_texts("1 day", "1 日", "1 天"))], vendors=["HK Maps"]),
        Purpose("advertising", _texts("Advertising", "廣告", "广告"), _texts("Marketing.", "市場推廣。", "市场推广。"),
                gpc_opt_out=True, refusal_effect=_texts("Generic ads.", "一般廣告。", "一般广告。")),
    ]


@pytest.fixture
def i18n_app(make_app):
    return make_app(purposes=localised_purposes())


def _english_strings() -> list[str]:
    words = {"Cookie", "Cookies"}
    return [v for v in strings("en").values() if v and v not in words]


def test_every_built_in_string_exists_in_every_locale():
    keys = set(strings("en"))
    for locale in LOCALES:
        assert set(strings(locale)) == keys, locale
        for key, value in strings(locale).items():
            assert value or key == "reason_first_visit", (locale, key)
            if locale != "en" and key not in ("cookies", "reason_first_visit"):
                assert value != strings("en")[key], (locale, key)
    for locale in ZH:
        assert "{title}" in strings(locale)["prompt_title"]


@pytest.mark.parametrize("locale", ZH)
def test_every_page_renders_only_the_chosen_language(i18n_app, locale):
    client = i18n_app.test_client()
    headers = {"Accept-Language": locale}
    pages = {
        "banner": client.get("/", headers=headers),
        "preferences": client.get("/consent/preferences", headers={**headers, "Sec-GPC": "1"}),
        "prompt": client.get("/nearby", headers=headers),
        "declaration": client.get("/consent/declaration", headers=headers),
    }
    english = _english_strings() + ["For you", "Picks.", "Nearby offers", "Stores near you.", "Pick a district.",
                                    "1 day", "Marketing."]
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        text = re.sub(r"<[^>]+>", " ", html)
        for phrase in english:
            assert phrase not in text, (name, phrase)
        assert f'lang="{locale}"' in html, name
        assert "<td>session</td>" not in html and ": session)" not in html, name
    zh = strings(locale)
    banner = pages["banner"].get_data(as_text=True)
    for key in ("banner_title", "accept_all", "reject_all", "customise", "save", "policy_link"):
        assert zh[key] in banner
    assert ("附近優惠" if locale == "zh-HK" else "附近优惠") in banner
    assert zh["gpc_honoured"] in pages["preferences"].get_data(as_text=True)
    assert zh["prompt_title"].format(title="附近優惠" if locale == "zh-HK" else "附近优惠") in pages[
        "prompt"].get_data(as_text=True)


def test_reopen_control_and_state_json_are_translated(i18n_app):
    client = i18n_app.test_client()
    choose(client, "reject_all")
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert re.search(r'id="consent-reopen"[^>]*>隐私选择</a>', html)
    up_to_reopen = html[: html.index(">", html.index('id="consent-reopen"'))]
    assert re.findall(r'lang="([^"]+)"', up_to_reopen)[-1] == "zh-CN", "the control or its wrapper says its language"
    state = client.get("/consent/state", headers={"Accept-Language": "zh-HK"}).get_json()
    assert state["locale"] == "zh-HK" and state["purposes"][2]["title"] == "附近優惠"


def test_english_is_the_default_and_banner_lang_is_set(i18n_app):
    html = i18n_app.test_client().get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"}).get_data(as_text=True)
    assert re.search(r'<section id="consent-banner"[^>]*lang="en"', html) and "Accept all" in html


def test_locale_selector_wins_over_accept_language(make_app):
    app = make_app(purposes=localised_purposes(), CONSENT_LOCALE_SELECTOR=lambda: "zh_Hans_CN")
    html = app.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert strings("zh-CN")["reject_all"] in html and 'lang="zh-CN"' in html


def test_selector_returning_nothing_falls_back_to_accept_language(make_app):
    app = make_app(CONSENT_LOCALE_SELECTOR=lambda: None)
    html = app.test_client().get("/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert strings("zh-HK")["reject_all"] in html


@pytest.mark.parametrize("tag, expected", [
    ("zh-HK", "zh-HK"), ("zh_Hant_HK", "zh-HK"), ("zh-TW", "zh-HK"), ("zh-Hant", "zh-HK"), ("zh-MO", "zh-HK"),
    ("zh-CN", "zh-CN"), ("zh_Hans", "zh-CN"), ("zh-SG", "zh-CN"), ("zh", "zh-CN"), ("en-GB", "en"), ("en", "en"),
    ("zh-Hant-HK", "zh-HK"), ("zh-Hans-HK", "zh-CN"), ("yue-HK", "zh-HK"), ("EN_us", "en"),
    ("fr", None), ("", None), ("*", None),
])
def test_locale_tags_are_normalised(tag, expected):
    assert normalise(tag) == expected


@pytest.mark.parametrize("header, expected", [
    ("en-US,zh-CN;q=0.5", "en"), ("zh-HK;q=0.2,en;q=0.9", "en"), ("fr,zh-HK;q=0.5", "zh-HK"),
    ("zh-Hant-HK,zh;q=0.8", "zh-HK"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("fr-FR", "en"), ("*", "en"),
])
def test_accept_language_follows_the_visitor_order(sqlite_url, tmp_path, header, expected):
    from conftest import build_app

    app = build_app(sqlite_url, str(tmp_path / "inst"))
    assert app.test_client().get("/consent/state", headers={"Accept-Language": header}).get_json()[
        "locale"] == expected


def test_choice_record_keeps_the_locale(i18n_app):
    client = i18n_app.test_client()
    headers = {"Accept-Language": "zh-HK"}
    token = client.get("/consent/state", headers=headers).get_json()["csrf_token"]
    client.post("/consent", data={"csrf_token": token, "action": "accept_all"}, headers=headers)
    (record,) = i18n_app.extensions["consent"].store.iter_records()
    assert record.locale == "zh-HK"


@pytest.mark.skipif(importlib.util.find_spec("flask_babel") is None, reason="Flask-Babel is not installed")
def test_flask_babel_locale_selector_is_used(sqlite_url, tmp_path):
    from conftest import build_app
    from flask_babel import Babel

    app = build_app(sqlite_url, str(tmp_path / "inst"), localised_purposes())
    Babel(app, locale_selector=lambda: "zh_Hant_HK")
    html = app.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert strings("zh-HK")["accept_all"] in html and 'lang="zh-HK"' in html


def test_a_language_the_visitor_refuses_with_q0_is_never_chosen(client):
    state = client.get("/consent/state", headers={"Accept-Language": "zh-CN;q=0, en;q=0.5"}).get_json()
    assert state["locale"] == "en"
    assert client.get("/consent/state", headers={"Accept-Language": "zh-HK;q=0"}).get_json()["locale"] == "en"


@pytest.mark.skipif(importlib.util.find_spec("flask_babel") is None, reason="Flask-Babel is not installed")
def test_vendor_names_follow_flask_babel_and_kept_banners_never_mix_its_languages(sqlite_url, tmp_path):
    """Vendor names are the app's strings, translated through Flask-Babel's ``gettext`` like its own texts.
    Where the extension's locale (here fixed by ``CONSENT_LOCALE_SELECTOR``) and Flask-Babel's differ, a banner
    kept for one visitor must not show another visitor's language."""
    from babel.messages import Catalog
    from babel.messages.mofile import write_mo
    from conftest import build_app
    from flask import request
    from flask_babel import Babel

    for lang, name in (("zh_Hant_HK", "九龍廣告"), ("fr", "Publicités de Kowloon")):
        catalog = Catalog(locale=lang)
        catalog.add("Kowloon Ads", name)
        folder = tmp_path / "translations" / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with open(folder / "messages.mo", "wb") as f:
            write_mo(f, catalog)
    purposes = [p if p.key != "advertising" else Purpose("advertising", "Advertising", "Ads.", vendors=["Kowloon Ads"])
                for p in localised_purposes()]
    app = build_app(sqlite_url, str(tmp_path / "inst"), purposes, CONSENT_LOCALE_SELECTOR=lambda: "en",
                    BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    Babel(app, locale_selector=lambda: request.args.get("babel", "en"))
    client = app.test_client()
    assert "九龍廣告" in client.get("/?babel=zh_Hant_HK").get_data(as_text=True)
    french = client.get("/?babel=fr").get_data(as_text=True)
    assert "Publicités de Kowloon" in french and "九龍廣告" not in french
    english = client.get("/").get_data(as_text=True)
    assert "Kowloon Ads" in english and "九龍廣告" not in english and "Publicités" not in english
    assert "九龍廣告" in client.get("/consent/declaration?babel=zh_Hant_HK").get_data(as_text=True)


@pytest.mark.skipif(importlib.util.find_spec("flask_babel") is None, reason="Flask-Babel is not installed")
def test_vendor_names_through_flask_babel_are_escaped_and_may_hold_a_percent_sign(sqlite_url, tmp_path):
    """Flask-Babel's ``gettext`` marks its text safe and reads it as a format string: "Smith & Sons <b>Ads</b>"
    must be escaped like any text, and "100% Maps" must not break the banner, the declaration or the prompt."""
    from conftest import build_app
    from flask_babel import Babel

    vendors = ["100% Maps Ltd", "Smith & Sons <b>Ads</b>"]
    purposes = [p if p.key != "location" else Purpose("location", "Nearby", "Stores.", vendors=vendors)
                for p in localised_purposes()]
    app = build_app(sqlite_url, str(tmp_path / "inst"), purposes)
    Babel(app)
    client = app.test_client()
    for path in ("/", "/consent/declaration", "/consent/preferences", "/nearby"):
        html = client.get(path).get_data(as_text=True)
        assert "100% Maps Ltd" in html and "Smith &amp; Sons &lt;b&gt;Ads&lt;/b&gt;" in html, path
        assert "<b>Ads" not in html, path
