"""The pair sampler at the paper's settings on the CPU (sims/simulators/sgd.py "Drawing positives at scale",
"Paper preset"; sims/simulators/alias.py): the alias table is exact, its draws follow P_ij and P_iP_j, the
preset's lr is the theory's, and paper_sgd tracks full-batch GD in flow time.

The same checks on a CUDA device are tests/gpu/test_cuda_training.py (skipped without one).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sims.simulators.alias import AliasTable, alias_arrays, alias_probabilities
from sims.simulators.gd import run_gd
from sims.simulators.sgd import (PAPER_NEGATIVES, PAPER_POSITIVES, PAPER_STEP_FRACTION, PairSampler, max_pair_weight,
                                 pair_lr_limit, paper_lr, paper_sgd, run_sgd)
from tests.claims.test_s4_sgd import planted_problem
from tests.gpu.support import HISTOGRAM_BATCHES, binomial_z, histogram_stats, pair_histograms, zipf_planted_stats
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import closed_form, random_init
from theory.target import setting31_weights, target_matrix
from theory.tolerances import tolerance
from theory.validation import InputError


def _distributions():
    rng = np.random.default_rng(0)
    sparse = rng.random(1000) ** 4
    sparse[rng.random(1000) < 0.3] = 0.0
    zipf = 1.0 / np.arange(1, 300) ** 1.0
    return {"one category": np.array([2.0]), "one-hot": np.eye(7)[3], "uniform": np.ones(64),
            "sparse": sparse, "zipf pairs": np.outer(zipf, zipf).ravel()}


@pytest.mark.parametrize("name", list(_distributions()))
def test_alias_table_reproduces_the_distribution(name):
    """Each category's total over its own bucket and the buckets aliased to it is its probability; zeros stay 0."""
    p = _distributions()[name]
    thresholds, aliases = alias_arrays(p)
    assert np.all((thresholds >= 0) & (thresholds <= 1))
    drawn = alias_probabilities(thresholds, aliases)
    exact = p / p.sum()
    assert np.all(drawn[exact == 0] == 0)
    positive = exact > 0
    assert np.max(np.abs(drawn[positive] / exact[positive] - 1)) <= tolerance("identity").value


@pytest.mark.parametrize("bad", [np.array([]), np.array([0.5, -0.1]), np.array([np.nan, 1.0]), np.zeros(3)])
def test_alias_table_refuses_bad_probabilities(bad):
    with pytest.raises(InputError):
        alias_arrays(bad)


def test_alias_draws_are_seeded_and_stay_on_the_table():
    table = AliasTable.build(np.array([0.0, 1.0, 3.0, 0.0]), dtype=torch.float32, device="cpu")
    draws = [table.draw(10_000, torch.Generator().manual_seed(seed)) for seed in (4, 4, 5)]
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[0], draws[2])
    assert draws[0].dtype == torch.int64 and set(draws[0].tolist()) == {1, 2}


@pytest.mark.parametrize("positives", ["alias", "cdf"])
def test_pairs_follow_the_statistics_on_cpu(positives):
    """Positive pairs are drawn at P_ij and negative pairs at P_iP_j: binomial z of every histogram cell."""
    stats = histogram_stats()
    objective = PairSampler(stats, batch=PAPER_POSITIVES, negatives=PAPER_NEGATIVES / PAPER_POSITIVES,
                            positives=positives, device="cpu")
    positive, negative, n_pos, n_neg = pair_histograms(objective, HISTOGRAM_BATCHES, seed=1)
    bound = tolerance("sampler_frequency_z").value
    assert np.max(binomial_z(positive, n_pos, stats.joint)) <= bound
    assert np.max(binomial_z(negative, n_neg, stats.independent)) <= bound


def test_alias_sampler_is_bit_identical_per_seed_on_cpu():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    runs = [run_sgd(stats, prediction, w0, 0.002, 40, batch=2048, seed=seed, device="cpu", record_every=20,
                    positives="alias") for seed in (3, 3, 4)]
    assert np.array_equal(runs[0].embeddings, runs[1].embeddings)
    assert not np.array_equal(runs[0].embeddings, runs[2].embeddings)


def test_positives_option_is_checked():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    with pytest.raises(InputError, match="positives"):
        run_sgd(stats, prediction, w0, 0.002, 10, sampler="entries", positives="alias", device="cpu")
    with pytest.raises(InputError, match="positives"):
        PairSampler(stats, positives="multinomial", device="cpu")


