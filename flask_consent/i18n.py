"""The extension's texts, in English and in Babel message catalogs, and the choice of locale.

English is the source language and is written here, as gettext's message ids; every other language is a
Babel message catalog of the ``flask_consent`` domain. The package ships ``zh_HK`` (Traditional Chinese, Hong
Kong) and ``zh_CN`` (Simplified Chinese) in ``flask_consent/translations/<locale>/LC_MESSAGES/`` with the
template ``flask_consent.pot`` next to them. Each message's context (``msgctxt``) is the key the templates use
(``t.accept_all``) and its id is the English text, so translators work from the English wording and a change to
it marks every translation fuzzy for review (a consent text that changed must be re-checked, not kept).

An app adds a language, or rewords a bundled one, without forking: it compiles a ``flask_consent`` catalog into
one of its own translation directories (``CONSENT_TRANSLATION_DIRECTORIES``, by default Flask-Babel's
``BABEL_TRANSLATION_DIRECTORIES``, itself ``translations`` next to the app). Those are searched before the
bundled catalogs, a language found there is offered to visitors, and a message it lacks reads as the bundled
catalog of that locale has it, or else in English.

After editing a message below, maintainers regenerate the catalogs with Babel's own tools::

    pybabel extract --no-default-keywords -k _N:1c,2 --no-location --project flask_consent \\
        --copyright-holder "flask_consent contributors" -o flask_consent/translations/flask_consent.pot \\
        flask_consent/i18n.py
    pybabel update -D flask_consent -i flask_consent/translations/flask_consent.pot -d flask_consent/translations
    pybabel compile -D flask_consent -d flask_consent/translations

and commit the ``.pot``, ``.po`` and ``.mo`` files (a test checks all three match the messages here).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_app_context, request

#: The bundled locales (the tags that ``lang`` attributes and records carry); apps may add more.
LOCALES: tuple[str, ...] = ("en", "zh-HK", "zh-CN")
DEFAULT_LOCALE = "en"
#: The gettext domain of the extension's catalogs, bundled or the app's.
DOMAIN = "flask_consent"
#: The bundled catalogs, inside the package so that the wheel carries them.
CATALOGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")


def _N(key: str, english: str) -> tuple[str, str]:  # noqa: N802 (gettext's marker names are capitalised)
    """Mark ``english`` as the message of ``key`` for ``pybabel extract -k _N:1c,2`` (key as context)."""
    return key, english


#: Every message key and its English text, the source of the catalogs.
MESSAGES: Mapping[str, str] = MappingProxyType(dict((
    _N("separate_note", "Asked separately, only when you use them:"),
    _N("banner_title", "Your privacy choices"),
    _N("banner_text", "We use cookies and similar technologies (SDKs). Some are necessary for the shop to work. "
        "With your permission we also use others for the purposes below. Nothing optional runs until you "
        "agree, and you can change your mind at any time under “Privacy choices”."),
    _N("policy_link", "Privacy policy"),
    _N("accept_all", "Accept all"),
    _N("reject_all", "Reject all"),
    _N("customise", "Customise"),
    _N("save", "Save choices"),
    _N("reopen", "Privacy choices"),
    _N("always_on", "Always on"),
    _N("vendors", "Vendors and SDKs"),
    _N("cookies", "Cookies"),
    _N("lifetime", "Lifetime"),
    _N("path", "Path"),
    _N("domain", "Domain"),
    _N("if_refused", "If you refuse"),
    _N("justification", "Why it is necessary"),
    _N("none", "None"),
    _N("gpc_honoured", "Opt-out preference signal honoured"),
    _N("gpc_note", "Your browser sent a Global Privacy Control signal, so this stays off unless you tick it here."),
    # Nothing to explain on a first visit; msgid "" is the catalog header, so it is no message.
    ("reason_first_visit", ""),
    _N("reason_policy_changed", "Our privacy policy has changed, so we are asking again."),
    _N("reason_purpose_changed", "What we do for some purposes (for example our partners) has changed, "
        "so we are asking again about those."),
    _N("reason_expired", "It has been {period} since you chose, so we are asking again."),
    # How long a decision holds (CONSENT_MAX_AGE), for reason_expired: in months when it is about a whole number
    # of them, else in days (or hours).
    _N("period_month", "a month"),
    _N("period_months", "{n} months"),
    _N("period_day", "a day"),
    _N("period_days", "{n} days"),
    _N("period_hour", "an hour"),
    _N("period_hours", "{n} hours"),
    _N("preferences_title", "Privacy choices"),
    _N("preferences_intro", "Review and change what you allow. Necessary cookies are always on; "
        "everything else is off until you switch it on."),
    _N("current", "Currently"),
    # GET /consent/state read in a browser; a receipt that is not this visitor's.
    _N("state_title", "Your current choices"),
    _N("state_due", "Some purposes still wait for your decision: you can decide on the “Privacy choices” page."),
    _N("receipt_not_found", "There is no such consent record for you."),
    _N("status_granted", "Allowed"),
    _N("status_denied", "Refused"),
    _N("status_undecided", "Not decided (off)"),
    _N("prompt_title", "Allow {title}?"),
    _N("prompt_why", "Why we ask"),
    _N("allow", "Allow"),
    _N("not_now", "Not now"),
    _N("back", "Back to the shop"),
    _N("declaration_title", "Cookie and SDK declaration"),
    _N("purpose", "Purpose"),
    _N("history_link", "Your consent history (JSON)"),
    _N("session_expired", "Your session expired before you chose. Please choose again."),
    _N("saved", "Your choices are saved."),
    _N("close", "Close"),
    # The consent history and the receipts, read as pages (records in words: purpose titles, methods).
    _N("history_title", "Your consent history"),
    _N("history_intro", "Every choice you made here, newest first. Each one has a receipt."),
    _N("history_download", "Download your history (JSON)"),
    _N("history_empty", "You have not made a choice here yet."),
    _N("receipt_link", "Receipt"),
    _N("policy_version", "Privacy policy version"),
    _N("receipt_title", "Consent receipt"),
    _N("receipt_time", "Time"),
    _N("receipt_method", "How"),
    _N("receipt_id", "Receipt number"),
    _N("receipt_previous", "Previous receipt"),
    _N("receipt_controller", "Responsible for your data"),
    _N("receipt_jurisdiction", "Jurisdiction"),
    _N("receipt_gpc", "Global Privacy Control"),
    _N("receipt_purposes", "What you decided"),
    # How a choice was made (the record's method), as a sentence.
    _N("method_banner_accept_all", "You accepted all in the banner"),
    _N("method_banner_reject_all", "You rejected all in the banner"),
    _N("method_banner_custom", "You chose in the banner"),
    _N("method_preferences", "You chose on the privacy choices page"),
    _N("method_prompt", "You allowed it when asked"),
    _N("method_gpc", "Your browser's Global Privacy Control signal"),
    _N("method_login_merge", "Your choices carried over when you signed in"),
    _N("method_api", "Through the shop's app"),
)))

_TRADITIONAL_REGIONS = frozenset({"hk", "tw", "mo"})
#: The average length of a month (365.25 / 12 days), for :func:`period`.
_DAYS_PER_MONTH = 30.44
# A directory under a translation directory that names a locale (``bg``, ``pt_BR``, ``sr_Latn_RS``).
_LOCALE_DIR = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})*")

# Catalogs never change while the process runs (a new or edited ``.mo`` file takes a restart, as with
# Flask-Babel), so what is read from the disk is kept for the life of the process, per tuple of directories:
# one entry per (directories, locale) an app really serves, and one listing per set of directories.
_strings: dict[tuple[tuple[str, ...], str], Mapping[str, str]] = {}
_added: dict[tuple[str, ...], tuple[str, ...]] = {}
# Each app's directories, read from its config on first use; an app that is dropped drops its entry.
_app_directories: WeakKeyDictionary[Flask, tuple[str, ...]] = WeakKeyDictionary()


def _builtin(parts: list[str]) -> str | None:
    """The bundled locale for a lowercased, split tag: the script decides Chinese first, then the region."""
    if parts[0] == "en":
        return "en"
    if parts[0] == "yue":  # Cantonese reads Traditional
        return "zh-HK"
    if parts[0] != "zh":
        return None
    if "hant" in parts:
        return "zh-HK"
    if "hans" in parts:
        return "zh-CN"
    return "zh-HK" if _TRADITIONAL_REGIONS.intersection(parts[1:]) else "zh-CN"


def normalise(value: str | None, added: Collection[str] = ()) -> str | None:
    """Map a locale tag (``zh_Hant_HK``, ``zh-TW``, ``en-GB``, ``bg-BG``) onto a locale we speak, or None.

    The bundled locales come first (``zh-TW`` reads Traditional Chinese, Hong Kong); then ``added``, the app's
    own locales: the tag itself, then its shorter prefixes (``sr-Latn-RS``, ``sr-Latn``, ``sr``), then another
    region of the same language (``pt`` reads ``pt-BR``).
    """
    if not value:
        return None
    parts = value.replace("_", "-").lower().split("-")
    found = _builtin(parts)
    if found or not added:
        return found
    lowered = {tag.lower(): tag for tag in added}
    for n in range(len(parts), 0, -1):
        hit = lowered.get("-".join(parts[:n]))
        if hit:
            return hit
    return next((tag for low, tag in lowered.items() if low.split("-")[0] == parts[0]), None)


def _directories() -> tuple[str, ...]:
    """The app's translation directories (absolute), searched before the bundled catalogs; none outside an app.

    ``CONSENT_TRANSLATION_DIRECTORIES`` when set, else Flask-Babel's ``BABEL_TRANSLATION_DIRECTORIES`` (read
    the way Flask-Babel reads it: ``;``-separated, relative to the app's root path, ``translations`` by
    default), so a shop on Flask-Babel drops its ``flask_consent`` catalogs next to its own. Like the rest of
    the extension's settings it is read once per app, on first use, and kept while the app lives.
    """
    if not has_app_context():
        return ()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app itself: the key
    found = _app_directories.get(app)
    if found is None:
        config = app.config
        dirs = config.get("CONSENT_TRANSLATION_DIRECTORIES")
        if dirs is None:
            dirs = config.get("BABEL_TRANSLATION_DIRECTORIES", "translations")
        if isinstance(dirs, (str, os.PathLike)):
            dirs = str(dirs).split(";")
        found = _app_directories[app] = tuple(os.path.join(app.root_path, os.fspath(d)) for d in dirs if d)
    return found


def _added_locales(directories: tuple[str, ...]) -> tuple[str, ...]:
    """The locales the app adds: compiled ``flask_consent`` catalogs in ``directories`` of no bundled language.

    A catalog named like a bundled locale (``en``, ``zh_HK``, ``zh_CN``) rewords that locale instead, and
    other English or Chinese variants are read as the bundled ones, so those are not added.
    """
    added = _added.get(directories)
    if added is None:
        tags: list[str] = []
        for directory in directories:
            try:
                names = sorted(os.listdir(directory))
            except OSError:  # no such directory: the app has no catalogs (the usual case)
                continue
            for name in names:
                tag = name.replace("_", "-")
                if (_LOCALE_DIR.fullmatch(name) and tag not in tags
                        and _builtin(tag.lower().split("-")) is None
                        and os.path.isfile(os.path.join(directory, name, "LC_MESSAGES", DOMAIN + ".mo"))):
                    tags.append(tag)
        added = _added[directories] = tuple(tags)
    return added


def available_locales() -> tuple[str, ...]:
    """The locales this app speaks: the bundled ones, then those its own translation directories add."""
    return LOCALES + _added_locales(_directories())


def babel_locale() -> str | None:
    """Flask-Babel's locale for this request (what its ``gettext`` translates into), or None without it."""
    if "babel" not in current_app.extensions:
        return None
    try:
        from flask_babel import get_locale  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    loc = get_locale()
    return str(loc) if loc is not None else None


