"""`w2v-theory ablation`: the paper's ablation (its Figure 7) on a corpus or counts file: {QWEM, SGNS} x {Setting 3.1, word2vec's Ψ}."""

from __future__ import annotations

import sys
from pathlib import Path

from sims.commands._common import dimension, positive_int, seed_int, text_source
from sims.simulators.device import DEVICES

NAME = "ablation"
ORDER = 46
HELP = "the paper's ablation: QWEM and SGNS under Setting 3.1 and under word2vec's own reweighting, one W(0)"
DEFAULT_OUT = "w2v-ablation"
MARKER = "summary.json"
DESCRIPTION = """\
Count a corpus's windowed co-occurrences (THEORY §1, window L = 16 per side; or read `w2v-theory count`'s
FILE.npz), then train four models from the same small random W(0) by full-batch gradient descent on the
exact population loss (no sampling noise), all in Setting 3.1's flow-time unit:

  QWEM (quartic loss) and SGNS (logistic loss)
  x  Setting 3.1's reweighting Psi+ = Psi- = 1/(P_ij + P_iP_j)  (G constant: the closed form applies)
  x  word2vec's own reweighting (THEORY §7): subsampling t = 1e-5, negatives from P^(3/4), k = 1

and measure each against the Setting-3.1 closed form: its squared singular values over time (with the
closed-form step times), and the overlap ||V_k^T U_k||_F^2 / k of its top-k left singular vectors with
M*'s top-k eigenvectors when its effective rank first reaches k. Writes DIR/ablation_dynamics.png (the
four runs, 2 x 2), DIR/ablation_overlap.png (overlap against k), DIR/report.md, DIR/summary.json (with
the verdict on conjecture C-ABLATION-SETTING31) and DIR/trajectories.npz.

Measured on this project's 2-core CPU machine (idle), the 2.58 M-token corpus of examples/assemble_corpus.py,
the defaults V = 1500, d = 40: 135 s end to end: counting 1 s, spectra 1 s, the runs 9 s (QWEM) and 32 s
(SGNS) under Setting 3.1, 42 s and 43 s under word2vec's Psi (twice the steps: its G^ o M* is stiffer),
figures 1 s; peak RSS 0.7 GB. While torch trains, NumPy's BLAS is held to one thread
(sims.simulators.device.thread_policy): its idle threads otherwise contend with training (11 min before).
The cost grows like V^2 d per step times a number of steps that grows
about like V (lam_1 / lam_d). Exit status: 0 done, 2 bad input (one line on stderr; nothing written).

examples:
  w2v-theory ablation corpus.txt                                  # V = 1500, d = 40
  w2v-theory ablation corpus.txt --vocab 1000 --dim 30 --seed 1 --out abl/
  w2v-theory count corpus.txt --vocab 1500 --out c.npz && w2v-theory ablation --counts c.npz --dim 40
  w2v-theory ablation corpus.txt --vocab 300 --dim 8 --quick      # seconds
"""


def add_arguments(parser) -> None:
    from sims.pipelines.ablation.run import DEFAULT_DIM, DEFAULT_VOCAB

    parser.add_argument("corpus", nargs="*", metavar="CORPUS",
                        help="text files or folders (plain, .gz/.bz2/.xz, Wikipedia XML); or give --counts")
    parser.add_argument("--counts", metavar="FILE.npz", default=None,
                        help="counts written by `w2v-theory count` instead of a corpus")
    parser.add_argument("--vocab", type=positive_int, default=None, metavar="V",
                        help=f"vocabulary size (default {DEFAULT_VOCAB}; with --counts, the file's)")
    parser.add_argument("--dim", "-d", type=dimension, default=DEFAULT_DIM, metavar="d",
                        help=f"embedding dimension (default {DEFAULT_DIM})")
    parser.add_argument("--seed", type=seed_int, default=0, metavar="S", help="seed of W(0) (default 0)")
    parser.add_argument("--device", default="cpu", choices=DEVICES, help="torch device (default cpu)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: GD steps twice as large, a shorter horizon, fewer records")
    parser.add_argument("--svg", action="store_true", help="SVG figures as well as PNG")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default ./{DEFAULT_OUT})")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")


def validate(args) -> dict:
    """Every check that can fail before any work; returns what `run` needs (counts loaded when given)."""
    from sims.io import check_output_dir
    from sims.pipelines.ablation.run import DEFAULT_VOCAB, MAX_VOCAB
    from sims.simulators.device import resolve_device
    from theory.validation import InputError, check_seed

    check_output_dir(args.out, MARKER)
    source = text_source(args.corpus or None, args.counts, args.vocab, None, DEFAULT_VOCAB)
    resolve_device(args.device)
    check_seed(args.seed)
    counted, files, vocab = source.counted, source.files, source.vocab
    if vocab > MAX_VOCAB:
        raise InputError(f"--vocab V={vocab} exceeds {MAX_VOCAB}: the ablation holds ~8 V x V float64 arrays "
                         f"({8 * 8 * vocab ** 2 / 1e9:.1f} GB) and each GD step costs V^2 d")
    if not 1 <= args.dim < vocab:
        raise InputError(f"--dim d={args.dim} must satisfy 1 <= d < V={vocab}")
    return {"counted": counted, "files": files, "vocab": vocab}


def run(args) -> int:
    from sims.io import staged_output
    from sims.pipelines.ablation.run import DEFAULT_WINDOW, run_ablation

    checked = validate(args)
    counted = checked["counted"]
    if counted is None:
        from sims.data.counting import count_corpus

        counted = count_corpus(checked["files"], checked["vocab"], DEFAULT_WINDOW, progress=not args.no_progress)
        source = ", ".join(str(f) for f in checked["files"])
    else:
        source = str(args.counts)
    with staged_output(args.out, replace_marker=MARKER) as staging:
        summary = run_ablation(counted, None, args.dim, args.seed, staging, quick=args.quick, device=args.device,
                               progress=not args.no_progress, corpus=source, svg=args.svg)
    _print_table(summary, Path(args.out))
    return 0


def _print_table(summary: dict, out: Path) -> None:
    runs = summary["runs"]
    width = max(len(r["label"]) for r in runs.values())
    print(f"{'run':<{width}}  steps  overlap at steps (min / mean)  final overlap  late drift  time (s)")
    for info in runs.values():
        low, mean = info["min_step_overlap"], info["mean_step_overlap"]
        cells = "n/a" if low is None else f"{low:.3f} / {mean:.3f}"
        print(f"{info['label']:<{width}}  {info['completed_steps']:>2}/{summary['learned_modes']:<2}  {cells:>29}  "
              f"{info['final_overlap']:>13.3f}  {100 * info['late_drift']:>9.2f}%  {info['seconds']:>8.1f}")
    verdict = summary["conjecture"]
    floor = verdict["setting31_min_step_overlap"]
    print(f"C-ABLATION-SETTING31 on this run: {'holds' if verdict['holds'] else 'does not hold'} "
          f"(Setting 3.1 min overlap {'n/a' if floor is None else f'{floor:.3f}'} vs threshold "
          f"{verdict['threshold']:.2f}; steps where word2vec's Psi is not lower: {len(verdict['steps_not_lower'])} "
          f"of {verdict['compared_steps']})")
    print(f"total {summary['timings']['total_s']:.1f} s; report: {out / 'report.md'}", file=sys.stdout)