def test_pair_lr_limit_is_the_real_text_rule():
    """The preset's cap is sims.pipelines.realtext.run.sampler_lr_limit's for pairs at the same batch."""
    from sims.pipelines.realtext.run import sampler_lr_limit

    stats = zipf_planted_stats(200)
    objective = PairSampler(stats, batch=PAPER_POSITIVES, device="cpu", positives="alias")
    assert pair_lr_limit(objective) == pytest.approx(sampler_lr_limit(stats, PAPER_POSITIVES, "pairs"), rel=1e-12)
    assert max_pair_weight(stats) == pytest.approx(float(np.max(setting31_weights(stats))), rel=1e-12)
    assert max_pair_weight(stats, "uniform") == 1.0


@pytest.mark.parametrize("problem", ["planted V=20 (flow step binds)", "Zipf V=1000 (pair coefficient binds)"])
def test_paper_lr_is_the_smaller_of_the_two_bounds(problem):
    """lr = min(PAPER_STEP_FRACTION / c, flow step of pair_lr_limit) / (2g), whichever way it is computed."""
    if problem.startswith("planted"):
        stats, prediction = planted_problem()
        batch = PAPER_POSITIVES
    else:
        stats = zipf_planted_stats(1000)
        prediction = closed_form(target_matrix(stats), 4)
        batch = 4096   # the cap scales with the batch: below the paper's, it binds at V = 1000
    objective = PairSampler(stats, batch=batch, device="cpu", positives="alias")
    chosen = paper_lr(objective, prediction)
    capped = sgd_flow_time_per_step(pair_lr_limit(objective))
    free = PAPER_STEP_FRACTION / prediction.stiffest_rate
    assert chosen["flow_step"] == pytest.approx(min(free, capped), rel=1e-12)
    assert chosen["lr"] == pytest.approx(chosen["flow_step"] / 2, rel=1e-12)   # tied, g = 1
    assert chosen["bound"] == ("flow step" if problem.startswith("planted") else "pair coefficient")


def test_paper_sgd_tracks_gd_in_flow_time():
    """The preset's float32 SGD from a small W(0) learns every mode in order at GD's half-height times (same flow step)."""
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    objective = PairSampler(stats, batch=PAPER_POSITIVES, device="cpu", positives="alias")
    flow_step = paper_lr(objective, prediction)["flow_step"]
    steps = int(np.ceil(1.4 * prediction.random_step_times(w0).max() / flow_step))
    result = paper_sgd(stats, prediction, w0, steps=steps, device="cpu", seed=2, records=150)
    gd = run_gd(prediction, w0, flow_step, steps, device="cpu", record_every=max(1, steps // 150))
    assert not result.diverged and result.extra["preset"] == "paper" and result.extra["lr_bound"] == "flow step"
    assert result.extra["positives_per_step"] == PAPER_POSITIVES
    assert result.extra["negatives_per_step"] == PAPER_NEGATIVES
    assert result.extra["dtype"] == "float32" and result.extra["pairs_per_second"] > 0
    assert result.times[-1] == pytest.approx(steps * flow_step, rel=1e-12)
    measured, reference = result.measured_step_times(), gd.measured_step_times()
    assert np.all(np.diff(measured) > 0)
    assert np.max(np.abs(measured / reference - 1)) <= tolerance("sgd_step_time").value
    assert result.overlap[-1] >= 1 - tolerance("sgd_subspace_overlap").value


def test_paper_sgd_in_float64_with_a_given_lr():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    result = paper_sgd(stats, prediction, w0, steps=20, lr=0.001, device="cpu", dtype="float64", seed=0, records=4)
    assert result.extra["dtype"] == "float64" and result.extra["lr"] == 0.001 and result.extra["lr_bound"] == "given"
    assert list(result.extra["recorded_steps"]) == [0, 5, 10, 15, 20]
    assert result.times[-1] == pytest.approx(20 * sgd_flow_time_per_step(0.001))


@pytest.mark.parametrize("change, message", [({"steps": 0}, "steps"), ({"records": 0}, "records"),
                                             ({"seed": -1}, "seed"), ({"lr": -1.0}, "learning rate"),
                                             ({"dtype": "float16"}, "dtype")])
def test_paper_sgd_bad_input_is_one_input_error(change, message):
    stats, prediction = planted_problem()
    options = {"steps": 5, "device": "cpu", **change}
    with pytest.raises(InputError, match=message):
        paper_sgd(stats, prediction, random_init(20, 3, 0.03, 0), **options)
