"""The real-text study (THEORY §5): corpus -> M* -> six embeddings compared on analogies, WordSim, subspaces.

Rows compared (all with the same vocabulary, window and dimension d):
  pca_mstar  closed form: W = V_d Λ_d^{1/2} of M* (Theorem 1; Ψ⁺ = Ψ⁻, k = 1).
  pca_ppmi   the same construction applied to PPMI = max(PMI, 0).
  pca_pmi    the same construction applied to PMI, with the convention PMI_ij = 0 (independence)
             where P_ij = 0: log 0 = -inf has no spectrum, and 0 is what a pair with no evidence
             of association gets. (Clipping at a finite floor instead would be another choice.)
  qwem       QWEM trained from small random init under Setting 3.1 (Ψ = 1/(P_ij + P_iP_j)) by
             entry-sampled SGD (sims.simulators.sgd.run_sgd, sampler="entries") at every V: word2vec's pair
             sampler weights rare pairs by up to 1/P_min² on Zipfian text, and its noise swamps the
             gradient above a few hundred words (see SGD_SAMPLER); trainer="gd" instead uses
             full-batch GD on the exact expected loss (sims.simulators.gd.run_gd).
  sgns       the true logistic SGNS loss (tied), same weights, init and trainer as qwem.
  word2vec   gensim's Word2Vec: skip-gram (sg=1), negative=1, window L (gensim's random window
             shrink gives the L+1-δ weights), vector_size d, workers=1, seeded; fed the same
             OOV-filtered documents, with sample=0 and ns_exponent=1 so that its positives and
             negatives come from the P_ij and P_i P_j the theory uses. gensim has no tied weights:
             its centre (wv) and context (syn1neg) matrices are separate; we evaluate wv.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from sims.corpus import CorpusStatistics, corpus_statistics, in_vocabulary_documents
from sims.data.evaluation import analogy_accuracy, load_analogies, load_wordsim, wordsim_spearman
from sims.simulators.trajectory import Recorder, SimulationResult
from theory.predictions import ClosedForm, closed_form, random_init
from theory.target import Cooccurrence, pmi, ppmi, target_matrix
from theory.validation import InputError, check_dim

MODELS = ("pca_mstar", "pca_ppmi", "pca_pmi", "qwem", "sgns", "word2vec")
LABELS = {"pca_mstar": "PCA of M* (closed form)", "pca_ppmi": "PCA of PPMI", "pca_pmi": "PCA of PMI",
          "qwem": "QWEM (trained)", "sgns": "SGNS (trained, tied)", "word2vec": "word2vec (gensim)"}
OVERLAP_DIRECTIONS = 32     # paper Fig. 5 compares the top 32 directions
OVERLAP_SUMMARY = 10        # the scalar overlap reported in the table: top 10 directions
# Init: every mode starts with r_k(0)^2 ≈ sigma^2 V = INIT_FRACTION * lambda_d, i.e. ln(1/INIT_FRACTION)
# ≈ 14 e-folds below its final height, so steps are well separated (THEORY §3: gap x ln(1/sigma^2) >> 4).
INIT_FRACTION = 1e-6
# Euler step in flow time, as a fraction of 1/c (c = ClosedForm.stiffest_rate, see GD_STEP_FRACTION): the discrete
# map tracks the flow with an O(h/2) relative delay and is stable for h < 2; small h also averages SGD noise.
STEP_FRACTION = 0.05
QUICK_STEP_FRACTION = 0.25
ANNEAL = 4.0              # second-phase lr divisor (see sgd_schedule)
# Train until 1.5x the QR-predicted half-height time of the last mode: the logistic rise from half
# height to 1 - 1e-3 of the final value takes ln(1e3)/lambda_d ≈ 0.5 tau_d more when r^2 ≈ 1e-6 lambda_d.
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


def sgd_batch(vocab: int) -> int:
    """Entries per SGD step at vocabulary size V: max(SGD_BATCH, V^2 / SGD_ENTRIES_PER_BATCH_ROW)."""
    return max(SGD_BATCH, int(vocab) ** 2 // SGD_ENTRIES_PER_BATCH_ROW)

COEFFICIENT_LIMIT = 0.5     # see sampler_lr_limit
QUICK_MAX_STEPS = 1_500
RECORDS = 60                # recorded points per SGD run (each costs one M* W product)
WORD2VEC_TOKEN_PASSES = 12_000_000  # epochs = this / corpus tokens, clamped to [5, 50]


def _log(progress: bool, message: str) -> None:
    if progress:
        print(f"[real text] {message}", file=sys.stderr, flush=True)


def pmi_zero_filled(stats: Cooccurrence) -> np.ndarray:
    """PMI with the documented convention: 0 where P_ij = 0 (no evidence of association)."""
    matrix = pmi(stats)
    matrix[~np.isfinite(matrix)] = 0.0
    return matrix


def orthonormal_basis(embeddings: np.ndarray, k: int) -> np.ndarray:
    """Top-k left singular vectors of a V x d embedding matrix (its principal word-space directions)."""
    left, _, _ = np.linalg.svd(np.asarray(embeddings, dtype=np.float64), full_matrices=False)
    return left[:, :k]


def subspace_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """||A_k^T B_k||_F^2 / k for orthonormal column sets: 1 = same k-dimensional subspace, k/V = chance."""
    return float(np.linalg.norm(a[:, :k].T @ b[:, :k]) ** 2 / k)


def overlap_matrix(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """(a_i . b_j)^2 for the first k directions of each (paper Fig. 5)."""
    return (a[:, :k].T @ b[:, :k]) ** 2


def top_words(directions: np.ndarray, vocab: list[str], count: int = 5, words: int = 8) -> dict:
    """Words with the largest positive and negative coordinates along each of the first `count` directions."""
    out = {}
    for k in range(min(count, directions.shape[1])):
        order = np.argsort(directions[:, k])
        out[f"v{k + 1}"] = {"positive": [vocab[i] for i in order[::-1][:words]],
                            "negative": [vocab[i] for i in order[:words]]}
    return out


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
    psi_max = 1.0 / float(np.min(stats.joint + stats.independent))
    return COEFFICIENT_LIMIT * batch / psi_max


def sgd_schedule(prediction: ClosedForm, initial: np.ndarray, quick: bool = False,
                 lr_limit: float = np.inf) -> dict:
    """Learning rate and steps from the theory: flow step h/c (c = prediction.stiffest_rate), to 1.5x the last step time.

    run_sgd (Setting 3.1, tied) advances flow time by 2 lr per step (sims/simulators/sgd.py); lr is also kept
    below `lr_limit` (sampler_lr_limit). A second phase at lr / ANNEAL follows: SGD's stationary
    noise around the minimiser scales with lr, so annealing lets W settle into M*'s top-d subspace
    (the rotation between modes d and d+1 relaxes at rate lambda_d - lambda_{d+1}, which the noise
    otherwise masks when that gap is small). Past the step cap the horizon is cut, not the lr raised:
    `reached` is the flow time actually trained (modes whose step time lies beyond it stay unlearned).
    """
    lam1 = float(prediction.learned_eigenvalues[0])
    fraction = QUICK_STEP_FRACTION if quick else STEP_FRACTION
    flow_step = min(fraction / prediction.stiffest_rate, 2.0 * lr_limit)
    step_times = prediction.random_step_times(initial)
    t_end = TRAIN_TIME_FACTOR * float(np.max(step_times))
    steps = int(math.ceil(t_end / flow_step))
    steps = min(steps, QUICK_MAX_STEPS if quick else MAX_STEPS)
    anneal_steps = 0 if quick else min(steps, MAX_ANNEAL_STEPS)
    lr = flow_step / 2.0
    reached = steps * flow_step + anneal_steps * flow_step / ANNEAL
    return {"lr": lr, "steps": steps, "anneal_lr": lr / ANNEAL, "anneal_steps": anneal_steps,
            "flow_step": flow_step, "t_needed": t_end, "t_end": reached, "h": flow_step * lam1,
            "lr_limit": lr_limit, "predicted_step_times": step_times,
            "modes_reached": int(np.count_nonzero(step_times <= steps * flow_step))}


def train_sgd(stats: Cooccurrence, prediction: ClosedForm, initial: np.ndarray, schedule: dict, *,
              loss: str = "qwem", seed: int = 0, device: str = "auto",
              sampler: str = SGD_SAMPLER) -> SimulationResult:
    """Run sims.simulators.sgd.run_sgd through both phases of `schedule`; one result with times in QWEM flow units.

    Both samplers have the same step -> time map (2 lr per step, tied, Setting 3.1), so `schedule` is
    sampler-independent apart from its lr_limit (sampler_lr_limit).

    SGNS: log(1 + e^{-+x}) = log 2 -+ x/2 + x^2/8 + ..., half the QWEM loss to second order, so its
    gradient near small init is half QWEM's; it gets twice the lr and its times are halved, so that
    both are plotted against the same flow time.
    """
    from sims.simulators.sgd import run_sgd

    speed = 2.0 if loss == "sgns" else 1.0
    phases = [(schedule["lr"], schedule["steps"])]
    if schedule["anneal_steps"]:
        phases.append((schedule["anneal_lr"], schedule["anneal_steps"]))
    parts, w, offset = [], initial, 0.0
    for number, (lr, steps) in enumerate(phases):
        part = run_sgd(stats, prediction, w, speed * lr, steps, loss=loss, seed=seed + number, device=device,
                       record_every=max(1, steps // RECORDS), sampler=sampler, batch=sgd_batch(prediction.size))
        part.times = part.times / speed + offset
        parts.append(part if number == 0 else _drop_first(part))
        w, offset = part.embeddings, float(part.times[-1])
        if part.diverged:
            break
    last = parts[-1]
    return dataclasses.replace(
        last, times=np.concatenate([p.times for p in parts]),
        singular_values=np.concatenate([p.singular_values for p in parts]),
        error=np.concatenate([p.error for p in parts]), loss=np.concatenate([p.loss for p in parts]),
        effective_rank=np.concatenate([p.effective_rank for p in parts]),
        overlap=np.concatenate([p.overlap for p in parts]),
        diverged=any(p.diverged for p in parts))


def gd_schedule(prediction: ClosedForm, initial: np.ndarray, quick: bool = False) -> dict:
    """Full-batch GD: Euler step GD_STEP_FRACTION/c (stable for < 2/c), to 1.5x the last QR step time."""
    lam1 = float(prediction.learned_eigenvalues[0])
    # Real M* has a large negative eigenvalue (-2 at every unseen pair), which can be stiffer than lambda_1.
    lr = (QUICK_STEP_FRACTION if quick else GD_STEP_FRACTION) / prediction.stiffest_rate
    step_times = prediction.random_step_times(initial)
    t_end = TRAIN_TIME_FACTOR * float(np.max(step_times))
    steps = min(int(math.ceil(t_end / lr)), QUICK_MAX_STEPS if quick else MAX_STEPS)
    return {"lr": lr, "steps": steps, "flow_step": lr, "t_needed": t_end, "t_end": steps * lr, "h": lr * lam1,
            "predicted_step_times": step_times, "anneal_steps": 0, "anneal_lr": lr, "lr_limit": np.inf,
            "modes_reached": int(np.count_nonzero(step_times <= steps * lr))}


def sgns_flow_gradient(w, target):
    """The exact expected SGNS gradient under Setting 3.1, k = 1 (torch tensors): 1/2 (4 sigma(WW^T) - 2 - M*) W.

    dL/dx_ij = Psi (P_iP_j sigma(x) - P_ij sigma(-x)) = sigma(x) - P_ij/(P_ij + P_iP_j) = A_ij with
    P/(P + P_iP_j) = (2 + M*)/4, and grad_W = (A + A^T) W = 2 A W. Since 4A = WW^T - M* + O(x^3), GD
    with it at flow time t = lr * steps follows QWEM's dW/dt = -1/2 (WW^T - M*) W to leading order.
    """
    import torch

    return 0.5 * ((4.0 * torch.sigmoid(w @ w.T) - 2.0 - target) @ w)


def train_gd(prediction: ClosedForm, initial: np.ndarray, schedule: dict, *, loss: str = "qwem",
             device: str = "auto") -> SimulationResult:
    """Full-batch GD on the exact expected loss (Setting 3.1, k = 1), in flow time t = lr * steps.

    qwem: sims.simulators.gd.run_gd, W <- W - lr 1/2 (WW^T - M*) W.
    sgns: the expected SGNS gradient under Setting 3.1 is (A + A^T) W with A = sigma(WW^T) - P/(P + P_iP_j)
    = sigma(WW^T) - (2 + M*)/4; 4A = WW^T - M* + O(x^3), so W <- W - lr 1/2 (4 sigma(WW^T) - 2 - M*) W
    is the SGNS flow in the same time units as QWEM's (they agree to second order at small init).
    """
    from sims.simulators.device import resolve_device
    from sims.simulators.gd import run_gd

    record_every = max(1, schedule["steps"] // RECORDS)
    if loss == "qwem":
        return run_gd(prediction, initial, schedule["lr"], schedule["steps"], record_every=record_every,
                      dtype="float32", device=device)
    import torch

    dev = resolve_device(device)
    target = torch.as_tensor(prediction.target, dtype=torch.float32, device=dev)
    w = torch.as_tensor(initial, dtype=torch.float32, device=dev).clone()
    lr = schedule["lr"]
    recorder = Recorder(prediction)
    recorder.measure(0.0, initial)
    diverged = False
    for step in range(1, schedule["steps"] + 1):
        w_next = w - lr * sgns_flow_gradient(w, target)
        if not bool(torch.isfinite(w_next).all()):
            diverged = True
            break
        w = w_next
        if step % record_every == 0 or step == schedule["steps"]:
            recorder.measure(step * lr, w.double().cpu().numpy())
    final = w.double().cpu().numpy()
    return recorder.result("gd-sgns", final, str(dev), converged=not diverged, diverged=diverged, lr=lr)


def _drop_first(result: SimulationResult) -> SimulationResult:
    """A continuation run re-records its starting W: drop that duplicate sample."""
    return dataclasses.replace(result, times=result.times[1:], singular_values=result.singular_values[1:],
                               error=result.error[1:], loss=result.loss[1:],
                               effective_rank=result.effective_rank[1:], overlap=result.overlap[1:])


def init_scale(prediction: ClosedForm) -> float:
    """sigma with sigma^2 V = INIT_FRACTION * lambda_d (the smallest learned eigenvalue)."""
    return math.sqrt(INIT_FRACTION * float(prediction.learned_eigenvalues[-1]) / prediction.size)


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


def run_study(corpus: str | Path | None, *, vocab: int = 2000, dim: int = 50, window: int = 16, out_dir: Path,
              seed: int = 0, device: str = "auto", quick: bool = False, progress: bool = False,
              trainer: str = "auto") -> dict:
    """Build the six embeddings on one corpus, evaluate them, write figures to `out_dir`; JSON-able summary.

    trainer: "sgd" (sims.simulators.sgd.run_sgd with the entry sampler, SGD_SAMPLER), "gd" (full batch, exact
    expected gradient) or "auto" (= "sgd" at every V).
    """
    check_dim(dim, vocab)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()

    _log(progress, "counting co-occurrences")
    t0 = time.perf_counter()
    counted: CorpusStatistics = corpus_statistics(corpus, vocab, window)
    stats = counted.cooccurrence()
    timings["count_s"] = time.perf_counter() - t0
    timings["count_cached"] = counted.cached

    _log(progress, "eigendecompositions (M*, PPMI, PMI)")
    t0 = time.perf_counter()
    target = target_matrix(stats)
    prediction = closed_form(target, dim)
    timings["eigensolve_mstar_s"] = time.perf_counter() - t0
    embeddings: dict[str, np.ndarray | None] = {"pca_mstar": prediction.embeddings}
    t0 = time.perf_counter()
    embeddings["pca_ppmi"] = closed_form(ppmi(stats), dim).embeddings
    embeddings["pca_pmi"] = closed_form(pmi_zero_filled(stats), dim).embeddings
    timings["eigensolve_pmi_ppmi_s"] = time.perf_counter() - t0

    notes: list[str] = []
    trained: dict = {}
    if trainer not in ("auto", "sgd", "gd"):
        raise InputError(f"trainer must be auto, sgd or gd, got {trainer!r}")
    method = "sgd" if trainer == "auto" else trainer
    sigma = init_scale(prediction)
    initial = random_init(vocab, dim, sigma, seed)
    if method == "sgd":
        # SGNS runs at twice the lr (train_sgd), so its stability limit binds the shared schedule.
        schedule = sgd_schedule(prediction, initial, quick, lr_limit=sampler_lr_limit(stats) / 2.0)
    else:
        schedule = gd_schedule(prediction, initial, quick)
    if schedule["modes_reached"] < prediction.learned_modes:
        notes.append(f"{method.upper()} lr {schedule['lr']:.3g} (capped by stability) for {schedule['steps']} steps "
                     f"reaches flow time {schedule['steps'] * schedule['flow_step']:.3g} of the "
                     f"{schedule['t_needed']:.3g} needed: about {schedule['modes_reached']} of "
                     f"{prediction.learned_modes} modes.")
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
        embeddings[name] = result.embeddings

    _log(progress, "training word2vec (gensim)")
    t0 = time.perf_counter()
    documents = in_vocabulary_documents(corpus, counted.vocab)
    epochs = 2 if quick else int(min(50, max(5, math.ceil(WORD2VEC_TOKEN_PASSES / max(counted.kept_tokens, 1)))))
    try:
        embeddings["word2vec"] = train_word2vec(documents, counted.vocab, dim, window, seed, epochs)
    except ImportError:  # pragma: no cover - gensim is a dependency
        embeddings["word2vec"] = None
        notes.append("gensim is not installed: word2vec row skipped.")
    timings["word2vec_train_s"] = time.perf_counter() - t0

    _log(progress, "evaluating")
    t0 = time.perf_counter()
    index = counted.index
    questions = load_analogies(index)
    pairs = load_wordsim(index)
    analogy = {m: (None if embeddings[m] is None else analogy_accuracy(embeddings[m], questions)) for m in MODELS}
    wordsim = {m: (None if embeddings[m] is None else wordsim_spearman(embeddings[m], pairs)) for m in MODELS}
    k = min(OVERLAP_DIRECTIONS, prediction.learned_modes)
    k_summary = min(OVERLAP_SUMMARY, k)
    reference = prediction.spectrum.eigenvectors[:, :k]
    bases = {m: orthonormal_basis(embeddings[m], k) for m in MODELS if embeddings[m] is not None}
    overlap = {f"{m}~pca_mstar": subspace_overlap(reference, bases[m], k_summary)
               for m in MODELS if m != "pca_mstar" and m in bases}
    for a, b in (("qwem", "sgns"), ("sgns", "word2vec")):
        if a in bases and b in bases:
            overlap[f"{a}~{b}"] = subspace_overlap(bases[a], bases[b], k_summary)
    words = top_words(reference, counted.vocab)
    timings["evaluation_s"] = time.perf_counter() - t0

    _log(progress, "figures")
    t0 = time.perf_counter()
    figures = write_figures(out_dir, prediction, trained, initial, sigma, reference, bases, k, analogy, wordsim,
                            method)
    timings["figures_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - start

    summary = {
        "corpus": counted.source, "tokens": counted.tokens, "kept_tokens": counted.kept_tokens,
        "documents": counted.documents, "vocab": vocab, "dim": dim, "window": window,
        "questions": len(questions), "questions_in_file": questions.total,
        "wordsim_pairs": len(pairs), "analogy": analogy, "wordsim": wordsim,
        "overlap": overlap, "overlap_directions": k_summary, "top_words": words,
        "eigenvalues": [float(x) for x in prediction.eigenvalues[: min(len(prediction.eigenvalues), 2 * dim)]],
        "training": {"method": method, "batch": sgd_batch(vocab) if method == "sgd" else None, "init_scale": sigma, "lr": schedule["lr"], "steps": schedule["steps"],
                     "anneal_lr": schedule["anneal_lr"], "anneal_steps": schedule["anneal_steps"],
                     "flow_time": schedule["t_end"], "flow_time_needed": schedule["t_needed"],
                     "flow_step_x_lambda1": schedule["h"], "modes_reached": schedule["modes_reached"],
                     "final_effective_rank": {m: int(r.effective_rank[-1]) for m, r in trained.items()},
                     "word2vec_epochs": epochs, "seed": seed, "device": device, "quick": quick,
                     "final_overlap": {m: float(r.overlap[-1]) for m, r in trained.items()}},
        "timings": {key: (round(v, 3) if isinstance(v, float) else v) for key, v in timings.items()},
        "figures": figures, "notes": notes,
    }
    summary["markdown"] = markdown_section(summary)
    return summary


def write_figures(out_dir: Path, prediction: ClosedForm, trained: dict, initial: np.ndarray, sigma: float,
                  reference: np.ndarray, bases: dict, k: int, analogy: dict, wordsim: dict,
                  method: str = "sgd") -> list[str]:
    """Dynamics vs closed form, subspace-overlap heatmaps (paper Fig. 5), scores bar chart; file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    if "qwem" in trained:
        qwem = trained["qwem"]
        tau1 = float(prediction.characteristic_times(sigma)[0])
        shown = min(10, prediction.learned_modes)
        strengths = prediction.random_initial_strengths(initial)
        fine = np.linspace(0.0, float(qwem.times[-1]), 400)
        predicted = prediction.trajectory(fine, strengths)
        how = "entry-sampled SGD" if method == "sgd" else "full-batch GD"
        panels = [("qwem", f"QWEM ({how}) vs closed form")]
        if "sgns" in trained:
            extra = ", 2x lr" if method == "sgd" else ""
            panels.append(("sgns", f"SGNS ({how}, tied{extra}) vs QWEM theory"))
        fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.4), squeeze=False)
        colours = plt.cm.viridis(np.linspace(0, 0.9, shown))
        for ax, (name, title) in zip(axes[0], panels):
            result = trained[name]
            for j in range(shown):
                ax.plot(result.times / tau1, result.singular_values[:, j] ** 2, color=colours[j], lw=1.6,
                        label="measured" if j == 0 else None)
                ax.plot(fine / tau1, predicted[:, j], color=colours[j], ls="--", lw=1.0,
                        label="theory (QR predictor)" if j == 0 else None)
            ax.set_xlabel(r"rescaled time $t/\tau_1$")
            ax.set_ylabel(r"squared singular value $s_k^2$")
            ax.set_title(f"{title}\ntop {shown} modes")
            ax.legend(loc="upper left")
        fig.tight_layout()
        fig.savefig(out_dir / "realtext_dynamics.png", dpi=110)
        plt.close(fig)
        files.append("realtext_dynamics.png")

    heat = [m for m in ("qwem", "sgns", "word2vec", "pca_ppmi") if m in bases]
    if heat:
        fig, axes = plt.subplots(1, len(heat), figsize=(3.6 * len(heat) + 1.0, 3.9), squeeze=False,
                                 layout="constrained")
        for ax, name in zip(axes[0], heat):
            # extent puts direction 1 at the first cell, matching the 1-based names v_1, v_2, ...
            image = ax.imshow(overlap_matrix(reference, bases[name], k), vmin=0, vmax=1, cmap="magma",
                              extent=(0.5, k + 0.5, k + 0.5, 0.5))
            ax.set_title(f"{LABELS[name]}\nvs M* eigenvectors")
            ax.set_xlabel(f"{name} singular direction j")
            ax.set_ylabel("M* eigenvector i")
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=r"$(v_i \cdot u_j)^2$")
        fig.savefig(out_dir / "realtext_overlap.png", dpi=110)
        plt.close(fig)
        files.append("realtext_overlap.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    for ax, scores, title, ylabel in ((axes[0], analogy, "Google analogies (3CosAdd)", "accuracy"),
                                      (axes[1], wordsim, "WordSim-353", r"Spearman $\rho$")):
        names = [m for m in MODELS if scores.get(m) is not None]
        ax.bar(range(len(names)), [scores[m] for m in names], color="tab:blue")
        ax.set_xticks(range(len(names)), [LABELS[m] for m in names], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out_dir / "realtext_scores.png", dpi=110)
    plt.close(fig)
    files.append("realtext_scores.png")
    return files


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def markdown_section(summary: dict) -> str:
    """The report section: settings, results table, overlaps, top words along M*'s directions, timings."""
    t = summary["timings"]
    lines = [
        "## Real text",
        "",
        f"Corpus `{Path(summary['corpus']).name}`: {summary['tokens']:,} tokens "
        f"({summary['kept_tokens']:,} in the top-{summary['vocab']} vocabulary), {summary['documents']:,} documents; "
        f"V = {summary['vocab']}, d = {summary['dim']}, window L = {summary['window']} per side, k = 1.",
        f"Analogies: {summary['questions']} of {summary['questions_in_file']} Google questions have all four words "
        f"in the vocabulary (3CosAdd on unit vectors, query words excluded). "
        f"WordSim-353: {summary['wordsim_pairs']} in-vocabulary pairs.",
        "",
        "| embedding | analogy accuracy | WordSim ρ |",
        "|---|---|---|",
    ]
    for m in MODELS:
        lines.append(f"| {LABELS[m]} | {_fmt(summary['analogy'][m], True)} | {_fmt(summary['wordsim'][m])} |")
    lines += ["", f"Subspace overlaps ‖A_k^T B_k‖²/k over the top k = {summary['overlap_directions']} directions "
                  "(1 = same subspace):", ""]
    lines += [f"- {pair}: {value:.3f}" for pair, value in summary["overlap"].items()]
    lines += ["", "Top words along M*'s leading eigenvectors (largest + / − coordinates):", ""]
    for key, side in summary["top_words"].items():
        lines.append(f"- {key} (+): {', '.join(side['positive'])}; (−): {', '.join(side['negative'])}")
    tr = summary["training"]
    if tr["method"] == "sgd":
        how = (f"SGD on uniformly sampled entries with their exact pair terms (sims.simulators.sgd, sampler=\"{SGD_SAMPLER}\"; "
               f"batch {sgd_batch(summary['vocab'])}), lr = {tr['lr']:.3g} for {tr['steps']} steps then lr/{ANNEAL:g} for "
               f"{tr['anneal_steps']} steps (SGNS at twice the lr)")
    else:
        how = (f"full-batch GD on the exact expected loss, lr = {tr['lr']:.3g} for {tr['steps']} steps "
               "(trainer=\"gd\")")
    lines += ["", f"Training from small random init (σ = {tr['init_scale']:.3g}): {how}; flow time "
                  f"{tr['flow_time']:.3g} (step {tr['flow_step_x_lambda1']:.3g}/λ₁); word2vec "
                  f"{tr['word2vec_epochs']} epochs.",
              "Timings (s): " + ", ".join(f"{k} {v}" for k, v in t.items()),
              "",
              "Conventions: PMI is set to 0 where P_ij = 0 before its PCA; gensim has no tied weights "
              "(we evaluate its centre vectors) and runs with sample=0, ns_exponent=1 to match P_ij / P_iP_j."]
    lines += [f"Note: {n}" for n in summary["notes"]]
    return "\n".join(lines) + "\n"
