"""Full-batch GD (sims.simulators.gd) as a simulator: divergence handling, determinism, records, input checks.

Its claims against the flow (GD-RATE, GD-STAB, GD-STAB-NEG) are tests/claims/test_s4_gd.py
(registry: sims/claims/definitions/s4_gd.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from sims.simulators.gd import default_record_every, run_gd
from sims.data.synthetic import planted_joint
from tests.claims.test_s4_gd import prediction as _prediction  # the claims' two / three-mode problems
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix
from theory.validation import InputError


def test_divergence_stops_without_nans():
    """Far above the threshold GD blows up: the run stops, is marked diverged and returns only finite numbers."""
    prediction = _prediction("two modes")
    result = run_gd(prediction, prediction.aligned_init(1e-3), 6.0 / prediction.eigenvalues[0], 2000)
    assert result.diverged and not result.converged and "diverged" in result.extra["reason"]
    assert result.extra["steps_run"] < 2000
    for array in (result.times, result.singular_values, result.error, result.embeddings):
        assert np.all(np.isfinite(array))
    assert result.times[-1] == pytest.approx(result.extra["flow_time"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gd_is_bit_identical_on_cpu(dtype):
    prediction = _prediction("three modes")
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 4)
    a = run_gd(prediction, w0, 0.05, 700, dtype=dtype, device="cpu")
    b = run_gd(prediction, w0, 0.05, 700, dtype=dtype, device="cpu")
    for name in ("times", "singular_values", "error", "embeddings", "overlap"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.device == "cpu" and a.method == "gd"


def test_gd_records_and_time_map():
    """Flow time is eta * steps; default records land between 400 and 1000; float32 tracks float64."""
    prediction = _prediction("two modes")
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 0)
    result = run_gd(prediction, w0, 0.01, 2345)
    assert 400 <= len(result.times) <= 1000 and result.times[-1] == pytest.approx(0.01 * 2345)
    assert np.allclose(np.diff(result.times[:-1]), 0.01 * default_record_every(2345))
    single = run_gd(prediction, w0, 0.01, 2345, dtype="float32")
    # float32 rounding (~6e-8 relative per step) stays far below the O(1) values compared here.
    assert np.max(np.abs(single.singular_values - result.singular_values)) <= 1e-3
    assert all(400 <= 1 + -(-steps // default_record_every(steps)) <= 1001 for steps in (400, 999, 10 ** 4, 10 ** 7))


def test_gd_validates_input():
    prediction = _prediction("two modes")
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 0)
    for kwargs in ({"lr": 0.0, "steps": 10}, {"lr": -1.0, "steps": 10}, {"lr": 0.1, "steps": 0},
                   {"lr": 0.1, "steps": 10, "dtype": "float16"}, {"lr": 0.1, "steps": 10, "device": "tpu"}):
        with pytest.raises(InputError):
            run_gd(prediction, w0, **kwargs)
    with pytest.raises(InputError):
        run_gd(prediction, w0[:-1], 0.1, 10)
    with pytest.raises(InputError, match="loss must be"):
        run_gd(prediction, w0, 0.1, 10, loss="glove")


def _planted_prediction():
    """A Setting-3.1 problem from co-occurrences (V = 12, d = 2), whose M* lies in [-2, 2) as SGNS needs."""
    stats = cooccurrence(planted_joint(np.full(12, 1 / 12), [0.9, 0.5], seed=2))
    return closed_form(target_matrix(stats), 2)


def test_sgns_gd_tracks_qwem_at_small_init_and_stops_on_divergence():
    """loss="sgns": early on the expected SGNS gradient is QWEM's (4 sigma(x) - 2 = x + O(x^3)), so the first
    steps track QWEM's GD to O(|W|^2); far above the stable lr it diverges like QWEM's GD (finite result)."""
    prediction = _planted_prediction()
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 0)
    qwem = run_gd(prediction, w0, 0.05, 40, record_every=10)
    sgns = run_gd(prediction, w0, 0.05, 40, record_every=10, loss="sgns")
    assert sgns.method == "gd-sgns" and sgns.extra["loss"] == "sgns" and not sgns.diverged
    assert np.array_equal(sgns.times, qwem.times)
    assert np.max(np.abs(sgns.embeddings - qwem.embeddings)) <= 1e-6 * np.max(np.abs(qwem.embeddings))
    blown = run_gd(prediction, prediction.aligned_init(0.5), 50.0, 200, loss="sgns")
    assert blown.diverged and not blown.converged and "diverged" in blown.extra["reason"]
    for array in (blown.times, blown.singular_values, blown.error, blown.embeddings):
        assert np.all(np.isfinite(array))


@pytest.mark.cuda
def test_gd_cuda_matches_cpu():
    prediction = _prediction("three modes")
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 4)
    cpu = run_gd(prediction, w0, 0.05, 700, device="cpu")
    gpu = run_gd(prediction, w0, 0.05, 700, device="cuda")
    assert gpu.device.startswith("cuda")
    # float64 on both: only summation-order rounding differs, amplified at most by the early growth.
    assert np.max(np.abs(cpu.singular_values - gpu.singular_values)) <= 1e-9
