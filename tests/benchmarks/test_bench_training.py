"""Throughput of one training step at the paper's settings (THEORY §5), in pairs per second (extra_info).

- the pair sampler (word2vec's loop): PAPER_POSITIVES + PAPER_NEGATIVES = 50,000 + 50,000 pairs per step,
  V = 10,000, d = 200, Setting 3.1 weights, positives from the alias table (the paper preset) or by
  inverse-CDF search (run_sgd's default), float32 and float64, on the CPU and on CUDA (skipped without one);
- the entry sampler (the real-text study's CPU trainer) at V = 5,000, d = 200 with the study's batch,
  V²/1536 = 16,276 entries (sims.pipelines.realtext.run.sgd_batch), each entry one pair evaluation.

One step = draw the minibatch, form the gradient, update W (sims.simulators.sgd._train's loop body), with
the device synchronised; only the step is timed. Statistics are a planted joint with a Zipfian unigram,
built directly (tests/gpu/support.py), so no corpus is counted; W is a small random init and lr tiny,
since a step's cost does not depend on either. No timed assert: the numbers are for reading.
"""

from __future__ import annotations

import functools

import pytest
import torch

from sims.simulators.sgd import PAPER_NEGATIVES, PAPER_POSITIVES, EntrySampler, PairSampler
from tests.gpu.support import PAPER_DIM, PAPER_SIZE, zipf_planted_stats

ENTRY_SIZE = 5_000
ENTRY_BATCH = ENTRY_SIZE ** 2 // 1536   # sims.pipelines.realtext.run.sgd_batch(5000) = V^2 / SGD_ENTRIES_PER_BATCH_ROW
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available())")
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=[pytest.mark.cuda, CUDA])]
# Setting 3.1 weights reach ~7e9 for the rarest Zipfian pairs at V = 10^4: a tiny lr keeps W finite over the rounds.
LR = 1e-12


@functools.cache
def _stats(size: int):
    return zipf_planted_stats(size)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _time_steps(benchmark, objective, device: str, pairs_per_step: int, rounds: int, **info) -> None:
    gen = objective.generator(0)
    w = 1e-3 * torch.randn(objective.size, PAPER_DIM, generator=torch.Generator(device=device).manual_seed(1),
                           dtype=objective.dtype, device=device)

    def step():
        batch = objective.sample(gen)
        _, grad_w, _ = objective.gradient(w, None, batch)
        w.sub_(LR * grad_w)
        _sync(device)

    benchmark.pedantic(step, rounds=rounds, iterations=1, warmup_rounds=2)
    assert torch.isfinite(w).all()
    info.update(size=objective.size, dim=PAPER_DIM, device=device, pairs_per_step=pairs_per_step,
                dtype=str(objective.dtype).removeprefix("torch."))
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        mean = stats.stats.mean
        info.update(seconds_per_step=mean, steps_per_s=1.0 / mean, pairs_per_s=pairs_per_step / mean)
    benchmark.extra_info.update(info)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("positives", ["alias", "cdf"])
@pytest.mark.parametrize("device", DEVICES)
def test_pair_sampler_step_at_paper_batch(benchmark, device, positives, dtype):
    """One step of word2vec's pair sampler with 50,000 positive + 50,000 negative pairs, V = 10,000, d = 200."""
    objective = PairSampler(_stats(PAPER_SIZE), batch=PAPER_POSITIVES, negatives=PAPER_NEGATIVES / PAPER_POSITIVES,
                            dtype=dtype, device=device, positives=positives)
    _time_steps(benchmark, objective, device, PAPER_POSITIVES + PAPER_NEGATIVES, rounds=10 if device == "cpu" else 200,
                positives=positives, sampler="pairs")


def test_entry_sampler_step_on_cpu(benchmark):
    """One step of the entry sampler at V = 5,000, d = 200 with the real-text study's batch (16,276 entries)."""
    objective = EntrySampler(_stats(ENTRY_SIZE), batch=ENTRY_BATCH, dtype="float32", device="cpu")
    _time_steps(benchmark, objective, "cpu", ENTRY_BATCH, rounds=20, sampler="entries")
