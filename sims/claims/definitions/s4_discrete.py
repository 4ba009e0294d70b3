"""THEORY §4 claims on discrete time and sampling: GD's Euler delay, SGD's order and final subspace."""

from __future__ import annotations

import numpy as np

from sims.claims.definitions.hypotheses import ALL_STEPS_SEPARATED, SMALL_INIT, SOME_MODE_SEPARATED, eligibility_note, separated_modes
from sims.claims.registry import Hypothesis, Measurement, register, require
from theory.dynamics import gd_euler_delay_fraction

# The delay eta lam / 4 is the first term of GD's per-step log-growth ln(1 + eta lam / 2)^2 / eta lam
# = 1 - eta lam / 4 + eta^2 lam^2 / 12 - ...; at eta lam_1 <= 1/2 the next term is below 2 % of it.
GD_DELAY_MAX_ETA_LAMBDA = 0.5


def _gd_run(case) -> str | None:
    return None if case.gd is not None and case.gd_lr else "GD was not run"


def _gd_first_order(case) -> str | None:
    if case.gd_lr is None:
        return "GD was not run"
    p = case.prediction
    if case.gd_lr >= p.gd_stability_limit:
        return (f"unstable learning rate: eta = {case.gd_lr:.3g} >= 2 / max(lam_1, (lam_1 - lam_min) / 2) = "
                f"{p.gd_stability_limit:.3g}")
    h = case.gd_lr * float(p.learned_eigenvalues[0])
    if h > GD_DELAY_MAX_ETA_LAMBDA:
        return f"eta lam_1 = {h:.3g} > {GD_DELAY_MAX_ETA_LAMBDA:g}: beyond the first-order (O(eta)) regime"
    return None


def _sgd_run(case) -> str | None:
    if case.sgd is None:
        return "SGD was not run (it samples word pairs, so it needs co-occurrence statistics)"
    if case.sgd.diverged:
        return f"SGD diverged: {case.sgd.extra.get('reason', 'non-finite W')}"
    return None


GD_RUN = Hypothesis("GD run", _gd_run)
GD_FIRST_ORDER = Hypothesis("small stable learning rate", _gd_first_order)
SGD_RUN = Hypothesis("SGD run", _sgd_run)


@register("GD-DELAY", "full-batch GD lags the flow by its first-order Euler delay at most: for each separated "
                      "mode t_k^GD - t_k^ODE <= (eta lam_k / 4) t_k^ODE",
          source="THEORY §4 (GD follows the flow with an O(eta) delay)", tolerance="gd_euler_delay", section=4, case="flow", reads=("gd", "ode"),
          hypotheses=(SMALL_INIT, GD_RUN, GD_FIRST_ORDER, SOME_MODE_SEPARATED))
def gd_delay(case) -> Measurement:
    require(not case.gd.diverged, "GD did not diverge", measured=case.gd.extra.get("reason"))
    eligible = separated_modes(case)
    lam = case.prediction.learned_eigenvalues[eligible]
    t_ode = case.ode.measured_step_times()[eligible]
    t_gd = case.gd.measured_step_times()[eligible]
    require(np.all(np.isfinite(t_gd)), "GD reaches half height on every separated mode", predicted=t_ode,
            measured=t_gd)
    delay = np.abs(t_gd - t_ode) / (gd_euler_delay_fraction(case.gd_lr, lam) * t_ode)
    return Measurement(float(np.max(delay)), predicted=t_ode, measured=t_gd,
                       what="max_k |t_k^GD - t_k^ODE| / (eta lam_k t_k^ODE / 4) over separated modes",
                       detail=eligibility_note(eligible, "modes"))


@register("SGD-ORDER", "word2vec's minibatch SGD learns every mode, one at a time, in decreasing-eigenvalue order",
          source="THEORY §4 (unbiased SGD tracks the flow)", tolerance="exact_count", section=4, case="flow", reads=("sgd",),
          hypotheses=(SMALL_INIT, SGD_RUN, ALL_STEPS_SEPARATED))
def sgd_order(case) -> Measurement:
    steps = case.sgd.measured_step_times()
    missing = int(np.count_nonzero(~np.isfinite(steps)))
    finite = steps[np.isfinite(steps)]
    return Measurement(float(missing + np.count_nonzero(np.diff(finite) <= 0)), case.predicted_steps, steps,
                       what="modes never learned + consecutive steps out of order")


@register("SGD-SUBSPACE", "word2vec's minibatch SGD ends in M*'s top eigenspace: overlap ||V_m^T U_m||_F^2 / m "
                          ">= 0.95",
          source="THEORY §4 (unbiased SGD tracks the flow; Theorem 1)", tolerance="sgd_subspace_overlap",
          section=4, case="flow", reads=("sgd",), hypotheses=(SGD_RUN,))
def sgd_subspace(case) -> Measurement:
    return Measurement(float(1.0 - case.sgd.overlap[-1]), predicted=1.0, measured=float(case.sgd.overlap[-1]),
                       what="1 - final overlap of W's top-m left singular space with v_1..v_m")
