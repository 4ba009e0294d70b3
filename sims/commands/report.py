"""`w2v-theory report`: the theory shown and checked in one command (figures, claims table, summary.json)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import numpy as np

from sims.commands._common import (add_source_arguments, dimension, learnable_prediction, load_problem, negatives,
                                   positive_float, positive_int, seed_int, text_source)
from sims.pipelines.realtext import DEFAULT_DIM as REALTEXT_DIM
from sims.pipelines.realtext import DEFAULT_VOCAB as REALTEXT_VOCAB
from sims.pipelines.realtext import DEFAULT_WINDOW
from sims.simulators.device import DEVICES, resolve_device
from sims.io import check_output_dir, one_line, staged_output
from theory.validation import InputError, check_dim, check_init_scale, check_seed

NAME = "report"
ORDER = 1
HELP = "the whole story on one problem: theory vs ODE, GD and SGD, figures, claims table, summary.json"
DESCRIPTION = """\
Run one problem through the closed-form theory (eigen-truncation, plateaus, QR step-time
predictor), the gradient-flow ODE, full-batch GD and word2vec's pair-sampled SGD, check every
claim against its tolerance (theory/tolerances.py), and write DIR/report.md, DIR/summary.json and
the figures. With no source, the built-in problem is used: a planted co-occurrence model with a
Zipfian unigram (V = 200, d = 8), whose M* has a stepped top spectrum and large negative eigenvalues.

Each claim is the registered claim of the same id that tox checks across generated problems; where
this problem does not satisfy a claim's hypotheses (e.g. steps closer than 8 e-folds) it is reported
as "not applicable" with the hypothesis that fails, never as a failure.

Exit status: 0 every claim held (or was not applicable), 1 a claim failed, 2 bad input (nothing written).

examples:
  w2v-theory report                                  # built-in problem, ./w2v-report/
  w2v-theory report --quick --out /tmp/r             # an ~8 s smoke run (V = 60, d = 4)
  w2v-theory report --matrix M.npy --dim 4 --methods ode,gd
  w2v-theory report --corpus text8.txt --vocab 2000 --window 16   # adds the real-text study
  w2v-theory report --corpus-demo                                 # the same on a small shipped corpus
  w2v-theory report --counts counts.npz --dim 200                 # the study from `w2v-theory count`'s file
