"""A ``pybabel extract`` method for the seeded catalogue (``babel.cfg``): product names and descriptions,
categories, stores, districts, addresses and offers are stored in English and translated when shown, so
their msgids come from the seed itself rather than from ``_()`` calls."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any


def extract_seed(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield every text of ``seed.seeded_texts()`` (the file handed in is ``seed.py`` itself)."""
    from .seed import seeded_texts

    for text in seeded_texts():
        yield 1, None, text.replace("%", "%%"), ["seeded catalogue"]  # a literal %, as ``i18n.seeded`` asks
