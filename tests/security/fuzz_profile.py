"""The hypothesis profile of the hostile-input tests: how many cases each surface gets.

Each surface (cookie decoder, form body and JSON body of ``POST /consent``, query parameters) gets at least
10,000 generated cases in CI, split over its tests. ``CONSENT_FUZZ_SCALE`` (default 1.0) scales that down for a
quick local run, e.g. ``CONSENT_FUZZ_SCALE=0.05``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PER_SURFACE = 10_000
SCALE = float(os.environ.get("CONSENT_FUZZ_SCALE", "1"))

settings.register_profile(
    "consent-fuzz",
    deadline=None,
    database=None,  # nothing written to the checkout; failures print a reproducible blob instead
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(share: float) -> settings:
    """Settings for a test that covers ``share`` of its surface's 10,000 cases."""
    return settings(settings.get_profile("consent-fuzz"), max_examples=max(10, round(PER_SURFACE * share * SCALE)))
