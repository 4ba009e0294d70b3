"""The real-text study (THEORY §5): corpus -> M* -> up to seven embeddings compared on nine benchmarks.

Its figures are drawn by sims.pipelines.realtext.figures, its report section by .markdown, its stages
cached by .stages; `w2v-theory realtext` (sims/commands/realtext.py) and `report --corpus` run it.

Rows (`models`, all with the same vocabulary, window and dimension d):
  pca_mstar      closed form: W = V_d Λ_d^{1/2} of M* (Theorem 1; Ψ⁺ = Ψ⁻, k = 1).
  pca_ppmi       the same construction applied to PPMI = max(PMI, 0).
  pca_pmi        the suite's PMI baseline: PMI with 0 (independence) where P_ij = 0
                 (theory.target.pmi_zero_filled). Not the paper's: it is a stronger baseline.
  pca_pmi_paper  the paper's PMI baseline, ln(P_ij / (P_i P_j) + 1e-25) (theory.target.pmi_paper): -57.6
                 wherever a pair was never seen, so on a small corpus its top eigenvectors mostly describe
                 which pairs are unseen.
  qwem           QWEM trained from small random init under Setting 3.1 (Ψ = 1/(P_ij + P_iP_j)) by
                 entry-sampled SGD (sims.simulators.sgd.run_sgd, sampler="entries") at every V: word2vec's pair
                 sampler weights rare pairs by up to 1/P_min² on Zipfian text, and its noise swamps the
                 gradient above a few hundred words (see SGD_SAMPLER); trainer="gd" instead uses
                 full-batch GD on the exact expected loss (sims.simulators.gd.run_gd, loss="qwem").
  sgns           the true logistic SGNS loss (tied), same weights, init and trainer as qwem (run_gd's
                 loss="sgns" for trainer="gd").
  word2vec       gensim's Word2Vec: skip-gram (sg=1), negative=1, window L (gensim's random window
                 shrink gives the L+1-δ weights), vector_size d, workers=1, seeded; fed the same
                 OOV-filtered documents, with sample=0 and ns_exponent=1 so that its positives and
                 negatives come from the P_ij and P_i P_j the theory uses. gensim has no tied weights:
                 its centre (wv) and context (syn1neg) matrices are separate; we evaluate wv. Needs the
                 corpus text (not available from a counts file alone).

Besides the table, two sweeps: every row's scores against corpus size (fractions SIZES of the corpus's
documents, spread evenly over it or its first ones, each recounted with its own top-V vocabulary), and rank as early stopping (THEORY §7): the closed form
truncated at rank k = 1..d next to trained QWEM at the records where its effective rank is k.
"""


from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from sims.corpus import CorpusStatistics
from sims.pipelines.realtext import DEFAULT_DIM, DEFAULT_VOCAB, DEFAULT_WINDOW, SIZES
from sims.data.evaluation import EVALUATION_SETS, SETS_BY_NAME, load_sets, score_all, score_set
from sims.pipelines.realtext.figures import write_figures
from sims.pipelines.realtext.markdown import markdown_section
from sims.pipelines.realtext.stages import StageCache, file_digest, stage_key
from sims.simulators.trajectory import SimulationResult
from theory.dynamics import (default_init_scale, left_singular_basis, sgd_flow_time_per_step, subspace_overlap,
                             word2vec_init_scale)
from theory.predictions import ClosedForm, random_init
from theory.spectrum import Spectrum
from theory.target import Cooccurrence, pmi_paper, pmi_zero_filled, ppmi, setting31_weights, target_matrix
from theory.validation import InputError, check_dim

MODELS = ("pca_mstar", "pca_ppmi", "pca_pmi", "pca_pmi_paper", "qwem", "sgns", "word2vec", "glove_closed_form",
          "glove")
LABELS = {"pca_mstar": "PCA of M* (closed form)", "pca_ppmi": "PCA of PPMI",
          "pca_pmi": "PCA of PMI, 0 where unseen (suite's)",
          "pca_pmi_paper": "PCA of PMI + 1e-25 inside the log (paper's)",
          "qwem": "QWEM (trained)", "sgns": "SGNS (trained, tied)", "word2vec": "word2vec (gensim)",
          "glove_closed_form": "GloVe closed form (PCA of centred log(1 + X))", "glove": "GloVe (trained, tied)"}
# The matrix whose top-d eigenpairs make each count-based row.
MATRICES = {"pca_mstar": "mstar", "pca_ppmi": "ppmi", "pca_pmi": "pmi_zero", "pca_pmi_paper": "pmi_paper"}
BUILDERS = {"mstar": target_matrix, "ppmi": ppmi, "pmi_zero": pmi_zero_filled, "pmi_paper": pmi_paper}
COUNT_MODELS = tuple(MATRICES)
TRAINED_MODELS = ("qwem", "sgns")
# --models names (each row's own name works too).
MODEL_NAMES = {"closed-form": "pca_mstar", "ppmi": "pca_ppmi", "pmi": "pca_pmi", "pmi-zero": "pca_pmi",
               "pmi-paper": "pca_pmi_paper", "qwem": "qwem", "sgns": "sgns", "word2vec": "word2vec",
               "glove": "glove", "glove-closed-form": "glove_closed_form",
               **{m: m for m in MODELS}}
MODEL_GROUPS = {"all": MODELS, "count": COUNT_MODELS, "no-training": COUNT_MODELS}
# Each matrix's spectrum is float64 (theory.spectrum: LAPACK evr, or from V = 4,000 the two-stage band solver), or
# a float32 solve refined by a float64 Rayleigh-Ritz (theory.topk "float32": cheaper, each residual within
# V eps_32 ||M||_2, RT-TOPK). M*'s is float64 on the whole corpus:
# the closed form is the theory's own prediction, and the trained rows and their step times are compared with it.
# The baselines, and every matrix of the corpus-size sweep's subsets, need no more than float32's 1e-7 relative
# error: it is far below the sampling error of counts, and they are only scored.
PRECISION = {"mstar": "float64", "ppmi": "float32", "pmi_zero": "float32", "pmi_paper": "float32"}
SWEEP_PRECISION = "float32"
# From this V on every spectrum is float64: theory.spectrum's two-stage float64 solve is then as fast as float32
# evr (k = 201: 10-10.8 s vs 9.3-11.3 s at V = 7,000; 18-28 s vs 35-43 s at 10,000).
FLOAT64_FROM_SIZE = 7000
# Rank sweep: similarity sets scored at every rank (the analogies per family too).
RANK_SETS = ("google", "ws353", "simlex", "men")
# Ranks at which the truncated closed form is scored: every k up to RANK_DENSE, then RANK_SPARSE more, spaced
# evenly in log k up to d (d included). Scoring at rank k costs O(questions x V x k).
RANK_DENSE = 40
RANK_SPARSE = 40


def rank_grid(dim: int) -> list[int]:
    """1..min(d, RANK_DENSE), then up to RANK_SPARSE ranks log-spaced to d (always ending at d)."""
    dense = list(range(1, min(dim, RANK_DENSE) + 1))
    if dim <= RANK_DENSE:
        return dense
    sparse = np.unique(np.round(np.geomspace(RANK_DENSE + 1, dim, RANK_SPARSE)).astype(int))
    return dense + [int(k) for k in sparse if k > RANK_DENSE]
