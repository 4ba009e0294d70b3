"""Full-batch GD (sims.simulators.gd) against the flow: O(eta) convergence to the ODE, stability threshold, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from sims.simulators.gd import default_record_every, run_gd
from sims.simulators.ode import run_ode
from sims.data.synthetic import matrix_with_spectrum, planted_joint, stepped_spectrum
from sims.claims.recording import assert_within, check
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix
from theory.validation import InputError

# Small problems with separated steps; the negative eigenvalue is mild enough that lam_1 sets the
# stability limit ((lam_1 - lam_min) / 2 < lam_1, see ClosedForm.stiffest_rate).
PROBLEMS = {
    "two modes": (stepped_spectrum(12, [3.0, 1.5], negatives=[-1.0], bulk=0.05, seed=1), 2, 3),
    "three modes": (stepped_spectrum(16, [2.0, 1.2, 0.6], negatives=[-0.5], bulk=0.05, seed=2), 3, 7),
}


def _prediction(name):
    values, dim, seed = PROBLEMS[name]
    return closed_form(matrix_with_spectrum(values, seed), dim)


def _gd_vs_ode_error(prediction, w0, eta, t_end, device="cpu", dtype="float64"):
    """max over GD's records of |s_k^2(GD, t = eta n) - s_k^2(ODE, t)| / lam_1."""
    steps = int(round(t_end / eta))
    gd = run_gd(prediction, w0, eta, steps, record_every=max(1, steps // 200), dtype=dtype, device=device)
    ode = run_ode(prediction, w0, float(gd.times[-1]), times=gd.times)
    return float(np.max(np.abs(gd.singular_values ** 2 - ode.singular_values ** 2))) / prediction.eigenvalues[0]


def _check_rate(name, device="cpu"):
    prediction = _prediction(name)
    lam1 = prediction.eigenvalues[0]
    w0 = random_init(prediction.size, prediction.dim, 1e-2, 11)
    t_end = float(prediction.random_step_times(w0).max()) + 8.0 / prediction.learned_eigenvalues[-1]
    etas = np.array([0.01, 0.02, 0.04, 0.08]) / lam1
    errors = np.array([_gd_vs_ode_error(prediction, w0, eta, t_end, device=device) for eta in etas])
    check(bool(np.all(errors > 0)), "GD differs from the flow at every eta", measured=errors)
    slope = np.polyfit(np.log(etas), np.log(errors), 1)[0]
    assert_within(abs(slope - 1.0), "gd_rate_slope", problem=name, predicted=1.0, measured=slope,
                  what=f"log-log slope of max trajectory error vs eta (errors {np.round(errors, 6)})")
    local = np.diff(np.log(errors)) / np.diff(np.log(etas))
    assert_within(np.max(np.abs(local - 1.0)), "gd_rate_slope", problem=name, predicted=1.0, measured=local,
                  what="each consecutive log-log slope")


@pytest.mark.claim("GD-RATE", source="THEORY §4 (GD follows the flow with an O(eta) delay)")
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_gd_error_to_flow_is_linear_in_eta(name):
    """The max trajectory distance between GD (t = eta n) and the ODE shrinks like eta: log-log slope 1."""
    _check_rate(name)


def _check_stability(name, device="cpu", dtype="float64"):
    prediction = _prediction(name)
    lam1 = prediction.eigenvalues[0]
    w0 = prediction.aligned_init(1e-3)
    below = run_gd(prediction, w0, 1.9 / lam1, 600, record_every=1, device=device, dtype=dtype)
    check(below.converged and not below.diverged, "eta lam_1 = 1.9 < 2 converges", problem=name,
          measured=below.extra["gram_gap"])
    above = run_gd(prediction, w0, 2.1 / lam1, 600, record_every=1, device=device, dtype=dtype)
    check(not above.converged and not above.diverged, "eta lam_1 = 2.1 > 2: bounded but not converging",
          problem=name)
    check("lr * lam_1" in above.extra["reason"], "the reason names eta lam_1 >= 2", measured=above.extra["reason"])
    # What the flag reports is what happens: the top mode settles on a period-2 orbit around lam_1.
    top = above.singular_values[-6:, 0] ** 2
    check(abs(top[-1] - top[-2]) > 0.1 * lam1, "consecutive steps alternate", problem=name, measured=top)
    check(abs(top[-1] - top[-3]) < 1e-3 * lam1, "the orbit has period 2", problem=name, measured=top)
    check(min(top[-1], top[-2]) < lam1 < max(top[-1], top[-2]), "it straddles the fixed point", measured=top)


@pytest.mark.claim("GD-STAB", source="THEORY §4 (GD converges iff eta lam_1 < 2)")
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_gd_stability_threshold(name):
    """eta lam_1 = 1.9 reaches the minimiser; eta lam_1 = 2.1 oscillates with period 2 and is reported as such."""
    _check_stability(name)


@pytest.mark.claim("GD-STAB-NEG", source="THEORY §4 refined: linear stability at the minimiser")
@pytest.mark.parametrize("lam_min", [-4.0, -6.0])
def test_gd_stability_with_a_large_negative_eigenvalue(lam_min):
    """With lam_min < -3 lam_1 the limit is eta (lam_1 - lam_min) / 2 < 2, not eta lam_1 < 2: 5 % below it GD converges, 5 % above it does not."""
    # Linearising the flow at W = V_d Lambda_d^1/2, a perturbation v_j e_i^T along an unlearned
    # eigenvector relaxes at rate (lam_i - lam_j) / 2, so GD's multiplier there is
    # 1 - eta (lam_1 - lam_min) / 2, which leaves [-1, 1] before 1 - eta lam_1 does once
    # lam_min < -3 lam_1. THEORY §4 states only eta lam_1 < 2.
    values = stepped_spectrum(12, [1.0, 0.5], negatives=[lam_min], bulk=0.05, seed=3)
    prediction = closed_form(matrix_with_spectrum(values, 5), 2)
    limit = 4.0 / (1.0 - lam_min)
    check(abs(prediction.gd_stability_limit - limit) <= 1e-9 * limit, "ClosedForm.gd_stability_limit is this limit",
          predicted=limit, measured=prediction.gd_stability_limit)
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 8)  # random: it has a component along v_min
    below = run_gd(prediction, w0, 0.95 * limit, 3000, device="cpu")
    check(below.converged and not below.diverged, "5 % below the refined limit GD converges",
          problem=f"eigenvalues {np.round(values[[0, 1, -1]], 3)}, eta = {0.95 * limit:.4g}",
          predicted=limit, measured=below.extra["gram_gap"])
    above = run_gd(prediction, w0, 1.05 * limit, 3000, device="cpu")
    check(not above.converged, "5 % above the refined limit GD does not converge, although eta lam_1 < 2",
          problem=f"eigenvalues {np.round(values[[0, 1, -1]], 3)}, eta lam_1 = {1.05 * limit:.3g}",
          predicted=limit, measured=above.extra["reason"])


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
@pytest.mark.claim("GD-RATE", source="THEORY §4 (on CUDA)")
def test_gd_rate_on_cuda():
    _check_rate("three modes", device="cuda")


@pytest.mark.cuda
@pytest.mark.claim("GD-STAB", source="THEORY §4 (on CUDA)")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gd_stability_on_cuda(dtype):
    _check_stability("three modes", device="cuda", dtype=dtype)


@pytest.mark.cuda
def test_gd_cuda_matches_cpu():
    prediction = _prediction("three modes")
    w0 = random_init(prediction.size, prediction.dim, 1e-3, 4)
    cpu = run_gd(prediction, w0, 0.05, 700, device="cpu")
    gpu = run_gd(prediction, w0, 0.05, 700, device="cuda")
    assert gpu.device.startswith("cuda")
    # float64 on both: only summation-order rounding differs, amplified at most by the early growth.
    assert np.max(np.abs(cpu.singular_values - gpu.singular_values)) <= 1e-9
