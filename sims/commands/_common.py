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
from theory.validation import InputError, as_real_matrix, check_positive, check_symmetric

# `simulate` and `predict` share one default sigma (its reason: theory.dynamics.CLI_INIT_SCALE).
DEFAULT_INIT_SCALE = default_init_scale("cli")


def positive_float(text: str) -> float:
    """argparse type: a positive finite float."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = nonnegative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_source_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """--matrix M.npy | --cooccurrence C.npy, plus --negatives for the latter."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--matrix", metavar="M.npy", help="symmetric target matrix M* (.npy, float)")
    source.add_argument("--cooccurrence", metavar="C.npy",
                        help="symmetric non-negative co-occurrence counts or joint distribution P_ij (.npy); "
                             "M* is built from it with unigram = row sums")
    parser.add_argument("--negatives", type=positive_float, default=1.0, metavar="k",
                        help="negatives per positive when building M* from --cooccurrence (default 1)")


def add_dim_argument(parser: argparse.ArgumentParser, required: bool = True, default=None) -> None:
    parser.add_argument("--dim", "-d", type=int, required=required, default=default, metavar="d",
                        help="embedding dimension d (1 <= d < V)")


def add_init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--init-scale", type=positive_float, default=None, metavar="SIGMA",
                        help=f"initialisation scale sigma (default {DEFAULT_INIT_SCALE:g})")
    parser.add_argument("--seed", type=nonnegative_int, default=None, metavar="S",
                        help="seed of the random init W_ij(0) ~ N(0, sigma^2) (and of all sampling)")


@dataclass(frozen=True)
class Problem:
    """A target M* and, when built from co-occurrences, the statistics behind it."""

    target: np.ndarray
    stats: Cooccurrence | None
    source: str


def load_problem(args) -> Problem:
    """Read --matrix or --cooccurrence into a validated Problem (InputError on any defect)."""
    if getattr(args, "matrix", None):
        m = as_real_matrix(load_npy(args.matrix, "--matrix"), "--matrix")
        check_symmetric(m, "--matrix")
        return Problem(target=0.5 * (m + m.T), stats=None, source=args.matrix)
    counts = load_npy(args.cooccurrence, "--cooccurrence")
    stats = cooccurrence(counts, name="--cooccurrence")
    return Problem(target=target_matrix(stats, negatives=args.negatives), stats=stats, source=args.cooccurrence)


def init_scale(args) -> float:
    value = DEFAULT_INIT_SCALE if args.init_scale is None else args.init_scale
    return check_positive(value, "--init-scale")


def print_json(payload: dict) -> None:
    """One JSON object on stdout; NaN (e.g. a step never reached) becomes null."""
    sys.stdout.write(json_text(payload))


def require(condition: bool, message: str) -> None:
    if not condition:
        raise InputError(message)
