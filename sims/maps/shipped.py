"""The six shipped validity maps, each declared on top of a registered claim or conjecture."""

from __future__ import annotations

import numpy as np

from sims.maps import problems as P
from sims.maps.registry import register_map
from sims.maps.spec import Boundary, MapSpec, Panel, Parameter

__all__ = ["SIGMA", "GAP"]


def _grid(lo, hi, n, log=True) -> tuple:
    return tuple(float(f"{v:.4g}") for v in (np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)))


SIGMA = Parameter("sigma", r"init scale $\sigma$ ($W_{ij}(0) \sim N(0, \sigma^2)$)", _grid(1e-7, 1e-1, 9), "log",
                  minimum=1e-300, maximum=10.0)
GAP = Parameter("gap", r"relative gap $g = 1 - \lambda_{k+1}/\lambda_k$", _grid(0.03, 0.5, 9), "log",
                minimum=1e-6, maximum=0.9)
SEPARATION = (Boundary(r"$g \ln(1/\sigma^2) = 4$: steps merge below (THEORY §8)", P.separation_line(4.0)),
              Boundary(r"$g \ln(1/\sigma^2) = 8$: the claims' separation hypothesis", P.separation_line(8.0),
                       {"color": "0.35", "lw": 1.5}))

register_map(MapSpec(
    "qr-error", "ST-QR", "QR step-time predictor's error over (sigma, relative gap)", (SIGMA, GAP), P.flow_case,
    classify=P.qr_class, beyond=P.qr_error_all_modes, boundaries=SEPARATION,
    classes=("within 1 %", "1-10 %", "> 10 %", "mode missing", "not small init"), settings=dict(P.FLOW)))

register_map(MapSpec(
    "order", "ORDER", "step order and separation over (sigma, relative gap)", (SIGMA, GAP), P.flow_case,
    classify=P.order_class, boundaries=SEPARATION, colour="value", value=P.measured_separation,
    value_label=r"measured separation $\min_k \lambda_{k+1}(t_{k+1} - t_k)$ (e-folds)", value_norm=("log", 0.1, 30.0),
    classes=("one at a time", "steps merged", "out of order", "mode missing"), settings=dict(P.FLOW)))

register_map(MapSpec(
    "gd-stability", "GD-STABLE", "full-batch GD's outcome over (eta lam_1, lam_min / lam_1)",
    (Parameter("eta_lambda1", r"$\eta \lambda_1$", _grid(0.25, 6.0, 24, log=False), minimum=1e-6, maximum=100.0),
     Parameter("lambda_min_ratio", r"$\lambda_{\min} / \lambda_1$", _grid(-9.0, -0.5, 18, log=False),
               minimum=-1e3, maximum=-0.05)),
    P.gd_case, classify=P.gd_class, colour="class",
    boundaries=(Boundary(r"$\eta\lambda_1 = 2$ (THEORY §4)", P.gd_line("top")),
                Boundary(r"$\eta(\lambda_1 - \lambda_{\min})/2 = 2$ (THEORY §8)", P.gd_line("negative")),
                Boundary(r"$\eta\lambda_1 = 4$: the top mode's map escapes (theory/boundaries.py)",
                         P.gd_line("escape"), {"color": "0.3", "lw": 1.5})),
    classes=("converges", "stalled", "period-2", "period-4/8", "irregular", "diverged"),
    class_colours=("#2ca02c", "#bcbd22", "#1f77b4", "#9467bd", "#ff7f0e", "#d62728"), settings=dict(P.GD)))

register_map(MapSpec(
    "sgd-subspace", "SGD-SUBSPACE", "SGD's final overlap with M*'s top eigenspace over (batch, V)",
    (Parameter("batch", "batch B (positive pairs, or entries, per step)", (1024, 4096, 16384), "log",
               integer=True, minimum=1, maximum=10 ** 7),
     Parameter("size", "vocabulary V", (100, 200, 500, 1000), "log", integer=True, minimum=8, maximum=5000)),
    P.sgd_case, classify=P.sgd_class, panel=Panel("sampler", "sampler", ("pairs", "entries")),
    boundaries=(Boundary(r"predicted noise floor $\eta V^3 / (B\,(\lambda_m - \lambda_{m+1})) = 0.05$ (THEORY §8)",
                         P.sgd_floor_line),),
    classes=("in subspace", "noise floor", "modes missing", "diverged"), settings=dict(P.SGD)))

register_map(MapSpec(
    "large-init-order", "C-LARGE-INIT-ORDER", "learning order from a large init over (sigma, relative gap)",
    (Parameter("sigma", SIGMA.label, _grid(0.03, 1.0, 8), "log", minimum=1e-300, maximum=10.0),
     Parameter("gap", GAP.label, _grid(0.03, 0.5, 8), "log", minimum=1e-6, maximum=0.9)),
    P.large_init_case, classify=P.large_init_class, seeds=2, boundaries=SEPARATION[:1], colour="value",
    value=P.smallest_lead, value_norm=("centred", -3.0, 6.0),
    value_label=r"smallest lead $\lambda_{k+1}(t_{k+1} - t_k)$ at half height (< 0: reversed)",
    classes=("in order", "reversed", "started above half"), settings=dict(P.FLOW)))

register_map(MapSpec(
    "sgns-subspace", "C-SGNS-SUBSPACE", "SGNS's overlap with QWEM's top eigenvectors over (sigma, SGD steps)",
    (Parameter("sigma", r"init scale $\sigma$", _grid(1e-4, 1.0, 5), "log", minimum=1e-300, maximum=10.0),
     Parameter("steps", "SGD steps", (100, 300, 1000, 3000, 10000), "log", integer=True, minimum=1,
               maximum=10 ** 7)),
    P.sgns_case, classify=P.sgns_class, colour="value", value=P.final_overlap, value_norm=("linear", 0.0, 1.0),
    value_label="overlap with QWEM's top-2 eigenvectors at the last step",
    boundaries=(Boundary("QWEM flow's last step from a typical init (THEORY §3)", P.qwem_last_step_line),),
    classes=("reached, kept", "reached, drifted", "not reached", "diverged"), settings=dict(P.SGNS)))
