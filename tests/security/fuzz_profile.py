"""The hypothesis profile of the hostile-input tests: how many cases each surface gets.

Each surface (cookie decoder, form body and JSON body of ``POST /consent``, query parameters) gets at least
10,000 generated cases in CI, split over its tests. A hypothesis example is a batch of ``BATCH`` cases (a
generated cookie, request body or query), which spreads hypothesis' own per-example cost and keeps the whole
fuzzing part near a minute. ``CONSENT_FUZZ_SCALE`` (default 1.0) scales it down for a quick local run, e.g.
``CONSENT_FUZZ_SCALE=0.05``.
"""

from __future__ import annotations

import os
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")

PER_SURFACE = 10_000
BATCH = 4
SCALE = float(os.environ.get("CONSENT_FUZZ_SCALE", "1"))

settings.register_profile(
    "consent-fuzz",
    deadline=None,
    database=None,  # nothing written to the checkout; failures print a reproducible blob instead
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(share: float) -> settings:
    """Settings for a test that covers ``share`` of its surface's 10,000 cases, ``BATCH`` per example."""
    examples = max(10, round(PER_SURFACE * share * SCALE / BATCH))
    return settings(settings.get_profile("consent-fuzz"), max_examples=examples)


def batches(case: SearchStrategy[T]) -> SearchStrategy[list[T]]:
    """``BATCH`` cases drawn together as one example."""
    return st.lists(case, min_size=BATCH, max_size=BATCH)