"""
DEFAULT_OUT = "w2v-report"
# An earlier report in --out (this file present) is replaced as a whole; any other non-empty folder is refused.
REPORT_MARKER = "summary.json"
DEMO_VOCAB = 1000  # the demo corpus has ~60k tokens: a larger vocabulary would be mostly singletons


def add_arguments(parser) -> None:
    from sims.pipelines.report.scenario import DEFAULT_INIT_SCALE, PROBLEM

    add_source_arguments(parser, required=False)
    parser.add_argument("--dim", "-d", type=dimension, default=None, metavar="d",
                        help=f"embedding dimension d, 1 <= d < V (default {PROBLEM['dim']}, or V - 1 if smaller)")
    # The report's own defaults: a tiny sigma makes the steps separate (see sims/pipelines/report/run.py).
    parser.add_argument("--init-scale", type=positive_float, default=None, metavar="SIGMA",
                        help=f"initialisation scale sigma (default {DEFAULT_INIT_SCALE:g})")
    parser.add_argument("--seed", type=seed_int, default=0, metavar="S",
                        help="seed of W_ij(0) ~ N(0, sigma^2) and of the SGD samples (default 0)")
    parser.add_argument("--lr", type=positive_float, default=None, metavar="ETA",
                        help="GD learning rate = flow time per step (default 0.2 / lambda_1, a tenth of GD's stability "
                             "limit 2 / lambda_1); SGD takes the same flow step (its lr is ETA / 2)")
    parser.add_argument("--device", default="auto", choices=DEVICES, help="torch device for GD and SGD (default auto)")
    parser.add_argument("--methods", default="ode,gd,sgd", metavar="LIST",
                        help="comma list of simulators among ode, gd, sgd (default all)")
    parser.add_argument("--quick", action="store_true",
                        help="seconds-long smoke run (smaller problem, smaller batches)")
    parser.add_argument("--svg", action="store_true", help="also write every figure as SVG")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default ./{DEFAULT_OUT})")
    corpus = parser.add_mutually_exclusive_group()
    corpus.add_argument("--corpus", metavar="FILE",
                        help="also run the real-text study (THEORY §5) on this plain-text corpus; --dim then sets "
                             f"its d (default {REALTEXT_DIM}), the synthetic part keeps its own")
    corpus.add_argument("--corpus-demo", action="store_true",
                        help="the real-text study on the small English corpus shipped with gensim (Lee, ~60k tokens): "
                             "a quick demonstration; its scores are too noisy to rank the methods")
    corpus.add_argument("--counts", metavar="FILE.npz",
                        help="the real-text study from counts written by `w2v-theory count` instead of a corpus "
                             "(V and L are the file's; word2vec and the corpus-size sweep need text: skipped)")
    parser.add_argument("--vocab", type=positive_int, default=None, metavar="V",
                        help=f"real-text vocabulary size (with --corpus; default {REALTEXT_VOCAB}, {DEMO_VOCAB} for "
                             "--corpus-demo)")
    parser.add_argument("--window", type=positive_int, default=None, metavar="L",
                        help=f"real-text window per side (with --corpus; default {DEFAULT_WINDOW})")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress on stderr (by default a bar on a terminal, a line every 30 s in a log)")


def _realtext_module():
    try:
        import sims.pipelines.realtext.run as realtext
    except ImportError as exc:
        raise InputError(f"--corpus needs the real-text study (sims.pipelines.realtext.run), which cannot be imported: "
                         f"{exc}") from None
    return realtext


def validate(args):
    """Every input check that can fail, before any work or any output: returns (scenario, methods, realtext)."""
    from sims.pipelines.report.scenario import build_scenario, parse_simulators

    methods = parse_simulators(args.methods)
    check_output_dir(args.out, REPORT_MARKER)
    resolve_device(args.device)
    if args.dim is not None and (isinstance(args.dim, bool) or args.dim < 1):
        raise InputError(f"dimension d={args.dim} must be >= 1")
    corpus = args.corpus or args.corpus_demo or args.counts
    # SGD's annealed phase uses seed + 1; gensim's word2vec (real text) a 32-bit seed.
    check_seed(args.seed, rngs=("numpy", "torch", "gensim") if corpus else ("numpy", "torch"), offset=1)
    realtext = None
    if corpus:
        realtext = _realtext_module()
    elif args.vocab is not None or args.window is not None:
        raise InputError("--vocab and --window only apply with --corpus, --corpus-demo or --counts")
    k = negatives(args)
    # With a corpus, --dim is the real-text d; the synthetic problem keeps its default.
    synthetic_dim = None if realtext is not None else args.dim
    if args.matrix or args.cooccurrence:
        problem = load_problem(args)
        scenario = build_scenario(target=problem.target, stats=problem.stats, dim=synthetic_dim,
                                  init_scale=args.init_scale, seed=args.seed, quick=args.quick,
                                  source=problem.source, negatives=k)
        check_dim(scenario.dim, scenario.target.shape[0])
        learnable_prediction(problem, scenario.dim)
    else:
        scenario = build_scenario(dim=synthetic_dim, init_scale=args.init_scale, seed=args.seed, quick=args.quick)
        check_dim(scenario.dim, scenario.target.shape[0])
    # SGD runs in float32 (sims.simulators.sgd's default), GD and the ODE in float64.
    dtype = "float32" if "sgd" in methods and scenario.stats is not None else "float64"
    check_init_scale(scenario.init_scale, scenario.target.shape[0], scenario.dim, dtype)
    if args.lr is not None:
        # ||M*||_2 <= V max|M*_ij|: lr lam_1 (GD's stability parameter) and every flow time must stay finite.
        bound = args.lr * float(np.max(np.abs(scenario.target))) * scenario.target.shape[0]
        if not np.isfinite(bound) or bound > 1e100:
            raise InputError(f"--lr {args.lr:g} is too large for this M*: lr x lam_1 would reach {bound:.3g}")
    if realtext is not None:
        _check_corpus(args)
    return scenario, methods, realtext


# How much of a corpus is read to tell text from binary data.
CORPUS_SNIFF_BYTES = 1 << 16


def _check_corpus(args) -> None:
    """The real-text inputs, checked (and counted: the counts are cached for the study) before any work."""
    if args.counts:
        _check_counts(args)
        return
    vocab, dim = _vocab(args), args.dim or REALTEXT_DIM
    if vocab < 2:
        raise InputError(f"--vocab V={vocab} must be >= 2")
    if not 1 <= dim < vocab:
        raise InputError(f"--dim d={dim} must satisfy 1 <= d < --vocab V={vocab} for the real-text study")
    if args.corpus:
        path = Path(args.corpus)
        try:
            if not path.is_file():
                raise InputError(f"--corpus {one_line(repr(args.corpus))} does not exist or is not a file")
            with open(path, "rb") as handle:
                head = handle.read(CORPUS_SNIFF_BYTES)
        except OSError as exc:
            raise InputError(f"--corpus {one_line(repr(args.corpus))} cannot be read ({exc.strerror or exc})") from None
        if b"\x00" in head:
            raise InputError(f"--corpus {one_line(repr(args.corpus))} is binary data (NUL bytes), not text")
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
                raise InputError(f"--corpus {one_line(repr(args.corpus))} is not UTF-8 text (invalid byte at "
                                 f"{exc.start})") from None
    from sims.corpus import corpus_statistics

    stats = corpus_statistics(args.corpus if args.corpus else None, vocab, _window(args)).cooccurrence()
    _check_target(stats, dim, vocab)


def _check_target(stats, dim: int, vocab: int) -> None:
    """The study's M* must have a mode to learn among its top d (its eigensolve is cached for the study)."""
    from sims.commands._common import COOCCURRENCE_ROUNDING
    from theory.predictions import closed_form
    from theory.target import target_matrix
    from theory.validation import check_learnable

    check_learnable(closed_form(target_matrix(stats), dim), "the corpus's M*",
                    COOCCURRENCE_ROUNDING * vocab * float(np.finfo(np.float64).eps))


