"""`w2v-theory realtext`: the real-text study (THEORY §5, §7) on a corpus or a counts file, stages cached."""

from __future__ import annotations

import sys
from pathlib import Path

from sims.commands._common import dimension, positive_int, seed_int, text_source
from sims.pipelines.realtext import DEFAULT_DIM, DEFAULT_VOCAB, DEFAULT_WINDOW, SIZES_TEXT
from sims.simulators.device import DEVICES

NAME = "realtext"
ORDER = 45
HELP = "the real-text study: closed form vs PPMI, both PMIs, QWEM, SGNS, word2vec on nine benchmarks"
DEFAULT_OUT = "w2v-realtext"
MARKER = "summary.json"
DESCRIPTION = """\
Count a corpus's windowed co-occurrences (THEORY §1; or read them from `w2v-theory count`'s FILE.npz),
build the embeddings below at dimension d, score each on every evaluation set, and write DIR/report.md,
DIR/summary.json and the figures. Rows (--models, comma list; default all):

  closed-form  PCA of M*: W = V_d Λ_d^{1/2}, the closed form of trained QWEM (Theorem 1)
  ppmi         PCA of PPMI = max(PMI, 0)
  pmi          PCA of PMI with 0 where P_ij = 0 (the suite's baseline; stronger than the paper's)
  pmi-paper    PCA of the paper's PMI, ln(P_ij/(P_iP_j) + 1e-25): -57.6 wherever a pair is unseen
  qwem         QWEM trained from small init under Setting 3.1 (default: full-batch GD on the exact
               expected loss; --trainer sgd: entry-sampled SGD), until 1.5x the last predicted step time
  sgns         SGNS (the logistic loss, tied weights), the same trainer
  word2vec     gensim's skip-gram, one negative, untied (needs the corpus text, not a counts file)
  glove-closed-form  PCA of GloVe's uniform-weight target C = J log(1 + X) J (J centres; THEORY §7)
  glove        GloVe trained from small init: its weights f(X) on observed pairs, tied, optimal biases
  groups: all, count (= no-training: the four PCA rows)

Evaluation sets, all read from installed package data (no network): Google analogies (overall, per
family, semantic/syntactic), MSR analogies, WordSim-353 and its similarity/relatedness splits,
SimLex-999, MEN, Stanford Rare Words, MTurk-287; each score is reported with its coverage (questions
or pairs in the vocabulary). Analogies: 3CosAdd on unit vectors, query words excluded; similarity:
Spearman rho of cosines.

Also: every count-based row (and word2vec) against corpus size (--sizes fractions of the documents,
spread evenly over the corpus, or its first ones with --size-order prefix), and rank as
early stopping (THEORY §7): the closed form truncated at rank k = 1..d next to trained QWEM at the
records where its effective rank is k (figures realtext_corpus_size.png, realtext_rank.png).

Every stage (counts, each spectrum, each trained model, each prefix) is cached as .npz under
$W2V_THEORY_CACHE/realtext (default ~/.cache/w2v-theory), keyed by its inputs, validated on load; a
rerun with the same arguments reuses them (--no-cache recomputes). Progress: one line per stage on
stderr (--no-progress: none).

Spectra: M*'s in float64 (LAPACK evr; from V = 4000 the two-stage solver, theory.topk "band": BLAS-3
reduction to a band, Lanczos on the band, each residual checked against 1e-8 ||M||_2); the baselines' and
every corpus-size subset's in float32 refined by a float64 Rayleigh-Ritz step (theory.topk "float32", each
residual checked against V eps_32 ||M||_2), and in float64 from V = 7000, where that is as fast.

Time per stage, measured on this project's 2-core CPU machine, on the 2.58 M-token corpus of
examples/assemble_corpus.py (d = 200, L = 16, fresh cache; a rerun with every stage cached takes seconds):
  V = 5000:  counts 2-5 s; spectra (top 201): M* 4.2-8.7 s, each baseline 3.7-5.8 s; evaluation 0.8-1.3 s;
             corpus-size sweep (default 2 subsets, count-based rows) 39-47 s, ~20-24 s per subset; rank sweep
             2.6-3.8 s; figures 1.7-3.6 s: 63-86 s with --models count (104 s with --sizes 1/8,1/4,1/2,1),
             16 s for a rerun; peak RSS 2.0 GB. Training (full-batch GD): QWEM 164 s, SGNS 517 s, QWEM from
             word2vec's init scale 144 s (the second dynamics figure), GloVe 192 s, word2vec 42 s (+ ~35 s per
             subset).
  V = 10000: counts 10-15 s; spectra (float64) M* 18-28 s, baselines 17-27 s each; evaluation 2-4 s; rank
             sweep 9-17 s: 98-132 s for --models count --sizes none (peak RSS 4.6 GB).
Exit status: 0 done, 2 bad input (one line on stderr; nothing written).

examples:
  w2v-theory realtext corpus.txt --vocab 5000 --dim 200 --models count      # ~65-85 s, no training
  w2v-theory realtext --counts counts.npz --dim 200 --models closed-form,ppmi,pmi,pmi-paper,qwem
  w2v-theory realtext corpus.txt --vocab 5000 --dim 200 --out study/        # every row (training: ~20 min here)
"""


