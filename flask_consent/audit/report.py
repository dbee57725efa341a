"""The audit's result: one readable line per problem, grouped so a problem every visitor meets is one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The three visitors of an audit, in the order they are visited, with the label a problem line names them by.
VISITORS: dict[str, str] = {
    "first_visit": "first visit",
    "reject_all": "after Reject all",
    "gpc": "Sec-GPC: 1",
}


@dataclass
class Finding:
    """One thing one visitor met on one page: ``message`` says what, without the visitor or the path."""

    visitor: str
    path: str
    message: str


@dataclass
class AuditReport:
    """What an audit found. ``problems`` holds one line per problem, naming the path, the visitors who met
    it and the cookie, script, frame or statement; ``findings`` keeps the same facts one visitor at a time."""

    paths: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    browser: bool = False

    def add(self, visitor: str, path: str, message: str) -> None:
        """Note that ``visitor`` met ``message`` on ``path`` (the same fact twice is kept once)."""
        finding = Finding(visitor, path, message)
        if finding not in self.findings:
            self.findings.append(finding)

    def extend(self, other: AuditReport) -> None:
        """Take in the paths and findings of another audit of the same app (the browser's, after the client's)."""
        self.paths.extend(p for p in other.paths if p not in self.paths)
        for finding in other.findings:
            self.add(finding.visitor, finding.path, finding.message)
        self.browser = self.browser or other.browser

    @property
    def problems(self) -> list[str]:
        """One line per problem: ``GET /path (visitors): what``, by path in visiting order."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for f in self.findings:
            visitors = grouped.setdefault((f.path, f.message), [])
            if f.visitor not in visitors:
                visitors.append(f.visitor)
        order = {path: i for i, path in enumerate(self.paths)}
        lines = sorted(grouped.items(), key=lambda item: order.get(item[0][0], len(order)))
        return [
            f"GET {path} ({', '.join(VISITORS.get(v, v) for v in visitors)}): {message}"
            for (path, message), visitors in lines
        ]

    @property
    def clean(self) -> bool:
        """True when no visitor met any problem."""
        return not self.findings

    def assert_clean(self) -> None:
        """Raise ``AssertionError`` listing every problem, so a test fails with the whole report at once."""
        problems = self.problems
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise AssertionError(f"The consent audit found {len(problems)} problem(s):\n{lines}")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: ``clean``, the visited ``paths``, ``problems`` and ``findings``."""
        return {
            "clean": self.clean,
            "browser": self.browser,
            "paths": list(self.paths),
            "visitors": [VISITORS[v] for v in VISITORS],
            "problems": self.problems,
            "findings": [
                {"visitor": VISITORS.get(f.visitor, f.visitor), "path": f.path, "problem": f.message}
                for f in self.findings
            ],
        }