def select_locale(selector: Callable[[], str | None] | None = None) -> str:
    """The locale for this request: the app's selector, Flask-Babel's, then Accept-Language, then English.

    Each of them may name a bundled locale or one the app's catalogs add.
    """
    added = _added_locales(_directories())
    for source in (selector, babel_locale):
        if source is not None:
            found = normalise(source(), added)
            if found:
                return found
    # The visitor's languages in order of preference; the first one we speak wins (werkzeug's best_match
    # would rank by our list instead and read "zh-Hant-HK" as Simplified Chinese).
    for tag, quality in request.accept_languages:
        if quality <= 0:  # "q=0": the visitor does not want this language
            continue
        found = normalise(tag, added)
        if found:
            return found
    return DEFAULT_LOCALE


def _load(directories: tuple[str, ...], locale: str) -> Mapping[str, str]:
    """Every message of ``locale``: the app's catalogs first, then the bundled one, then the English text.

    gettext's own fallback chain does the layering, so a catalog that lacks a message (or has it untranslated
    or fuzzy, which ``pybabel compile`` leaves out) shows it in English.
    """
    names = [locale.replace("-", "_")]
    chain: NullTranslations | None = None
    for directory in (*directories, CATALOGS):
        found = Translations.load(directory, names, DOMAIN)
        if isinstance(found, Translations):  # a plain NullTranslations: no catalog there
            if chain is None:
                chain = found
            else:
                chain.add_fallback(found)
    if chain is None:
        return MESSAGES
    return MappingProxyType({key: str(chain.pgettext(key, text)) if text else text for key, text in MESSAGES.items()})


