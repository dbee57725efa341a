"""Hostile values shared by the security tests."""

from __future__ import annotations

#: Known open-redirect payloads (after the PayloadsAllTheThings and OWASP lists): each could send a browser to
#: another origin if it were used as a redirect target. ``next`` must refuse every one of them.
OPEN_REDIRECTS: tuple[str, ...] = (
    "//evil.example",                    # scheme-relative
    "//evil.example/%2e%2e",
    "///evil.example",                   # triple slash
    "////evil.example",
    "/\\evil.example",                   # backslash, read as a slash by browsers
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/%2fevil.example",                  # encoded slash
    "/%2F%2Fevil.example",
    "/%252f%252fevil.example",           # double encoding
    "/%5cevil.example",                  # encoded backslash
    "/%5C%5Cevil.example",
    "https://evil.example",              # absolute
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",               # script schemes
    "JaVaScRiPt:alert(1)",
    "/javascript:alert(1)//",            # harmless path, kept to show it stays same-site
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",                   # leading whitespace
    "\t//evil.example",
    "/\t/evil.example",                  # whitespace browsers strip inside the URL
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "//evil.example@shop.example",       # userinfo
    "/@evil.example",
    "//shop.example@evil.example",
    "https://shop.example@evil.example",
    "/%09/evil.example",                 # encoded tab
    "/%00//evil.example",                # encoded NUL
    "//%65vil.example",
    "/.//evil.example",
    "\u3002//evil.example",              # ideographic full stop
    "//evil%E3%80%82example",
    "/\u2215/evil.example",              # division slash (looks like /)
    "//evil.example:80",
    "",
)

#: Payloads above that are plain same-site paths after all; a redirect to them stays on the shop.
SAME_SITE_ANYWAY: frozenset[str] = frozenset({"/javascript:alert(1)//", "/@evil.example", "/.//evil.example",
                                              "/\u2215/evil.example"})

#: Markup that must come out as text wherever the extension renders a value.
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
