"""Bytes the banner costs a visitor: consent.js + consent.css gzipped (budget 4,096), and the banner HTML
fragment for the example shop's eight purposes.

Run: ``python bench/payload.py`` from the repository root. Sizes are gzip level 9, as a server would
pre-compress static files; the figure for level 6 (a typical on-the-fly setting) is shown beside it.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from flask_consent import Consent, Cookie, Purpose  # noqa: E402

BUDGET = 4096


def gz(data: bytes, level: int = 9) -> int:
    return len(gzip.compress(data, compresslevel=level, mtime=0))


def shop_purposes() -> list[Purpose]:
    """The example shop's seven optional purposes; the extension adds ``necessary`` (eight in all)."""
    return [
        Purpose("recommendations", "Personalised recommendations",
                "Suggestions based on what you browse, favourite and buy in this shop.",
                cookies=[Cookie("recs_*", lifetime="30 days")], vendors=["This shop"],
                gcm=["personalization_storage"], refusal_effect="You see bestsellers instead."),
        Purpose("location", "Nearby goods and offers", "Your location finds the stores and offers nearest to you.",
                why="To find the stores nearest to you.", refusal_effect="Pick a district by hand instead."),
        Purpose("voice_photo_search", "Voice and photo search",
                "Search by speaking or with a photo; recordings and photos are processed and never stored.",
                refusal_effect="Type your search instead."),
        Purpose("analytics", "Site analytics", "Counts visits and pages to improve the shop.",
                cookies=[Cookie("_shop_analytics", lifetime="13 months")], vendors=["Local Analytics SDK"],
                gcm=["analytics_storage"], refusal_effect="Your visits are not counted."),
        Purpose("advertising", "Marketing and advertising", "Offers and ads based on your visits.",
                cookies=[Cookie("_ads_*", lifetime="90 days")], vendors=["Ad Partner pixel"], gpc_opt_out=True,
                gcm=["ad_storage", "ad_user_data", "ad_personalization"],
                refusal_effect="You still see ads, but not based on you."),
        Purpose("third_party_sharing", "Sharing with partners",
                "Affiliates and service providers receive your order details for their own offers.",
                vendors=["Affiliate Co"], gpc_opt_out=True, refusal_effect="Nothing is shared for partners' own use."),
        Purpose("social_embeds", "Community sharing and live broadcasts",
                "Share buttons and live-broadcast players from third parties.", vendors=["Stream Co"],
                gcm=["functionality_storage"], refusal_effect="Players show a placeholder until you allow them."),
    ]


def banner_fragment() -> bytes:
    """The banner exactly as a first-time visitor receives it (auto-injected, with its asset tags)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Flask("payload", instance_path=tmp)
        app.config.update(SECRET_KEY="payload-benchmark-secret-key", CONSENT_DATABASE_URL=f"sqlite:///{tmp}/c.db")
        app.add_url_rule("/", "index", lambda: "<!doctype html><html><body><main>Shop</main></body></html>")
        Consent(app, purposes=shop_purposes())
        html = app.test_client().get("/").get_data()
    match = re.search(rb'<section id="consent-banner".*</script>', html, re.S)
    assert match, "the banner was not rendered"
    return match.group(0)


def main() -> int:
    static = ROOT / "static" / "consent"
    rows = [(name, (static / name).read_bytes()) for name in ("consent.js", "consent.css")]
    total = sum(gz(data) for _, data in rows)
    fragment = banner_fragment()
    print(f"{'file':<34}{'raw':>8}{'gzip -9':>10}{'gzip -6':>10}")
    for name, data in rows:
        print(f"{name:<34}{len(data):>8}{gz(data):>10}{gz(data, 6):>10}")
    print(f"{'consent.js + consent.css':<34}{sum(len(d) for _, d in rows):>8}{total:>10}"
          f"{sum(gz(d, 6) for _, d in rows):>10}")
    print(f"{'banner HTML, 8 purposes':<34}{len(fragment):>8}{gz(fragment):>10}{gz(fragment, 6):>10}")
    print(f"budget for JS + CSS: {BUDGET} bytes gzipped; {'within' if total <= BUDGET else 'OVER'} "
          f"({BUDGET - total:+d})")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
