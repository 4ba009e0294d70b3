"""GloVe's mathematics (theory/glove.py) and simulator (sims/simulators/glove.py): the bias elimination, the weights,
the exact gradient, determinism, and the real-text row. The claim GLOVE-UNIFORM and the conjecture
C-GLOVE-STEPWISE are tests/claims/test_s5_glove.py and tests/conjectures/test_glove_stepwise.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sims.claims.recording import assert_within
from sims.data.synthetic import planted_joint, zipf_unigram
from sims.simulators.gd import run_gd
from sims.simulators.glove import _WeightedState, run_glove, train_glove_row
from theory.glove import (X_MAX, centred_gram, double_centre, glove_closed_form, glove_loss, glove_target,
                          glove_weights, log_counts, uniform_optimal_biases, weighted_optimal_biases)
from theory.predictions import random_init
from theory.validation import InputError


def counts(size: int = 10, total: float = 3e3, seed: int = 2) -> np.ndarray:
    """Integer planted counts with pairs below and above x_max (and, at this total, some unobserved)."""
    return np.round(total * planted_joint(zipf_unigram(size, 1.0), (2.0, 0.8), seed))


def test_weights_are_glove_f():
    x = np.array([[0.0, 1.0, 50.0], [1.0, 100.0, 400.0], [50.0, 400.0, 7.0]])
    f = glove_weights(x)
    expected = np.minimum(1.0, (x / X_MAX) ** 0.75)
    assert f[0, 0] == 0.0 and f[1, 1] == 1.0 and f[1, 2] == 1.0
    assert_within(np.max(np.abs(f - expected)), "identity")
    assert log_counts(x)[0, 0] == 0.0 and log_counts(x)[1, 2] == pytest.approx(np.log(400.0))


def test_uniform_biases_remove_the_additive_part_exactly():
    """min_b sum (G + b_i + b_j - T)^2 = ||J_c (T - G) J_c||^2 at b* = mean_j R_ij - mean(R)/2, for any W."""
    x = counts()
    target = glove_target(x)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((x.shape[0], 3))
    residual = target.smoothed - w @ w.T
    b = uniform_optimal_biases(residual)
    profile = glove_loss(w, b, x, weights="uniform")
    centred = double_centre(residual)
    assert_within(abs(profile - float(np.sum(centred ** 2))), "identity", scale=profile)
    for _ in range(5):  # any other biases do worse
        assert glove_loss(w, b + 1e-3 * rng.standard_normal(len(b)), x, weights="uniform") > profile
    # C = J_c T J_c has 1 in its kernel, and the stored biases are b* for a centred W.
    assert_within(np.max(np.abs(target.centred @ np.ones(x.shape[0]))), "identity", scale=np.abs(target.centred).max())
    assert_within(np.max(np.abs(target.biases - uniform_optimal_biases(target.smoothed))), "identity")


def test_weighted_biases_are_the_optimum():
    """(F o E) 1 = 0 at the weighted optimum: the gradient of J in b vanishes (GloVe's own weights)."""
    x = counts()
    f, own = glove_weights(x), log_counts(x)
    w = 0.3 * np.random.default_rng(1).standard_normal((x.shape[0], 2))
    b = weighted_optimal_biases(f, own - w @ w.T)
    e = w @ w.T + b[:, None] + b[None, :] - own
    assert_within(np.max(np.abs((f * e).sum(axis=1))), "identity", scale=np.abs(f * own).sum(axis=1).max())


def test_closed_form_is_centred_top_part_of_c():
    x = counts()
    p = glove_closed_form(x, 2)
    assert_within(np.max(np.abs(p.embeddings.sum(axis=0))), "identity", scale=np.abs(p.embeddings).max())
    values, vectors = np.linalg.eigh(glove_target(x).centred)
    top = vectors[:, -2:] * values[-2:]
    assert_within(np.max(np.abs(p.gram - top @ vectors[:, -2:].T)), "eigen_truncation", scale=values[-1])


def test_uniform_glove_is_gd_on_the_centred_target():
    """The derivation of theory/glove.py, step for step: J_c W(t) equals run_gd on C from J_c W(0)."""
    x = counts()
    p = glove_closed_form(x, 2)
    w0 = random_init(x.shape[0], 2, 1e-3, 5)
    lr = 0.2 / p.stiffest_rate
    glove = run_glove(x, w0, lr, 600, weights="uniform", record_every=50)
    gd = run_gd(p, w0 - w0.mean(axis=0), lr, 600, record_every=50, device="cpu")
    z = glove.embeddings - glove.embeddings.mean(axis=0)
    assert_within(np.max(np.abs(z - gd.embeddings)), "identity", scale=np.abs(gd.embeddings).max())
    assert_within(np.max(np.abs(glove.embeddings.mean(axis=0) - w0.mean(axis=0))), "identity")  # mean row frozen
    assert_within(np.max(np.abs(glove.loss - gd.error)), "identity", scale=gd.error.max())
    assert np.array_equal(glove.times, gd.times)


def test_weighted_step_is_the_exact_gradient():
    """The weighted state's direction is 1/4 grad_W J (autograd) at its (W, b), and b(0) is the optimum for W(0)."""
    x = counts()
    w0 = random_init(x.shape[0], 3, 0.2, 3)
    state = _WeightedState(x, torch.as_tensor(w0), 1e-12, X_MAX, 0.75)
    state.prepare()
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(state.b.numpy(), requires_grad=True)
    f, own = torch.as_tensor(glove_weights(x)), torch.as_tensor(log_counts(x))
    loss = torch.sum(f * (w @ w.T + b[:, None] + b[None, :] - own) ** 2)
    loss.backward()
    assert_within(float(torch.max(torch.abs(w.grad - 4 * state.direction))), "identity",
                  scale=float(torch.max(torch.abs(w.grad))))
    assert_within(float(torch.max(torch.abs(b.grad))), "identity", scale=float(torch.max(torch.abs(w.grad))) + 1.0)
    assert state.loss() == pytest.approx(float(loss.detach()), rel=1e-12)


def test_glove_run_is_deterministic_and_records():
    x = counts()
    w0 = random_init(x.shape[0], 2, 1e-4, 1)
    a = run_glove(x, w0, 0.01, 300)
    b = run_glove(x, w0, 0.01, 300)
    for name in ("times", "singular_values", "loss", "embeddings", "overlap", "effective_rank"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.method == "glove" and a.times[-1] == pytest.approx(3.0)
    assert a.extra["subspace_overlaps"].shape == (len(a.times), 2)
    assert np.all(np.isfinite(centred_gram(a.embeddings)))


def test_glove_divergence_stops_without_nans():
    x = counts()
    p = glove_closed_form(x, 2)
    result = run_glove(x, random_init(x.shape[0], 2, 0.1, 0), 40.0 / p.stiffest_rate, 500, weights="uniform")
    assert result.diverged and not result.converged and "diverged" in result.extra["reason"]
    assert np.all(np.isfinite(result.embeddings)) and np.all(np.isfinite(result.singular_values))


def test_bad_inputs():
    x = counts()
    with pytest.raises(InputError):
        run_glove(x, np.zeros((3, 2)), 0.1, 10)
    with pytest.raises(InputError):
        run_glove(x, np.zeros((x.shape[0], 2)), 0.1, 10, weights="log")
    with pytest.raises(InputError):
        glove_weights(-x)


def test_real_text_row_on_lee_background():
    from sims.corpus import corpus_statistics

    counted = corpus_statistics(None, 100, 16, cache=False)
    w, info = train_glove_row(counted.counts, 5, 0)
    assert w.shape == (100, 5) and np.all(np.isfinite(w))
    assert not info["diverged"] and info["steps"] == info["steps_planned"]
    assert info["flow_time"] >= info["t_needed"] and 0.0 <= info["overlap_top10"] <= 1.0
    assert 0 <= info["effective_rank"] <= 5 and np.isfinite(info["final_loss"])