def add_arguments(parser) -> None:
    parser.add_argument("corpus", nargs="*", metavar="CORPUS",
                        help="text files or folders (plain, .gz/.bz2/.xz, Wikipedia XML); default: --counts")
    parser.add_argument("--counts", metavar="FILE.npz", default=None,
                        help="counts written by `w2v-theory count` instead of a corpus (word2vec and --sizes "
                             "need the text and are skipped)")
    parser.add_argument("--vocab", type=positive_int, default=None, metavar="V",
                        help=f"vocabulary size (default {DEFAULT_VOCAB}; with --counts, the file's)")
    parser.add_argument("--dim", "-d", type=dimension, default=DEFAULT_DIM, metavar="d",
                        help=f"embedding dimension (default {DEFAULT_DIM})")
    parser.add_argument("--window", type=positive_int, default=None, metavar="L",
                        help=f"window per side (default {DEFAULT_WINDOW}; with --counts, the file's)")
    parser.add_argument("--models", default="all", metavar="LIST", help="rows, comma list (see above; default all)")
    parser.add_argument("--sizes", default=SIZES_TEXT, metavar="LIST",
                        help=f"corpus fractions for the corpus-size sweep (default {SIZES_TEXT}; e.g. "
                             "1/8,1/4,1/2,1; 'none' skips it)")
    parser.add_argument("--size-order", default="spread", choices=("spread", "prefix"),
                        help="corpus-size subsets: documents spread evenly over the corpus (default) or its first ones")
    parser.add_argument("--trainer", default="auto", choices=("auto", "gd", "sgd", "pairs"),
                        help="QWEM/SGNS trainer: full-batch GD on the exact expected loss (gd; auto on a CPU), "
                             "entry-sampled SGD (sgd), or the paper's SGD of 50,000 + 50,000 sampled pairs per step "
                             "(pairs; auto on a CUDA device)")
    parser.add_argument("--seed", type=seed_int, default=0, metavar="S", help="seed of W(0), SGD and word2vec")
    parser.add_argument("--device", default="auto", choices=DEVICES, help="torch device for QWEM/SGNS (default auto)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="counting processes (default: the usable CPUs, at most 4)")
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run (short training)")
    parser.add_argument("--no-cache", action="store_true", help="recompute every stage, cache nothing")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default ./{DEFAULT_OUT})")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")


def validate(args) -> dict:
    """Every check that can fail before any work: returns run_study's keyword arguments."""
    from sims.data.evaluation import check_sets
    from sims.data.parallel import default_workers
    from sims.io import check_output_dir
    from sims.pipelines.realtext.run import parse_models, parse_sizes
    from sims.simulators.device import resolve_device
    from theory.validation import InputError, check_seed

    corpus = args.corpus or None
    check_output_dir(args.out, MARKER)
    source = text_source(corpus, args.counts, args.vocab, args.window, DEFAULT_VOCAB)
    if args.device != "auto":  # "auto" always resolves; importing torch to say so costs seconds
        resolve_device(args.device)
    check_seed(args.seed, rngs=("numpy", "torch", "gensim"), offset=1)
    models, sizes = parse_models(args.models), parse_sizes(args.sizes)
    vocab, window = source.vocab, (DEFAULT_WINDOW if source.window is None else source.window)
    if not 1 <= args.dim < vocab:
        raise InputError(f"--dim d={args.dim} must satisfy 1 <= d < V={vocab}")
    check_sets()
    return dict(vocab=vocab, dim=args.dim, window=window, seed=args.seed, device=args.device, quick=args.quick,
                progress=not args.no_progress, trainer=args.trainer, counts=args.counts, models=models,
                sizes=sizes, cache=not args.no_cache, workers=args.workers or default_workers(),
                size_order=args.size_order)


def run_command(corpus, options: dict, out, staging: Path) -> dict:
    """run_study into `staging` (the caller's staged output folder); the summary."""
    from sims.pipelines.realtext.run import run_study

    return run_study(corpus, out_dir=staging, **options)


def run(args) -> int:
    from sims.io import json_text, staged_output

    options = validate(args)
    corpus = args.corpus or None
    with staged_output(args.out, replace_marker=MARKER) as staging:
        summary = run_command(corpus, options, args.out, staging)
        (staging / "report.md").write_text("# w2v-theory real-text study\n\n" + summary["markdown"], encoding="utf-8")
        (staging / MARKER).write_text(json_text({k: v for k, v in summary.items() if k != "markdown"}),
                                      encoding="utf-8")
    _print_table(summary, Path(args.out))
    return 0


def _print_table(summary: dict, out: Path) -> None:
    from sims.data.evaluation import EVALUATION_SETS

    names = [s for s in EVALUATION_SETS if s.name in summary["coverage"]]
    width = max(len(label) for label in summary["labels"].values())
    print(f"{'':<{width}} " + " ".join(f"{s.name:>9}" for s in names))
    print(f"{'coverage':<{width}} " + " ".join(
        f"{summary['coverage'][s.name]['covered']:>9}" for s in names))
    for m, label in summary["labels"].items():
        cells = []
        for s in names:
            cell = (summary["scores"].get(m) or {}).get(s.name)
            value = None if cell is None else cell["score"]
            cells.append(f"{'n/a':>9}" if value is None else
                         (f"{100 * value:>8.1f}%" if s.kind == "analogy" else f"{value:>9.3f}"))
        print(f"{label:<{width}} " + " ".join(cells))
    t = summary["timings"]
    print(f"total {t['total_s']:.1f} s ({t['cache_hits']} stages from the cache); report: {out / 'report.md'}",
          file=sys.stdout)
