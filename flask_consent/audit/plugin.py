"""The pytest plugin (entry point ``pytest11``): the ``consent_audit`` fixture, nothing else.

It adds no hooks and never imports Playwright; the audit runs only when a test asks for the fixture, so
a test run that does not use it pays for nothing but importing the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from .report import AuditReport

AuditRunner = Callable[..., "AuditReport"]


@pytest.fixture
def consent_audit() -> AuditRunner:
    """``consent_audit(app, paths=None, *, reads_log=())`` audits ``app`` and returns the report; call
    ``report.assert_clean()`` to fail the test with every problem listed."""
    from .client import run_audit

    def audit(app: Flask, paths: Iterable[str] | None = None, *, reads_log: Iterable[str] = ()) -> AuditReport:
        return run_audit(app, paths, reads_log=reads_log)

    return audit
