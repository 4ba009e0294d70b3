"""`w2v-theory report`: the theory shown and checked in one command (figures, claims table, summary.json)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import numpy as np

from sims.commands._common import (add_source_arguments, load_problem, nonnegative_int, positive_float,
                                   positive_int)
from sims.simulators.device import DEVICES, resolve_device
from sims.io import check_output_dir, staged_output
from theory.validation import InputError, check_dim

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
  w2v-theory report --quick --out /tmp/r             # a ~20 s smoke run (V = 60, d = 4)
  w2v-theory report --matrix M.npy --dim 4 --methods ode,gd
  w2v-theory report --corpus text8.txt --vocab 2000 --window 16   # adds the real-text study
  w2v-theory report --corpus-demo                                 # the same on a small shipped corpus
"""
DEFAULT_OUT = "w2v-report"
# An earlier report in --out (this file present) is replaced as a whole; any other non-empty folder is refused.
REPORT_MARKER = "summary.json"
REALTEXT_DIM = 50
REALTEXT_VOCAB = 2000
DEMO_VOCAB = 1000  # the demo corpus has ~60k tokens: a larger vocabulary would be mostly singletons


def add_arguments(parser) -> None:
    from sims.pipelines.report.scenario import DEFAULT_INIT_SCALE, PROBLEM

    add_source_arguments(parser, required=False)
    parser.add_argument("--dim", "-d", type=int, default=None, metavar="d",
                        help=f"embedding dimension d, 1 <= d < V (default {PROBLEM['dim']}, or V - 1 if smaller)")
    # The report's own defaults: a tiny sigma makes the steps separate (see sims/pipelines/report/run.py).
    parser.add_argument("--init-scale", type=positive_float, default=None, metavar="SIGMA",
                        help=f"initialisation scale sigma (default {DEFAULT_INIT_SCALE:g})")
    parser.add_argument("--seed", type=nonnegative_int, default=0, metavar="S",
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
    parser.add_argument("--vocab", type=positive_int, default=None, metavar="V",
                        help="real-text vocabulary size (with --corpus; default 2000, 1000 for --corpus-demo)")
    parser.add_argument("--window", type=positive_int, default=16, metavar="L",
                        help="real-text window per side (with --corpus; default 16)")


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
    realtext = None
    if args.corpus or args.corpus_demo:
        if args.corpus and not Path(args.corpus).is_file():
            raise InputError(f"--corpus {args.corpus!r} does not exist or is not a file")
        realtext = _realtext_module()
    elif args.vocab is not None or args.window != 16:
        raise InputError("--vocab and --window only apply with --corpus or --corpus-demo")
    # With a corpus, --dim is the real-text d; the synthetic problem keeps its default.
    synthetic_dim = None if realtext is not None else args.dim
    if args.matrix or args.cooccurrence:
        problem = load_problem(args)
        scenario = build_scenario(target=problem.target, stats=problem.stats, dim=synthetic_dim,
                                  init_scale=args.init_scale, seed=args.seed, quick=args.quick,
                                  source=problem.source, negatives=args.negatives)
    else:
        scenario = build_scenario(dim=synthetic_dim, init_scale=args.init_scale, seed=args.seed, quick=args.quick)
    check_dim(scenario.dim, scenario.target.shape[0])
    return scenario, methods, realtext


def run(args) -> int:
    from sims.pipelines.report.markdown import write_report
    from sims.pipelines.report.run import run_report

    scenario, methods, realtext = validate(args)
    progress = sys.stderr.isatty()
    report = run_report(scenario, methods=methods, lr=args.lr, device=args.device, quick=args.quick,
                        progress=progress)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    command = reproduce_command(args, scenario, methods)
    with staged_output(args.out, replace_marker=REPORT_MARKER) as staging:
        if realtext is not None:
            report.realtext = realtext.run_study(args.corpus, vocab=_vocab(args), dim=args.dim or REALTEXT_DIM,
                                                 window=args.window, out_dir=staging, seed=scenario.seed,
                                                 device=args.device, quick=args.quick, progress=progress)
        write_report(report, staging, svg=args.svg, command=command)
    _print_summary(report, Path(args.out) / "report.md")
    return 1 if report.failed else 0


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
        parts += ["--cooccurrence", args.cooccurrence, "--negatives", f"{args.negatives:g}"]
    if not (args.corpus or args.corpus_demo):  # with a corpus, --dim is the real-text d (added below)
        parts += ["--dim", str(scenario.dim)]
    parts += ["--init-scale", f"{scenario.init_scale:g}", "--seed", str(scenario.seed),
              "--methods", ",".join(methods), "--device", args.device]
    if args.lr is not None:
        parts += ["--lr", f"{args.lr:g}"]
    if args.quick:
        parts.append("--quick")
    if args.corpus or args.corpus_demo:
        parts += ["--corpus", args.corpus] if args.corpus else ["--corpus-demo"]
        parts += ["--dim", str(args.dim or REALTEXT_DIM), "--vocab", str(_vocab(args)), "--window", str(args.window)]
    return " ".join(shlex.quote(p) for p in parts)


def _print_summary(report, path: Path) -> None:
    from sims.pipelines.report.claims import simulator_of

    steps = report.step_times
    columns = [m for m in ("ode", "gd", "sgd") if m in steps]
    print(f"problem: {report.parameters['source']} (V = {report.parameters['size']}, d = {report.parameters['dim']}, "
          f"sigma = {report.parameters['init_scale']:g}, seed = {report.parameters['seed']})")
    print(f"{'k':>3} {'lambda_k':>10} {'t_k (QR)':>10} " + " ".join(f"{m:>10}" for m in columns))
    lam = report.prediction.learned_eigenvalues
    for k in range(len(lam)):
        cells = " ".join(f"{steps[m][k]:>10.4g}" if np.isfinite(steps[m][k]) else f"{'never':>10}" for m in columns)
        print(f"{k + 1:>3} {lam[k]:>10.4g} {steps['predicted'][k]:>10.4g} {cells}")
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
