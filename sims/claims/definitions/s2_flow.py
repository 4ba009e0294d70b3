"""THEORY §2 claims on the flow from an aligned init (Lemma 3.1 and the characteristic time), on the ODE."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sims.claims.registry import Measurement, register
from sims.simulators.ode import run_ode
from theory.predictions import ClosedForm

ALIGNED_RECORDS = 120


@dataclass(frozen=True)
class AlignedCase:
    """A target's closed form and the aligned init W(0) = sigma V_d (s_k^2(0) = sigma^2 on every mode)."""

    prediction: ClosedForm = field(repr=False)
    sigma: float
    label: str = ""

    def __repr__(self) -> str:
        return self.label or f"AlignedCase(V={self.prediction.size}, d={self.prediction.dim}, sigma={self.sigma:g})"


@register("L31", "aligned init W(0) = sigma V_d: each s_k^2(t) is the logistic solution of Lemma 3.1 and the "
                 "singular vectors stay V_d at all times",
          source="Lemma 3.1 (aligned init: logistic modes, singular vectors fixed)", tolerance="ode_trajectory",
          section=2)
def aligned_logistic(case: AlignedCase) -> list:
    p = case.prediction
    lam = p.learned_eigenvalues
    t_end = float(p.aligned_step_times(case.sigma).max()) + 10.0 / lam[-1]
    result = run_ode(p, p.aligned_init(case.sigma), t_end, times=np.linspace(0.0, t_end, ALIGNED_RECORDS))
    logistic = p.trajectory(result.times, np.full(len(lam), case.sigma ** 2))
    measured = result.singular_values[:, : len(lam)] ** 2
    expected = p.learned_directions * np.sqrt(logistic[-1])
    return [Measurement(float(np.max(np.abs(measured - logistic))), logistic[-1], measured[-1], scale=lam[0],
                        what="max_t |s_k^2(t) - logistic_k(t)|, relative to lam_1"),
            Measurement(float(1.0 - result.overlap.min()), what="1 - min_t overlap(U_d(t), V_d)"),
            Measurement(float(np.max(np.abs(result.embeddings[:, : len(lam)] - expected))), scale=np.sqrt(lam[0]),
                        what="max |W(t_end) - V_d diag(s(t_end))| (column by column, not up to rotation)")]


@register("TAU", "aligned init: at tau_k = ln(lam_k / sigma^2) / lam_k the flow's s_k^2 equals "
                 "lam_k / (2 - sigma^2 / lam_k)",
          source="THEORY §2 (characteristic time of an aligned mode)", tolerance="ode_trajectory", section=2)
def characteristic_height(case: AlignedCase) -> Measurement:
    p = case.prediction
    lam = p.learned_eigenvalues
    taus = p.characteristic_times(case.sigma)
    result = run_ode(p, p.aligned_init(case.sigma), float(taus.max()), times=taus)
    rows = np.searchsorted(result.times, taus)
    measured = result.singular_values[rows, np.arange(len(lam))] ** 2
    predicted = lam / (2.0 - case.sigma ** 2 / lam)
    return Measurement(float(np.max(np.abs(measured - predicted))), predicted, measured, scale=lam[0],
                       what="max_k |s_k^2(tau_k) - lam_k / (2 - sigma^2/lam_k)|, relative to lam_1")
