"""THEORY §4 claims on discrete time and sampling (registry: sims/claims/definitions/s4_discrete.py)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given

from sims.claims import FlowCase
from sims.claims.definitions.hypotheses import separated_modes
from sims.claims.recording import check_claim
from sims.data.synthetic import planted_joint
from sims.simulators.gd import run_gd
from sims.simulators.sgd import run_sgd
from tests.strategies import DynamicsProblem, dynamics_problems, learning_rates
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix


@pytest.mark.claim("GD-DELAY")
@given(case=dynamics_problems(separation=8.0, max_positive=3, max_size=10, max_log10_inverse_sigma=12.0),
       rate=learning_rates(min_fraction=0.02, max_fraction=0.25))
def test_gd_lags_the_flow_by_its_euler_delay(case: DynamicsProblem, rate):
    flow = case.flow_case
    lr = rate.value(float(flow.prediction.learned_eigenvalues[0]))
    last = float(np.max(flow.predicted_steps[separated_modes(flow)]))
    steps = int(np.ceil(1.2 * last / lr))
    gd = run_gd(flow.prediction, flow.initial, lr, steps, record_every=1, dtype="float64", device="cpu")
    check_claim("GD-DELAY", FlowCase(flow.prediction, flow.initial, label=repr(case), gd=gd, gd_lr=lr,
                                     ode_result=flow.ode),
                problem=f"{case}, eta lam_1 = {rate.fraction * 2:g}")


@functools.cache
def planted_sgd_case(sampler: str) -> FlowCase:
    """V = 20 uniform-unigram planted joint, three well-separated modes, word2vec's SGD at a small lr."""
    stats = cooccurrence(planted_joint(np.full(20, 1 / 20), [0.8, 0.55, 0.35], seed=1))
    prediction = closed_form(target_matrix(stats), 3)
    w0 = random_init(20, 3, 1e-6, 0)
    lr = 0.002
    flow = FlowCase(prediction, w0, label=f"planted V=20, d=3, sigma=1e-6, {sampler} sampler")
    steps = int(np.ceil(flow.predicted_steps[-1] * 1.4 / sgd_flow_time_per_step(lr)))
    sgd = run_sgd(stats, prediction, w0, lr, steps, batch=4096, seed=0, dtype="float32", device="cpu",
                  record_every=2, sampler=sampler)
    flow.sgd = sgd
    return flow


@pytest.mark.claim("SGD-ORDER")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_learns_every_mode_in_order(sampler):
    check_claim("SGD-ORDER", planted_sgd_case(sampler))


@pytest.mark.claim("SGD-SUBSPACE")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_ends_in_the_top_eigenspace(sampler):
    check_claim("SGD-SUBSPACE", planted_sgd_case(sampler))
