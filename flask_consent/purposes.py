"""Purposes: what the shop asks consent for, and the cookies and vendors behind each."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .exc import ConfigurationError

#: A text shown to visitors: one string, or one string per locale (``{"en": ..., "zh-HK": ...}``).
Text = str | Mapping[str, str]

#: The seven Google Consent Mode v2 consent types.
GCM_TYPES: tuple[str, ...] = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)

NECESSARY = "necessary"
_ADS = ("ad_storage", "ad_user_data", "ad_personalization")
#: The Consent Mode types a purpose with one of these well-known keys grants when it is declared without
#: ``gcm=`` (``gcm=[]`` grants none). ``security_storage`` is granted to every visitor anyway; the necessary
#: purpose does not take ``functionality_storage``, which an app may ask consent for (a chat or an embed).
DEFAULT_GCM: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "analytics": ("analytics_storage",),
    "advertising": _ADS,
    "marketing": _ADS,
    "recommendations": ("personalization_storage",),
    "personalisation": ("personalization_storage",),
    "personalization": ("personalization_storage",),
    NECESSARY: ("security_storage",),
})
#: The lifetime of a cookie that ends with the browsing session, in each built-in locale.
SESSION_LIFETIME: Mapping[str, str] = MappingProxyType({"en": "session", "zh-HK": "瀏覽期間", "zh-CN": "会话期间"})
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def localise(text: Text | None, locale: str, fallback: str = "en") -> str:
    """Pick the best string of ``text`` for ``locale`` (exact, then language, then fallback)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if locale in text:
        return text[locale]
    lang = locale.split("-")[0]
    for key, value in text.items():
        if key.split("-")[0] == lang:
            return value
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


@dataclass(frozen=True)
class Cookie:
    """A cookie (or a family of cookies, by glob ``pattern``) that a purpose sets.

    ``lifetime`` is shown to visitors (``"30 days"`` or one text per locale; the default reads "session" in
    each built-in locale); ``path`` and ``domain`` are the ones the cookie is set with, so that withdrawing
    consent can expire it exactly.
    """

    pattern: str
    lifetime: Text = field(default_factory=lambda: SESSION_LIFETIME)
    path: str = "/"
    domain: str | None = None
    description: Text = ""

    def __hash__(self) -> int:  # texts may be per-locale mappings, which do not hash
        return hash((self.pattern, self.path, self.domain))

    def matches(self, name: str) -> bool:
        """True when ``name`` is covered by this declaration."""
        return fnmatch.fnmatchcase(name, self.pattern)


def _as_cookie(value: str | Cookie) -> Cookie:
    if isinstance(value, Cookie):
        return value
    if isinstance(value, str) and value:
        return Cookie(value)
    raise ConfigurationError(
        f"A purpose's cookies must be names/glob patterns or Cookie(...) objects, got {value!r}."
    )