def _check_counts(args) -> None:
    """--counts: the file loads and validates (sims.data.counts_file), agrees with --vocab / --window if given, and
    its M* has a mode to learn."""
    source = text_source(None, args.counts, args.vocab, args.window, REALTEXT_VOCAB)
    counted, size = source.counted, source.vocab
    dim = args.dim or REALTEXT_DIM
    if not 1 <= dim < size:
        raise InputError(f"--dim d={dim} must satisfy 1 <= d < V={size} for the real-text study")
    _check_target(counted.cooccurrence(), dim, size)


def run(args) -> int:
    from sims.pipelines.report.markdown import write_report
    from sims.pipelines.report.run import run_report

    scenario, methods, realtext = validate(args)
    progress = not args.no_progress
    report = run_report(scenario, methods=methods, lr=args.lr, device=args.device, quick=args.quick,
                        progress=progress)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    command = reproduce_command(args, scenario, methods)
    with staged_output(args.out, replace_marker=REPORT_MARKER) as staging:
        if realtext is not None:
            report.realtext = realtext.run_study(args.corpus, vocab=None if args.counts else _vocab(args),
                                                 dim=args.dim or REALTEXT_DIM, counts=args.counts,
                                                 window=None if args.counts else _window(args), out_dir=staging, seed=scenario.seed,
                                                 device=args.device, quick=args.quick, progress=progress)
        write_report(report, staging, svg=args.svg, command=command)
    _print_summary(report, Path(args.out) / "report.md")
    return 1 if report.failed else 0


def _window(args) -> int:
    return DEFAULT_WINDOW if args.window is None else args.window


def _vocab(args) -> int:
    if args.vocab is not None:
        return args.vocab
    return DEMO_VOCAB if args.corpus_demo else REALTEXT_VOCAB


def reproduce_command(args, scenario, methods) -> str:
    """The command line that reproduces this run, with every default that matters made explicit."""
    parts = ["w2v-theory", "report"]
    if args.matrix:
        parts += ["--matrix", args.matrix]
    elif args.cooccurrence:
        parts += ["--cooccurrence", args.cooccurrence, "--negatives", f"{negatives(args):g}"]
    if not (args.corpus or args.corpus_demo or args.counts):  # with a corpus, --dim is the real-text d (below)
        parts += ["--dim", str(scenario.dim)]
    parts += ["--init-scale", f"{scenario.init_scale:g}", "--seed", str(scenario.seed),
              "--methods", ",".join(methods), "--device", args.device]
    if args.lr is not None:
        parts += ["--lr", f"{args.lr:g}"]
    if args.quick:
        parts.append("--quick")
    if args.counts:
        parts += ["--counts", args.counts, "--dim", str(args.dim or REALTEXT_DIM)]
    elif args.corpus or args.corpus_demo:
        parts += ["--corpus", args.corpus] if args.corpus else ["--corpus-demo"]
        parts += ["--dim", str(args.dim or REALTEXT_DIM), "--vocab", str(_vocab(args)), "--window", str(_window(args))]
    return " ".join(shlex.quote(p) for p in parts)


def _print_summary(report, path: Path) -> None:
    from sims.pipelines.report.claims import simulator_of
    from sims.pipelines.report.markdown import column_title, step_cell

    steps = report.step_times
    columns = [m for m in ("ode", "gd", "sgd") if m in steps]
    width = max([10] + [len(step_cell(report, m, None)) for m in columns])
    print(f"problem: {report.parameters['source']} (V = {report.parameters['size']}, d = {report.parameters['dim']}, "
          f"sigma = {report.parameters['init_scale']:g}, seed = {report.parameters['seed']})")
    print(f"{'k':>3} {'lambda_k':>10} {'t_k (QR)':>10} " + " ".join(f"{column_title(report, m):>{width}}"
                                                                    for m in columns))
    lam = report.prediction.learned_eigenvalues
    for k in range(len(lam)):
        cells = " ".join(f"{step_cell(report, m, steps[m][k]):>{width}}" for m in columns)
        print(f"{k + 1:>3} {lam[k]:>10.4g} {step_cell(report, 'predicted', steps['predicted'][k]):>10} {cells}")
    print()
    print(f"{'claim':<14} {'simulator':<9} {'measured':>10} {'bound':>10}  status")
    for c in report.claims:
        measured = "-" if c.measurement is None or not np.isfinite(c.measurement.error) else f"{c.measurement.error:.3g}"
        bound = "-" if c.bound is None or not np.isfinite(c.bound) else f"{c.bound:.3g}"
        why = f": {c.reason}" if c.status != "pass" and c.reason else ""
        print(f"{c.claim.id:<14} {simulator_of(c.claim.id):<9} {measured:>10} {bound:>10}  {c.status}{why}")
    held = sum(c.status == "pass" for c in report.claims)
    print(f"\n{held} held, {len(report.failed)} failed, "
          f"{sum(c.status == 'not applicable' for c in report.claims)} not applicable; report: {path}")
