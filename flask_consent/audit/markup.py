"""What a page's markup loads from other hosts before consent, and whether it offers the consent controls."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

#: Script types a browser runs (HTML's JavaScript MIME type essences, and ``module``); anything else
#: (``text/plain`` from ``consent_script``) is inert.
_SCRIPT_TYPES = {
    "", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript",
    "text/jscript", "text/livescript", "application/x-ecmascript", "application/x-javascript",
    "text/x-ecmascript", "text/x-javascript", *(f"text/javascript1.{n}" for n in range(6)),
}
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass
class Embed:
    """A tag that makes the browser fetch ``url`` from another host as soon as the page loads."""

    tag: str
    url: str
    purposes: tuple[str, ...] = ()


@dataclass
class PageMarkup:
    """The facts of one HTML page the audit checks."""

    has_banner: bool = False
    has_reopen: bool = False
    external: list[Embed] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, own_host: str):
        super().__init__(convert_charrefs=True)
        self.own_host = own_host.lower()
        self.page = PageMarkup()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        element_id = found.get("id")
        if element_id == "consent-banner":
            self.page.has_banner = True
        elif element_id == "consent-reopen":
            self.page.has_reopen = True
        if tag not in ("script", "iframe", "img"):
            return
        if tag == "script" and found.get("type", "").strip().lower() not in _SCRIPT_TYPES:
            return  # inert: the browser neither fetches nor runs it
        purposes = tuple(k for k in _SEPARATORS.split(found.get("data-consent", "")) if k)
        for url in _urls(tag, found):
            if self._other_host(url):
                self.page.external.append(Embed(tag, url, purposes))

    handle_startendtag = handle_starttag

    def _other_host(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("", "http", "https") or not parts.netloc:
            return False
        return (parts.hostname or "") != self.own_host


def _urls(tag: str, attrs: dict[str, str]) -> Iterator[str]:
    """What the tag fetches: its ``src`` and, for an image, each candidate of its ``srcset``."""
    src = attrs.get("src", "").strip()
    if src:
        yield src
    if tag == "img":
        for candidate in attrs.get("srcset", "").split(","):
            url = candidate.strip().split(" ")[0]
            if url:
                yield url


def read_page(html: str, own_host: str) -> PageMarkup:
    """Parse ``html`` served from ``own_host`` with the standard library's HTML parser."""
    parser = _Parser(own_host)
    parser.feed(html)
    parser.close()
    return parser.page


_WHAT = {"script": "script", "iframe": "frame", "img": "image (pixel)"}


def markup_problems(page: PageMarkup, granted: Callable[[str], bool]) -> Iterator[str]:
    """The problems of one page for a visitor whose grants ``granted`` answers.

    A tag fetched from another host is a problem unless it is gated: ``consent_script`` renders it inert,
    ``consent_iframe`` renders a placeholder (neither has a live ``src``), and a live tag carrying
    ``data-consent`` is fine only when one of its purposes is granted, as ``consent_script`` renders it.
    """
    if not (page.has_banner or page.has_reopen):
        yield 'HTML page without the consent banner (id="consent-banner") or the "Privacy choices" ' \
              'control (id="consent-reopen")'
    for embed in page.external:
        what = _WHAT[embed.tag]
        if not embed.purposes:
            yield f"loads {what} {embed.url} from another host before consent: not gated by " \
                  f"consent_script / consent_iframe / data-consent"
        elif not any(granted(k) for k in embed.purposes):
            keys = ", ".join(repr(k) for k in embed.purposes)
            yield f"loads {what} {embed.url} from another host although its purpose {keys} is not granted"
