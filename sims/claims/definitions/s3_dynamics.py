"""THEORY §3 claims on the flow from a small random init, measured on a FlowCase's ODE run."""

from __future__ import annotations

import numpy as np

from sims.claims.definitions.hypotheses import (ALL_STEPS_SEPARATED, DISTINCT_LAST, SMALL_INIT,
                                                SOME_LEAD_SEPARATED, SOME_MODE_SEPARATED, SOME_PLATEAU_SEPARATED,
                                                eligibility_note, separated_modes)
from sims.claims.registry import Measurement, register, require
from theory.dynamics import MIN_SEPARATION, left_singular_basis, plateau_midpoints, subspace_overlap


@register("FIN-RAND", "from a small random init the flow ends at the eigen-truncation: W W^T -> "
                      "sum_(k<=d) max(lam_k, 0) v_k v_k^T",
          source="THEORY §3 (final state from small random init; Theorem 1)", tolerance="final_gram_random",
          section=3, hypotheses=(SMALL_INIT, DISTINCT_LAST))
def final_gram(case) -> Measurement:
    w = case.ode.embeddings
    gram = case.prediction.gram
    require(case.ode.converged and not case.ode.diverged, "the ODE run reports convergence")
    return Measurement(float(np.max(np.abs(w @ w.T - gram))), scale=float(np.max(np.abs(gram))),
                       what=f"max |W W^T - G*| at t_end = {case.t_end:.4g}, relative to max |G*|")


@register("ST-QR", "the half-height step time of every separated mode matches the finite-sigma QR predictor "
                   "to 1 %",
          source="THEORY §3 (finite-sigma QR step-time predictor)", tolerance="step_time_qr", section=3,
          hypotheses=(SMALL_INIT, SOME_MODE_SEPARATED))
def step_times_qr(case) -> Measurement:
    eligible = separated_modes(case)
    predicted, measured = case.predicted_steps[eligible], case.ode.measured_step_times()[eligible]
    require(np.all(np.isfinite(measured)), "every separated mode reaches half height", predicted=predicted,
            measured=measured)
    return Measurement(float(np.max(np.abs(measured / predicted - 1.0))), predicted, measured,
                       what="max_k |t_k / t_k^QR - 1| over separated modes",
                       detail=eligibility_note(eligible, "modes"))


@register("ORDER", "modes are learned one at a time in decreasing-eigenvalue order: the effective rank "
                   "climbs 0, 1, ..., m by ones",
          source="THEORY §3 (one step at a time, in eigenvalue order)", tolerance="exact_count", section=3,
          hypotheses=(SMALL_INIT, ALL_STEPS_SEPARATED))
def learning_order(case) -> Measurement:
    steps = case.ode.measured_step_times()
    rank = case.ode.effective_rank
    missing = int(np.count_nonzero(~np.isfinite(steps)))
    finite = steps[np.isfinite(steps)]
    out_of_order = int(np.count_nonzero(np.diff(finite) <= 0))
    jumps = int(np.count_nonzero(~np.isin(np.diff(rank), [0, 1])))
    wrong_end = int(rank[0] != 0) + int(rank[-1] != case.prediction.learned_modes)
    return Measurement(float(missing + out_of_order + jumps + wrong_end), predicted=case.predicted_steps,
                       measured=steps, what=f"violations: {missing} modes never learned, {out_of_order} steps out "
                                            f"of order, {jumps} rank jumps other than 0 or +1, {wrong_end} wrong "
                                            "start/end ranks")


@register("PL-ODE", "midway between separated steps k and k+1 the error ||W W^T - M*||_F^2 sits on the plateau "
                    "E_k = sum_(j>k) lam_j^2",
          source="THEORY §2 (plateaus) along the flow from small random init", tolerance="plateau_midpoint",
          section=3, hypotheses=(SMALL_INIT, SOME_PLATEAU_SEPARATED))
def plateaus(case) -> Measurement:
    p = case.prediction
    eligible = case.separations >= MIN_SEPARATION
    mids = plateau_midpoints(case.predicted_steps)
    measured = np.interp(mids, case.ode.times, case.ode.error)
    drops = p.learned_eigenvalues ** 2
    deviation = np.abs(measured - p.plateau_errors[: p.learned_modes]) / drops
    return Measurement(float(np.max(deviation[eligible])), p.plateau_errors[: p.learned_modes][eligible],
                       measured[eligible], what="max_k |E(t_mid) - E_k| / lam_(k+1)^2 over separated plateaus",
                       detail=eligibility_note(eligible, "plateaus before steps"))


@register("SILENT", "silent alignment: when s_k^2 first reaches 1 % of lam_k, W's top-k left singular subspace "
                    "already spans v_1..v_k",
          source="THEORY §3 (silent alignment)", tolerance="silent_alignment", section=3,
          hypotheses=(SMALL_INIT, SOME_LEAD_SEPARATED))
def silent_alignment(case) -> Measurement:
    p = case.prediction
    eligible = case.lead_separations >= MIN_SEPARATION
    times = case.alignment_times(0.01)
    states = case.flow_states(times[eligible])
    deficits, heights = [], []
    for k in np.flatnonzero(eligible) + 1:
        w = states[float(times[k - 1])]
        singular = np.linalg.svd(w, compute_uv=False)
        heights.append(float(singular[k - 1] ** 2 / p.learned_eigenvalues[k - 1]))
        deficits.append(1.0 - subspace_overlap(p.learned_directions, left_singular_basis(w, k), k))
    # The QR predictor places the 1 % moment to ~0.1 % of t_k: check that is the moment measured.
    require(all(0.002 <= h <= 0.05 for h in heights), "s_k^2 is ~1 % of lam_k at the predicted moment",
            predicted=0.01, measured=heights)
    return Measurement(float(np.max(deficits)), predicted=0.0, measured=deficits,
                       what="max_k (1 - overlap_k) when s_k^2 = lam_k / 100, over modes that lead the next",
                       detail=eligibility_note(eligible, "modes"))
