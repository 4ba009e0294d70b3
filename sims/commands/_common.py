"""Arguments and input loading shared by the subcommands (matrix or co-occurrence source, d, sigma, seed)."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import numpy as np

from sims.io import json_text, load_npy
from theory.dynamics import default_init_scale
from theory.target import Cooccurrence, cooccurrence, target_matrix
from theory.validation import (SEED_LIMITS, InputError, as_real_matrix, check_learnable, check_magnitude,
                               check_positive, check_symmetric)

# `simulate` and `predict` share one default sigma (its reason: theory.dynamics.CLI_INIT_SCALE).
DEFAULT_INIT_SCALE = default_init_scale("cli")
# Seeds reach numpy (any size) and torch (at most 2^64 - 1); SGD's annealed phase uses seed + 1.
MAX_SEED = SEED_LIMITS["torch"] - 1
DEFAULT_NEGATIVES = 1.0


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def positive_float(text: str) -> float:
    """argparse type: a positive finite float."""
    try:
        value = float(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"expected a number, got {_shown(text)}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {_shown(text)}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # also Python's limit on the digits of a decimal integer
        raise argparse.ArgumentTypeError(f"expected an integer, got {_shown(text)}") from None


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {_shown(text)}")
    return value


def seed_int(text: str) -> int:
    """argparse type: a seed, an integer in [0, MAX_SEED] (every RNG it reaches accepts it, and seed + 1)."""
    value = nonnegative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be <= {MAX_SEED} (torch's seed limit, less 1 for a second phase), "
                                         f"got {_shown(text)}")
    return value


def dimension(text: str) -> int:
    """argparse type: an integer; its range 1 <= d < V is checked against the problem (check_dim)."""
    return _integer(text)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {_shown(text)}")
    return value


def add_source_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """--matrix M.npy | --cooccurrence C.npy, plus --negatives for the latter."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--matrix", metavar="M.npy", help="symmetric target matrix M* (.npy, float)")
    source.add_argument("--cooccurrence", metavar="C.npy",
                        help="symmetric non-negative co-occurrence counts or joint distribution P_ij (.npy); "
                             "M* is built from it with unigram = row sums")
    parser.add_argument("--negatives", type=positive_float, default=None, metavar="k",
                        help="negatives per positive when building M* from --cooccurrence (default 1)")


def add_dim_argument(parser: argparse.ArgumentParser, required: bool = True, default=None) -> None:
    parser.add_argument("--dim", "-d", type=dimension, required=required, default=default, metavar="d",
                        help="embedding dimension d (1 <= d < V)")


def add_init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--init-scale", type=positive_float, default=None, metavar="SIGMA",
                        help=f"initialisation scale sigma (default {DEFAULT_INIT_SCALE:g})")
    parser.add_argument("--seed", type=seed_int, default=None, metavar="S",
                        help="seed of the random init W_ij(0) ~ N(0, sigma^2) (and of all sampling)")


@dataclass(frozen=True)
class Problem:
    """A target M* and, when built from co-occurrences, the statistics behind it."""

    target: np.ndarray
    stats: Cooccurrence | None
    source: str


def negatives(args) -> float:
    """--negatives k (default 1); InputError when given without --cooccurrence (it would be ignored)."""
    given = getattr(args, "negatives", None)
    if given is None:
        return DEFAULT_NEGATIVES
    if not getattr(args, "cooccurrence", None):
        raise InputError("--negatives applies only with --cooccurrence (M* is built from the counts with it)")
    return float(given)


# For M* built from co-occurrences (|M*| < 2 by construction), an eigenvalue below this many V eps is
# rounding of an (almost) independent table P_ij = P_i P_j, not a mode.
COOCCURRENCE_ROUNDING = 400.0


def load_problem(args) -> Problem:
    """Read --matrix or --cooccurrence into a validated Problem (InputError on any defect)."""
    k = negatives(args)
    if getattr(args, "matrix", None):
        m = as_real_matrix(load_npy(args.matrix, "--matrix"), "--matrix")
        check_symmetric(m, "--matrix")
        check_magnitude(m, "--matrix")
        return Problem(target=0.5 * (m + m.T), stats=None, source=args.matrix)
    counts = as_real_matrix(load_npy(args.cooccurrence, "--cooccurrence"), "--cooccurrence")
    # P_ij = C_ij / sum C: dividing by the largest count first keeps the sum finite (counts ~1e307) and
    # normal (counts ~1e-310) without changing P.
    top = float(np.max(np.abs(counts)))
    if top > 0:
        counts = counts / top
    stats = cooccurrence(counts, name="--cooccurrence")
    return Problem(target=target_matrix(stats, negatives=k), stats=stats, source=args.cooccurrence)


def rounding_floor(problem: Problem) -> float:
    """Eigenvalues below this are rounding, not modes: COOCCURRENCE_ROUNDING V eps for co-occurrence M*."""
    if problem.stats is None:
        return 0.0
    return COOCCURRENCE_ROUNDING * problem.target.shape[0] * float(np.finfo(np.float64).eps)


def learnable_prediction(problem: Problem, dim):
    """closed_form(M*, d), refused (InputError) when no mode is learned: every command needs one."""
    from theory.predictions import closed_form

    prediction = closed_form(problem.target, dim)
    check_learnable(prediction, "M*" if problem.stats is None else "M* (from --cooccurrence)", rounding_floor(problem))
    return prediction


def init_scale(args) -> float:
    value = DEFAULT_INIT_SCALE if args.init_scale is None else args.init_scale
    return check_positive(value, "--init-scale")


def print_json(payload: dict) -> None:
    """One JSON object on stdout; NaN (e.g. a step never reached) becomes null."""
    sys.stdout.write(json_text(payload))


def require(condition: bool, message: str) -> None:
    if not condition:
        raise InputError(message)


@dataclass(frozen=True)
class TextSource:
    """A real-text command's input, checked: the counts file's statistics, or the corpus files."""

    counted: object | None   # sims.corpus.CorpusStatistics when --counts was given
    files: list | None       # the corpus files otherwise
    vocab: int
    window: int | None       # the counts file's L, or --window (None: the command's default)


def text_source(corpus, counts, vocab: int | None, window: int | None, default_vocab: int) -> TextSource:
    """Exactly one of a corpus and --counts FILE.npz; a counts file is loaded and validated and --vocab / --window,
    when given, must agree with it; corpus files must exist and be readable. V must be >= 2."""
    if corpus is None and counts is None:
        raise InputError("give a CORPUS or --counts FILE.npz")
    if corpus is not None and counts is not None:
        raise InputError("give a CORPUS or --counts FILE.npz, not both")
    if counts is not None:
        from sims.data.counts_file import load_counts

        counted = load_counts(counts)
        size = counted.counts.shape[0]
        if vocab is not None and vocab != size:
            raise InputError(f"--vocab {vocab} differs from the counts file's V = {size}")
        if window is not None and window != counted.window:
            raise InputError(f"--window {window} differs from the counts file's L = {counted.window}")
        source = TextSource(counted, None, size, counted.window)
    else:
        from sims.data.reader import corpus_files

        source = TextSource(None, corpus_files(corpus), default_vocab if vocab is None else vocab, window)
    if source.vocab < 2:
        raise InputError(f"--vocab V={source.vocab} must be >= 2")
    return source
