"""Issue 17, item 4: the extension's texts are Babel catalogs, and an app adds a language without forking.

The bundled zh-HK and zh-CN catalogs ship compiled in the package; an app's own ``flask_consent`` catalogs
(``CONSENT_TRANSLATION_DIRECTORIES``, or Flask-Babel's ``BABEL_TRANSLATION_DIRECTORIES``) add languages, which
locale negotiation then offers, and reword bundled ones; a message a catalog lacks reads in English.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages import mofile, pofile
from babel.messages.extract import extract_from_file
from conftest import build_app

from flask_consent import i18n
from flask_consent.i18n import CATALOGS, LOCALES, MESSAGES, normalise, period, strings, translate

BULGARIAN = {
    "banner_title": "Вашият избор за поверителност",
    "accept_all": "Приеми всички",
    "reject_all": "Откажи всички",
    "prompt_title": "Да разрешим ли „{title}“?",
}  # "save" and the rest left out on purpose: they must read in English


def write_catalog(directory: Path, locale: str, messages: dict[str, str]) -> Path:
    """Write ``<directory>/<locale>/LC_MESSAGES/flask_consent.po`` as a translator would, and compile it."""
    folder = directory / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entries = "".join(
        f'\nmsgctxt "{key}"\nmsgid "{MESSAGES[key]}"\nmsgstr "{text}"\n' for key, text in messages.items()
    )
    po = f'msgid ""\nmsgstr ""\n"Language: {locale}\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n{entries}'
    (folder / "flask_consent.po").write_text(po, encoding="utf-8")
    catalog = pofile.read_po(io.StringIO(po))
    with open(folder / "flask_consent.mo", "wb") as f:
        mofile.write_mo(f, catalog)
    return directory


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "translations", "bg", BULGARIAN)


@pytest.fixture
def bg_app(sqlite_url: str, tmp_path: Path, catalogs: Path) -> Any:
    return build_app(sqlite_url, str(tmp_path / "inst"), CONSENT_TRANSLATION_DIRECTORIES=[str(catalogs)])


def test_an_app_catalog_adds_bulgarian_for_accept_language_bg(bg_app):
    client = bg_app.test_client()
    html = client.get("/", headers={"Accept-Language": "bg-BG,bg;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert "Приеми всички" in html and "Откажи всички" in html
    assert re.search(r'<section id="consent-banner"[^>]*lang="bg"', html)
    assert "Accept all" not in html
    assert client.get("/consent/state", headers={"Accept-Language": "bg"}).get_json()["locale"] == "bg"


def test_a_message_the_added_catalog_lacks_reads_in_english(bg_app):
    html = bg_app.test_client().get("/", headers={"Accept-Language": "bg"}).get_data(as_text=True)
    assert "Save choices" in html and MESSAGES["customise"] in html
    with bg_app.app_context():
        assert strings("bg")["save"] == "Save choices"
        assert strings("bg")["reason_first_visit"] == ""


def test_the_bundled_languages_still_work_beside_an_added_one(bg_app):
    client = bg_app.test_client()
    for header, expected in (("zh-HK", "全部接受"), ("zh-CN", "全部拒绝"), ("en", "Accept all"), ("fr", "Accept all")):
        html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
        assert expected in html, header
        assert "Приеми всички" not in html, header


def test_without_the_catalog_bulgarian_visitors_get_english(sqlite_url, tmp_path):
    app = build_app(sqlite_url, str(tmp_path / "inst"), CONSENT_TRANSLATION_DIRECTORIES=[str(tmp_path / "none")])
    html = app.test_client().get("/", headers={"Accept-Language": "bg"}).get_data(as_text=True)
    assert "Accept all" in html and 'lang="en"' in html


def test_the_prompt_title_is_formatted_in_the_added_language(bg_app):
    html = bg_app.test_client().get("/nearby", headers={"Accept-Language": "bg"}).get_data(as_text=True)
    assert "Да разрешим ли „Nearby offers“?" in html
    with bg_app.app_context():
        assert translate("bg", "prompt_title", title="X") == "Да разрешим ли „X“?"
        assert translate("en", "prompt_title", title="X") == "Allow X?"


def test_an_app_catalog_rewords_a_bundled_locale_and_keeps_the_rest(sqlite_url, tmp_path):
    directory = write_catalog(tmp_path / "tr", "en", {"accept_all": "Allow all cookies"})
    write_catalog(directory, "zh_HK", {"accept_all": "全部同意"})
    app = build_app(sqlite_url, str(tmp_path / "inst"), CONSENT_TRANSLATION_DIRECTORIES=str(directory))
    client = app.test_client()
    en = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Allow all cookies" in en and "Reject all" in en
    hk = client.get("/", headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert "全部同意" in hk and "全部拒絕" in hk  # the rest from the bundled zh_HK catalog, not English
    assert "Reject all" not in hk


@pytest.mark.skipif(importlib.util.find_spec("flask_babel") is None, reason="Flask-Babel is not installed")
def test_flask_babel_translation_directories_and_locale_selector_are_followed(sqlite_url, tmp_path, catalogs):
    from flask_babel import Babel

    app = build_app(sqlite_url, str(tmp_path / "inst"), BABEL_TRANSLATION_DIRECTORIES=str(catalogs))
    Babel(app, locale_selector=lambda: "bg")
    html = app.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Приеми всички" in html and 'lang="bg"' in html


@pytest.mark.parametrize("tag, added, expected", [
    ("bg", ["bg"], "bg"), ("bg-BG", ["bg"], "bg"), ("BG_bg", ["bg"], "bg"), ("pt", ["pt-BR"], "pt-BR"),
    ("sr-Latn-RS", ["sr", "sr-Latn"], "sr-Latn"), ("zh-TW", ["bg"], "zh-HK"), ("en-GB", ["bg"], "en"),
    ("fr", ["bg"], None), ("*", ["bg"], None), ("bg", [], None),
])
def test_added_locales_are_negotiated(tag, added, expected):
    assert normalise(tag, added) == expected


def test_only_catalogs_of_our_domain_and_of_new_languages_are_added(tmp_path):
    directory = write_catalog(tmp_path / "tr", "bg", BULGARIAN)
    write_catalog(directory, "zh_TW", {"accept_all": "全部同意"})  # read as the bundled zh-HK, not added
    (directory / "de" / "LC_MESSAGES").mkdir(parents=True)
    (directory / "de" / "LC_MESSAGES" / "messages.mo").write_bytes(b"")  # the app's own domain, not ours
    (directory / "README").write_text("not a locale")
    assert i18n._added_locales((str(directory), str(tmp_path / "missing"))) == ("bg",)


def test_unknown_locales_share_the_english_strings():
    assert strings("xx-unknown") is strings("en") and strings("en") == MESSAGES
    assert strings("zh-HK") is strings("zh-HK")  # loaded once, then kept


def _messages(catalog: Any) -> dict[tuple[str | None, str], str]:
    return {(m.context, m.id): m.string for m in catalog if m.id}


def test_the_bundled_catalogs_are_complete_compiled_and_up_to_date():
    """The .pot holds exactly the messages of i18n.py (as ``pybabel extract`` finds them), each bundled .po
    translates every one of them (same ``{placeholders}``), and each .mo is that .po compiled."""
    extracted = {(ctx, msgid) for _line, msgid, _comments, ctx in extract_from_file(
        "python", i18n.__file__, keywords={"_N": ((1, "c"), 2)}, comment_tags=())}
    expected = {(key, text) for key, text in MESSAGES.items() if text}
    assert extracted == expected
    with open(os.path.join(CATALOGS, "flask_consent.pot"), "rb") as f:
        assert set(_messages(pofile.read_po(f))) == expected
    for locale in LOCALES[1:]:
        folder = os.path.join(CATALOGS, locale.replace("-", "_"), "LC_MESSAGES")
        with open(os.path.join(folder, "flask_consent.po"), "rb") as f:
            po = pofile.read_po(f)
        with open(os.path.join(folder, "flask_consent.mo"), "rb") as f:
            mo = mofile.read_mo(f)
        translated = _messages(po)
        assert set(translated) == expected, locale
        assert not [m.id for m in po if m.id and m.fuzzy], locale
        for (key, english), text in translated.items():
            assert text, (locale, key)
            assert re.findall(r"{\w*}", text) == re.findall(r"{\w*}", english), (locale, key)
        assert _messages(mo) == translated, f"{locale}: run pybabel compile -D flask_consent -d {CATALOGS}"


def test_each_app_gets_its_own_catalogs_in_one_process(bg_app, sqlite_url, tmp_path):
    """The kept strings are per (directories, locale): an app without the Bulgarian catalog never gets the
    Bulgarian texts another app in the same process loaded, whichever asks first."""
    plain = build_app(sqlite_url, str(tmp_path / "plain"), CONSENT_TRANSLATION_DIRECTORIES=[str(tmp_path / "x")])
    headers = {"Accept-Language": "bg"}
    for _ in range(2):
        assert "Приеми всички" in bg_app.test_client().get("/", headers=headers).get_data(as_text=True)
        html = plain.test_client().get("/", headers=headers).get_data(as_text=True)
        assert "Приеми всички" not in html and "Accept all" in html


@pytest.mark.parametrize(("length", "words"), [
    (timedelta(days=182), "6 months"), (timedelta(days=395), "13 months"), (timedelta(days=31), "a month"),
    (timedelta(days=45), "45 days"), (timedelta(days=1), "a day"), (timedelta(hours=5), "5 hours"),
    (timedelta(minutes=10), "an hour"),
])
def test_a_period_is_said_in_its_largest_whole_unit(length, words):
    assert period("en", length) == words
