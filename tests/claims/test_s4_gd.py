"""THEORY §4 claims on full-batch GD against the flow (registry: sims/claims/definitions/s4_gd.py).

Small problems with separated steps; for GD-RATE and GD-STAB the negative eigenvalue is mild enough that
lam_1 sets the stability limit ((lam_1 - lam_min) / 2 < lam_1, see ClosedForm.stiffest_rate), for
GD-STAB-NEG it is not. The CUDA variants run the same claims on the torch CUDA backend.
"""

from __future__ import annotations

import pytest

from sims.claims.definitions.s4_gd import GdRateCase, GdStabilityCase
from sims.claims.recording import check_claim
from sims.data.synthetic import matrix_with_spectrum, stepped_spectrum
from theory.predictions import closed_form, random_init

PROBLEMS = {  # name: (spectrum, d, seed of the eigenbasis)
    "two modes": (stepped_spectrum(12, [3.0, 1.5], negatives=[-1.0], bulk=0.05, seed=1), 2, 3),
    "three modes": (stepped_spectrum(16, [2.0, 1.2, 0.6], negatives=[-0.5], bulk=0.05, seed=2), 3, 7),
}


def prediction(name):
    values, dim, seed = PROBLEMS[name]
    return closed_form(matrix_with_spectrum(values, seed), dim)


def rate_case(name, device="cpu") -> GdRateCase:
    p = prediction(name)
    return GdRateCase(p, random_init(p.size, p.dim, 1e-2, 11), device=device, label=f"{name}, sigma=1e-2, {device}")


def stability_case(name, device="cpu", dtype="float64") -> GdStabilityCase:
    p = prediction(name)
    return GdStabilityCase(p, p.aligned_init(1e-3), device=device, dtype=dtype,
                           label=f"{name}, aligned init 1e-3, {device} {dtype}")


@pytest.mark.claim("GD-RATE")
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_gd_error_to_flow_is_linear_in_eta(name):
    check_claim("GD-RATE", rate_case(name))


@pytest.mark.claim("GD-STAB")
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_gd_stability_threshold(name):
    check_claim("GD-STAB", stability_case(name))


@pytest.mark.claim("GD-STAB-NEG")
@pytest.mark.parametrize("lam_min", [-2.0, -4.0, -6.0])  # -2: between -3 lam_1 and -lam_1 (map gd-stability)
def test_gd_stability_with_a_large_negative_eigenvalue(lam_min):
    values = stepped_spectrum(12, [1.0, 0.5], negatives=[lam_min], bulk=0.05, seed=3)
    p = closed_form(matrix_with_spectrum(values, 5), 2)
    # A random init: it has a component along v_min, the direction that goes unstable first.
    check_claim("GD-STAB-NEG", GdStabilityCase(p, random_init(p.size, p.dim, 1e-3, 8), steps=3000,
                                               label=f"lam_1 = 1, lam_2 = 0.5, lam_min = {lam_min}, sigma=1e-3"))


@pytest.mark.cuda
@pytest.mark.claim("GD-RATE")
def test_gd_rate_on_cuda():
    check_claim("GD-RATE", rate_case("three modes", device="cuda"))


@pytest.mark.cuda
@pytest.mark.claim("GD-STAB")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gd_stability_on_cuda(dtype):
    check_claim("GD-STAB", stability_case("three modes", device="cuda", dtype=dtype))
