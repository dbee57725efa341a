"""The size budget of the banner's assets (issue: ≤ 4,096 bytes gzipped for consent.js + consent.css)."""

from __future__ import annotations

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static" / "consent"


def test_banner_script_and_style_fit_in_4096_bytes_gzipped() -> None:
    total = sum(len(gzip.compress((STATIC / n).read_bytes(), 9)) for n in ("consent.js", "consent.css"))
    assert total <= 4096, f"consent.js + consent.css are {total} bytes gzipped; the budget is 4096"
