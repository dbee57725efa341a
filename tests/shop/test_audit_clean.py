"""The example shop passes its own consent audit, as a shop's suite would check it (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from flask_consent.audit import AuditReport

#: The privacy centre shows visitors their own consent history and hands out their data: it reads the log.
PRIVACY_CENTRE = ["/privacy", "/privacy/download"]


def test_example_shop_passes_the_consent_audit(shop: Flask, consent_audit: Callable[..., AuditReport]) -> None:
    report = consent_audit(shop, reads_log=PRIVACY_CENTRE)
    report.assert_clean()
    assert {"/", "/products", "/cart", "/privacy/policy", "/stores"} <= set(report.paths)
