"""THEORY §4 claims on word2vec's minibatch SGD, both samplers (registry: sims/claims/definitions/s4_sgd.py)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sims.claims.definitions.s4_sgd import FlowTimeCase, MinibatchCase, TrackingCase
from sims.claims.recording import check_claim
from sims.data.synthetic import planted_joint
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix


def small_stats(size: int = 8, seed: int = 3):
    """A dense random joint distribution (every pair possible) with non-uniform marginals."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 1.0, (size, size)) * rng.uniform(0.5, 2.0, size)[:, None]
    return cooccurrence(a + a.T)


@functools.cache
def planted_problem():
    """V = 20 uniform-unigram planted joint with three well-separated top eigenvalues of M*, d = 3
    (the problem of SGD-ORDER / SGD-SUBSPACE in test_s4_discrete.py)."""
    stats = cooccurrence(planted_joint(np.full(20, 1 / 20), [0.8, 0.55, 0.35], seed=1))
    return stats, closed_form(target_matrix(stats), 3)


CONFIGS = [  # (loss, psi, negatives, untied)
    ("qwem", "setting31", 1.0, False),
    ("qwem", "uniform", 3.0, False),
    ("qwem", "array", 0.5, False),
    ("qwem", "setting31", 1.0, True),
    ("sgns", "setting31", 1.0, False),
    ("sgns", "uniform", 2.0, True),
]


@pytest.mark.claim("SGD-UNBIASED")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
@pytest.mark.parametrize("loss, psi_name, negatives, untied", CONFIGS)
def test_minibatch_gradient_is_unbiased(loss, psi_name, negatives, untied, sampler):
    stats = small_stats()
    v, d = stats.joint.shape[0], 2
    rng = np.random.default_rng(11)
    psi = psi_name
    if psi_name == "array":
        a = rng.uniform(0.5, 2.0, (v, v))
        psi = (a + a.T) / (stats.joint + stats.independent)
    w = rng.normal(0.0, 0.6, (v, d))
    context = w + rng.normal(0.0, 0.3, (v, d)) if untied else None
    check_claim("SGD-UNBIASED", MinibatchCase(stats, loss, psi, negatives, w, context, sampler=sampler))


@pytest.mark.claim("SGD-TIME")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
@pytest.mark.parametrize("untied", [False, True])
def test_one_step_moves_by_flow_time(untied, sampler):
    stats = small_stats(6, seed=4)
    prediction = closed_form(target_matrix(stats), 2)
    w0 = np.random.default_rng(2).normal(0.0, 0.5, (6, 2))
    check_claim("SGD-TIME", FlowTimeCase(stats, prediction, w0, untied=untied, sampler=sampler))


def tracking_case(device: str, sampler: str) -> TrackingCase:
    stats, prediction = planted_problem()
    return TrackingCase(stats, prediction, random_init(20, 3, 0.03, 0), sampler=sampler, device=device,
                        label=f"planted V=20, d=3, sigma=0.03, lr=0.002, batch=4096, {sampler} sampler, {device}")


@pytest.mark.claim("SGD-TRACK")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_tracks_flow_on_planted_problem(sampler):
    check_claim("SGD-TRACK", tracking_case("cpu", sampler))


@pytest.mark.cuda
@pytest.mark.claim("SGD-TRACK")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_tracks_flow_on_cuda(sampler):
    check_claim("SGD-TRACK", tracking_case("cuda", sampler))
