"""The shop's languages: English (the source), Traditional Chinese (Hong Kong) and Simplified Chinese.

Every text of the shop lives in Flask-Babel message catalogs (``translations/<locale>/LC_MESSAGES``, written
in English in the code and templates with ``_()``, extracted with ``pybabel extract -F babel.cfg``). The
catalogue seeded into the database (product names, stores, offers) is stored in English and translated when
shown, with the ``seeded`` filter; its msgids come from ``seed.seeded_texts()`` (see ``babel_extract.py``).

The locale is read once per request, by the consent extension (``CONSENT_LOCALE_SELECTOR`` is
:func:`select_locale`), and Flask-Babel follows that answer, so the banner and the shop never disagree.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, gettext

from flask_consent import current_locale as consent_locale

#: The languages of the switch, by the shop's locale code.
LANGUAGES: dict[str, str] = {"en": "English", "zh-HK": "繁體中文", "zh-CN": "简体中文"}
#: The Babel locale (and catalog folder) of each shop locale.
BABEL_LOCALES: dict[str, str] = {"en": "en", "zh-HK": "zh_Hant_HK", "zh-CN": "zh_Hans_CN"}

babel = Babel()


def _from_tag(tag: str) -> str | None:
    """A shop locale for one language tag: the script decides Chinese first, then the region."""
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] == "yue":
        return "zh-HK"
    if parts[0] != "zh":
        return None
    if "hans" in parts:
        return "zh-CN"
    return "zh-HK" if {"hant", "hk", "tw", "mo"} & set(parts) else "zh-CN"


def select_locale() -> str:
    """``CONSENT_LOCALE_SELECTOR``: the language picked with the switch (kept in the session), else the first
    language of the browser that the shop speaks, else English."""
    lang = session.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    for tag, _quality in request.accept_languages:
        found = _from_tag(tag)
        if found:
            return found
    return "en"


def current_locale() -> str:
    """The locale of this request, as the consent extension chose it (one reading per request)."""
    return consent_locale()


def babel_locale() -> str:
    """Flask-Babel's locale selector: the catalog of :func:`current_locale`."""
    return BABEL_LOCALES.get(current_locale(), "en")


def seeded(text: str | None) -> str:
    """A seeded catalogue text (product name, store, district, offer) in this request's language.

    A plain ``str``, so Jinja escapes it: Jinja's ``_()`` marks its result safe, which is right for the
    templates' own texts and wrong for anything stored in the database. Its msgid is the text with ``%``
    doubled (``10%% off``), as ``babel_extract`` writes it: a literal percent sign, not a placeholder that
    the catalogs' format check would ask every translation to repeat.
    """
    return str(gettext(text.replace("%", "%%")) % {}) if text else ""


def N_(text: str) -> str:
    """Marks ``text`` as a msgid for ``pybabel extract`` where it is translated later, when shown."""
    return text


def init_i18n(app: Flask) -> None:
    """Flask-Babel with the shop's catalogs and selector, and the template helpers of the language switch."""
    babel.init_app(app, locale_selector=babel_locale)
    from .deadlines import LEGAL_DAYS, TARGET_DAYS
    from .forms import REQUEST_KINDS, REQUEST_STATUSES

    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_locale=current_locale, request_kinds=REQUEST_KINDS,
                                 request_statuses=REQUEST_STATUSES, target_days=TARGET_DAYS, legal_days=LEGAL_DAYS)
    app.jinja_env.filters["seeded"] = seeded
