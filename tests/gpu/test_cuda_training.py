"""Training on a CUDA device at the paper's settings (THEORY §5; sims/simulators/sgd.py "Paper preset").

- the pair sampler on CUDA draws the same statistics as on the CPU: positives at P_ij, negatives at
  P_iP_j, and the two devices' histograms agree, cell by cell within binomial z (sampler_frequency_z);
  the same seed gives the same pairs on the device;
- float32 training on CUDA tracks the CPU's flow-time trajectory on a small problem: the same record
  times, half-height times within the run-to-run spread (sgd_device_step_time), both at GD's;
- a short paper-preset run at V = 10,000, d = 200 runs, and its wall time and steps/s are printed and
  written to $OUT/paper_preset_<dtype>.json when OUT is set (tests/gpu/run.sh sets it).

All skip without CUDA (marker `cuda`, conftest.py). The CPU counterparts are tests/test_sgd_paper.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from sims.simulators.gd import run_gd
from sims.simulators.sgd import PAPER_NEGATIVES, PAPER_POSITIVES, PairSampler, paper_lr, paper_sgd
from tests.claims.test_s4_sgd import planted_problem
from tests.gpu.support import (HISTOGRAM_BATCHES, PAPER_DIM, PAPER_SIZE, binomial_z, histogram_stats,
                               pair_histograms, paper_size_problem, two_sample_z, write_result)
from theory.dynamics import default_init_scale
from theory.predictions import random_init
from theory.tolerances import tolerance

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available())")]

DEVICE = "cuda"
# Short (a timing, not a training run), yet long enough that the per-step rate, not the two records' SVDs of
# a 10^4 x 200 W (step 0 and the last), dominates train_seconds.
PAPER_RUN_STEPS = {"float32": 5000, "float64": 3000}
PAPER_RUN_RECORDS = 1


def _sampler(stats, device, positives):
    return PairSampler(stats, batch=PAPER_POSITIVES, negatives=PAPER_NEGATIVES / PAPER_POSITIVES, device=device,
                       positives=positives)


@pytest.mark.parametrize("positives", ["alias", "cdf"])
def test_pair_statistics_on_cuda_match_cpu(positives):
    stats = histogram_stats()
    bound = tolerance("sampler_frequency_z").value
    cuda = pair_histograms(_sampler(stats, DEVICE, positives), HISTOGRAM_BATCHES, seed=1)
    cpu = pair_histograms(_sampler(stats, "cpu", positives), HISTOGRAM_BATCHES, seed=1)
    for counts, draws, p in ((cuda[0], cuda[2], stats.joint), (cuda[1], cuda[3], stats.independent)):
        assert np.max(binomial_z(counts, draws, p)) <= bound
    assert np.max(two_sample_z(cuda[0], cpu[0], cuda[2], stats.joint)) <= bound
    assert np.max(two_sample_z(cuda[1], cpu[1], cuda[3], stats.independent)) <= bound


@pytest.mark.parametrize("positives", ["alias", "cdf"])
def test_same_seed_same_pairs_on_cuda(positives):
    objective = _sampler(histogram_stats(), DEVICE, positives)
    first, again, other = (objective.sample(objective.generator(seed)) for seed in (9, 9, 10))
    assert torch.equal(first.rows, again.rows) and torch.equal(first.cols, again.cols)
    assert torch.equal(first.weights, again.weights)
    assert not torch.equal(first.rows, other.rows)


def test_float32_cuda_tracks_the_cpu_trajectory():
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    flow_step = paper_lr(_sampler(stats, "cpu", "alias"), prediction)["flow_step"]
    steps = int(np.ceil(1.4 * prediction.random_step_times(w0).max() / flow_step))
    runs = {device: paper_sgd(stats, prediction, w0, steps=steps, device=device, dtype="float32", seed=2, records=150)
            for device in ("cpu", DEVICE)}
    gd = run_gd(prediction, w0, flow_step, steps, device="cpu", record_every=max(1, steps // 150))
    cpu, cuda = runs["cpu"], runs[DEVICE]
    assert cuda.device.startswith(DEVICE) and not cuda.diverged and not cpu.diverged
    assert np.array_equal(cuda.times, cpu.times)
    on_cuda, on_cpu, reference = cuda.measured_step_times(), cpu.measured_step_times(), gd.measured_step_times()
    assert np.all(np.diff(on_cuda) > 0)
    assert np.max(np.abs(on_cuda / on_cpu - 1)) <= tolerance("sgd_device_step_time").value
    assert np.max(np.abs(on_cuda / reference - 1)) <= tolerance("sgd_step_time").value
    assert cuda.overlap[-1] >= 1 - tolerance("sgd_subspace_overlap").value


@pytest.fixture(scope="module")
def paper_size():
    started = time.perf_counter()
    stats, prediction = paper_size_problem(DEVICE, PAPER_SIZE, PAPER_DIM)
    return stats, prediction, time.perf_counter() - started


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_paper_preset_at_paper_size(paper_size, dtype):
    """A short run of the paper's loop at V = 10,000, d = 200 on CUDA: finite, on the flow-time map, timed."""
    stats, prediction, problem_seconds = paper_size
    sigma = default_init_scale("realtext", prediction.learned_eigenvalues[-1], prediction.size)
    w0 = random_init(prediction.size, prediction.dim, sigma, 0)
    steps = PAPER_RUN_STEPS[dtype]
    started = time.perf_counter()
    result = paper_sgd(stats, prediction, w0, steps=steps, device=DEVICE, dtype=dtype, seed=0,
                       records=PAPER_RUN_RECORDS)
    wall = time.perf_counter() - started
    extra = result.extra
    assert not result.diverged and np.all(np.isfinite(result.embeddings))
    assert extra["steps_taken"] == steps and extra["dtype"] == dtype
    assert result.times[-1] == pytest.approx(steps * extra["flow_time_per_step"], rel=1e-12)
    record = {
        "V": prediction.size, "d": prediction.dim, "dtype": dtype, "steps": steps, "records": len(result.times),
        "positives_per_step": extra["positives_per_step"], "negatives_per_step": extra["negatives_per_step"],
        "lr": extra["lr"], "lr_bound": extra["lr_bound"], "flow_time_per_step": extra["flow_time_per_step"],
        "flow_time_reached": float(result.times[-1]), "init_scale": sigma,
        "problem_seconds": problem_seconds, "setup_seconds": extra["setup_seconds"],
        "train_seconds": extra["train_seconds"], "wall_seconds": wall,
        "steps_per_second": extra["steps_per_second"], "pairs_per_second": extra["pairs_per_second"],
        "hours_for_2.5M_steps": 2.5e6 / extra["steps_per_second"] / 3600,
        "hours_for_4M_steps": 4e6 / extra["steps_per_second"] / 3600,
        "top_singular_values": [float(s) for s in result.singular_values[-1, :5]],
        "device": torch.cuda.get_device_name(0) if DEVICE == "cuda" else DEVICE, "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    path = write_result(f"paper_preset_{dtype}.json", record)
    print(f"\npaper preset V={prediction.size} d={prediction.dim} {dtype} on {record['device']}: {steps} steps in "
          f"{extra['train_seconds']:.2f} s ({extra['steps_per_second']:.0f} steps/s, "
          f"{extra['pairs_per_second']:.3g} pairs/s), setup {extra['setup_seconds']:.2f} s, wall {wall:.2f} s, "
          f"problem {problem_seconds:.1f} s" + (f"; written to {path}" if path else ""))
