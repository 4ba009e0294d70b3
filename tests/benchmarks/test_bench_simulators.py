"""Throughput of one GD and one SGD step (V = 2000, d = 50 and V = 10000, d = 200, float32) and ODE wall time.

Setups are cheap by construction: targets are random symmetric tensors (the step cost does not depend
on the spectrum), and only the step itself is timed; the ODE target is ten well-separated modes plus
small noise, so the run has ten distinct steps to resolve.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sims.simulators.gd import GradientDescent
from sims.simulators.ode import run_ode
from sims.simulators.sgd import PairSampler
from theory.predictions import closed_form, random_init

SIZES = [(2000, 50), (10000, 200)]
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.cuda)]


def _symmetric(size: int, device: str, seed: int = 0) -> torch.Tensor:
    """A random symmetric float32 V x V target with O(1) spectrum, built on `device` without a V x V float64."""
    gen = torch.Generator(device=device).manual_seed(seed)
    m = torch.randn(size, size, generator=gen, device=device, dtype=torch.float32)
    m.add_(m.T.clone()).mul_(0.5 / size ** 0.5)
    return m


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size,dim", SIZES, ids=[f"V{v}-d{d}" for v, d in SIZES])
def test_gd_step(benchmark, size, dim, device):
    """One in-place full-batch GD step W <- W - lr/2 (W (W^T W) - M* W): the V x V x d product M* W dominates."""
    target = _symmetric(size, device)
    w = 1e-3 * torch.randn(size, dim, generator=torch.Generator(device=device).manual_seed(1), device=device)
    state = GradientDescent(target, w, lr=0.05)

    def step():
        state.step()
        _sync(device)

    benchmark.extra_info.update(size=size, dim=dim, dtype="float32", device=device,
                                flops_per_step=2 * size * size * dim + 4 * size * dim * dim)
    benchmark.pedantic(step, rounds=5 if size > 5000 else 20, iterations=1, warmup_rounds=1)
    assert torch.isfinite(state.w).all()


def _planted_stats(size: int, seed: int = 0):
    from sims.data.synthetic import planted_joint, zipf_unigram
    from theory.target import Cooccurrence

    joint = planted_joint(zipf_unigram(size, 1.0), (2.0, 1.0, 0.5), seed)
    unigram = joint.sum(axis=1)
    return Cooccurrence(joint=joint, unigram=unigram)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size,dim", SIZES, ids=[f"V{v}-d{d}" for v, d in SIZES])
def test_sgd_step(benchmark, size, dim, device):
    """One pair-sampled minibatch SGD step (batch 4096 positives + 4096 negatives) of sims.simulators.sgd."""
    objective = PairSampler(_planted_stats(size), batch=4096, dtype="float32", device=device)
    gen = objective.generator(0)
    w = 1e-3 * torch.randn(size, dim, generator=torch.Generator(device=device).manual_seed(1), device=device)
    # Setting 3.1 weights reach 1/(P_i P_j) ~ 1e10 for the rarest Zipfian pairs at V = 10^4; a tiny lr keeps
    # W finite over the timed rounds (the cost of a step does not depend on lr).
    lr = 1e-12

    def step():
        pairs = objective.sample(gen)
        _, grad_w, _ = objective.gradient(w, None, pairs)
        w.sub_(lr * grad_w)
        _sync(device)

    benchmark.extra_info.update(size=size, dim=dim, dtype="float32", device=device, batch=4096)
    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=2)
    assert torch.isfinite(w).all()


def test_ode_wall_time(benchmark):
    """A whole ODE run (V = 2000, d = 10, sigma = 1e-4) to 1.5 x the last predicted step, recorded."""
    size, dim = 2000, 10
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((size, dim)))
    noise = rng.standard_normal((size, size)) * (0.02 / np.sqrt(size))
    target = (basis * (2.0 * 0.75 ** np.arange(dim))) @ basis.T + 0.5 * (noise + noise.T)
    prediction = closed_form(target, dim)
    w0 = random_init(size, dim, 1e-4, 0)
    t_end = 1.5 * float(prediction.random_step_times(w0).max())
    result = benchmark.pedantic(run_ode, args=(prediction, w0, t_end), rounds=1, iterations=1)
    benchmark.extra_info.update(size=size, dim=dim, rhs_evaluations=result.extra["rhs_evaluations"],
                                records=len(result.times))
    assert np.all(np.isfinite(result.measured_step_times()))
