"""The shop's purposes: the fixed keys, texts in all three languages, and the facts the banner and policy
show (C10, C24, C25)."""

from __future__ import annotations

from example_shop.purposes import PURPOSES

KEYS = ["necessary", "recommendations", "location", "voice_photo_search", "analytics", "advertising",
        "third_party_sharing", "social_embeds"]


def test_keys_are_the_fixed_eight():
    assert [p.key for p in PURPOSES] == KEYS


def test_every_text_in_english_and_both_chinese_scripts():  # C10
    for p in PURPOSES:
        fields = ["title", "description", "justification" if p.required else "refusal_effect"]
        for name in fields:
            text = getattr(p, name)
            assert isinstance(text, dict) and set(text) == {"en", "zh-HK", "zh-CN"}, (p.key, name)
            assert all(v.strip() for v in text.values()), (p.key, name)
        assert p.vendors, p.key


def test_sensitive_purposes_say_why_they_are_asked_separately():  # C25
    by_key = {p.key: p for p in PURPOSES}
    for key in ("location", "voice_photo_search"):
        assert set(by_key[key].why) == {"en", "zh-HK", "zh-CN"}


def test_marketing_and_sharing_follow_global_privacy_control_and_consent_mode():  # C24
    by_key = {p.key: p for p in PURPOSES}
    assert {k for k, p in by_key.items() if p.gpc_opt_out} == {"advertising", "third_party_sharing"}
    assert by_key["analytics"].gcm == ("analytics_storage",)
    assert by_key["advertising"].gcm == ("ad_storage", "ad_user_data", "ad_personalization")
    assert by_key["recommendations"].gcm == ("personalization_storage",)


def test_declared_cookies_have_lifetimes():  # C10
    cookies = {c.pattern: c for p in PURPOSES for c in p.cookies}
    assert {"recs_recent", "_shop_analytics", "_ads_id", "_live_viewer"} <= set(cookies)
    assert all(c.lifetime for c in cookies.values())
