"""`w2v-theory derive`: print the SymPy derivation chain of THEORY §1-§2, one labelled step per block."""

from __future__ import annotations

import sympy as sp

from sims.commands._common import print_json
from theory.derivation_chain import derivation_chain, derived_expressions
from theory.symbolic import lam, u0

# Plain-text names (lam, u0) keep --json parsable; LaTeX can afford the real glyphs.
LATEX_NAMES = {lam: r"\lambda", u0: "u_0"}

NAME = "derive"
ORDER = 5
HELP = "the symbolic derivation chain: QWEM, square completion, gradient flow, logistic modes, GD map"
DESCRIPTION = """\
Derive with SymPy, and print, the chain of THEORY.md §1-§2: the QWEM pair terms from the Taylor
series of the SGNS losses; square completion (Theorem 1, Proposition 2) on a symbolic vocabulary;
the gradient flow dW/dt = -1/2 (WW^T - M*) W and its Riccati equation; the logistic mode
u = s^2 of an aligned embedding with its half-height, characteristic and 10-90 % rise times;
the gradient-descent map of one mode and its stability bound eta < 2/lam; the early linear regime.
Each step is checked while it is derived (a failed identity stops the command).

--json prints one object of scalar results as plain SymPy strings (symbols x, u = s^2, lam, u0 =
s^2(0), t, eta, s), readable by sympy.sympify.

example:
  w2v-theory derive --json
"""


def add_arguments(parser) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print one JSON object {name: SymPy expression string} of the scalar results")
    output.add_argument("--latex", action="store_true", help="print each statement as LaTeX instead of pretty text")


def run(args) -> int:
    if args.json:
        print_json({name: str(expr) for name, expr in derived_expressions().items()})
        return 0
    for number, step in enumerate(derivation_chain(), 1):
        if args.latex:
            print(f"% [{step.label}] step {number}: {step.title}")
        else:
            print(f"[{step.label}] step {number}: {step.title}")
        for description, statement in step.statements:
            if args.latex:
                print(f"%   {description}")
                print(f"\\[ {sp.latex(statement, symbol_names=LATEX_NAMES)} \\]")
            else:
                print(f"  {description}:")
                for line in sp.pretty(statement).splitlines():
                    print(f"    {line}")
        print()
    return 0
