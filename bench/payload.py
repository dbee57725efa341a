"""Bytes the banner costs a visitor: consent.js + consent.css gzipped (budget 4,096), and the banner HTML
fragment for the example shop's eight purposes (its own texts, in English).

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

from example_shop.purposes import PURPOSES  # noqa: E402
from flask_consent import Consent  # noqa: E402

BUDGET = 4096


def gz(data: bytes, level: int = 9) -> int:
    return len(gzip.compress(data, compresslevel=level, mtime=0))


def banner_fragment() -> bytes:
    """The banner exactly as a first-time visitor receives it (auto-injected, with its asset tags)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Flask("payload", instance_path=tmp)
        app.config.update(SECRET_KEY="payload-benchmark-secret-key", CONSENT_DATABASE_URL=f"sqlite:///{tmp}/c.db")
        app.add_url_rule("/", "index", lambda: "<!doctype html><html><body><main>Shop</main></body></html>")
        Consent(app, purposes=PURPOSES)
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