OVERLAP_DIRECTIONS = 32     # paper Fig. 5 compares the top 32 directions
OVERLAP_SUMMARY = 10        # the scalar overlap reported in the table: top 10 directions
# Euler step in flow time, as a fraction of 1/c (c = ClosedForm.stiffest_rate, see GD_STEP_FRACTION): the discrete
# map tracks the flow with an O(h/2) relative delay and is stable for h < 2; small h also averages SGD noise.
STEP_FRACTION = 0.05
QUICK_STEP_FRACTION = 0.25
ANNEAL = 4.0              # second-phase lr divisor (see sgd_schedule)
# Train until 1.5x the QR-predicted half-height time of the last mode: the logistic rise from half
# height to 1 - 1e-3 of the final value takes ln(1e3)/lambda_d ≈ 0.5 tau_d more when r^2 ≈ 1e-6 lambda_d
# (the init of theory.dynamics.default_init_scale("realtext")).
TRAIN_TIME_FACTOR = 1.5
MAX_STEPS = 40_000
MAX_ANNEAL_STEPS = 20_000
# Full-batch GD: lr c = 0.5 with c = max(lambda_1, (lambda_1 - lambda_min)/2) the stiffest rate of the
# flow (ClosedForm.stiffest_rate); Euler is stable for lr c < 2 (THEORY §4 refined), and a rising mode's step
# time is late by the fraction lr lambda_k / 4 (theory.dynamics.gd_euler_delay_fraction): at most 0.5/4 = 12 %,
# 5 % on real M* (c ~ 2.3 lambda_1 at V = 5,000), for the top modes the dynamics figure shows.
GD_STEP_FRACTION = 0.5
# Once those DYNAMICS_MODES have risen (1.5x their last step time), GD continues at lr c = 1.5, still inside
# Euler's stability (< 2) for every rate of the flow: the modes left to rise have lambda_k <= lambda_11, whose
# delay lr lambda_k / 4 <= 1.5 lambda_11 / (4 c) is 2-3 % on real text, and the run takes 1.5-2x fewer steps.
GD_LATE_STEP_FRACTION = 1.5
DYNAMICS_MODES = 10
# SGD samples matrix entries uniformly and uses each entry's exact expected pair term (sims/simulators/sgd.py,
# "Entry sampler"): under Setting 3.1 the QWEM term is ¼(x - M*_ij)² - ¼M*_ij², bounded, so its noise
# does not grow with 1/P_min. word2vec's pair sampler ("pairs") weights each pair by 1/(P_ij + P_iP_j),
# up to 1/P_min^2 on Zipfian text, and its noise swamps the gradient above a few hundred words
# (measured with it: top-10 overlap 0.97 at V = 150, 0.86 at V = 300, 0.1 at V = 2000 in 50k steps).
SGD_SAMPLER = "entries"
SGD_BATCH = 4096            # the smallest minibatch (run_sgd's default)
# An entry-sampled gradient's variance grows like V^2 / B (each entry is weighted V^2 / B), so the batch
# grows with V^2 past V = 2560: measured at V = 5000, d = 200 on 1.3M tokens, B = 4096 left QWEM at a
# top-10 overlap of 0.90 and 6.4 % analogies, B = 16384 (with a 20k-step anneal) at 0.98 and 14.5 %
# (closed form 17.2 %).
SGD_ENTRIES_PER_BATCH_ROW = 1536
# SGNS's loss is half QWEM's to second order at small init (log(1 + e^{-+x}) = log 2 -+ x/2 + x^2/8 + ...),
# so its SGD runs at this multiple of QWEM's lr and its times are divided by it (see train_sgd).
SGNS_LR_FACTOR = 2.0
COEFFICIENT_LIMIT = 0.5     # see sampler_lr_limit
QUICK_MAX_STEPS = 1_500
RECORDS = 60                # recorded points per training phase (each costs one M* W product)
# The study records more (and scores W at each, sims.pipelines.realtext.run.scored_records), so that the rank
# sweep sees QWEM at many effective ranks: each record costs one M* W product and one evaluation (~0.3 s at V = 5000).
STUDY_RECORDS = 150
WORD2VEC_TOKEN_PASSES = 12_000_000  # epochs = this / corpus tokens, clamped to [5, 50]


def default_trainer(device: str = "auto") -> str:
    """The trainer "auto" picks: on a CUDA device the paper's pair-sampled SGD ("pairs", 50,000 + 50,000 pairs per
    step, sims.simulators.sgd.paper_sgd); on the CPU full-batch GD on the exact expected loss ("gd").

    Under Setting 3.1 the population QWEM loss is (1/4)||WW^T - M*||_F^2 (Theorem 1) and the population SGNS
    gradient is one V x V elementwise map, so each full-batch step costs one V x V x d product and carries no
    sampling noise; its steps are as long as Euler's stability allows (GD_STEP_FRACTION / stiffest rate), where
    an SGD step must also average noise (STEP_FRACTION, ten times shorter). The times measured with each are in
    the README ("Real text").
    """
    from sims.simulators.device import resolve_device

    return "pairs" if resolve_device(device).type == "cuda" else "gd"


