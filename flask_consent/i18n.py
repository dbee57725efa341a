"""Built-in strings in English, Traditional Chinese (Hong Kong) and Simplified Chinese, and locale choice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, request

LOCALES: tuple[str, ...] = ("en", "zh-HK", "zh-CN")
DEFAULT_LOCALE = "en"

STRINGS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "separate_note": "Asked separately, only when you use them:",
        "banner_title": "Your privacy choices",
        "banner_text": "We use cookies and similar technologies (SDKs). Some are necessary for the shop to work. "
        "With your permission we also use others for the purposes below. Nothing optional runs until you "
        "agree, and you can change your mind at any time under “Privacy choices”.",
        "policy_link": "Privacy policy",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "customise": "Customise",
        "save": "Save choices",
        "reopen": "Privacy choices",
        "always_on": "Always on",
        "vendors": "Vendors and SDKs",
        "cookies": "Cookies",
        "lifetime": "Lifetime",
        "path": "Path",
        "domain": "Domain",
        "if_refused": "If you refuse",
        "justification": "Why it is necessary",
        "none": "None",
        "gpc_honoured": "Opt-out preference signal honoured",
        "gpc_note": "Your browser sent a Global Privacy Control signal, so this stays off unless you tick it here.",
        "reason_first_visit": "",
        "reason_policy_changed": "Our privacy policy has changed, so we are asking again.",
        "reason_purpose_changed": "What we do for some purposes (for example our partners) has changed, "
        "so we are asking again about those.",
        "reason_expired": "It has been six months since you chose, so we are asking again.",
        "preferences_title": "Privacy choices",
        "preferences_intro": "Review and change what you allow. Necessary cookies are always on; "
        "everything else is off until you switch it on.",
        "current": "Currently",
        "status_granted": "Allowed",
        "status_denied": "Refused",
        "status_undecided": "Not decided (off)",
        "prompt_title": "Allow {title}?",
        "prompt_why": "Why we ask",
        "allow": "Allow",
        "not_now": "Not now",
        "back": "Back to the shop",
        "declaration_title": "Cookie and SDK declaration",
        "purpose": "Purpose",
        "history_link": "Your consent history (JSON)",
        "session_expired": "Your session expired before you chose. Please choose again.",
        "saved": "Your choices are saved.",
        "close": "Close",
    },
    "zh-HK": {
        "separate_note": "只會在你使用時另行徵求同意：",
        "banner_title": "你的私隱選擇",
        "banner_text": "我們使用 Cookie 及類似技術（SDK）。部分為網店運作所必需；得到你的同意後，我們亦會為以下目的使用"
        "其他技術。在你同意之前，任何非必要功能都不會運行；你可隨時在「私隱選擇」中更改決定。",
        "policy_link": "私隱政策",
        "accept_all": "全部接受",
        "reject_all": "全部拒絕",
        "customise": "自訂",
        "save": "儲存選擇",
        "reopen": "私隱選擇",
        "always_on": "一直開啟",
        "vendors": "供應商及 SDK",
        "cookies": "Cookie",
        "lifetime": "有效期",
        "path": "路徑",
        "domain": "網域",
        "if_refused": "如你拒絕",
        "justification": "必要原因",
        "none": "無",
        "gpc_honoured": "已遵從拒絕偏好訊號",
        "gpc_note": "你的瀏覽器發出了全球隱私控制（GPC）訊號，除非你在此勾選，否則此項保持關閉。",
        "reason_first_visit": "",
        "reason_policy_changed": "我們的私隱政策已更新，因此再次徵詢你的意見。",
        "reason_purpose_changed": "部分用途（例如合作夥伴）有所改變，因此就這些用途再次徵詢你的意見。",
        "reason_expired": "距離你上次選擇已有六個月，因此再次徵詢你的意見。",
        "preferences_title": "私隱選擇",
        "preferences_intro": "查看及更改你允許的項目。必要 Cookie 一直開啟；其他項目在你開啟前均為關閉。",
        "current": "目前",
        "status_granted": "已允許",
        "status_denied": "已拒絕",
        "status_undecided": "未決定（關閉）",
        "prompt_title": "允許「{title}」？",
        "prompt_why": "我們為何需要",
        "allow": "允許",
        "not_now": "暫不",
        "back": "返回網店",
        "declaration_title": "Cookie 及 SDK 聲明",
        "purpose": "用途",
        "history_link": "你的同意記錄（JSON）",
        "session_expired": "你的工作階段在選擇前已過期，請再選擇一次。",
        "saved": "你的選擇已儲存。",
        "close": "關閉",
    },
    "zh-CN": {
        "separate_note": "只会在你使用时单独征求同意：",
        "banner_title": "你的隐私选择",
        "banner_text": "我们使用 Cookie 及类似技术（SDK）。部分为网店运行所必需；经你同意后，我们也会为以下目的使用"
        "其他技术。在你同意之前，任何非必要功能都不会运行；你可随时在“隐私选择”中更改决定。",
        "policy_link": "隐私政策",
        "accept_all": "全部接受",
        "reject_all": "全部拒绝",
        "customise": "自定义",
        "save": "保存选择",
        "reopen": "隐私选择",
        "always_on": "始终开启",
        "vendors": "供应商及 SDK",
        "cookies": "Cookie",
        "lifetime": "有效期",
        "path": "路径",
        "domain": "域名",
        "if_refused": "如果你拒绝",
        "justification": "必要原因",
        "none": "无",
        "gpc_honoured": "已遵从拒绝偏好信号",
        "gpc_note": "你的浏览器发出了全球隐私控制（GPC）信号，除非你在此勾选，否则此项保持关闭。",
        "reason_first_visit": "",
        "reason_policy_changed": "我们的隐私政策已更新，因此再次征求你的意见。",
        "reason_purpose_changed": "部分用途（例如合作伙伴）有所变化，因此就这些用途再次征求你的意见。",
        "reason_expired": "距离你上次选择已有六个月，因此再次征求你的意见。",
        "preferences_title": "隐私选择",
        "preferences_intro": "查看并更改你允许的项目。必要 Cookie 始终开启；其他项目在你开启前均为关闭。",
        "current": "当前",
        "status_granted": "已允许",
        "status_denied": "已拒绝",
        "status_undecided": "未决定（关闭）",
        "prompt_title": "允许“{title}”？",
        "prompt_why": "我们为何需要",
        "allow": "允许",
        "not_now": "暂不",
        "back": "返回网店",
        "declaration_title": "Cookie 及 SDK 声明",
        "purpose": "用途",
        "history_link": "你的同意记录（JSON）",
        "session_expired": "你的会话在选择前已过期，请再选择一次。",
        "saved": "你的选择已保存。",
        "close": "关闭",
    },
}

_TRADITIONAL_REGIONS = frozenset({"hk", "tw", "mo"})


def normalise(value: str | None) -> str | None:
    """Map a locale tag (``zh_Hant_HK``, ``zh-TW``, ``en-GB``, ``yue``) onto one of :data:`LOCALES`, or None.

    For Chinese the script decides first (Hant / Hans), then the region; Cantonese reads Traditional.
    """
    if not value:
        return None
    parts = value.replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] == "yue":
        return "zh-HK"
    if parts[0] != "zh":
        return None
    if "hant" in parts:
        return "zh-HK"
    if "hans" in parts:
        return "zh-CN"
    return "zh-HK" if _TRADITIONAL_REGIONS.intersection(parts[1:]) else "zh-CN"


def _babel_locale() -> str | None:
    if "babel" not in current_app.extensions:
        return None
    try:
        from flask_babel import get_locale  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    loc = get_locale()
    return str(loc) if loc is not None else None


def select_locale(selector: Callable[[], str | None] | None = None) -> str:
    """The locale for this request: the app's selector, Flask-Babel's, then Accept-Language, then English."""
    for source in (selector, _babel_locale):
        if source is not None:
            found = normalise(source())
            if found:
                return found
    # The visitor's languages in order of preference; the first one we speak wins (werkzeug's best_match
    # would rank by our list instead and read "zh-Hant-HK" as Simplified Chinese).
    for tag, _quality in request.accept_languages:
        found = normalise(tag)
        if found:
            return found
    return DEFAULT_LOCALE


def strings(locale: str) -> Mapping[str, str]:
    """The built-in strings of ``locale`` (English for anything unknown)."""
    return STRINGS.get(locale, STRINGS[DEFAULT_LOCALE])


def translate(locale: str, key: str, **kwargs: Any) -> str:
    text = strings(locale).get(key) or STRINGS[DEFAULT_LOCALE][key]
    return text.format(**kwargs) if kwargs else text
