"""Write docs/compliance.rst: each requirement C1-C32 with the tests that cite it.

A test cites a requirement with a comment naming its ID, on its ``def`` line, above it or inside it::

    def test_reject_all_sets_no_analytics_cookie(client):  # C1, C6

Run ``python docs/compliance_table.py`` after adding or changing such a comment and commit the page;
``tests/test_docs.py`` fails while the committed page is out of date. ``--check`` only compares.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
OUTPUT = Path(__file__).resolve().parent / "compliance.rst"

#: The requirements, as written in the project's compliance brief (sources in brackets, see the page).
REQUIREMENTS = """\
## The choice
- C1  "Reject all" stands on the first layer beside "Accept all" [TF, CNIL].
- C2  Reject is a `<button>` of the same size, font and weight as Accept, inside the banner, not a link in prose [TF].
- C3  No steering by colour: Accept and Reject share one style; text contrast ≥ 4.5:1 [TF, WCAG 1.4.3].
- C4  Only `necessary` is on when any layer opens; nothing else pre-ticked [TF, GDPR Recital 32].
- C5  No "legitimate interest" basis offered for cookies/SDKs [TF].
- C6  Until granted, a purpose's cookies are not set, its scripts/iframes/pixels do not load, and the server-side
      features behind it do not run; `necessary` cookies carry a written justification in their declaration [EP, TF].
- C7  Closing, Esc, scrolling or browsing on without choosing records no consent (purposes stay refused) [G05, CNIL].
- C8  No cookie wall: the shop works with everything refused [G05, GDPR 7(4), PIPL 16].
- C9  Per-purpose controls exist next to Accept all / Reject all [GDPR Recital 43, CNIL].
- C10 Before choosing, the visitor can see each purpose, its vendors/SDKs, what refusing changes, and cookie
      lifetimes, plus a link to the privacy policy [GDPR 7(2), CNIL, PDPO DPP1].
- C11 Withdrawing takes no more clicks than granting: a "Privacy choices" control on every page reopens the
      choices, showing the stored state [GDPR 7(3), TF, PIPL 15].

## Lifetime, re-asking, proof
- C12 A refusal is remembered as long as a consent: the banner does not come back on every visit [CNIL].
- C13 Re-ask after `CONSENT_MAX_AGE` (default ~6 months), and only for the purposes whose version changed, or all
      when the policy version changed [CNIL, G05, PIPL 14].
- C14 Every grant, refusal, change, withdrawal and GPC opt-out appends a server-timestamped record; none is
      ever overwritten [GDPR 7(1)].
- C15 Each record names the policy version and a hash of the banner text the visitor saw [CNIL].
- C16 Records hold no raw IP address and no full user-agent string [CNIL].
- C17 A visitor can download their own consent history (receipts with the [REC] fields) [GDPR 7(1), PDPO DPP6].

## Browser signals
- C18 `Sec-GPC: 1` (exactly "1") opts the visitor out of every purpose marked `gpc_opt_out` (advertising,
      third-party sharing) without asking anything; other values are ignored [GPC, CCPA].
- C19 GPC beats a stored grant; the banner may say "Opt-out preference signal honoured" and offer to consent
      explicitly; a GPC signal that disappears later is not an opt-in [CCPA].
- C20 `/.well-known/gpc.json` is served [GPC]. Do Not Track is not relied on (retired).

## Google Consent Mode v2
- C21 `gtag('consent','default',{...})` is rendered before any Google tag, with all seven types and the
      visitor's current state (denied for undecided), `security_storage` granted [GCM].
- C22 Every decision in the browser sends one `gtag('consent','update',{...})` with all seven types [GCM].
- C23 Basic mode by default: no Google tag is loaded before the choice [GCM].

## Hong Kong and mainland China
- C24 Direct marketing and sharing with affiliates/partners for their own use are separate, unticked opt-ins
      that can be withdrawn any time [PDPO 35C-35K, PIPL 23].
- C25 Location and voice/photo search (sensitive data) each get their own just-in-time consent with a note on
      why they are needed and what refusing changes [PIPL 28-30].
- C26 Personalised recommendations always have a non-personalised alternative [PIPL 24].
- C27 Data requests (access, correction, deletion) are tracked against the shop's promised 15 days and the
      PDPO's 40-day limit [PDPO s.19].

