"""Product pictures drawn as SVG from each product's colour, and photo search by average colour.

An uploaded photo is decoded from memory with Pillow, reduced to its average colour and compared with the
products' colours; the bytes are dropped when the request ends and never written anywhere.

A small file can declare an enormous picture (a 164 KB PNG of 13000×13000 grey pixels decodes to ~860 MB),
so the size in the header is checked against ``MAX_PIXELS`` before anything is decoded.
"""

from __future__ import annotations

import math
from io import BytesIO
from typing import IO, cast

from markupsafe import escape
from PIL import Image, UnidentifiedImageError

from .models import Product

_SHAPES = {
    "tea": '<ellipse cx="100" cy="120" rx="55" ry="40"/><rect x="60" y="70" width="80" height="50" rx="10"/>',
    "snacks": '<circle cx="100" cy="100" r="60"/>',
    "kitchen": '<rect x="35" y="70" width="130" height="70" rx="35"/>',
    "home": '<polygon points="100,30 170,100 150,170 50,170 30,100"/>',
    "stationery": '<rect x="85" y="25" width="30" height="150" rx="6"/>',
    "care": '<rect x="55" y="55" width="90" height="110" rx="20"/>',
}


def contrast_ink(rgb: tuple[int, int, int]) -> str:
    """Black or white, whichever reads better on ``rgb`` (WCAG relative luminance)."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def product_svg(product: Product) -> str:
    """A 200×200 picture of ``product``: its colour, a shape for its category and its initials."""
    ink = contrast_ink(product.rgb)
    initials = "".join(w[0] for w in product.name.split()[:2]).upper()
    shape = _SHAPES.get(product.category, _SHAPES["snacks"])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">'
        f'<rect width="200" height="200" fill="#f4f1ea"/><g fill="{product.colour}" stroke="#333" '
        f'stroke-width="3">{shape}</g><text x="100" y="112" font-family="sans-serif" font-size="34" '
        f'text-anchor="middle" fill="{ink}">{escape(initials)}</text></svg>'
    )


#: The largest picture photo search decodes: 25 megapixels (a 6000×4200 photo), about 75 MB as RGB.
MAX_PIXELS = 25_000_000
# Pillow's own guard, for any other decoding in this process: it warns above this and refuses above twice it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class NotAnImage(ValueError):
    """The upload is not an image Pillow can read."""


class ImageTooLarge(Exception):
    """The upload declares more than ``MAX_PIXELS`` pixels; it was not decoded."""


def average_colour(stream: IO[bytes]) -> tuple[int, int, int]:
    """The mean RGB colour of an image read from ``stream`` (in memory).

    Raises ``ImageTooLarge`` before decoding when the header declares more than ``MAX_PIXELS`` pixels
    (``Image.open`` reads only the header), and ``NotAnImage`` when Pillow cannot read it.
    """
    try:
        img = Image.open(BytesIO(stream.read()))
    except Image.DecompressionBombError:
        raise ImageTooLarge("over twice Image.MAX_IMAGE_PIXELS") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAnImage(str(exc)) from None
    with img:
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise ImageTooLarge(f"{width}×{height} pixels")
        try:
            img.draft("RGB", (64, 64))
            small = img.convert("RGB").resize((1, 1), Image.Resampling.BOX)
        except (OSError, ValueError) as exc:
            raise NotAnImage(str(exc)) from None
        r, g, b = cast(tuple[int, int, int], small.getpixel((0, 0)))
    return r, g, b


def closest(colour: tuple[int, int, int], products: list[Product], limit: int = 8) -> list[Product]:
    """Products whose colour is nearest to ``colour`` (Euclidean distance in RGB)."""
    return sorted(products, key=lambda p: (math.dist(colour, p.rgb), p.id))[:limit]
