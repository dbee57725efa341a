"""The consent audit: prove in a shop's own CI that it sets nothing a visitor refused.

``run_audit(app)`` walks the app with the test client as three visitors (a first visitor, one who pressed
"Reject all", one whose browser sends ``Sec-GPC: 1``) and returns an :class:`AuditReport`. The pytest
fixture ``consent_audit`` (module :mod:`flask_consent.audit.plugin`) and ``flask consent scan`` run it; the
scan's ``--browser`` mode repeats the visit in Chromium through Playwright (:mod:`.browser`, imported only
then).
"""

from __future__ import annotations

from .client import audit_paths, run_audit
from .command import scan_command
from .report import VISITORS, AuditReport, Finding

__all__ = ["VISITORS", "AuditReport", "Finding", "audit_paths", "run_audit", "scan_command"]
