"""Root pytest configuration: Hypothesis profiles, markers, single-threaded BLAS, shared fixtures."""

from __future__ import annotations

import os

# Oversubscribed BLAS threads on a shared machine run many times slower (see README); set before numpy/torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

# Profiles: `ci` is derandomised and bounded; `dev` is quick and random; `thorough` searches hard.
settings.register_profile(
    "ci", max_examples=12, derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=10, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=200, deadline=None, print_blob=True,
    phases=list(Phase), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_default_profile = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("W2V_HYPOTHESIS_PROFILE", _default_profile))

# The claims ledger (sims/claims/ledger.py): a table of every claim and conjecture after each run.
# pytester: tests/test_ledger.py runs small pytest sessions in-process to check the ledger itself.
pytest_plugins = ["sims.claims.ledger", "pytester"]

MARKERS = (
    "claim(id, source=...): an established claim of THEORY.md; failures gate CI",
    "conjecture(statement, rationale=..., strict=False): an open question, reported in the claims ledger",
    "cuda: needs a CUDA device; skipped when none is present",
    "slow: takes more than a few seconds",
)


def pytest_configure(config):
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device on this machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    """A fixed-seed numpy Generator, so each test is reproducible on its own."""
    return np.random.default_rng(20251125)
