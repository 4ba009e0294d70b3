"""Claims about minibatch SGD (sims/simulators/sgd.py, THEORY §4), for both samplers (word2vec pairs, uniform entries):
unbiased, flow-time map, tracks the flow."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sims.simulators.gd import run_gd
from sims.simulators.sgd import EntrySampler, PairSampler, build_objective, run_sgd, run_sgd_phases
from sims.data.synthetic import planted_joint
from theory.dynamics import left_singular_basis, sgd_flow_time_per_step, subspace_overlap
from theory.losses import qwem_loss, sgns_loss
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, setting31_weights, target_matrix, weight_matrix
from theory.tolerances import tolerance
from theory.validation import InputError

Z_MAX = tolerance("sgd_monte_carlo_z").value


def small_stats(size: int = 8, seed: int = 3):
    """A dense random joint distribution (every pair possible) with non-uniform marginals."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 1.0, (size, size)) * rng.uniform(0.5, 2.0, size)[:, None]
    return cooccurrence(a + a.T)


def named_psi(stats, name: str, negatives: float) -> np.ndarray:
    """Ψ as a V x V array: "setting31" = 1/(P_ij + k P_iP_j) (G = 1), "uniform" = 1."""
    if name == "setting31":
        return setting31_weights(stats, negatives=negatives)
    return np.ones_like(stats.joint)


