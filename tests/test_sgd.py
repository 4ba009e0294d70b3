"""Minibatch SGD (sims/simulators/sgd.py) as a simulator: per-pair gradients, the entry term, untied runs,
determinism, divergence, records, input errors and phases.

Its claims (SGD-UNBIASED, SGD-TIME, SGD-TRACK) are tests/claims/test_s4_sgd.py
(registry: sims/claims/definitions/s4_sgd.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sims.simulators.sgd import EntrySampler, PairSampler, run_sgd, run_sgd_phases
from tests.claims.test_s4_sgd import planted_problem, small_stats
from theory.dynamics import left_singular_basis, sgd_flow_time_per_step, subspace_overlap
from theory.predictions import random_init
from theory.target import setting31_weights, target_matrix
from theory.tolerances import tolerance
from theory.validation import InputError


@pytest.mark.parametrize("untied", [False, True])
def test_sgns_per_pair_gradient_is_logistic(untied):
    """The manual minibatch gradient equals autograd of L̂ written out with log(1 + e^{∓x})."""
    stats = small_stats()
    objective = PairSampler(stats, batch=64, loss="sgns", negatives=2.0, dtype="float64", device="cpu")
    pairs = objective.sample(objective.generator(1))
    rng = np.random.default_rng(0)
    w = torch.tensor(rng.normal(0, 1.5, (8, 3)), requires_grad=True)
    c = torch.tensor(rng.normal(0, 1.5, (8, 3)), requires_grad=True) if untied else w
    x = (w[pairs.rows] * c[pairs.cols]).sum(1)
    positive = pairs.signs < 0
    psi = torch.as_tensor(setting31_weights(stats, negatives=2.0))[pairs.rows, pairs.cols]
    scale = torch.where(positive, 1.0 / 64, 2.0 / objective.negative_count)
    by_hand = (scale * psi * torch.where(positive, torch.log1p(torch.exp(-x)), torch.log1p(torch.exp(x)))).sum()
    by_hand.backward()
    value, gw, gc = objective.gradient(w.detach(), c.detach() if untied else None, pairs)
    scale_ref = abs(float(by_hand.detach())) + 1.0
    assert abs(float(value) - float(by_hand.detach())) <= tolerance("identity").value * scale_ref
    assert torch.allclose(gw, w.grad, rtol=0, atol=tolerance("identity").value * scale_ref)
    if untied:
        assert torch.allclose(gc, c.grad, rtol=0, atol=tolerance("identity").value * scale_ref)


def test_untied_learns_top_subspace():
    """Untied smoke test: runs, returns W' separately, and both W and W' span the top-d eigenvectors."""
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    lr = 0.004
    steps = int(1.4 * prediction.random_step_times(w0)[-1] / sgd_flow_time_per_step(lr, tied=False))
    result = run_sgd(stats, prediction, w0, lr, steps, batch=4096, untied=True, seed=1, dtype="float32",
                     device="cpu", record_every=50)
    context = result.extra["context_embeddings"]
    assert context.shape == w0.shape and not result.diverged
    assert result.times[-1] == pytest.approx(steps * sgd_flow_time_per_step(lr, tied=False))
    for embedding in (result.embeddings, context):
        overlap = subspace_overlap(prediction.learned_directions, left_singular_basis(embedding, 3))
        assert overlap >= 1 - tolerance("sgd_subspace_overlap").value
    assert result.overlap[-1] >= 1 - tolerance("sgd_subspace_overlap").value


def test_entry_term_is_bounded_square_under_setting31():
    """Entry sampler, qwem, Setting 3.1: each sampled term is (V²/B)[¼(x − M*_ij)² − ¼M*_ij²] (module doc)."""
    stats = small_stats()
    v, batch = 8, 64
    objective = EntrySampler(stats, batch=batch, loss="qwem", dtype="float64", device="cpu")
    entries = objective.sample(objective.generator(3))
    m = target_matrix(stats)[entries.rows.numpy(), entries.cols.numpy()]
    w = np.random.default_rng(1).normal(0.0, 0.8, (v, 2))
    x = np.sum(w[entries.rows.numpy()] * w[entries.cols.numpy()], axis=1)
    value, slope = objective.entry_terms(torch.as_tensor(x), entries.positive, entries.negative)
    scale = v * v / batch
    assert np.allclose(value.numpy(), scale * ((x - m) ** 2 - m ** 2) / 4, rtol=0,
                       atol=tolerance("identity").value * scale)
    assert np.allclose(slope.numpy(), scale * (x - m) / 2, rtol=0, atol=tolerance("identity").value * scale)


@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_same_seed_is_bit_identical_on_cpu(sampler):
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    runs = [run_sgd(stats, prediction, w0, 0.002, 60, batch=512, seed=seed, device="cpu", record_every=20,
                    sampler=sampler) for seed in (7, 7, 8)]
    assert np.array_equal(runs[0].embeddings, runs[1].embeddings)
    assert np.array_equal(runs[0].singular_values, runs[1].singular_values)
    assert np.array_equal(runs[0].extra["minibatch_loss"], runs[1].extra["minibatch_loss"])
    assert not np.array_equal(runs[0].embeddings, runs[2].embeddings)


def test_divergence_stops_with_finite_embeddings():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.5, 0)
    result = run_sgd(stats, prediction, w0, 5.0, 400, batch=256, seed=0, device="cpu", record_every=100)
    assert result.diverged and not result.converged
    assert result.extra["steps_taken"] < 400
    for array in (result.embeddings, result.singular_values, result.error, result.loss, result.times,
                  result.extra["minibatch_loss"]):
        assert np.all(np.isfinite(array))


def test_recording_and_minibatch_loss():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    result = run_sgd(stats, prediction, w0, 0.002, 100, batch=256, seed=0, device="cpu", record_every=30)
    assert list(result.extra["recorded_steps"]) == [0, 30, 60, 90, 100]
    assert np.allclose(result.times, result.extra["recorded_steps"] * sgd_flow_time_per_step(0.002))
    assert result.extra["minibatch_loss"].shape == result.times.shape
    assert np.all(np.isfinite(result.extra["minibatch_loss"]))
    assert result.method == "sgd" and result.device == "cpu"


@pytest.mark.parametrize("change, message", [
    ({"loss": "glove"}, "loss must be"),
    ({"psi": "nope"}, "psi must be"),
    ({"psi": np.ones((3, 3))}, "psi must have shape"),
    ({"psi": -np.ones((20, 20))}, "negative"),
    ({"negatives": 0.0}, "negatives"),
    ({"negatives": 1e-6}, "rounds to no negative"),
    ({"batch": 0}, "batch"),
    ({"dtype": "float16"}, "dtype"),
    ({"device": "tpu"}, "device"),
    ({"seed": -1}, "seed"),
    ({"lr": 0.0}, "learning rate"),
    ({"steps": 0}, "steps"),
    ({"record_every": 0}, "record_every"),
    ({"untied": "yes"}, "untied"),
    ({"sampler": "rows"}, "sampler must be"),
    ({"initial": np.zeros((20, 2))}, "initial embeddings"),
    ({"initial": np.full((20, 3), np.nan)}, "non-finite"),
    ({"negatives": 3.0}, "not the M"),  # prediction built for k = 1
])
def test_bad_input_raises_one_line_input_error(change, message):
    stats, prediction = planted_problem()
    arguments = dict(stats=stats, prediction=prediction, initial=random_init(20, 3, 0.03, 0), lr=0.001, steps=1,
                     device="cpu")
    arguments.update(change)
    with pytest.raises(InputError, match=message) as info:
        run_sgd(**arguments)
    assert "\n" not in str(info.value)


def test_two_phases_are_one_trajectory():
    """run_sgd_phases = the main run, then a continuation from its W with seed + 1, joined without a duplicate."""
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    options = dict(batch=256, device="cpu", record_every=10)
    joined = run_sgd_phases(stats, prediction, w0, 0.002, 40, 0.0005, 30, seed=3, **options)
    main = run_sgd(stats, prediction, w0, 0.002, 40, seed=3, **options)
    anneal = run_sgd(stats, prediction, main.embeddings, 0.0005, 30, seed=4, **options)
    assert np.array_equal(joined.embeddings, anneal.embeddings)
    assert len(joined.times) == len(main.times) + len(anneal.times) - 1
    assert joined.extra["phase_boundary"] == main.times[-1]
    assert np.allclose(joined.times, np.concatenate([main.times, main.times[-1] + anneal.times[1:]]))
    assert np.array_equal(joined.singular_values, np.concatenate([main.singular_values, anneal.singular_values[1:]]))
    alone = run_sgd_phases(stats, prediction, w0, 0.002, 40, 0.0005, 0, seed=3, **options)
    assert np.array_equal(alone.embeddings, main.embeddings) and "phase_boundary" not in alone.extra


def test_uniform_indices_are_unbiased_where_randint_is_not():
    """Entry and alias draws use floor(u n) on float64 uniforms. torch.randint reduces a 32-bit random number modulo
    n (n < 2^31), so with n = 10^8 the indices at or above 2^32 mod n come up 1/43 too rarely: z ~ -10 at these
    4 million draws. floor(u n) gives them their share (z within the Monte-Carlo bound)."""
    import torch

    from sims.simulators.alias import uniform_indices
    from theory.tolerances import tolerance

    n, draws = 10 ** 8, 4_000_000
    gen = torch.Generator().manual_seed(0)
    indices = uniform_indices(torch.rand(draws, generator=gen, dtype=torch.float64), n)
    assert int(indices.min()) >= 0 and int(indices.max()) < n
    expected = (n - 2 ** 32 % n) / n
    fraction = float((indices >= 2 ** 32 % n).double().mean())
    z = abs(fraction - expected) / np.sqrt(expected * (1 - expected) / draws)
    assert z <= tolerance("sgd_monte_carlo_z").value, f"fraction {fraction:.5f}, expected {expected:.5f} (z = {z:.1f})"