def strings(locale: str) -> Mapping[str, str]:
    """The messages of ``locale`` by key (English for a locale this app does not speak, and for any message
    its catalogs lack). Loaded once per process and app set-up; cheap on every later call."""
    directories = _directories()
    key = (directories, locale)
    found = _strings.get(key)
    if found is None:
        if locale != DEFAULT_LOCALE and locale not in LOCALES and locale not in _added_locales(directories):
            return strings(DEFAULT_LOCALE)  # unknown tags share English: callers cannot grow the cache
        found = _strings[key] = _load(directories, locale)
    return found


def period(locale: str, length: timedelta) -> str:
    """``length`` in words: whole months when it is within three days of them (182 days: "6 months"), else days,
    else hours."""
    days = length.total_seconds() / 86400
    months = round(days / _DAYS_PER_MONTH)
    if months >= 1 and abs(days - months * _DAYS_PER_MONTH) <= 3:
        unit, n = "month", months
    elif days >= 1:
        unit, n = "day", round(days)
    else:
        unit, n = "hour", max(1, round(days * 24))
    return translate(locale, f"period_{unit}" if n == 1 else f"period_{unit}s", n=n)


def translate(locale: str, key: str, **kwargs: Any) -> str:
    """The message ``key`` in ``locale``, its ``{placeholders}`` filled from ``kwargs`` (``str.format``).

    Messages with placeholders (``prompt_title``: "Allow {title}?") keep them in every catalog (they are
    flagged ``python-brace-format`` there), so the same call formats any language.
    """
    text = strings(locale)[key]
    return text.format(**kwargs) if kwargs else text
