"""`w2v-theory derive`: the SymPy derivation chain (theory.symbolic) printed as JSON, plain text and LaTeX.

The claims on the chain itself (Q1, P2-sym, T1-sym, GF1, L31-sym, SYM-NUM, GD-map, LIN1-sym) are
tests/claims/test_s1_derivation.py (registry: sims/claims/definitions/s1_derivation.py).
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from sims.cli import main as cli_main
from sims.claims.definitions.s1_derivation import nonzero_entries
from theory import symbolic
from theory.symbolic import eta, lam, s, t, u, u0, x


def is_zero(expr) -> bool:
    """Exact zero test on a scalar or an explicit matrix (never a string comparison)."""
    return nonzero_entries(expr) == 0


# ---------------------------------------------------------------------------------------------- derive CLI

EXPECTED = {
    "qwem_pair_loss_positive": x ** 2 / 4 - x,
    "qwem_pair_loss_negative": x ** 2 / 4 + x,
    "taylor_remainder_coefficient": sp.Rational(-1, 192),
    "mode_ode": u * (lam - u),
    "mode_solution": lam * u0 * sp.exp(lam * t) / (lam + u0 * (sp.exp(lam * t) - 1)),
    "step_time": sp.log(lam / u0 - 1) / lam,
    "characteristic_time": sp.log(lam / u0) / lam,
    "height_at_characteristic_time": lam / (2 - u0 / lam),
    "rise_time_10_90": 2 * sp.log(9) / lam,
    "gd_mode_map": s * (1 + eta * (lam - s ** 2) / 2),
    "gd_fixed_point": lam,
    "gd_fixed_point_multiplier": 1 - eta * lam,
    "gd_stability_bound": 2 / lam,
    "early_mode_growth": u0 * sp.exp(lam * t),
}


def run_derive(capsys, *flags) -> str:
    assert cli_main(["derive", *flags]) == 0
    return capsys.readouterr().out


def test_derive_json_parses_to_the_expected_expressions(capsys):
    payload = json.loads(run_derive(capsys, "--json"))
    for name, value in payload.items():
        assert isinstance(value, str)
        sp.sympify(value)  # plain SymPy text, readable without any local names
    for name, expected in EXPECTED.items():
        parsed = sp.sympify(payload[name], locals=symbolic.SYMBOLS)
        assert is_zero(sp.expand_log(parsed - expected, force=True)), f"{name}: {payload[name]}"


def test_derive_plain_and_latex_are_labelled(capsys):
    labels = ["[Q1]", "[P2-sym]", "[T1-sym]", "[GF1]", "[L31-sym]", "[GD-map]", "[LIN1-sym]"]
    plain = run_derive(capsys)
    latex = run_derive(capsys, "--latex")
    for text in (plain, latex):
        assert text.strip()
        positions = [text.index(label) for label in labels]
        assert positions == sorted(positions), "steps must appear in chain order"
    assert "\\frac{x^{2}}{4} - x" in latex and "\\lambda" in latex
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["derive", "--json", "--latex"])
    assert exit_info.value.code == 2