def sgd_batch(vocab: int) -> int:
    """Entries per SGD step at vocabulary size V: max(SGD_BATCH, V^2 / SGD_ENTRIES_PER_BATCH_ROW)."""
    return max(SGD_BATCH, int(vocab) ** 2 // SGD_ENTRIES_PER_BATCH_ROW)


def top_words(directions: np.ndarray, vocab: list[str], count: int = 5, words: int = 8) -> dict:
    """Words with the largest positive and negative coordinates along each of the first `count` directions."""
    out = {}
    for k in range(min(count, directions.shape[1])):
        order = np.argsort(directions[:, k])
        out[f"v{k + 1}"] = {"positive": [vocab[i] for i in order[::-1][:words]],
                            "negative": [vocab[i] for i in order[:words]]}
    return out


def init_scale(prediction: ClosedForm) -> float:
    """The study's sigma: sigma^2 V = a fixed fraction of lambda_d (theory.dynamics.default_init_scale("realtext"))."""
    return default_init_scale("realtext", prediction.learned_eigenvalues[-1], prediction.size)


def sampler_lr_limit(stats: Cooccurrence, batch: int | None = None, sampler: str = SGD_SAMPLER) -> float:
    """Largest lr for which no single sampled term moves a row by more than COEFFICIENT_LIMIT x another row.

    pairs: the update for one sampled pair is w_i <- w_i - lr (Psi_ij / B) l'(x) w_j with |l'| ~ 1 near
    small init, and Setting 3.1 gives Psi_ij = 1/(P_ij + P_i P_j), up to ~1/P_min^2 for the rarest
    words. A coefficient lr Psi / B above ~1 makes one draw of a rare pair amplify W
    multiplicatively, which is how pair-sampled SGD on Zipfian statistics diverges (sims/simulators/sgd.py, "Variance").
    entries: one sampled entry's coefficient is lr (V^2 / B) (x - M*_ij) / 2 with G = 1, at most
    lr V^2 / B near small init since |M*| <= 2 (sims/simulators/sgd.py, "Entry sampler"): independent of P_min.
    """
    batch = sgd_batch(stats.joint.shape[0]) if batch is None else batch
    if sampler == "entries":
        return COEFFICIENT_LIMIT * batch / float(stats.joint.shape[0]) ** 2
    psi_max = float(np.max(setting31_weights(stats)))
    return COEFFICIENT_LIMIT * batch / psi_max


def _horizon(prediction: ClosedForm, initial: np.ndarray) -> tuple[np.ndarray, float]:
    """The QR-predicted step times from W(0) and the flow time to train to, TRAIN_TIME_FACTOR x the last."""
    step_times = prediction.random_step_times(initial)
    return step_times, TRAIN_TIME_FACTOR * float(np.max(step_times))


def sgd_schedule(prediction: ClosedForm, initial: np.ndarray, quick: bool = False,
                 lr_limit: float = np.inf) -> dict:
    """Learning rate and steps from the theory: flow step h/c (c = prediction.stiffest_rate), to 1.5x the last step time.

    lr is the SGD lr whose flow step (theory.dynamics.sgd_flow_time_per_step, tied, Setting 3.1) is h/c,
    kept below `lr_limit` (sampler_lr_limit). A second phase at lr / ANNEAL follows: SGD's stationary
    noise around the minimiser scales with lr, so annealing lets W settle into M*'s top-d subspace
    (the rotation between modes d and d+1 relaxes at rate lambda_d - lambda_{d+1}, which the noise
    otherwise masks when that gap is small). Past the step cap the horizon is cut, not the lr raised:
    `reached` is the flow time actually trained (modes whose step time lies beyond it stay unlearned).
    """
    lam1 = float(prediction.learned_eigenvalues[0])
    fraction = QUICK_STEP_FRACTION if quick else STEP_FRACTION
    flow_step = min(fraction / prediction.stiffest_rate, sgd_flow_time_per_step(lr_limit))
    step_times, t_end = _horizon(prediction, initial)
    steps = int(math.ceil(t_end / flow_step))
    steps = min(steps, QUICK_MAX_STEPS if quick else MAX_STEPS)
    anneal_steps = 0 if quick else min(steps, MAX_ANNEAL_STEPS)
    lr = flow_step / sgd_flow_time_per_step(1.0)
    reached = steps * flow_step + anneal_steps * flow_step / ANNEAL
    return {"lr": lr, "steps": steps, "anneal_lr": lr / ANNEAL, "anneal_steps": anneal_steps,
            "flow_step": flow_step, "t_needed": t_end, "t_end": reached, "h": flow_step * lam1,
            "lr_limit": lr_limit, "predicted_step_times": step_times,
            "modes_reached": int(np.count_nonzero(step_times <= steps * flow_step))}


def gd_schedule(prediction: ClosedForm, initial: np.ndarray, quick: bool = False) -> dict:
    """Full-batch GD in two phases: Euler step GD_STEP_FRACTION/c until the top DYNAMICS_MODES modes have risen
    (1.5x their last QR step time), then GD_LATE_STEP_FRACTION/c (both stable: < 2/c) to 1.5x the last step time.
    quick: one phase at QUICK_STEP_FRACTION/c."""
    lam1 = float(prediction.learned_eigenvalues[0])
    # Real M* has a large negative eigenvalue (-2 at every unseen pair), which can be stiffer than lambda_1.
    lr = (QUICK_STEP_FRACTION if quick else GD_STEP_FRACTION) / prediction.stiffest_rate
    step_times, t_end = _horizon(prediction, initial)
    cap = QUICK_MAX_STEPS if quick else MAX_STEPS
    t_switch = t_end if quick else min(t_end, TRAIN_TIME_FACTOR * float(np.max(step_times[:DYNAMICS_MODES])))
    steps = min(int(math.ceil(t_switch / lr)), cap)
    late_lr = GD_LATE_STEP_FRACTION / prediction.stiffest_rate
    late_steps = 0 if steps * lr >= t_end else min(int(math.ceil((t_end - steps * lr) / late_lr)), cap - steps)
    reached = steps * lr + late_steps * late_lr
    return {"lr": lr, "steps": steps, "late_lr": late_lr, "late_steps": late_steps, "flow_step": lr,
            "t_needed": t_end, "t_end": reached, "h": lr * lam1, "predicted_step_times": step_times,
            "anneal_steps": 0, "anneal_lr": lr, "lr_limit": np.inf,
            "modes_reached": int(np.count_nonzero(step_times <= reached))}


def train_sgd(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, schedule: dict, *,
              loss: str = "qwem", seed: int = 0, device: str = "auto",
              sampler: str = SGD_SAMPLER, records: int = RECORDS, progress: bool = False) -> SimulationResult:
    """Both phases of `schedule` (sims.simulators.sgd.run_sgd_phases) as one result in QWEM flow units.

    Both samplers have the same step -> time map, so `schedule` is sampler-independent apart from its
    lr_limit (sampler_lr_limit). SGNS's gradient near small init is half QWEM's: it runs at
    SGNS_LR_FACTOR times the lr and its times are divided by that factor, so that both are plotted
    against the same flow time.
    """
    from sims.simulators.sgd import run_sgd_phases

    speed = SGNS_LR_FACTOR if loss == "sgns" else 1.0
    result = run_sgd_phases(stats, prediction, initial, speed * schedule["lr"], schedule["steps"],
                            speed * schedule["anneal_lr"], schedule["anneal_steps"], seed=seed,
                            records_per_phase=records, loss=loss, device=device, sampler=sampler, progress=progress,
                            batch=sgd_batch(prediction.size))
    if speed == 1.0:
        return result
    extra = dict(result.extra)
    if "phase_boundary" in extra:
        extra["phase_boundary"] /= speed
    return dataclasses.replace(result, times=result.times / speed, extra=extra)


def pairs_schedule(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, quick: bool = False) -> dict:
    """The paper's pair-sampled SGD: sims.simulators.sgd.paper_lr's flow step (SGNS's lr limit, at SGNS_LR_FACTOR x
    QWEM's lr, binds the shared schedule), to 1.5x the last QR step time, at most MAX_STEPS (QUICK_MAX_STEPS)."""
    from sims.simulators.sgd import PAPER_NEGATIVES, PAPER_POSITIVES, PairSampler, paper_lr

    objective = PairSampler(stats, batch=PAPER_POSITIVES, negatives=PAPER_NEGATIVES / PAPER_POSITIVES,
                            positives="alias")
    chosen = paper_lr(objective, prediction, step_fraction=QUICK_STEP_FRACTION if quick else STEP_FRACTION,
                      coefficient_limit=COEFFICIENT_LIMIT / SGNS_LR_FACTOR)
    flow_step = chosen["flow_step"]
    step_times, t_end = _horizon(prediction, initial)
    steps = min(int(math.ceil(t_end / flow_step)), QUICK_MAX_STEPS if quick else MAX_STEPS)
    return {"lr": chosen["lr"], "steps": steps, "flow_step": flow_step, "t_needed": t_end, "t_end": steps * flow_step,
            "h": flow_step * float(prediction.learned_eigenvalues[0]), "predicted_step_times": step_times,
            "anneal_steps": 0, "anneal_lr": chosen["lr"], "lr_limit": chosen["lr_limit"],
            "modes_reached": int(np.count_nonzero(step_times <= steps * flow_step))}


def train_pairs(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, schedule: dict, *,
                loss: str = "qwem", seed: int = 0, device: str = "auto", records: int = RECORDS,
                progress: bool = False) -> SimulationResult:
    """sims.simulators.sgd.paper_sgd for `schedule` (pairs_schedule), in QWEM flow units (SGNS at SGNS_LR_FACTOR x
    the lr, its times divided by it, as train_sgd)."""
    from sims.simulators.sgd import paper_sgd

    speed = SGNS_LR_FACTOR if loss == "sgns" else 1.0
    result = paper_sgd(stats, prediction, initial, steps=schedule["steps"], lr=speed * schedule["lr"], device=device,
                       seed=seed, records=records, loss=loss, progress=progress)
    return result if speed == 1.0 else dataclasses.replace(result, times=result.times / speed)


def train_gd(prediction: ClosedForm, initial: np.ndarray, schedule: dict, *, loss: str = "qwem",
             device: str = "auto", records: int = RECORDS) -> SimulationResult:
    """Full-batch GD on the exact expected loss (Setting 3.1, k = 1), in flow time t = lr * steps, both phases of
    `schedule` (gd_schedule) as one result (sims.simulators.trajectory.concatenate).

    sims.simulators.gd.run_gd with `loss`: qwem steps W <- W - lr 1/2 (WW^T - M*) W, sgns the expected
    SGNS gradient, which agrees with QWEM's to second order at small init (SgnsGradientDescent).
    """
    from sims.simulators.gd import run_gd
    from sims.simulators.trajectory import concatenate

    late_steps = int(schedule.get("late_steps", 0))
    per_phase = records // 2 if late_steps else records
    first = run_gd(prediction, initial, schedule["lr"], schedule["steps"], loss=loss, dtype="float32", device=device,
                   record_every=max(1, schedule["steps"] // per_phase))
    if not late_steps or first.diverged:
        return first
    second = run_gd(prediction, first.embeddings, schedule["late_lr"], late_steps, loss=loss, dtype="float32",
                    device=device, record_every=max(1, late_steps // per_phase))
    return concatenate(first, second)


def train_word2vec(documents: list[list[str]], vocab: list[str], dim: int, window: int, seed: int,
                   epochs: int) -> np.ndarray:
    """gensim skip-gram with one negative, rows in `vocab` order (see the module doc for the settings)."""
    from gensim.models import Word2Vec

    # gensim silently truncates sentences longer than 10,000 tokens; split them explicitly instead.
    limit = 10_000
    sentences = [doc[i:i + limit] for doc in documents for i in range(0, len(doc), limit) if doc[i:i + limit]]
    model = Word2Vec(sentences=sentences, vector_size=dim, window=window, sg=1, hs=0, negative=1,
                     ns_exponent=1.0, sample=0, min_count=1, workers=1, seed=seed, epochs=epochs,
                     # Python's str hash is salted per process; crc32 keeps the init reproducible.
                     hashfxn=lambda text: zlib.crc32(text.encode("utf-8")))
    index = model.wv.key_to_index
    missing = [w for w in vocab if w not in index]
    if missing:
        raise InputError(f"word2vec vocabulary lacks {len(missing)} words (first: {missing[0]!r})")
    return np.asarray(model.wv.vectors[[index[w] for w in vocab]], dtype=np.float64)


def _overlaps(prediction: ClosedForm, embeddings: dict) -> tuple[np.ndarray, dict, int, dict]:
    """M*'s top-k eigenvectors, each embedding's top-k left singular basis, k, and the summary overlaps."""
    k = min(OVERLAP_DIRECTIONS, prediction.learned_modes)
    k_summary = min(OVERLAP_SUMMARY, k)
    reference = prediction.spectrum.eigenvectors[:, :k]
    bases = {m: left_singular_basis(embeddings[m], k) for m in MODELS if embeddings.get(m) is not None}
    overlap = {f"{m}~pca_mstar": subspace_overlap(reference, bases[m], k_summary)
               for m in MODELS if m != "pca_mstar" and m in bases}
    for a, b in (("qwem", "sgns"), ("sgns", "word2vec")):
        if a in bases and b in bases:
            overlap[f"{a}~{b}"] = subspace_overlap(bases[a], bases[b], k_summary)
    return reference, bases, k, overlap


def overlaps_over_all_modes(prediction: ClosedForm, embeddings: dict) -> dict:
    """||V_m^T U_m||_F^2 / m for each row but the closed form, over all m = learned_modes directions (m = d when
    M* has d positive eigenvalues): whether the row learned every mode, not only the leading ones."""
    m = prediction.learned_modes
    reference = prediction.learned_directions
    return {name: subspace_overlap(reference, left_singular_basis(w, m), m)
            for name, w in embeddings.items() if name != "pca_mstar" and w is not None}


def parse_models(text) -> tuple[str, ...]:
    """--models: a comma list of row names (closed-form, ppmi, pmi, pmi-paper, qwem, sgns, word2vec, glove,
    glove-closed-form, or the
    rows' own names) and groups (all, count / no-training = the four count-based rows); in MODELS order."""
    if text is None:
        return MODELS
    names = [text] if isinstance(text, str) else list(text)
    chosen: set[str] = set()
    for part in (p.strip() for name in names for p in str(name).split(",")):
        if not part:
            continue
        if part in MODEL_GROUPS:
            chosen.update(MODEL_GROUPS[part])
        elif part in MODEL_NAMES:
            chosen.add(MODEL_NAMES[part])
        else:
            raise InputError(f"unknown model {part!r} in --models; choose from "
                             f"{', '.join(list(MODEL_GROUPS) + [n for n in MODEL_NAMES if n not in MODELS])}")
    if not chosen:
        raise InputError("--models chose no rows")
    return tuple(m for m in MODELS if m in chosen)


def parse_sizes(text) -> tuple[float, ...]:
    """--sizes: fractions of the corpus in (0, 1] (e.g. 1/8,1/4,1/2,1), or 'none'; 1 is always included."""
    if text is None:
        return SIZES
    if isinstance(text, str):
        if text.strip().lower() in ("none", "1", ""):
            return (1.0,)
        parts = text.split(",")
    else:
        parts = list(text)
    sizes = set()
    for part in parts:
        try:
            num, _, den = str(part).strip().partition("/")
            value = float(num) / float(den) if den else float(num)
        except (ValueError, ZeroDivisionError):
            raise InputError(f"--sizes: {str(part)!r} is not a fraction like 1/8 or 0.25") from None
        if not 0 < value <= 1:
            raise InputError(f"--sizes: {str(part)!r} must lie in (0, 1]")
        sizes.add(value)
    sizes.add(1.0)
    return tuple(sorted(sizes))


@dataclasses.dataclass
class Source:
    """Where the study's statistics come from: corpus files (plain text etc.) or a counts file."""

    files: list | None
    counts_file: Path | None
    digest: str

    @property
    def has_text(self) -> bool:
        return self.files is not None

    @property
    def name(self) -> str:
        return str(self.counts_file) if self.files is None else ", ".join(str(f) for f in self.files)


def resolve_source(corpus=None, counts: str | Path | None = None) -> Source:
    """Check the corpus (or counts file) exists and is readable; its digest keys every cached stage."""
    from sims.data.reader import corpus_files

    if counts is not None:
        if corpus is not None:
            raise InputError("give a corpus or --counts FILE.npz, not both")
        path = Path(counts)
        if not path.is_file():
            raise InputError(f"counts file {str(path)!r} does not exist")
        return Source(None, path, file_digest([path]))
    if corpus is None:
        from sims.corpus import default_corpus

        corpus = default_corpus()
    files = corpus_files(corpus)
    try:
        return Source(files, None, file_digest(files))
    except OSError as exc:
        raise InputError(f"corpus {str(files[0])!r} cannot be read ({exc.strerror or exc})") from None


def _count_stage(source: Source, vocab: int | None, window: int, cache: StageCache, workers: int,
                 progress: bool) -> CorpusStatistics:
    """The counts: from the counts file (validated), else from the cache (sims.corpus's, same key), else counted
    by sims.data.counting.count_corpus (streaming, exact) and cached."""
    from sims.corpus import cache_path, load_cached, store_cached

    if source.counts_file is not None:
        from sims.data.counts_file import load_counts

        counted = load_counts(source.counts_file)
        if vocab is not None and counted.counts.shape[0] != vocab:
            raise InputError(f"counts file {str(source.counts_file)!r} has V = {counted.counts.shape[0]}, "
                             f"not --vocab {vocab}")
        if window is not None and counted.window != window:
            raise InputError(f"counts file {str(source.counts_file)!r} has window L = {counted.window}, "
                             f"not --window {window}")
        return counted
    vocab = DEFAULT_VOCAB if vocab is None else vocab
    window = DEFAULT_WINDOW if window is None else window
    path, key = cache_path(source.digest, vocab, window, cache.folder.parent if cache.enabled else None)
    if cache.enabled and path.is_file():
        hit = load_cached(path, key, source.name, vocab, window)
        if hit is not None:
            cache.hits.append("counts")
            return hit
    from sims.data.counting import count_corpus

    counted = count_corpus(source.files, vocab, window, workers=workers, progress=progress)
    if cache.enabled:
        cache.misses.append("counts")
        store_cached(path, key, counted)
    return counted.statistics()


def counts_key(source: Source, counted: CorpusStatistics, fraction: float = 1.0) -> str:
    return stage_key("counts", digest=source.digest, vocab=len(counted.vocab), window=counted.window,
                     fraction=fraction)


def spectrum_stage(stats: Cooccurrence, kind: str, k: int, key: str, cache: StageCache, precision: str = "float64",
                   matrix: np.ndarray | None = None) -> Spectrum:
    """Top-k eigenpairs by value of one matrix (`matrix` when already built), cached: float64 by
    theory.spectrum.top_eigenpairs, or a float32 solve + float64 Rayleigh-Ritz by theory.topk (method "float32",
    every residual checked against its stated bound, RT-TOPK) below V = FLOAT64_FROM_SIZE."""
    from theory.spectrum import top_eigenpairs

    size = stats.joint.shape[0]
    k = min(k, size)
    if k >= size or size >= FLOAT64_FROM_SIZE:
        precision = "float64"
    stage = stage_key("spectrum", counts=key, matrix=kind, k=k, **({} if precision == "float64"
                                                                    else {"precision": precision}))
    hit = cache.load("spectrum", stage, {"eigenvalues": ("f", (k,)), "eigenvectors": ("f", (size, k)),
                                         "frobenius_sq": ("f", ())})
    if hit is not None:
        return Spectrum(hit["eigenvalues"], hit["eigenvectors"], float(hit["frobenius_sq"]), size)
    matrix = BUILDERS[kind](stats) if matrix is None else matrix
    if precision == "float64":
        spectrum = top_eigenpairs(matrix, k)
    else:
        from theory.topk import top_eigenpairs as top_k

        pairs = top_k(matrix, k, method="float32")
        spectrum = Spectrum(pairs.eigenvalues, pairs.eigenvectors, float(np.vdot(matrix, matrix)), size)
    cache.store("spectrum", stage, {"eigenvalues": spectrum.eigenvalues, "eigenvectors": spectrum.eigenvectors,
                                    "frobenius_sq": np.float64(spectrum.frobenius_sq)})
    return spectrum


def pca_embeddings(spectrum: Spectrum, dim: int) -> np.ndarray:
    """W = V_d max(Λ_d, 0)^{1/2} (ClosedForm.embeddings for any symmetric matrix)."""
    keep = np.clip(spectrum.eigenvalues[:dim], 0.0, None)
    w = np.zeros((spectrum.size, dim))
    w[:, : len(keep)] = spectrum.eigenvectors[:, :dim] * np.sqrt(keep)
    return w


def closed_form_from(stats: Cooccurrence, spectrum: Spectrum, dim: int, target: np.ndarray | None = None
                     ) -> ClosedForm:
    """theory.predictions.ClosedForm of M* (`target` when already built) around an already computed (or cached)
    spectrum."""
    target = target_matrix(stats) if target is None else target
    return ClosedForm(target=target, dim=check_dim(dim, target.shape[0]), spectrum=spectrum)


@contextlib.contextmanager
def scored_records(score):
    """Call score(effective_rank, time, W) at every record of run_sgd / run_gd (rank as early stopping).

    The simulators record W at fixed steps through sims.simulators.trajectory.Recorder; this swaps in a
    subclass that also scores W there, for the duration of the block, so no V x d snapshot is kept.
    """
    import sims.simulators.gd as gd_module
    import sims.simulators.sgd as sgd_module

    base = sgd_module.Recorder

    class ScoringRecorder(base):
        def measure(self, time, w, mw=None):
            super().measure(time, w, mw)
            score(self.ranks[-1], float(time), np.asarray(w, dtype=np.float64))

    sgd_module.Recorder = gd_module.Recorder = ScoringRecorder
    try:
        yield
    finally:
        sgd_module.Recorder = gd_module.Recorder = base


RESULT_ARRAYS = ("times", "singular_values", "error", "loss", "effective_rank", "overlap", "embeddings",
                 "eigenvalues")


def _result_arrays(result: SimulationResult) -> dict:
    arrays = {name: np.asarray(getattr(result, name)) for name in RESULT_ARRAYS}
    arrays.update(converged=np.bool_(result.converged), diverged=np.bool_(result.diverged),
                  device=np.array(result.device), method=np.array(result.method),
                  phase_boundary=np.float64(result.extra.get("phase_boundary", -1.0)))  # -1: one phase
    return arrays


def _result_from(arrays: dict) -> SimulationResult:
    extra = {} if arrays["phase_boundary"] < 0 else {"phase_boundary": float(arrays["phase_boundary"])}
    return SimulationResult(method=str(arrays["method"]), times=arrays["times"],
                            singular_values=arrays["singular_values"], error=arrays["error"], loss=arrays["loss"],
                            effective_rank=arrays["effective_rank"], overlap=arrays["overlap"],
                            embeddings=arrays["embeddings"], eigenvalues=arrays["eigenvalues"],
                            converged=bool(arrays["converged"]), diverged=bool(arrays["diverged"]),
                            device=str(arrays["device"]), extra=extra)


def rank_columns(loaded: dict) -> list[str]:
    """The scores tracked along rank: each RANK_SETS set, and the Google families."""
    columns = [name for name in RANK_SETS if name in loaded]
    if "google" in loaded:
        columns += ["google:semantic", "google:syntactic"]
        columns += [f"google:{f}" for f in dict.fromkeys(loaded["google"].sections.tolist())]
    return columns


AGGREGATES = ("google:semantic", "google:syntactic")


def record_columns(columns: list[str]) -> list[str]:
    """The columns scored at each training record: the aggregates follow from the families (_with_aggregates)."""
    return [c for c in columns if c not in AGGREGATES]


def _with_aggregates(scores: np.ndarray, have: list[str], columns: list[str], loaded: dict) -> np.ndarray:
    """Rows over `have` widened to `columns`: each Google aggregate is its families' question-weighted mean."""
    from sims.data.evaluation import SEMANTIC_FAMILIES

    out = np.full((len(scores), len(columns)), np.nan)
    counts = {}
    if "google" in loaded:
        sections, n = np.unique(loaded["google"].sections, return_counts=True)
        counts = dict(zip(sections.tolist(), n.tolist()))
    for j, column in enumerate(columns):
        if column in have:
            out[:, j] = scores[:, have.index(column)]
        elif column in AGGREGATES:
            semantic = column.endswith("semantic")
            parts = [(have.index(f"google:{f}"), n) for f, n in counts.items()
                     if (f in SEMANTIC_FAMILIES) == semantic and f"google:{f}" in have]
            if parts:
                idx, weights = zip(*parts)
                out[:, j] = scores[:, list(idx)] @ np.array(weights, dtype=float) / float(sum(weights))
    return out


def rank_scores(w: np.ndarray, loaded: dict, columns: list[str]) -> np.ndarray:
    """One row of rank-sweep scores (NaN where a set has no coverage)."""
    if not columns:
        return np.zeros(0)
    cells = {name: score_set(w, loaded[name], SETS_BY_NAME[name].kind, families=name == "google")
             for name in RANK_SETS if name in loaded}
    row = []
    for column in columns:
        name, _, family = column.partition(":")
        cell = cells[name]
        value = cell["families"].get(family, {}).get("score") if family else cell["score"]
        row.append(np.nan if value is None else value)
    return np.array(row, dtype=np.float64)


def train_stage(name: str, stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, schedule: dict,
                method: str, seed: int, device: str, key: str, cache: StageCache, loaded: dict,
                columns: list[str], progress: bool = False) -> tuple[SimulationResult, dict, bool]:
    """Train QWEM or SGNS (cached by everything the run depends on), scoring W at each record for the rank sweep.

    Returns (result, {"rank", "time", "scores"} per record, whether it came from the cache).
    """
    from sims.simulators.device import resolve_device

    size, dim = initial.shape
    inputs = dict(counts=key, model=name, dim=dim, seed=seed, method=method, device=resolve_device(device),
                  schedule={k: (float(v) if np.isscalar(v) else None) for k, v in schedule.items()},
                  batch=sgd_batch(size), sampler=SGD_SAMPLER, sgns_lr=SGNS_LR_FACTOR, records=STUDY_RECORDS,
                  init=float(np.linalg.norm(initial)), columns=columns)
    stage = stage_key("train", **inputs)
    expect = {"times": ("f", (None,)), "singular_values": ("f", (None, dim)), "error": ("f", (None,)),
              "loss": ("f", (None,)), "effective_rank": ("iu", (None,)), "overlap": ("f", (None,)),
              "embeddings": ("f", (size, dim)), "eigenvalues": ("f", (None,)), "converged": ("b", ()),
              "diverged": ("b", ()), "device": ("U", ()), "method": ("U", ()), "phase_boundary": ("f", ()),
              "record_rank": ("iu", (None,)), "record_time": ("f", (None,)), "record_scores": ("f", (None, None))}
    hit = cache.load("train", stage, {k: v for k, v in expect.items() if k != "record_scores"})
    if hit is not None:
        with np.load(cache.path("train", stage), allow_pickle=False) as data:
            scores = data["record_scores"]
        if scores.shape == (len(hit["record_rank"]), len(columns)):
            return _result_from(hit), {"rank": hit["record_rank"], "time": hit["record_time"], "scores": scores}, True
    ranks, times, rows = [], [], []

    def score(rank, t, w):
        ranks.append(rank)
        times.append(t)
        rows.append(rank_scores(w, loaded, columns))

    with scored_records(score):
        if method == "pairs":
            result = train_pairs(stats, prediction, initial, schedule, loss=name, seed=seed, device=device,
                                 records=STUDY_RECORDS, progress=progress)
        elif method == "sgd":
            result = train_sgd(stats, prediction, initial, schedule, loss=name, seed=seed, device=device,
                               records=STUDY_RECORDS, progress=progress)
        else:
            result = train_gd(prediction, initial, schedule, loss=name, device=device, records=STUDY_RECORDS)
    speed = SGNS_LR_FACTOR if (name == "sgns" and method in ("sgd", "pairs")) else 1.0
    record = {"rank": np.array(ranks, dtype=np.int64), "time": np.array(times) / speed,
              "scores": np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))}
    cache.store("train", stage, {**_result_arrays(result), "record_rank": record["rank"],
                                 "record_time": record["time"], "record_scores": record["scores"]})
    return result, record, False


def word2vec_init_run(stats, prediction: ClosedForm, dim: int, seed: int, method: str, quick: bool, device: str,
                      key: str, cache: StageCache, loaded: dict, notes: list, progress: bool) -> dict:
    """QWEM again from word2vec's own init scale (theory.dynamics.word2vec_init_scale), same seed, for the paper's
    Fig. 2: {"word2vec": (W(0), result)}, or {} (with a note) when that init is not small for this M*."""
    scale = word2vec_init_scale(dim)
    initial = random_init(prediction.size, dim, scale, seed)
    try:
        schedule = _schedule(stats, prediction, initial, method, quick, notes)
    except InputError as exc:  # some mode starts above half height: no step to show
        notes.append(f"word2vec-sized init (sigma = {scale:.3g}) is not small for this M*: {exc}")
        return {}
    result, _, _ = train_stage("qwem", stats, prediction, initial, schedule, method, seed, device, key, cache,
                               loaded, [], progress)
    return {"word2vec": (initial, result)}


def glove_stage(counted: CorpusStatistics, dim: int, seed: int, device: str, key: str,
                cache: StageCache, progress: bool) -> tuple[np.ndarray, dict, bool]:
    """GloVe trained from small init on the raw weighted counts (sims.simulators.glove.train_glove_row), cached by
    the counts, d and seed: (embeddings, info with scalars only, whether it came from the cache)."""
    from sims.simulators.glove import train_glove_row

    size = len(counted.vocab)
    stage = stage_key("glove", counts=key, dim=dim, seed=seed)
    hit = cache.load("glove", stage, {"embeddings": ("f", (size, dim)), "info": ("U", ())})
    if hit is not None:
        return hit["embeddings"], json.loads(str(hit["info"])), True
    embeddings, info = train_glove_row(counted.counts, dim, seed, device=device, progress=progress)
    seconds = info.get("seconds", {})
    info = {k: v for k, v in info.items() if isinstance(v, (str, int, float, bool)) or v is None}
    info.update({f"{k}_seconds": float(v) for k, v in seconds.items()})
    # No NaN reaches the summary: an overlap with no direction to compare is "none", not NaN.
    info = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in info.items()}
    cache.store("glove", stage, {"embeddings": embeddings, "info": np.array(json.dumps(info))})
    return embeddings, info, False


def glove_closed_form_stage(counted: CorpusStatistics, dim: int, key: str, cache: StageCache) -> np.ndarray:
    """The uniform-weight GloVe closed form's embeddings (theory.glove.glove_closed_form on the raw counts), cached."""
    from theory.glove import glove_closed_form

    size = len(counted.vocab)
    stage = stage_key("glove_closed_form", counts=key, dim=dim)
    hit = cache.load("glove_closed_form", stage, {"embeddings": ("f", (size, dim))})
    if hit is not None:
        return hit["embeddings"]
    embeddings = glove_closed_form(counted.counts, dim).embeddings
    cache.store("glove_closed_form", stage, {"embeddings": embeddings})
    return embeddings


def word2vec_epochs(kept_tokens: int, quick: bool) -> int:
    return 2 if quick else int(min(50, max(5, math.ceil(WORD2VEC_TOKEN_PASSES / max(kept_tokens, 1)))))


def word2vec_stage(files, counted: CorpusStatistics, dim: int, window: int, seed: int, quick: bool, key: str,
                   cache: StageCache) -> tuple[np.ndarray, int, bool]:
    """gensim's word2vec on the OOV-filtered documents, cached by the counts, d, seed, epochs and gensim version."""
    import gensim

    from sims.data.reader import iter_documents

    epochs = word2vec_epochs(counted.kept_tokens, quick)
    size = len(counted.vocab)
    stage = stage_key("word2vec", counts=key, dim=dim, window=window, seed=seed, epochs=epochs,
                      gensim=gensim.__version__)
    hit = cache.load("word2vec", stage, {"embeddings": ("f", (size, dim))})
    if hit is not None:
        return hit["embeddings"], epochs, True
    keep = set(counted.vocab)
    files = [files()] if callable(files) else files  # a prefix's text is written only when needed
    documents = [[t for t in doc if t in keep] for doc in iter_documents(files)]
    embeddings = train_word2vec(documents, counted.vocab, dim, window, seed, epochs)
    cache.store("word2vec", stage, {"embeddings": embeddings})
    return embeddings, epochs, False


SIZE_ORDERS = ("spread", "prefix")
TRAINERS = ("auto", "gd", "sgd", "pairs")
# "spread": document i is in the fraction-f subset when frac(i * GOLDEN) < f, so every subset is spread evenly
# over the whole corpus and contains every smaller one. A plain prefix of a corpus assembled from several
# sources (the Bible first, then news, Wikipedia, Shakespeare) measures genre as much as size.
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def prefix_file(files, fraction: float, folder: Path, order: str = "prefix", documents: list | None = None
                ) -> tuple[Path, int]:
    """A `fraction` of the corpus's tokens as one file (whole documents, tokens re-joined by spaces): its first
    documents ("prefix"), or documents spread evenly over it ("spread", see GOLDEN). `documents`: the corpus
    already read (sims.data.reader.iter_documents of `files`), so that several fractions read it once."""
    from sims.data.reader import iter_documents

    if order not in SIZE_ORDERS:
        raise InputError(f"size order must be one of {SIZE_ORDERS}, got {order!r}")
    documents = list(iter_documents(files)) if documents is None else documents
    total = sum(len(d) for d in documents)
    taken, lines = 0, []
    if order == "prefix":
        for doc in documents:
            if taken >= fraction * total:
                break
            lines.append(" ".join(doc))
            taken += len(doc)
    else:
        for i, doc in enumerate(documents):
            if (i * GOLDEN) % 1.0 < fraction:
                lines.append(" ".join(doc))
                taken += len(doc)
    path = folder / f"{order}-{fraction:.4f}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, taken


def _log(progress: bool, message: str) -> None:
    if progress:
        print(f"[real text] {message}", file=sys.stderr, flush=True)


class _Stage:
    """Times one stage and logs 'name: N s' (or 'cached') when it ends."""

    def __init__(self, name: str, timings: dict, progress: bool, cache: StageCache):
        self.name, self.timings, self.progress, self.cache = name, timings, progress, cache

    def __enter__(self):
        _log(self.progress, f"{self.name} ...")
        self.hits = len(self.cache.hits)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.t0
        self.timings[self.name] = round(seconds, 3)
        if exc[0] is None:
            how = " (from the cache)" if len(self.cache.hits) > self.hits else ""
            _log(self.progress, f"{self.name}: {seconds:.1f} s{how}")
        return False


def evaluate_rows(embeddings: dict, loaded: dict) -> dict:
    """{model: {set: cell}} (sims.data.evaluation.score_all; None rows stay None)."""
    return {m: (None if w is None else score_all(w, loaded)) for m, w in embeddings.items()}


def _size_sweep(source: Source, sizes, vocab: int, dim: int, window: int, models, seed: int, quick: bool,
                cache: StageCache, timings: dict, notes: list, progress: bool, full: dict,
                order: str = "spread") -> list[dict]:
    """Scores of the count-based rows (and word2vec) on each fraction of the corpus (prefix_file's `order`),
    recounted at the same V.

    A prefix's text is only written (to a temporary file) when one of its stages is not in the cache.
    """
    from sims.corpus import cache_path, load_cached

    from sims.data.reader import iter_documents

    sweep = []
    rows = [m for m in models if m in COUNT_MODELS or m == "word2vec"]
    corpus: list = []  # the corpus's documents, read at the first prefix that must be written

    def documents() -> list:
        if not corpus:
            corpus.extend(iter_documents(source.files))
        return corpus

    with tempfile.TemporaryDirectory(prefix="w2v-prefix-") as folder:
        for fraction in sizes:
            if fraction >= 1.0:
                sweep.append({"fraction": 1.0, **full})
                continue
            t0 = time.perf_counter()
            digest = stage_key("prefix", digest=source.digest, fraction=fraction, **({} if order == "prefix"
                                                                                      else {"order": order}))
            path = Path(folder) / f"{order}-{fraction:.4f}.txt"

            def text(path=path, fraction=fraction):
                if not path.is_file():
                    prefix_file(source.files, fraction, Path(folder), order, documents())
                return path

            counted = None
            if cache.enabled:
                where, key = cache_path(digest, vocab, window, cache.folder.parent)
                counted = load_cached(where, key, f"{source.name} (first {fraction:g})", vocab, window) \
                    if where.is_file() else None
                if counted is not None:
                    cache.hits.append("counts")
            if counted is None:
                try:
                    counted = _count_stage(Source([text()], None, digest), vocab, window, cache, 1, False)
                except InputError as exc:
                    notes.append(f"corpus-size sweep: the {fraction:g} prefix cannot be counted at V = {vocab} "
                                 f"({exc}).")
                    continue
            stats = counted.cooccurrence()
            key = counts_key(Source(None, None, digest), counted)
            embeddings = {}
            for m in rows:
                if m == "word2vec":
                    embeddings[m] = word2vec_stage(text, counted, dim, window, seed, quick, key, cache)[0]
                else:
                    embeddings[m] = pca_embeddings(spectrum_stage(stats, MATRICES[m], dim + 1, key, cache,
                                                                  SWEEP_PRECISION), dim)
            loaded = load_sets(counted.index)
            sweep.append({"fraction": fraction, "tokens": counted.tokens, "kept_tokens": counted.kept_tokens,
                          "scores": evaluate_rows(embeddings, loaded)})
            timings[f"size_{fraction:g}_s"] = round(time.perf_counter() - t0, 3)
            _log(progress, f"corpus size {fraction:g} ({counted.tokens:,} tokens): {time.perf_counter() - t0:.1f} s")
    return sweep


def run_study(corpus: str | Path | None = None, *, vocab: int | None = DEFAULT_VOCAB, dim: int = DEFAULT_DIM,
              window: int | None = DEFAULT_WINDOW,
              out_dir: Path, seed: int = 0, device: str = "auto", quick: bool = False, progress: bool = False,
              trainer: str = "auto", counts: str | Path | None = None, models=None, sizes=None,
              cache: bool = True, cache_folder: Path | None = None, workers: int = 1,
              size_order: str = "spread") -> dict:
    """Build the selected rows on one corpus (or counts file), evaluate them on every set, run the corpus-size
    and rank sweeps, write figures to `out_dir`; JSON-able summary.

    trainer: "gd" (full-batch GD on the exact expected loss, Setting 3.1: THEORY §2's population loss, so no
    sampling noise), "sgd" (sims.simulators.sgd.run_sgd with the entry sampler, SGD_SAMPLER) or "auto"
    (default_trainer: "gd"). models: parse_models's names (default every row).
    sizes: corpus fractions for the size sweep (default SIZES; needs the corpus text), taken by `size_order`
    (prefix_file: "spread" over the corpus, default, or its first documents, "prefix"). vocab and window None:
    the counts file's (with `counts`), else 2000 and 16. Every stage is cached
    (sims.pipelines.realtext.stages) unless cache=False.
    """
    if trainer not in TRAINERS:
        raise InputError(f"trainer must be one of {', '.join(TRAINERS)}, got {trainer!r}")
    models = parse_models(models)
    sizes = parse_sizes(sizes)
    if size_order not in SIZE_ORDERS:
        raise InputError(f"size order must be one of {SIZE_ORDERS}, got {size_order!r}")
    # "auto" resolves the device (importing torch) only when a row is trained.
    training = any(m in models for m in TRAINED_MODELS)
    method = trainer if trainer != "auto" else (default_trainer(device) if training else "gd")
    source = resolve_source(corpus, counts)
    stages = StageCache(None if cache_folder is None else Path(cache_folder) / "realtext", enabled=cache)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    notes: list[str] = []
    start = time.perf_counter()

    with _Stage("count_s", timings, progress, stages):
        counted = _count_stage(source, vocab, window, stages, workers, progress)
    vocab, window = len(counted.vocab), counted.window
    check_dim(dim, vocab)
    stats = counted.cooccurrence()
    key = counts_key(source, counted)
    timings["count_cached"] = bool(counted.cached)

    embeddings: dict[str, np.ndarray | None] = {}
    spectra = {}
    needed = set(models) | {"pca_mstar"}  # M*'s spectrum: the reference directions and the trainers' theory
    target = target_matrix(stats)
    for m in COUNT_MODELS:
        if m in needed:
            with _Stage(f"spectrum_{MATRICES[m]}_s", timings, progress, stages):
                spectra[m] = spectrum_stage(stats, MATRICES[m], max(dim + 1, 10), key, stages, PRECISION[MATRICES[m]],
                                            matrix=target if m == "pca_mstar" else None)
            if m in models:
                embeddings[m] = pca_embeddings(spectra[m], dim)
    prediction = closed_form_from(stats, spectra["pca_mstar"], dim, target)

    with _Stage("load_sets_s", timings, progress, stages):
        loaded = load_sets(counted.index)
    columns = rank_columns(loaded)

    if prediction.learned_modes == 0:
        raise InputError("the corpus's M* has no positive eigenvalue among its top d: no mode to learn or compare")
    sigma = init_scale(prediction)
    initial = random_init(vocab, dim, sigma, seed)
    trained, records, schedule, init_runs = {}, {}, None, {}
    if any(m in models for m in TRAINED_MODELS):
        schedule = _schedule(stats, prediction, initial, method, quick, notes)
        for name in TRAINED_MODELS:
            if name not in models:
                continue
            with _Stage(f"{name}_train_s", timings, progress, stages):
                result, records[name], _ = train_stage(name, stats, prediction, initial, schedule, method, seed,
                                                       device, key, stages, loaded, record_columns(columns),
                                                       progress)
            if result.diverged:
                notes.append(f"{name} diverged at flow time {result.times[-1]:.3g}; its last finite W is used.")
            trained[name] = result
            embeddings[name] = result.embeddings
        if "qwem" in trained:
            with _Stage("qwem_word2vec_init_train_s", timings, progress, stages):
                init_runs = word2vec_init_run(stats, prediction, dim, seed, method, quick, device, key, stages,
                                              loaded, notes, progress)
    glove_info = None
    if "glove_closed_form" in models:
        with _Stage("glove_closed_form_s", timings, progress, stages):
            embeddings["glove_closed_form"] = glove_closed_form_stage(counted, dim, key, stages)
    if "glove" in models:
        with _Stage("glove_train_s", timings, progress, stages):
            embeddings["glove"], glove_info, _ = glove_stage(counted, dim, seed, device, key, stages, progress)
    epochs = None
    if "word2vec" in models:
        if source.has_text:
            with _Stage("word2vec_train_s", timings, progress, stages):
                embeddings["word2vec"], epochs, _ = word2vec_stage(source.files, counted, dim, window, seed, quick,
                                                                   key, stages)
        else:
            embeddings["word2vec"] = None
            notes.append("word2vec needs the corpus text: not trained from a counts file.")

    with _Stage("evaluation_s", timings, progress, stages):
        scores = evaluate_rows({m: embeddings.get(m) for m in models}, loaded)
        reference, bases, k, overlap = _overlaps(prediction, embeddings)
        overlap_all = overlaps_over_all_modes(prediction, embeddings)

    sweep = []
    swept = [m for m in models if m in COUNT_MODELS or m == "word2vec"]
    if len(sizes) > 1 and swept:
        if source.has_text:
            with _Stage("size_sweep_s", timings, progress, stages):
                sweep = _size_sweep(source, sizes, vocab, dim, window, models, seed, quick, stages, timings, notes,
                                    progress, {"tokens": counted.tokens, "kept_tokens": counted.kept_tokens,
                                               "scores": {m: s for m, s in scores.items()
                                                          if m in COUNT_MODELS or m == "word2vec"}}, size_order)
        else:
            notes.append("corpus-size sweep needs the corpus text: skipped for a counts file.")

    with _Stage("rank_sweep_s", timings, progress, stages):
        rank = _rank_sweep(spectra["pca_mstar"], dim, loaded, columns, records)

    with _Stage("figures_s", timings, progress, stages):
        labels = {m: LABELS[m] for m in models}
        figures = write_figures(out_dir, prediction, trained, initial, sigma, reference, bases, k, scores, labels,
                                method, sweep=sweep, rank=rank,
                                init_runs={"small": (initial, trained["qwem"]), **init_runs} if init_runs else None)
    timings["total_s"] = round(time.perf_counter() - start, 3)
    timings["cache_hits"] = len(stages.hits)
    timings["cache_misses"] = len(stages.misses)

    coverage = {name: {"covered": len(data), "total": data.total} for name, data in loaded.items()}
    summary = {
        "corpus": counted.source, "tokens": counted.tokens, "kept_tokens": counted.kept_tokens,
        "documents": counted.documents, "vocab": vocab, "dim": dim, "window": window, "models": list(models),
        "questions": coverage["google"]["covered"], "questions_in_file": coverage["google"]["total"],
        "wordsim_pairs": coverage["ws353"]["covered"],
        "analogy": {m: (None if scores[m] is None else scores[m]["google"]["score"]) for m in models},
        "wordsim": {m: (None if scores[m] is None else scores[m]["ws353"]["score"]) for m in models},
        "scores": scores, "coverage": coverage,
        "sets": {s.name: {"label": s.label, "kind": s.kind, "file": s.file, "origin": s.origin}
                 for s in EVALUATION_SETS},
        "size_sweep": sweep, "size_order": size_order, "rank_sweep": rank,
        "overlap": overlap, "overlap_directions": min(OVERLAP_SUMMARY, k),
        "overlap_all_modes": overlap_all, "learned_modes": prediction.learned_modes,
        "top_words": top_words(reference, counted.vocab), "labels": labels,
        "eigenvalues": [float(x) for x in prediction.eigenvalues[: min(len(prediction.eigenvalues), 2 * dim)]],
        "training": (None if schedule is None else
                     _training_summary(method, vocab, sigma, schedule, trained, epochs, seed, device, quick,
                                          prediction.learned_modes)),
        "word2vec_epochs": epochs, "glove": glove_info,
        "timings": timings, "figures": figures, "notes": notes,
    }
    summary["markdown"] = markdown_section(summary)
    return summary


def _schedule(stats, prediction, initial, method, quick, notes) -> dict:
    if method == "pairs":
        schedule = pairs_schedule(stats, prediction, initial, quick)
    elif method == "sgd":
        # SGNS runs at SGNS_LR_FACTOR x the lr (train_sgd), so its stability limit binds the shared schedule.
        schedule = sgd_schedule(prediction, initial, quick, lr_limit=sampler_lr_limit(stats) / SGNS_LR_FACTOR)
    else:
        schedule = gd_schedule(prediction, initial, quick)
    if schedule["modes_reached"] < prediction.learned_modes:
        notes.append(f"{method.upper()} lr {schedule['lr']:.3g} (capped by stability) for {schedule['steps']} steps "
                     f"reaches flow time {schedule['steps'] * schedule['flow_step']:.3g} of the "
                     f"{schedule['t_needed']:.3g} needed: about {schedule['modes_reached']} of "
                     f"{prediction.learned_modes} modes.")
    return schedule


def _rank_sweep(spectrum: Spectrum, dim: int, loaded: dict, columns: list[str], records: dict) -> dict:
    """Closed form truncated at rank k (its first k columns, k on rank_grid(d)) scored on `columns`; the trained
    rows' records (scored at their effective rank while training)."""
    full = pca_embeddings(spectrum, dim)
    ks = rank_grid(dim)
    closed = np.array([rank_scores(full[:, :k], loaded, columns) for k in ks])
    out = {"columns": columns, "k": ks, "closed_form": _nan_to_none(closed)}
    if "google" in loaded:
        sections, counts = np.unique(loaded["google"].sections, return_counts=True)
        out["family_questions"] = {str(f): int(n) for f, n in zip(sections, counts)}
    for name, record in records.items():
        scores = _with_aggregates(record["scores"], record_columns(columns), columns, loaded)
        out[name] = {"rank": record["rank"].tolist(), "time": record["time"].tolist(),
                     "scores": _nan_to_none(scores)}
    return out


def _nan_to_none(array: np.ndarray) -> list:
    return [[None if not np.isfinite(v) else round(float(v), 6) for v in row] for row in np.asarray(array)]


def _training_summary(method: str, vocab: int, sigma: float, schedule: dict, trained: dict, epochs: int,
                      seed: int, device: str, quick: bool, prediction_modes: int) -> dict:
    """The summary's "training" entry: how QWEM and SGNS were trained and where they ended."""
    from sims.simulators.sgd import PAPER_NEGATIVES, PAPER_POSITIVES

    batch = {"sgd": sgd_batch(vocab), "pairs": f"{PAPER_POSITIVES} + {PAPER_NEGATIVES} pairs"}.get(method)
    return {"method": method, "batch": batch,
            "sampler": SGD_SAMPLER if method == "sgd" else None, "init_scale": sigma, "lr": schedule["lr"],
            "steps": schedule["steps"], "late_lr": schedule.get("late_lr"),
            "late_steps": int(schedule.get("late_steps", 0)), "anneal_lr": schedule["anneal_lr"], "anneal_steps": schedule["anneal_steps"],
            "anneal_factor": ANNEAL if method == "sgd" else None,
            "flow_time": schedule["t_end"], "flow_time_needed": schedule["t_needed"],
            "flow_step_x_lambda1": schedule["h"], "modes_reached": schedule["modes_reached"],
            "final_effective_rank": {m: int(r.effective_rank[-1]) for m, r in trained.items()},
            "learned_modes": int(prediction_modes),
            "word2vec_epochs": epochs, "seed": seed, "device": device, "quick": quick,
            "final_overlap": {m: float(r.overlap[-1]) for m, r in trained.items()}}