@dataclass(frozen=True)
class Purpose:
    """One purpose of processing that a visitor can grant or refuse.

    ``required=True`` marks the necessary purpose: always granted, never asked, and it should carry a
    ``justification`` saying why its cookies are strictly necessary. ``version`` is bumped when what the
    purpose does changes materially (new vendor, new use); visitors who decided on an older version are
    asked again for this purpose only. ``gpc_opt_out`` purposes are refused when the browser sends a Global
    Privacy Control signal. ``separate=True`` marks sensitive processing (location, microphone, camera) that
    needs its own consent: it is never in the banner, "Accept all" never grants it, and it is asked just in
    time (``@consent_required``) or ticked on its own in the preferences. ``gcm`` lists the Google Consent
    Mode types this purpose grants; without it, a well-known key gets its usual types (:data:`DEFAULT_GCM`:
    ``analytics`` grants ``analytics_storage``, ``advertising`` the three ``ad_*`` types, ...).

    ``vendors`` names who processes the data for this purpose (shown to visitors). Where the shop does the
    processing itself, name it as its controller is named (``CONSENT_CONTROLLER["piiController"]``): a consent
    receipt lists every other vendor as a third party the data is disclosed to, and the shop itself as none.
    """

    key: str
    title: Text = ""
    description: Text = ""
    required: bool = False
    cookies: tuple[Cookie, ...] = ()
    vendors: tuple[str, ...] = ()
    version: int = 1
    gpc_opt_out: bool = False
    separate: bool = False
    gcm: tuple[str, ...] = ()
    justification: Text = ""
    refusal_effect: Text = ""
    retention: Text = ""
    why: Text = ""
    extra: Mapping[str, object] = field(default_factory=dict, compare=False)

    def __init__(
        self,
        key: str,
        title: Text = "",
        description: Text = "",
        *,
        required: bool = False,
        cookies: Iterable[str | Cookie] = (),
        vendors: Iterable[str] = (),
        version: int = 1,
        gpc_opt_out: bool = False,
        separate: bool = False,
        gcm: Iterable[str] | None = None,
        justification: Text = "",
        refusal_effect: Text = "",
        retention: Text = "",
        why: Text = "",
        extra: Mapping[str, object] | None = None,
    ) -> None:
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ConfigurationError(
                f"Purpose key {key!r} is not valid: use lower-case letters, digits and underscores, "
                "starting with a letter (for example 'recommendations')."
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ConfigurationError(
                f"Purpose {key!r} has version {version!r}: Purpose.version must be an int >= 1."
            )
        if isinstance(cookies, str) or isinstance(vendors, str) or isinstance(gcm, str):
            raise ConfigurationError(
                f"Purpose {key!r}: cookies, vendors and gcm take lists, not a single string "
                "(write cookies=['name'])."
            )
        gcm_t = DEFAULT_GCM.get(key, ()) if gcm is None else tuple(gcm)
        unknown = [t for t in gcm_t if t not in GCM_TYPES]
        if unknown:
            raise ConfigurationError(
                f"Purpose {key!r} names unknown Google Consent Mode types {unknown}; "
                f"use some of {', '.join(GCM_TYPES)}."
            )
        if required and separate:
            raise ConfigurationError(
                f"Purpose {key!r} cannot be both required and separate: a necessary purpose is never asked."
            )
        if required and gpc_opt_out:
            raise ConfigurationError(
                f"Purpose {key!r} cannot be both required and gpc_opt_out: a necessary purpose cannot be refused."
            )
        set_ = object.__setattr__
        set_(self, "key", key)
        set_(self, "title", title or key.replace("_", " ").capitalize())
        set_(self, "description", description)
        set_(self, "required", bool(required))
        set_(self, "cookies", tuple(_as_cookie(c) for c in cookies))
        set_(self, "vendors", tuple(vendors))
        set_(self, "version", version)
        set_(self, "gpc_opt_out", bool(gpc_opt_out))
        set_(self, "separate", bool(separate))
        set_(self, "gcm", gcm_t)
        set_(self, "justification", justification)
        set_(self, "refusal_effect", refusal_effect)
        set_(self, "retention", retention)
        set_(self, "why", why)
        set_(self, "extra", dict(extra or {}))

    def __hash__(self) -> int:
        return hash((self.key, self.version))

    def owns_cookie(self, name: str) -> bool:
        """True when a cookie called ``name`` belongs to this purpose."""
        return any(c.matches(name) for c in self.cookies)


def default_necessary(extra_cookies: Iterable[str | Cookie] = ()) -> Purpose:
    """The necessary purpose used when the app does not declare its own."""
    return Purpose(
        NECESSARY,
        title={"en": "Strictly necessary", "zh-HK": "必要", "zh-CN": "必要"},
        description={
            "en": "Keeps the site secure and working: sign-in, cart, checkout, fraud and abuse protection, "
            "and remembering these choices.",
            "zh-HK": "確保網站安全及正常運作：登入、購物車、結帳、防止欺詐和濫用，以及記住你的選擇。",
            "zh-CN": "确保网站安全并正常运行：登录、购物车、结账、防止欺诈和滥用，以及记住你的选择。",
        },
        required=True,
        cookies=extra_cookies,
        justification={
            "en": "Without these cookies the service you asked for (sign-in, cart, checkout) cannot work, "
            "and forms could be forged.",
            "zh-HK": "沒有這些 Cookie，你要求的服務（登入、購物車、結帳）無法運作，表格亦可能被偽造。",
            "zh-CN": "没有这些 Cookie，你要求的服务（登录、购物车、结账）无法运行，表单也可能被伪造。",
        },
    )


class PurposeRegistry(Mapping[str, Purpose]):
    """The ordered set of purposes an app asks about, as a read-only mapping of key to :class:`Purpose`.

    The necessary purpose always exists: the app's own ``required=True`` purpose, else :func:`default_necessary`.
    ``necessary_cookies`` (the extension's own cookies) are added to the necessary purpose's declaration.
    """

    def __init__(self, purposes: Iterable[Purpose] = (), necessary_cookies: Iterable[str | Cookie] = ()):
        items: dict[str, Purpose] = {}
        for p in purposes:
            if not isinstance(p, Purpose):
                raise ConfigurationError(f"Expected Purpose(...) objects in purposes=, got {p!r}.")
            if p.key in items:
                raise ConfigurationError(
                    f"Purpose key {p.key!r} is registered twice; give each Purpose a unique key."
                )
            items[p.key] = p
        required = [p for p in items.values() if p.required]
        extra = tuple(_as_cookie(c) for c in necessary_cookies)
        if not required:
            items = {NECESSARY: default_necessary(extra), **items}
        elif extra:
            first = required[0]
            declared = {c.pattern for c in first.cookies}
            merged = first.cookies + tuple(c for c in extra if c.pattern not in declared)
            items[first.key] = dataclasses.replace(first, cookies=merged)
        self._items = items
        #: The purposes a visitor decides on, and the necessary ones, in declaration order.
        self.optional: tuple[Purpose, ...] = tuple(p for p in items.values() if not p.required)
        self.required: tuple[Purpose, ...] = tuple(p for p in items.values() if p.required)
        self.optional_keys: frozenset[str] = frozenset(p.key for p in self.optional)
        #: Purposes a Global Privacy Control signal refuses, and those asked only just in time.
        self.gpc_keys: frozenset[str] = frozenset(p.key for p in self.optional if p.gpc_opt_out)
        self.separate_keys: frozenset[str] = frozenset(p.key for p in self.optional if p.separate)
        #: The optional purposes the banner asks about (all but the just-in-time ones), and their keys.
        self.asked: tuple[Purpose, ...] = tuple(p for p in self.optional if not p.separate)
        self.asked_keys: frozenset[str] = frozenset(p.key for p in self.asked)
        #: The current version of each optional purpose: a decision on another version no longer holds.
        self.versions: Mapping[str, int] = MappingProxyType({p.key: p.version for p in self.optional})

    def __getitem__(self, key: str) -> Purpose:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str, default: Purpose | None = None) -> Purpose | None:  # type: ignore[override]
        """The purpose ``key``, or ``default`` (the dict's own lookup, without ``Mapping.get``'s KeyError)."""
        return self._items.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def require(self, key: str) -> Purpose:
        """Return the purpose ``key`` or raise a :class:`ConfigurationError` that names the known keys."""
        try:
            return self._items[key]
        except KeyError:
            raise ConfigurationError(
                f"Unknown consent purpose {key!r}. Known purposes: {', '.join(self._items)}. "
                "Declare it with Purpose(...) in Consent(purposes=[...]) or fix the key."
            ) from None

    def purpose_of_cookie(self, name: str) -> Purpose | None:
        """The purpose that declares cookie ``name`` (required purposes win), or None when undeclared."""
        for p in (*self.required, *self.optional):
            if p.owns_cookie(name):
                return p
        return None
