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

Besides the table, two sweeps: every row's scores against corpus size (prefixes of the corpus, SIZES,
each recounted with its own top-V vocabulary), and rank as early stopping (THEORY §7): the closed form
truncated at rank k = 1..d next to trained QWEM at the records where its effective rank is k.
"""


from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from sims.corpus import CorpusStatistics
from sims.data.evaluation import EVALUATION_SETS, SETS_BY_NAME, load_sets, score_all, score_set
from sims.pipelines.realtext.figures import write_figures
from sims.pipelines.realtext.markdown import markdown_section
from sims.pipelines.realtext.stages import StageCache, file_digest, stage_key
from sims.simulators.trajectory import SimulationResult
from theory.dynamics import default_init_scale, left_singular_basis, sgd_flow_time_per_step, subspace_overlap
from theory.predictions import ClosedForm, closed_form, random_init
from theory.spectrum import Spectrum
from theory.target import Cooccurrence, pmi_paper, pmi_zero_filled, ppmi, setting31_weights, target_matrix
from theory.validation import InputError, check_dim

MODELS = ("pca_mstar", "pca_ppmi", "pca_pmi", "pca_pmi_paper", "qwem", "sgns", "word2vec")
LABELS = {"pca_mstar": "PCA of M* (closed form)", "pca_ppmi": "PCA of PPMI",
          "pca_pmi": "PCA of PMI, 0 where unseen (suite's)",
          "pca_pmi_paper": "PCA of PMI + 1e-25 inside the log (paper's)",
          "qwem": "QWEM (trained)", "sgns": "SGNS (trained, tied)", "word2vec": "word2vec (gensim)"}
# The matrix whose top-d eigenpairs make each count-based row.
MATRICES = {"pca_mstar": "mstar", "pca_ppmi": "ppmi", "pca_pmi": "pmi_zero", "pca_pmi_paper": "pmi_paper"}
BUILDERS = {"mstar": target_matrix, "ppmi": ppmi, "pmi_zero": pmi_zero_filled, "pmi_paper": pmi_paper}
COUNT_MODELS = tuple(MATRICES)
TRAINED_MODELS = ("qwem", "sgns")
# --models names (each row's own name works too).
MODEL_NAMES = {"closed-form": "pca_mstar", "ppmi": "pca_ppmi", "pmi": "pca_pmi", "pmi-zero": "pca_pmi",
               "pmi-paper": "pca_pmi_paper", "qwem": "qwem", "sgns": "sgns", "word2vec": "word2vec",
               **{m: m for m in MODELS}}
MODEL_GROUPS = {"all": MODELS, "count": COUNT_MODELS, "no-training": COUNT_MODELS}
# Corpus-size sweep: prefixes of the corpus by tokens, cut at a document boundary.
SIZES = (0.125, 0.25, 0.5, 1.0)
# Rank sweep: similarity sets scored at every rank (the analogies per family too).
RANK_SETS = ("google", "ws353", "simlex", "men")
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
# flow (ClosedForm.stiffest_rate); Euler is stable for lr c < 2 (THEORY §4 refined), delay O(lr).
GD_STEP_FRACTION = 0.5
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
WORD2VEC_TOKEN_PASSES = 12_000_000  # epochs = this / corpus tokens, clamped to [5, 50]


def sgd_batch(vocab: int) -> int:
    """Entries per SGD step at vocabulary size V: max(SGD_BATCH, V^2 / SGD_ENTRIES_PER_BATCH_ROW)."""
    return max(SGD_BATCH, int(vocab) ** 2 // SGD_ENTRIES_PER_BATCH_ROW)


def _log(progress: bool, message: str) -> None:
    if progress:
        print(f"[real text] {message}", file=sys.stderr, flush=True)


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
    """Full-batch GD: Euler step GD_STEP_FRACTION/c (stable for < 2/c), to 1.5x the last QR step time."""
    lam1 = float(prediction.learned_eigenvalues[0])
    # Real M* has a large negative eigenvalue (-2 at every unseen pair), which can be stiffer than lambda_1.
    lr = (QUICK_STEP_FRACTION if quick else GD_STEP_FRACTION) / prediction.stiffest_rate
    step_times, t_end = _horizon(prediction, initial)
    steps = min(int(math.ceil(t_end / lr)), QUICK_MAX_STEPS if quick else MAX_STEPS)
    return {"lr": lr, "steps": steps, "flow_step": lr, "t_needed": t_end, "t_end": steps * lr, "h": lr * lam1,
            "predicted_step_times": step_times, "anneal_steps": 0, "anneal_lr": lr, "lr_limit": np.inf,
            "modes_reached": int(np.count_nonzero(step_times <= steps * lr))}


def train_sgd(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, schedule: dict, *,
              loss: str = "qwem", seed: int = 0, device: str = "auto",
              sampler: str = SGD_SAMPLER) -> SimulationResult:
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
                            records_per_phase=RECORDS, loss=loss, device=device, sampler=sampler,
                            batch=sgd_batch(prediction.size))
    if speed == 1.0:
        return result
    extra = dict(result.extra)
    if "phase_boundary" in extra:
        extra["phase_boundary"] /= speed
    return dataclasses.replace(result, times=result.times / speed, extra=extra)


def train_gd(prediction: ClosedForm, initial: np.ndarray, schedule: dict, *, loss: str = "qwem",
             device: str = "auto") -> SimulationResult:
    """Full-batch GD on the exact expected loss (Setting 3.1, k = 1), in flow time t = lr * steps.

    sims.simulators.gd.run_gd with `loss`: qwem steps W <- W - lr 1/2 (WW^T - M*) W, sgns the expected
    SGNS gradient, which agrees with QWEM's to second order at small init (SgnsGradientDescent).
    """
    from sims.simulators.gd import run_gd

    return run_gd(prediction, initial, schedule["lr"], schedule["steps"], loss=loss, dtype="float32",
                  device=device, record_every=max(1, schedule["steps"] // RECORDS))


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


def _train_models(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, method: str, quick: bool,
                  seed: int, device: str, progress: bool, timings: dict, notes: list) -> tuple[dict, dict]:
    """Train QWEM and SGNS by `method` ("sgd" or "gd") on one schedule; (schedule, results by name)."""
    if method == "sgd":
        # SGNS runs at SGNS_LR_FACTOR x the lr (train_sgd), so its stability limit binds the shared schedule.
        schedule = sgd_schedule(prediction, initial, quick, lr_limit=sampler_lr_limit(stats) / SGNS_LR_FACTOR)
    else:
        schedule = gd_schedule(prediction, initial, quick)
    if schedule["modes_reached"] < prediction.learned_modes:
        notes.append(f"{method.upper()} lr {schedule['lr']:.3g} (capped by stability) for {schedule['steps']} steps "
                     f"reaches flow time {schedule['steps'] * schedule['flow_step']:.3g} of the "
                     f"{schedule['t_needed']:.3g} needed: about {schedule['modes_reached']} of "
                     f"{prediction.learned_modes} modes.")
    trained = {}
    for name in ("qwem", "sgns"):
        steps_text = (f"{schedule['steps']} + {schedule['anneal_steps']} SGD" if method == "sgd"
                      else f"{schedule['steps']} full-batch GD")
        _log(progress, f"training {name} ({steps_text} steps)")
        t0 = time.perf_counter()
        if method == "sgd":
            result = train_sgd(stats, prediction, initial, schedule, loss=name, seed=seed, device=device)
        else:
            result = train_gd(prediction, initial, schedule, loss=name, device=device)
        timings[f"{name}_train_s"] = time.perf_counter() - t0
        if result.diverged:
            notes.append(f"{name} diverged at flow time {result.times[-1]:.3g}; its last finite W is used.")
        trained[name] = result
    return schedule, trained


def _overlaps(prediction: ClosedForm, embeddings: dict) -> tuple[np.ndarray, dict, int, dict]:
    """M*'s top-k eigenvectors, each embedding's top-k left singular basis, k, and the summary overlaps."""
    k = min(OVERLAP_DIRECTIONS, prediction.learned_modes)
    k_summary = min(OVERLAP_SUMMARY, k)
    reference = prediction.spectrum.eigenvectors[:, :k]
    bases = {m: left_singular_basis(embeddings[m], k) for m in MODELS if embeddings[m] is not None}
    overlap = {f"{m}~pca_mstar": subspace_overlap(reference, bases[m], k_summary)
               for m in MODELS if m != "pca_mstar" and m in bases}
    for a, b in (("qwem", "sgns"), ("sgns", "word2vec")):
        if a in bases and b in bases:
            overlap[f"{a}~{b}"] = subspace_overlap(bases[a], bases[b], k_summary)
    return reference, bases, k, overlap


#RUNSTUDY#


def _training_summary(method: str, vocab: int, sigma: float, schedule: dict, trained: dict, epochs: int,
                      seed: int, device: str, quick: bool) -> dict:
    """The summary's "training" entry: how QWEM and SGNS were trained and where they ended."""
    return {"method": method, "batch": sgd_batch(vocab) if method == "sgd" else None,
            "sampler": SGD_SAMPLER if method == "sgd" else None, "init_scale": sigma, "lr": schedule["lr"],
            "steps": schedule["steps"], "anneal_lr": schedule["anneal_lr"], "anneal_steps": schedule["anneal_steps"],
            "anneal_factor": ANNEAL if method == "sgd" else None,
            "flow_time": schedule["t_end"], "flow_time_needed": schedule["t_needed"],
            "flow_step_x_lambda1": schedule["h"], "modes_reached": schedule["modes_reached"],
            "final_effective_rank": {m: int(r.effective_rank[-1]) for m, r in trained.items()},
            "word2vec_epochs": epochs, "seed": seed, "device": device, "quick": quick,
            "final_overlap": {m: float(r.overlap[-1]) for m, r in trained.items()}}
