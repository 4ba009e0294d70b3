"""Minibatch SGD on the QWEM or SGNS loss (word2vec's pair sampler or an entry sampler), in flow time.

One step (THEORY §1, §4)
------------------------
Each step draws `batch` positive pairs (i, j) ~ P_ij and n = round(k * batch) negative pairs
i ~ P_i, j ~ P_j independently (k = `negatives`), and takes the minibatch loss

    L̂(W) = (1/batch) Σ_pos Ψ_ij ℓ⁺(x_ij) + (k/n) Σ_neg Ψ_ij ℓ⁻(x_ij),    x_ij = w_iᵀ w_j

(untied: x_ij = w_iᵀ w'_j) with qwem ℓ^±(x) = x²/4 ∓ x, sgns ℓ⁺(x) = log(1+e^{−x}),
ℓ⁻(x) = log(1+e^{x}). Each positive term has expectation E_{P_ij}[Ψ ℓ⁺] and each negative term
k E_{P_iP_j}[Ψ ℓ⁻], so E[L̂] = L(W) with Ψ⁺ = Ψ, Ψ⁻ = kΨ exactly as in THEORY §1 and
`theory.target.target_matrix(stats, Ψ, negatives=k)`, and since L̂ is linear in the sampled
terms, E[∇L̂] = ∇L: the estimate is unbiased for any batch. The step is W ← W − lr ∇L̂.

Ψ = "setting31" is Ψ_ij = 1/(P_ij + k P_i P_j), so G = Ψ⁺P + Ψ⁻P_iP_j ≡ 1 (Setting 3.1, g = 1;
for k = 1 this is 1/(P_ij + P_iP_j); theory.target.setting31_psi). It is computed per sampled pair
from the one V x V table of P_ij, so no V x V Ψ is built. "uniform" is Ψ = 1; an array is any symmetric non-negative V x V Ψ.

Step -> flow-time map (THEORY §4)
---------------------------------
With A_ij = ∂L/∂x_ij = Ψ⁺P_ij(x/2 − 1) + Ψ⁻P_iP_j(x/2 + 1) = ½ G_ij (x_ij − M*_ij):
tied, ∇L = (A + Aᵀ) W = (G ∘ (WWᵀ − M*)) W; under Setting 3.1 with G ≡ g this is
g (WWᵀ − M*) W = 2g · ½(WWᵀ − M*) W, so the mean step W ← W − lr ∇L is the flow
dW/dt = −½(WWᵀ − M*)W advanced by **Δt = 2 g lr per step** (g = 1 for "setting31").
Untied, ∇_W L = A W' = g · ½(WW'ᵀ − M*) W' and ∇_W' L = Aᵀ W, so **Δt = g lr per step**: starting
from W = W', the mean dynamics keep W = W' and are then exactly the tied flow at half the speed
per step. When G is not constant there is no exact flow time; we use g = mean_ij G_ij, the
average weight (exact whenever G is constant; theory.target.mean_weight). Δt is
theory.dynamics.sgd_flow_time_per_step; `result.times` = steps × Δt, and Δt is in
`extra["flow_time_per_step"]`. Euler discretisation delays each step by a relative O(Δt λ/2).

Variance (documented choice)
----------------------------
We keep word2vec's sampler (positives from P_ij, negatives from P_iP_j, Ψ as per-pair weight),
not an importance-sampling variant, because it is the training loop the theory is about. Under
Setting 3.1 each pair's weight is 1/(P_ij + kP_iP_j) ≈ V²/(1+k) for near-uniform statistics, so the
sampled M̂ has per-entry noise of variance ~V²/batch and the relative gradient noise per step is
about V / (λ √batch); the caller controls it with `batch` and `lr`. Measured at V = 20, d = 3,
batch 4096, lr = 0.002 (flow step 0.004): step times within ~0.5 % (mode 1) to ~2.5 % (sd, mode 3,
λ ≈ 1.5) of GD from the same W(0); the slow modes' spread shrinks more slowly than 1/√batch, since
noise injected while a mode is still tiny acts as extra initialisation, and τ_k depends on
ln r_k². A variance-reducing unbiased alternative would sample pairs from the mixture
(P_ij + kP_iP_j)/(1+k) with per-pair coefficient ∝ (x − M*_ij) (the ±1 terms cancel); the default
sampler does not, so that the simulator is word2vec's loop. For Zipfian statistics the rarest pairs
carry weights up to 1/(kP_iP_j); SGD stays unbiased but needs a larger batch or smaller lr to track
the flow as tightly; sampler="entries" (below) is the bounded-variance alternative.

Entry sampler (sampler="entries")
---------------------------------
Each step draws `batch` entries (i, j) uniformly (with replacement) from the V² ordered entries and
uses each entry's EXACT expected pair term, scaled by V²/B:

    L̂(W) = (V²/B) Σ_sampled [Ψ⁺_ij P_ij ℓ⁺(x_ij) + Ψ⁻_ij P_iP_j ℓ⁻(x_ij)],   Ψ⁺ = Ψ, Ψ⁻ = kΨ.

Each entry is drawn with probability 1/V², so E[L̂] = Σ_ij [...] = L(W) and E[∇L̂] = ∇L, the same
expected loss and gradient as the pair sampler; hence the **same step → flow-time map: Δt = 2 g lr
tied, g lr untied** (g = mean_ij G_ij; g = 1 for "setting31"). Under Setting 3.1 with qwem the
per-entry term is ¼(x − M*_ij)² − ¼M*_ij² (G = 1), bounded because M* ∈ [−2, 2), so no entry carries
a 1/P_min² weight: the per-entry gradient coefficient is (V²/B)·½(x − M*_ij) whatever the statistics,
and the sampled gradient's variance stays ~V³/B per row even on Zipfian text. This is the "mean over
V² entries of Ψ-weighted pair terms" normalisation of THEORY §4, rescaled by V² so that one step is
the same flow time as above (with the mean-over-entries loss, lr' = V² lr, one step would advance
Δt = 2 g lr'/V²). Only P_ij, P_i, P_j (and Ψ_ij for an array Ψ) of the sampled entries are looked up.
It is not word2vec's loop; use it where the pair sampler's variance is prohibitive (real text, V ≳ 300).

Tied weights by default. Untied: W and W' both start from `initial` (identical, hence balanced,
WᵀW = W'ᵀW', small init); the result's embeddings and recorded singular values are those of W, and
W' is returned in `extra["context_embeddings"]`. Sampling runs on the chosen device from a
torch.Generator seeded with `seed`; on CPU the same seed gives bit-identical results (CUDA's
index_add_ uses atomics, so float rounding order may differ run to run there). A non-finite W
stops the run with diverged=True and the last finite W is returned (never NaNs). `converged` means
every learned mode is past half height (effective rank = m): SGD's stationary noise floor keeps the
Gram above the GD/ODE `converged_gram` tolerance, so its distance is reported in extra["gram_gap"].

Code: `SampledObjective` holds what both samplers share (statistics, Ψ, the implied M*, the
minibatch gradient); `PairSampler` ("pairs") and `EntrySampler` ("entries") each draw their own
batch type and price its terms. `run_sgd(..., sampler=name)` picks the class from SAMPLERS;
`run_sgd_phases` runs a main phase and an annealed continuation as one trajectory.

Drawing positives at scale (PairSampler's `positives`)
------------------------------------------------------
"cdf" (the default, unchanged) inverts the float64 cumulative sum of the V² P_ij by binary search:
~log2(V²) = 27 dependent reads per draw at V = 10,000. "alias" draws from Walker's alias table
(sims/simulators/alias.py): two reads per draw whatever V, built once in O(V²) (~2 s at V = 10,000).
Both draw exactly P_ij (to float64 rounding; the alias thresholds are stored in the working dtype, a
relative ~1e-7 per pair in float32) and negatives i, j ~ P_i by inverse CDF of the V unigrams, with
float64 uniforms from the objective's torch.Generator on its device: no host round-trip per step, and
the same seed gives the same pairs on that device. torch.multinomial is no alternative: it refuses
more than 2²⁴ categories (V > 4,096). The minibatch gradient reuses gathered-row buffers per
objective (in place, the same arithmetic as fresh tensors): a CPU step at 10⁵ pairs runs ~3x faster.

Paper preset (`paper_sgd`)
--------------------------
THEORY §5: the paper trained with minibatch SGD of 50,000 positive + 50,000 negative pairs per step
(PAPER_POSITIVES, PAPER_NEGATIVES; k = 1), tied weights, Setting 3.1 weights, float64, at V = 10⁴,
d = 200. `paper_sgd` runs that loop (alias-drawn positives) in the float32 default or float64, on
any device, and returns the usual SimulationResult in flow units with the same step -> time map
(Δt = 2 g lr tied). Its default lr is the theory's, as the real-text study derives it
(sims.pipelines.realtext.run.sgd_schedule, sampler_lr_limit): the flow step is
PAPER_STEP_FRACTION / c (c = prediction.stiffest_rate: forward Euler tracks the flow with a relative
delay O(h/2) and is stable for h c < 2), capped so that no single sampled pair moves a row by more
than PAIR_COEFFICIENT_LIMIT times another row (lr Ψ_ij / B <= 0.5; Setting 3.1's Ψ reaches
1/min(P_ij + kP_iP_j) for the rarest pairs, which is how pair-sampled SGD on Zipfian statistics
diverges). `paper_lr` returns that choice and which bound set it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from sims.simulators.device import resolve_device, resolve_dtype, thread_policy
from sims.simulators.trajectory import Recorder, SimulationResult, check_initial, concatenate, gram_gap
from theory.dynamics import sgd_flow_time_per_step
from theory.predictions import ClosedForm
from theory.target import Cooccurrence, mean_weight, setting31_psi, target_entries
from theory.validation import InputError, as_real_matrix, check_positive, check_symmetric

LOSSES = ("qwem", "sgns")
PSI_NAMES = ("setting31", "uniform")
DEFAULT_SAMPLES = 400       # recorded points when record_every is None
FINITE_CHECK_EVERY = 32     # steps between divergence checks (each check syncs a GPU)
# The prediction's M* must be the target this loss implies; a mismatch means the caller built
# them with different negatives or Psi. Compared on a sample of rows, relative to max(1, |M*|).
TARGET_MISMATCH = 1e-6
TARGET_CHECK_ROWS = 64
POSITIVE_DRAWS = ("cdf", "alias")   # PairSampler's `positives` (module doc, "Drawing positives at scale")

# The paper's training loop (THEORY §5): minibatch SGD of 50,000 positive + 50,000 negative pairs per step
# (k = 1), which is also what keeps pair-sampled noise affordable at V = 10^4: the relative gradient noise
# per step falls like V / (lambda sqrt(B)) (module doc, "Variance").
PAPER_POSITIVES = 50_000
PAPER_NEGATIVES = 50_000
# The paper's default lr, as the real-text study derives it (sims.pipelines.realtext.run STEP_FRACTION and
# COEFFICIENT_LIMIT; module doc, "Paper preset"): flow step 0.05 / c, and no sampled pair's update
# coefficient lr Psi_ij / B above 0.5.
PAPER_STEP_FRACTION = 0.05
PAIR_COEFFICIENT_LIMIT = 0.5
PAPER_RECORDS = 50          # recorded points by default (each costs an SVD and one M* W product)
# Divergence checks sync the device; at ~10^3 steps/s on a GPU one every 256 steps costs nothing measurable,
# and a rollback then loses at most 256 steps.
PAPER_CHECK_EVERY = 256


@dataclass(frozen=True)
class PairBatch:
    """A minibatch of word pairs: indices, per-pair weight (Ψ times the 1/batch or k/n factor) and sign ∓1."""

    rows: torch.Tensor      # i, (B + n,) int64
    cols: torch.Tensor      # j, (B + n,) int64
    weights: torch.Tensor   # (B + n,) working dtype
    signs: torch.Tensor     # (B + n,) -1 for positives (ℓ⁺), +1 for negatives (ℓ⁻)


@dataclass(frozen=True)
class EntryBatch:
    """A minibatch of matrix entries, each carrying both of its exact terms: positive x ℓ⁺ + negative x ℓ⁻."""

    rows: torch.Tensor      # i, (B,) int64
    cols: torch.Tensor      # j, (B,) int64
    positive: torch.Tensor  # (V²/B) Ψ⁺_ij P_ij, working dtype
    negative: torch.Tensor  # (V²/B) Ψ⁻_ij P_iP_j


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_psi(psi, size: int) -> tuple[str, np.ndarray | None]:
    """(name, V x V array or None) for a Ψ name in PSI_NAMES or a symmetric non-negative V x V array."""
    if isinstance(psi, str):
        if psi not in PSI_NAMES:
            raise InputError(f"psi must be one of {', '.join(PSI_NAMES)} or a V x V array, got {psi!r}")
        return psi, None
    array = check_symmetric(as_real_matrix(psi, "psi"), "psi")
    if array.shape != (size, size):
        raise InputError(f"psi must have shape ({size}, {size}) to match the statistics, got {array.shape}")
    if np.any(array < 0):
        raise InputError(f"psi has {int(np.count_nonzero(array < 0))} negative entries; weights must be >= 0")
    return "array", array


class SampledObjective:
    """The sampled QWEM/SGNS objective on one device: what both samplers share (module doc).

    Holds the statistics and Ψ ("setting31", "uniform" or an array), knows the M* and mean weight g they
    imply, and turns a minibatch into (L̂, ∇_W L̂, ∇_W' L̂). A subclass draws its batches (`sample`) and
    prices their terms (`batch_terms`).
    """

    name = ""               # the `sampler` string that selects the subclass (SAMPLERS)
    negative_count = 0      # negative pairs drawn per step

    def __init__(self, stats: Cooccurrence, *, batch: int = 4096, loss: str = "qwem", negatives: float = 1.0,
                 psi="setting31", dtype: str = "float32", device: str = "auto"):
        if not isinstance(stats, Cooccurrence):
            raise InputError("stats must be a theory.target.Cooccurrence (use theory.target.cooccurrence)")
        self.stats = stats
        self.size = stats.joint.shape[0]
        self.batch = _positive_int(batch, "batch")
        if loss not in LOSSES:
            raise InputError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.loss = loss
        self.negatives = check_positive(negatives, "negatives")
        self.dtype = resolve_dtype(dtype)
        self.device = resolve_device(device)
        self.psi_name, self._psi_array = check_psi(psi, self.size)
        self._joint = np.asarray(stats.joint, dtype=np.float64)
        self._unigram = np.asarray(stats.unigram, dtype=np.float64)
        self.unigram = torch.as_tensor(self._unigram, dtype=self.dtype, device=self.device)
        # G ≡ 1 under Setting 3.1 by construction; otherwise the average weight (module doc).
        self.mean_weight = 1.0 if self.psi_name == "setting31" else mean_weight(
            stats, self._psi_array, negatives=self.negatives)

    def target_rows(self, rows: np.ndarray) -> np.ndarray:
        """M*_ij = (Ψ⁺P − Ψ⁻P_iP_j) / (½G) for the given rows (the target this objective implies)."""
        joint = self._joint[rows]
        product = np.outer(self._unigram[rows], self._unigram)
        if self.psi_name == "setting31":
            psi = setting31_psi(joint, product, self.negatives)
        elif self.psi_name == "uniform":
            psi = np.ones_like(joint)
        else:
            psi = self._psi_array[rows]
        return target_entries(joint, product, psi, negatives=self.negatives)

    def check_prediction(self, prediction: ClosedForm) -> None:
        """Raise InputError unless prediction.target is the M* this objective's expectation implies."""
        if not isinstance(prediction, ClosedForm):
            raise InputError("prediction must be a theory.predictions.ClosedForm (use closed_form(target, dim))")
        if prediction.size != self.size:
            raise InputError(f"prediction is for V={prediction.size} but the statistics have V={self.size}")
        rows = np.arange(self.size)
        if self.size > TARGET_CHECK_ROWS:
            rows = np.sort(np.random.default_rng(0).choice(self.size, TARGET_CHECK_ROWS, replace=False))
        implied = self.target_rows(rows)
        gap = float(np.max(np.abs(implied - prediction.target[rows])))
        if gap > TARGET_MISMATCH * max(1.0, float(np.max(np.abs(implied)))):
            raise InputError(f"prediction.target is not the M* implied by the statistics, psi={self.psi_name} and "
                             f"negatives={self.negatives:g} (max gap {gap:.3g}); build it with the same settings")

    def generator(self, seed: int) -> torch.Generator:
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed)
        return gen

    def sample(self, gen: torch.Generator):
        """One minibatch drawn with `gen` (the subclass's batch type)."""
        raise NotImplementedError

    def batch_terms(self, x: torch.Tensor, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(L̂, dL̂/dx per sampled term) on one minibatch, given x_ij = w_i . w'_j for its terms."""
        raise NotImplementedError

    def _workspace(self, w: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """Three (count, d) buffers for the gathered rows and their product, kept between minibatches.

        Fresh (B, d) tensors of 10⁵ x 200 cost a CPU step two thirds of its time in allocation and page
        faults; the buffers hold the same values, so the gradient is the same to the bit. None when W
        needs autograd (out= buffers do not record it).
        """
        if w.requires_grad:
            return None
        key = (count, w.shape[1], w.dtype, w.device)
        if getattr(self, "_buffers_key", None) != key:
            self._buffers = tuple(torch.empty(count, w.shape[1], dtype=w.dtype, device=w.device) for _ in range(3))
            self._buffers_key = key
        return self._buffers

    def gradient(self, w: torch.Tensor, context: torch.Tensor | None, batch):
        """(L̂, ∇_W L̂, ∇_W' L̂) on one minibatch; context None means tied (W' = W, no second gradient)."""
        right = w if context is None else context
        buffers = self._workspace(w, batch.rows.shape[0]) if right.dtype == w.dtype else None
        if buffers is None:
            left_rows, right_rows = w.index_select(0, batch.rows), right.index_select(0, batch.cols)
            x = (left_rows * right_rows).sum(dim=1)
        else:
            left_rows = torch.index_select(w, 0, batch.rows, out=buffers[0])
            right_rows = torch.index_select(right, 0, batch.cols, out=buffers[1])
            x = torch.mul(left_rows, right_rows, out=buffers[2]).sum(dim=1)
        loss, slope = self.batch_terms(x, batch)
        coeff = slope[:, None]
        # The gathered rows are not needed after x: scale them in place when they are our buffers.
        scaled_right = coeff * right_rows if buffers is None else right_rows.mul_(coeff)
        grad_w = torch.zeros_like(w).index_add_(0, batch.rows, scaled_right)
        scaled_left = coeff * left_rows if buffers is None else left_rows.mul_(coeff)
        if context is None:
            # x_ij = w_i . w_j depends on w_j too: the transposed term of (A + Aᵀ) W.
            grad_w.index_add_(0, batch.cols, scaled_left)
            return loss, grad_w, None
        grad_c = torch.zeros_like(context).index_add_(0, batch.cols, scaled_left)
        return loss, grad_w, grad_c


class PairSampler(SampledObjective):
    """word2vec's sampler: `batch` positives ~ P_ij and round(k batch) negatives ~ P_iP_j, Ψ per pair.

    Holds, for the positives, the float64 cumulative distribution of the V² P_ij (`positives="cdf"`, the
    default) or their alias table (`positives="alias"`, sims/simulators/alias.py; module doc), the float64
    cumulative distribution of P_i for the negatives, and the per-pair lookup table: P_ij for "setting31"
    (Ψ is computed from it), the array Ψ itself, or nothing for "uniform".
    """

    name = "pairs"

    def __init__(self, stats: Cooccurrence, *, positives: str = "cdf", **options):
        if not isinstance(positives, str) or positives not in POSITIVE_DRAWS:
            raise InputError(f"positives must be one of {', '.join(POSITIVE_DRAWS)}, got {positives!r}")
        super().__init__(stats, **options)
        self.positives = positives
        self.negative_count = int(round(self.negatives * self.batch))
        if self.negative_count < 1:
            raise InputError(f"negatives * batch = {self.negatives * self.batch:g} rounds to no negative pairs")
        self.pair_cdf = self.pair_alias = None
        if positives == "alias":
            from sims.simulators.alias import AliasTable

            self.pair_alias = AliasTable.build(self._joint.ravel(), dtype=self.dtype, device=self.device)
        else:
            # Float64 cumulative sums so that pairs of probability ~1e-12 are still drawn at their own rate
            # (a float32 cumsum of V² terms has absolute resolution ~1e-7).
            self.pair_cdf = torch.as_tensor(np.cumsum(self._joint.ravel()), device=self.device)
        self.word_cdf = torch.as_tensor(np.cumsum(self._unigram), device=self.device)
        table = {"setting31": self._joint, "array": self._psi_array}.get(self.psi_name)
        self.lookup = None if table is None else torch.as_tensor(table.ravel(), dtype=self.dtype, device=self.device)
        # Per-pair factors that are the same in every minibatch: 1/batch or k/n, and the ℓ∓ sign.
        b, n = self.batch, self.negative_count
        self.scale = torch.cat([torch.full((b,), 1.0 / b, dtype=self.dtype, device=self.device),
                                torch.full((n,), self.negatives / n, dtype=self.dtype, device=self.device)])
        self.signs = torch.cat([torch.full((b,), -1.0, dtype=self.dtype, device=self.device),
                                torch.ones(n, dtype=self.dtype, device=self.device)])

    def sample(self, gen: torch.Generator) -> PairBatch:
        """Draw `batch` positives ~ P_ij (inverse CDF or alias table) and round(k batch) negatives ~ P_i P_j
        (inverse CDF), all from float64 uniforms of `gen` on the objective's device."""
        v, b, n = self.size, self.batch, self.negative_count
        if self.pair_alias is None:
            u = torch.rand(b + 2 * n, generator=gen, dtype=torch.float64, device=self.device)
            flat = torch.searchsorted(self.pair_cdf, u[:b] * self.pair_cdf[-1], right=True).clamp_(max=v * v - 1)
            u_neg = u[b:]
        else:
            # One call per step: 2b uniforms for the alias table (buckets, coins), then 2n for the negatives.
            u = torch.rand(2 * b + 2 * n, generator=gen, dtype=torch.float64, device=self.device)
            flat = self.pair_alias.draw_from(u[: 2 * b])
            u_neg = u[2 * b:]
        neg = torch.searchsorted(self.word_cdf, u_neg * self.word_cdf[-1], right=True).clamp_(max=v - 1)
        rows = torch.cat([flat // v, neg[:n]])
        cols = torch.cat([flat % v, neg[n:]])
        return PairBatch(rows, cols, self.scale * self.pair_weights(rows, cols), self.signs)

    def pair_weights(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Ψ_ij for each sampled pair, looked up without forming a V x V Ψ."""
        if self.psi_name == "uniform":
            return torch.ones(rows.shape, dtype=self.dtype, device=self.device)
        flat = rows * self.size + cols
        if self.psi_name == "array":
            return self.lookup[flat]
        return setting31_psi(self.lookup[flat], self.unigram[rows] * self.unigram[cols], self.negatives)

    def pair_terms(self, x: torch.Tensor, signs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ℓ(x) and dℓ/dx per pair; sign −1 is a positive (ℓ⁺), +1 a negative (ℓ⁻)."""
        if self.loss == "qwem":
            return x * x / 4 + signs * x, x / 2 + signs
        # log(1 + e^{s x}) and its derivative s σ(s x), both stable for any x.
        sx = signs * x
        return torch.nn.functional.softplus(sx), signs * torch.sigmoid(sx)

    def batch_terms(self, x: torch.Tensor, batch: PairBatch) -> tuple[torch.Tensor, torch.Tensor]:
        value, slope = self.pair_terms(x, batch.signs)
        return (batch.weights * value).sum(), batch.weights * slope


class EntrySampler(SampledObjective):
    """Uniform entries (i, j) of the V², each with its exact expected pair terms scaled by V²/B (module doc).

    Holds P_ij (and an array Ψ, if given) flat in the working dtype; no cumulative table.
    """

    name = "entries"

    def __init__(self, stats: Cooccurrence, **options):
        super().__init__(stats, **options)
        self.joint_flat = torch.as_tensor(self._joint.ravel(), dtype=self.dtype, device=self.device)
        self.psi_flat = (None if self._psi_array is None
                         else torch.as_tensor(self._psi_array.ravel(), dtype=self.dtype, device=self.device))
        # Each of the B uniformly drawn entries stands for V² / B of the sum over all V² entries.
        self.entry_scale = float(self.size) ** 2 / self.batch

    def sample(self, gen: torch.Generator) -> EntryBatch:
        """Draw `batch` entries (i, j) uniformly from the V² and weight both exact terms of each by V²/B.

        Entry (i, j) contributes Ψ_ij P_ij ℓ⁺(x_ij) + k Ψ_ij P_iP_j ℓ⁻(x_ij) to L(W); P_ij and P_iP_j
        are looked up for the sampled entries only (no V x V temporary).
        """
        v = self.size
        from sims.simulators.alias import uniform_indices

        # Not torch.randint: its 32-bit modulo reduction draws the first 2^32 mod V^2 entries ~1/171 too often at
        # V = 5,000 (sims/simulators/alias.py).
        flat = uniform_indices(torch.rand(self.batch, generator=gen, dtype=torch.float64, device=self.device), v * v)
        rows, cols = flat // v, flat % v
        joint = self.joint_flat[flat]
        product = self.unigram[rows] * self.unigram[cols]
        if self.psi_name == "setting31":
            psi = setting31_psi(joint, product, self.negatives, g=self.entry_scale)
        elif self.psi_name == "uniform":
            psi = torch.full_like(joint, self.entry_scale)
        else:
            psi = self.entry_scale * self.psi_flat[flat]
        # An entry with P_ij + kP_iP_j = 0 has zero weight under any finite Ψ; 0 x inf -> 0, not NaN.
        positive = torch.nan_to_num(psi * joint, nan=0.0)
        negative = torch.nan_to_num(psi * (self.negatives * product), nan=0.0)
        return EntryBatch(rows, cols, positive, negative)

    def entry_terms(self, x: torch.Tensor, positive: torch.Tensor,
                    negative: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """a ℓ⁺(x) + b ℓ⁻(x) and its x-derivative per entry (a = positive, b = negative weights)."""
        if self.loss == "qwem":
            # a(x²/4 − x) + b(x²/4 + x) = ¼G̃x² − ½G̃M̃x with G̃ = a + b, G̃M̃ = 2(a − b).
            total, difference = positive + negative, positive - negative
            return x * (total * x / 4 - difference), total * x / 2 - difference
        softplus, sigmoid = torch.nn.functional.softplus, torch.sigmoid
        return (positive * softplus(-x) + negative * softplus(x),
                negative * sigmoid(x) - positive * sigmoid(-x))

    def batch_terms(self, x: torch.Tensor, batch: EntryBatch) -> tuple[torch.Tensor, torch.Tensor]:
        per_entry, slope = self.entry_terms(x, batch.positive, batch.negative)
        return per_entry.sum(), slope


# run_sgd's `sampler` option: the name selects the class.
SAMPLERS: dict[str, type[SampledObjective]] = {cls.name: cls for cls in (PairSampler, EntrySampler)}


def build_objective(stats: Cooccurrence, *, sampler: str = "pairs", **options) -> SampledObjective:
    """The sampled objective for `sampler` ("pairs" or "entries"), built with SampledObjective's options."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise InputError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    return SAMPLERS[sampler](stats, **options)


@dataclass
class _Run:
    """What the SGD loop leaves: final W (and W'), the recorded steps and the mean L̂ between records."""

    w: torch.Tensor
    context: torch.Tensor | None
    recorded_steps: list
    minibatch_losses: list
    diverged: bool = False
    reason: str = ""


def _train(objective: SampledObjective, recorder: Recorder, initial: np.ndarray, lr: float, steps: int,
           record_every: int, flow_time_per_step: float, untied: bool, seed: int, bar=None,
           check_every: int = FINITE_CHECK_EVERY) -> _Run:
    """The loop of `run_sgd`: step, record every `record_every` steps, roll back to the last finite W.

    Between records and finite checks (every `check_every` steps) nothing leaves the device.
    """
    gen = objective.generator(int(seed))
    w = torch.as_tensor(initial, dtype=objective.dtype, device=objective.device).clone()
    context = w.clone() if untied else None
    recorder.measure(0.0, initial)
    run = _Run(w, context, [0], [np.nan])   # loss entry 0 is filled with the first step's L̂(W(0))
    loss_sum = torch.zeros((), dtype=torch.float64, device=objective.device)
    since_record = 0
    # (step, W, W', minibatch-loss sum and count since the last record) at the last finite check.
    last_good = (0, w.clone(), None if context is None else context.clone(), 0.0, 0)
    for step in range(1, steps + 1):
        value, grad_w, grad_c = objective.gradient(w, context, objective.sample(gen))
        if step == 1:
            run.minibatch_losses[0] = value
        w.sub_(lr * grad_w)
        if context is not None:
            context.sub_(lr * grad_c)
        loss_sum += value
        since_record += 1
        record = step % record_every == 0 or step == steps
        if record or step % check_every == 0:
            finite = bool(torch.isfinite(w).all()) and (context is None or bool(torch.isfinite(context).all()))
            if not finite:
                run.diverged = True
                run.reason = (f"diverged between steps {last_good[0]} and {step} (flow time "
                              f"{step * flow_time_per_step:.6g}): W became non-finite")
                break
            last_good = (step, w.clone(), None if context is None else context.clone(), float(loss_sum), since_record)
        if bar is not None:
            bar.update(1)
        if record:
            recorder.measure(step * flow_time_per_step, w.double().cpu().numpy())
            run.recorded_steps.append(step)
            run.minibatch_losses.append(float(loss_sum) / since_record)
            loss_sum.zero_()
            since_record = 0
    if run.diverged:
        # Roll back to the last W that passed the finite check and make sure it is recorded.
        stop, run.w, run.context, good_sum, good_count = last_good
        if run.recorded_steps[-1] != stop:
            recorder.measure(stop * flow_time_per_step, run.w.double().cpu().numpy())
            run.recorded_steps.append(stop)
            run.minibatch_losses.append(good_sum / good_count)
    first = run.minibatch_losses[0]
    run.minibatch_losses[0] = float(first) if isinstance(first, torch.Tensor) else first
    return run


def run_sgd(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, lr: float, steps: int, *,
            batch: int = 4096, loss: str = "qwem", negatives: float = 1.0, psi="setting31",
            untied: bool = False, seed: int = 0, dtype: str = "float32", device: str = "auto",
            record_every: int | None = None, sampler: str = "pairs", progress: bool = False,
            positives: str = "cdf") -> SimulationResult:
    """Run minibatch SGD from `initial` for `steps` steps; times in flow units (module doc, incl. `sampler`;
    `positives` is the pair sampler's draw, "cdf" or "alias")."""
    if sampler != "pairs" and positives != "cdf":
        raise InputError(f"positives={positives!r} applies to the pair sampler only (sampler={sampler!r})")
    draws = {"positives": positives} if sampler == "pairs" else {}
    objective = build_objective(stats, sampler=sampler, batch=batch, loss=loss, negatives=negatives, psi=psi,
                                dtype=dtype, device=device, **draws)
    objective.check_prediction(prediction)
    lr = check_positive(lr, "learning rate")
    steps = _positive_int(steps, "steps")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    record_every = max(1, steps // DEFAULT_SAMPLES) if record_every is None else _positive_int(record_every,
                                                                                            "record_every")
    if not isinstance(untied, bool):
        raise InputError(f"untied must be True or False, got {untied!r}")
    initial = check_initial(prediction, initial, "initial embeddings")
    return _simulate(objective, prediction, initial, lr, steps, untied=untied, seed=seed, record_every=record_every,
                     progress=progress)


def _simulate(objective: SampledObjective, prediction: ClosedForm, initial: np.ndarray, lr: float, steps: int, *,
              untied: bool, seed: int, record_every: int, progress: bool, recorder: Recorder | None = None,
              check_every: int = FINITE_CHECK_EVERY) -> SimulationResult:
    """run_sgd after validation: train `objective` from `initial` and package the SimulationResult."""
    flow_time_per_step = sgd_flow_time_per_step(lr, tied=not untied, mean_weight=objective.mean_weight)
    recorder = Recorder(prediction) if recorder is None else recorder
    from sims.progress import progress_bar

    bar = progress_bar(steps, "sgd", progress, unit="step")
    try:
        with thread_policy(objective.device, objective.size):
            run = _train(objective, recorder, initial, lr, steps, record_every, flow_time_per_step, untied, seed,
                         bar, check_every)
    finally:
        if bar is not None:
            bar.close()
    final_w = run.w.double().cpu().numpy()
    converged = (not run.diverged) and recorder.ranks[-1] == prediction.learned_modes
    extra = {
        "flow_time_per_step": flow_time_per_step,
        "steps_taken": run.recorded_steps[-1],
        "recorded_steps": np.asarray(run.recorded_steps, dtype=np.int64),
        "minibatch_loss": np.asarray(run.minibatch_losses, dtype=np.float64),
        "lr": lr, "batch": objective.batch, "negatives": objective.negatives,
        "negative_pairs": objective.negative_count, "loss": objective.loss, "psi": objective.psi_name,
        "untied": untied, "seed": int(seed), "dtype": str(objective.dtype).removeprefix("torch."),
        "sampler": objective.name,
        "gram_gap": gram_gap(prediction, final_w),
        "reason": run.reason if run.diverged else ("" if converged else
                                                   f"not every learned mode is past half height after {steps} steps"),
    }
    if run.context is not None:
        extra["context_embeddings"] = run.context.double().cpu().numpy()
    return recorder.result("sgd", final_w, str(objective.device), converged, run.diverged, **extra)


def run_sgd_phases(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, lr: float, steps: int,
                   anneal_lr: float, anneal_steps: int, *, seed: int = 0, records_per_phase: int | None = None,
                   **options) -> SimulationResult:
    """A main phase of `steps` at `lr`, then an annealed phase of `anneal_steps` at `anneal_lr`, as one run.

    The annealed phase continues from the main phase's final W with seed + 1 (its own samples) and is
    skipped when `anneal_steps` is 0 or the main phase diverged; the two are joined by
    sims.simulators.trajectory.concatenate. SGD's stationary noise around the minimiser scales with lr,
    so the second phase lets W settle closer to it. `records_per_phase` sets each phase's record_every
    to steps // records_per_phase (otherwise `options`' record_every, or run_sgd's default); the other
    `options` go to run_sgd unchanged.
    """
    def phase(start, phase_lr, phase_steps, phase_seed):
        if records_per_phase is not None:
            options["record_every"] = max(1, phase_steps // records_per_phase)
        return run_sgd(stats, prediction, start, phase_lr, phase_steps, seed=phase_seed, **options)

    main = phase(initial, lr, steps, seed)
    if main.diverged or not anneal_steps:
        return main
    return concatenate(main, phase(main.embeddings, anneal_lr, anneal_steps, seed + 1))


# --- The paper's settings (module doc, "Paper preset") ------------------------------------------------------

def max_pair_weight(stats: Cooccurrence, psi="setting31", negatives: float = 1.0, rows_per_block: int = 1024) -> float:
    """The largest Ψ_ij any sampled pair can carry: 1 / min_ij (P_ij + k P_iP_j) under Setting 3.1 (negatives
    reach every pair with P_iP_j > 0), 1 for "uniform", max Ψ for an array; in row blocks, no V x V temporary."""
    name, array = check_psi(psi, stats.joint.shape[0])
    if name == "uniform":
        return 1.0
    if name == "array":
        return float(np.max(array))
    joint, unigram = np.asarray(stats.joint, dtype=np.float64), np.asarray(stats.unigram, dtype=np.float64)
    smallest = np.inf
    for start in range(0, joint.shape[0], rows_per_block):
        block = joint[start:start + rows_per_block] + negatives * np.outer(unigram[start:start + rows_per_block],
                                                                           unigram)
        smallest = min(smallest, float(block.min()))
    return 1.0 / smallest if smallest > 0 else np.inf


def pair_lr_limit(objective: PairSampler, coefficient_limit: float = PAIR_COEFFICIENT_LIMIT) -> float:
    """Largest lr at which no single sampled pair moves a row by more than `coefficient_limit` x another row.

    A positive's update is w_i <- w_i - lr (Ψ_ij / B) ℓ'(x) w_j and a negative's lr (k Ψ_ij / n) ℓ'(x) w_j,
    with |ℓ'| ~ 1 near small init; a coefficient above ~1 lets one draw of a rare pair amplify W
    multiplicatively (the real-text study's sampler_lr_limit, sims/pipelines/realtext/run.py).
    """
    factor = max(1.0 / objective.batch, objective.negatives / objective.negative_count)
    weight = max_pair_weight(objective.stats, objective._psi_array if objective.psi_name == "array"
                             else objective.psi_name, objective.negatives)
    return float(coefficient_limit / (factor * weight))


def paper_lr(objective: PairSampler, prediction: ClosedForm, step_fraction: float = PAPER_STEP_FRACTION,
             coefficient_limit: float = PAIR_COEFFICIENT_LIMIT) -> dict:
    """The theory's tied lr for `objective` (sims.pipelines.realtext.run.sgd_schedule's rule).

    Flow step h = min(step_fraction / c, Δt(lr_limit)) with c = prediction.stiffest_rate and lr_limit =
    pair_lr_limit; lr = h / (2g). c needs M*'s smallest eigenvalue (a Lanczos solve at large V), so it is
    skipped when the cap binds against the cheap bound c <= max(λ₁, (λ₁ + ||M*||_F) / 2) (|λ_min| <= ||M*||_F):
    the result is the same. Returns lr, the flow step, lr_limit and "bound" ("flow step" or "pair coefficient").
    """
    lr_limit = pair_lr_limit(objective, coefficient_limit)
    unit = sgd_flow_time_per_step(1.0, tied=True, mean_weight=objective.mean_weight)
    capped = unit * lr_limit
    top = float(prediction.eigenvalues[0])
    upper = max(top, 0.5 * (top + float(np.sqrt(prediction.spectrum.frobenius_sq))), 1e-300)
    if capped <= step_fraction / upper:
        flow_step, bound = capped, "pair coefficient"
    else:
        free = step_fraction / prediction.stiffest_rate
        flow_step, bound = (free, "flow step") if free <= capped else (capped, "pair coefficient")
    return {"lr": flow_step / unit, "flow_step": flow_step, "lr_limit": lr_limit, "bound": bound,
            "step_fraction": step_fraction, "coefficient_limit": coefficient_limit}


class _DeviceRecorder(Recorder):
    """A Recorder that forms M* W on the training device (float64) instead of the host: at V = 10⁴ that
    product is 4·10¹⁰ flops per record, seconds on a CPU and milliseconds on a GPU."""

    def __init__(self, prediction: ClosedForm, device: torch.device):
        super().__init__(prediction)
        self.device = device
        self.target_on_device = torch.as_tensor(prediction.target, dtype=torch.float64, device=device)

    def measure(self, time: float, w: np.ndarray, mw: np.ndarray | None = None) -> None:
        if mw is None:
            on_device = torch.as_tensor(np.asarray(w, dtype=np.float64), device=self.device)
            mw = (self.target_on_device @ on_device).cpu().numpy()
        super().measure(time, w, mw)


def paper_sgd(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, *, steps: int,
              lr: float | None = None, device: str = "auto", dtype: str = "float32", seed: int = 0,
              records: int = PAPER_RECORDS, loss: str = "qwem", psi="setting31",
              progress: bool = False) -> SimulationResult:
    """The paper's training loop (THEORY §5): tied minibatch SGD of PAPER_POSITIVES positive pairs ~ P_ij
    (alias table) and PAPER_NEGATIVES negative pairs ~ P_iP_j per step, Setting 3.1 weights by default,
    for `steps` steps on `device`, float32 by default ("float64" as the paper).

    Times are flow units (Δt = 2 g lr per step, run_sgd's map); `lr` defaults to paper_lr's. `records`
    points are recorded (on CUDA, M* W is formed on the device). Besides run_sgd's, extra holds the preset
    ("paper"), positives_per_step / negatives_per_step, how the lr was chosen (lr_bound, lr_limit),
    setup_seconds (tables, lr), train_seconds (the loop, records included), steps_per_second and
    pairs_per_second over the loop.
    """
    started = time.perf_counter()
    steps = _positive_int(steps, "steps")
    records = _positive_int(records, "records")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    objective = PairSampler(stats, batch=PAPER_POSITIVES, negatives=PAPER_NEGATIVES / PAPER_POSITIVES, loss=loss,
                            psi=psi, dtype=dtype, device=device, positives="alias")
    objective.check_prediction(prediction)
    initial = check_initial(prediction, initial, "initial embeddings")
    if lr is None:
        chosen = paper_lr(objective, prediction)
        lr, bound, lr_limit = chosen["lr"], chosen["bound"], chosen["lr_limit"]
    else:
        lr, bound, lr_limit = check_positive(lr, "learning rate"), "given", None
    recorder = _DeviceRecorder(prediction, objective.device) if objective.device.type == "cuda" else None
    setup = time.perf_counter() - started
    result = _simulate(objective, prediction, initial, lr, steps, untied=False, seed=int(seed),
                       record_every=max(1, steps // records), progress=progress, recorder=recorder,
                       check_every=PAPER_CHECK_EVERY)
    if objective.device.type == "cuda":
        torch.cuda.synchronize(objective.device)
    train = time.perf_counter() - started - setup
    taken = int(result.extra["steps_taken"])
    pairs = objective.batch + objective.negative_count
    result.extra.update(preset="paper", positives_per_step=objective.batch, negatives_per_step=objective.negative_count,
                        positives_draw="alias", lr_bound=bound, lr_limit=lr_limit, setup_seconds=setup,
                        train_seconds=train, steps_per_second=taken / train if train > 0 else np.inf,
                        pairs_per_second=taken * pairs / train if train > 0 else np.inf)
    return result