def z_scores(samples: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """(sample mean - exact) / standard error, entrywise, over axis 0."""
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    return np.abs(mean - exact) / np.maximum(se, 1e-300)


def sgns_expectation(w: torch.Tensor, context: torch.Tensor, stats, psi, negatives) -> torch.Tensor:
    """Exact SGNS expectation in torch (for autograd): sum P Ψ log(1+e^-x) + k P_iP_j Ψ log(1+e^x)."""
    x = w @ context.T
    joint = torch.as_tensor(stats.joint)
    independent = torch.as_tensor(stats.independent)
    psi = torch.as_tensor(psi)
    return (psi * joint * torch.nn.functional.softplus(-x)
            + negatives * psi * independent * torch.nn.functional.softplus(x)).sum()


CONFIGS = [  # (loss, psi, negatives, untied)
    ("qwem", "setting31", 1.0, False),
    ("qwem", "uniform", 3.0, False),
    ("qwem", "array", 0.5, False),
    ("qwem", "setting31", 1.0, True),
    ("sgns", "setting31", 1.0, False),
    ("sgns", "uniform", 2.0, True),
]


@pytest.mark.claim("SGD-UNBIASED", source="THEORY §4 (minibatch SGD is an unbiased estimate of the gradient)")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
@pytest.mark.parametrize("loss, psi_name, negatives, untied", CONFIGS)
def test_minibatch_gradient_is_unbiased(loss, psi_name, negatives, untied, sampler):
    """Mean of L̂ and ∇L̂ over seeded minibatches = exact L and ∇L, within Z_MAX standard errors."""
    stats = small_stats()
    v, d = stats.joint.shape[0], 2
    rng = np.random.default_rng(11)
    if psi_name == "array":
        a = rng.uniform(0.5, 2.0, (v, v))
        psi_arg = psi = (a + a.T) / (stats.joint + stats.independent)
    else:
        psi_arg = psi_name
        psi = named_psi(stats, psi_name, negatives)
    w = rng.normal(0.0, 0.6, (v, d))
    c = w + rng.normal(0.0, 0.3, (v, d)) if untied else w
    objective = build_objective(stats, sampler=sampler, batch=256, loss=loss, negatives=negatives, psi=psi_arg,
                                dtype="float64", device="cpu")
    gen = objective.generator(5)
    wt, ct = torch.as_tensor(w), (torch.as_tensor(c) if untied else None)
    losses, grads = [], []
    for _ in range(400):
        value, gw, gc = objective.gradient(wt, ct, objective.sample(gen))
        losses.append(float(value))
        grads.append(np.concatenate([gw.numpy().ravel(), gc.numpy().ravel() if untied else []]))

    if loss == "qwem":
        m = target_matrix(stats, psi, negatives=negatives)
        g = weight_matrix(stats, psi, negatives=negatives)
        residual = g * (w @ c.T - m)
        if untied:  # ∇_W = ½ (G∘(WW'ᵀ − M*)) W', ∇_W' = ½ (G∘(WW'ᵀ − M*))ᵀ W
            exact_grad = np.concatenate([(0.5 * residual @ c).ravel(), (0.5 * residual.T @ w).ravel()])
        else:
            exact_grad = (residual @ w).ravel()
        x = w @ c.T
        exact_loss = float(np.sum(psi * stats.joint * (x * x / 4 - x)
                                  + negatives * psi * stats.independent * (x * x / 4 + x)))
        if not untied:
            assert abs(exact_loss - qwem_loss(w, stats, psi, negatives=negatives)) <= tolerance("identity").value * (
                1 + abs(exact_loss))
    else:
        wt2 = torch.tensor(w, requires_grad=True)
        ct2 = torch.tensor(c, requires_grad=True) if untied else wt2
        total = sgns_expectation(wt2, ct2, stats, psi, negatives)
        total.backward()
        exact_loss = float(total.detach())
        exact_grad = np.concatenate([wt2.grad.numpy().ravel(), ct2.grad.numpy().ravel() if untied else []])
        if not untied:
            assert abs(exact_loss - sgns_loss(w, stats, psi, negatives=negatives)) <= tolerance("identity").value * (
                1 + abs(exact_loss))

    z_grad = z_scores(np.asarray(grads), exact_grad)
    z_loss = z_scores(np.asarray(losses), exact_loss)
    assert z_grad.max() <= Z_MAX, f"sampled gradient biased: max z = {z_grad.max():.2f}"
    assert z_loss <= Z_MAX, f"sampled loss biased: z = {float(z_loss):.2f}"


@pytest.mark.claim("SGD-TIME", source="sims/simulators/sgd.py step -> flow-time map (THEORY §4)")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
@pytest.mark.parametrize("untied", [False, True])
def test_one_step_moves_by_flow_time(untied, sampler):
    """E[W(1) − W(0)] = −Δt · ½(WWᵀ − M*)W with Δt the run's own recorded time of step 1."""
    stats = small_stats(6, seed=4)
    prediction = closed_form(target_matrix(stats), 2)
    w0 = np.random.default_rng(2).normal(0.0, 0.5, (6, 2))
    flow_velocity = -0.5 * (w0 @ w0.T - prediction.target) @ w0
    moves, times = [], []
    for seed in range(300):
        result = run_sgd(stats, prediction, w0, 0.01, 1, batch=128, untied=untied, seed=seed, dtype="float64",
                         device="cpu", sampler=sampler)
        moves.append((result.embeddings - w0).ravel())
        times.append(result.times[-1])
    # Both samplers estimate the same ∇L, so both must use Δt = 2 g lr tied, g lr untied (g = 1 here).
    assert np.ptp(times) == 0.0 and times[0] == pytest.approx(sgd_flow_time_per_step(0.01, tied=not untied), rel=1e-12)
    z = z_scores(np.asarray(moves), times[0] * flow_velocity.ravel())
    assert z.max() <= Z_MAX, f"mean step is not -dt * flow velocity: max z = {z.max():.2f}"
    # The map itself must not be trivially satisfied by a zero move: the mean move is well resolved.
    assert np.abs(np.mean(moves, axis=0)).max() > 10 * np.std(moves, axis=0).max() / np.sqrt(300)


def planted_problem():
    """V = 20 uniform-unigram planted joint with three well-separated top eigenvalues of M*, d = 3."""
    stats = cooccurrence(planted_joint(np.full(20, 1 / 20), [0.8, 0.55, 0.35], seed=1))
    prediction = closed_form(target_matrix(stats), 3)
    return stats, prediction


def check_tracking(device: str, sampler: str = "pairs"):
    stats, prediction = planted_problem()
    w0 = random_init(20, 3, 0.03, 0)
    lr = 0.002
    flow_step = sgd_flow_time_per_step(lr)
    steps = int(1.4 * prediction.random_step_times(w0)[-1] / flow_step)
    sgd = run_sgd(stats, prediction, w0, lr, steps, batch=4096, seed=0, dtype="float32", device=device,
                  record_every=2, sampler=sampler)
    gd = run_gd(prediction, w0, flow_step, steps, record_every=2, dtype="float64", device="cpu")
    assert not sgd.diverged and sgd.converged
    assert np.all(np.isfinite(sgd.embeddings))
    assert sgd.overlap[-1] >= 1 - tolerance("sgd_subspace_overlap").value
    measured, reference = sgd.measured_step_times(), gd.measured_step_times()
    assert np.all(np.isfinite(measured)) and np.all(np.diff(measured) > 0), f"step order broken: {measured}"
    gap = np.abs(measured - reference) / reference
    assert gap.max() <= tolerance("sgd_step_time").value, f"SGD {measured} vs GD {reference}"
    # Against the theory's own predictor: the SGD noise allowance plus the QR predictor's accuracy and
    # forward Euler's relative delay (1 + eta lam_k / 2 per unit of growth, eta = 2 lr).
    predicted = prediction.random_step_times(w0)
    allowance = (tolerance("sgd_step_time").value + tolerance("step_time_qr").value
                 + lr * prediction.learned_eigenvalues)
    assert np.all(np.abs(measured - predicted) / predicted <= allowance), f"SGD {measured} vs QR {predicted}"


@pytest.mark.claim("SGD-TRACK", source="THEORY §4 (with small lr, SGD tracks the flow)")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_tracks_flow_on_planted_problem(sampler):
    check_tracking("cpu", sampler)


@pytest.mark.cuda
@pytest.mark.claim("SGD-TRACK", source="THEORY §4 (with small lr, SGD tracks the flow), on CUDA")
@pytest.mark.parametrize("sampler", ["pairs", "entries"])
def test_sgd_tracks_flow_on_cuda(sampler):
    check_tracking("cuda", sampler)


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