## Accessibility (WCAG 2.2 AA)
- C28 axe-core reports no violations on the banner, the preferences page and the prompt page.
- C29 Everything works by keyboard; no trap; visible focus; the banner never hides the focused element (2.4.11).
- C30 `role="dialog"` or `role="region"` with an accessible name; toggles expose their state; correct `lang`.
- C31 Targets ≥ 24×24 CSS px; the banner reflows at 320 px width without horizontal scrolling.
- C32 Works with JavaScript off (plain forms) and with JavaScript on (no reload needed).
"""

SOURCES = (
    "EDPB Cookie Banner Taskforce report (Jan 2023) [TF]; EDPB Guidelines 05/2020 on consent [G05]; "
    "GDPR Art. 7 and ePrivacy Directive Art. 5(3) [GDPR], [EP]; CNIL cookie guidelines and recommendation "
    "(2020) [CNIL]; W3C Global Privacy Control [GPC]; California CCPA regulations §7025 and Colorado CPA rules "
    "[CCPA]; Google Consent Mode v2 [GCM]; Hong Kong PDPO [PDPO]; PRC PIPL [PIPL]; WCAG 2.2 AA and the "
    "WAI-ARIA dialog pattern [WCAG]; ISO/IEC TS 27560 and Kantara Consent Receipt 1.1 [REC]."
)
_ID = re.compile(r"\bC([1-9][0-9]?)\b")
_ITEM = re.compile(r"^- C([0-9]+)\s+(.*)$")


def requirements() -> list[tuple[str, list[tuple[int, str]]]]:
    """The requirement groups in order: (heading, [(number, text), ...])."""
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    for line in REQUIREMENTS.splitlines():
        if line.startswith("## "):
            groups.append((line[3:].strip(), []))
        elif m := _ITEM.match(line):
            groups[-1][1].append((int(m.group(1)), m.group(2).strip()))
        elif line.strip() and groups and groups[-1][1]:
            number, text = groups[-1][1][-1]
            groups[-1][1][-1] = (number, f"{text} {line.strip()}")
    return groups


def _tests_in(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every test function, decorators included; methods as Class::test."""
    found: list[tuple[int, int, str]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                visit(node.body, f"{prefix}{node.name}::")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found.append((first, node.end_lineno or node.lineno, prefix + node.name))

    visit(tree.body, "")
    return sorted(found)


def citations(path: Path) -> dict[int, set[str]]:
    """Requirement number -> the tests of ``path`` that cite it in a comment.

    A comment inside a test (its ``def`` line included) cites for that test; a comment outside every
    function cites for the next test below it. Comments in helpers and fixtures cite nothing.
    """
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    tests = _tests_in(tree)
    functions = [
        (n.lineno, n.end_lineno or n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    relative = path.relative_to(ROOT).as_posix()
    cited: dict[int, set[str]] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            continue
        numbers = {int(n) for n in _ID.findall(tok.string) if 1 <= int(n) <= 32}
        if not numbers:
            continue
        line = tok.start[0]
        test = next((name for first, last, name in tests if first <= line <= last), None)
        if test is None:
            if any(first <= line <= last for first, last in functions):
                continue
            test = next((name for first, _, name in tests if first > line), None)
        if test is None:
            continue
        for n in numbers:
            cited.setdefault(n, set()).add(f"{relative}::{test}")
    return cited


def all_citations(tests: Path = TESTS) -> dict[int, list[str]]:
    """Requirement number -> every citing test in the suite, sorted by file and name."""
    merged: dict[int, set[str]] = {}
    for path in sorted(tests.rglob("*.py")):
        for n, names in citations(path).items():
            merged.setdefault(n, set()).update(names)
    return {n: sorted(names) for n, names in merged.items()}


def _rst(text: str) -> str:
    """The brief's Markdown (``code``) as reStructuredText inline literals."""
    return re.sub(r"`([^`]+)`", r"``\1``", text).replace("*", r"\*")


def render(tests: Path = TESTS) -> str:
    """The whole compliance page."""
    cited = all_citations(tests)
    groups = requirements()
    total = sum(len(items) for _, items in groups)
    met = sum(1 for _, items in groups for n, _ in items if cited.get(n))
    out = [
        ".. This page is generated by docs/compliance_table.py from the # C<n> comments in tests/.",
        "   Do not edit it by hand: run ``python docs/compliance_table.py`` and commit the result.",
        "",
        "Compliance",
        "==========",
        "",
        "What the law and the standards ask of the banner and the middleware, one testable requirement per line,",
        "and the tests that prove each one. A test cites a requirement with a comment naming its ID",
        "(``def test_reject_on_first_layer(client):  # C1``); this page is generated from those comments by",
        "``docs/compliance_table.py``, and the docs test fails when it is out of date. A requirement without a",
        "test is not met.",
        "",
        f"{met} of {total} requirements are cited by at least one test.",
        "",
        f"Sources: {_rst(SOURCES)}",
        "",
    ]
    for heading, items in groups:
        out += [heading, "-" * len(heading), "", ".. list-table::", "   :header-rows: 1", "   :widths: 6 44 50", ""]
        out += ["   * - ID", "     - Requirement", "     - Tests that cite it"]
        for n, text in items:
            names = cited.get(n, [])
            out += [f"   * - C{n}", f"     - {_rst(text)}"]
            if names:
                out.append(f"     - * ``{names[0]}``")
                out += [f"       * ``{name}``" for name in names[1:]]
            else:
                out.append("     - **No test cites it yet.**")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != page:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python docs/compliance_table.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(page, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
