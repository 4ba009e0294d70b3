"""Planted bugs for `tox -e mutants` (tests/mutants/run.py): each must make a named claim fail.

A mutant replaces the exact text `old` (which must occur exactly once in `file`, or the runner stops:
a mutant that silently stopped applying would look caught by nothing, or by chance) with `new`.
`tests` narrows the run to the test files most likely to catch it, claim files first (the run is
`pytest -m "claim or conjecture" -x`, so the first failure ends it); a listed file that no longer
exists makes the runner fall back to the whole of tests/. Edit `old` here when the code it quotes moves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    description: str
    tests: tuple = ()  # test paths (files or folders) to run, in order; empty: all of tests/


MUTANTS = (
    Mutant(
        id="unigram-row-sums",
        file="sims/corpus.py",
        old='return cooccurrence(self.counts, unigram=self.word_counts, name="corpus co-occurrence counts")',
        new='return cooccurrence(self.counts, name="corpus co-occurrence counts")',
        description="real-text P_i taken as the row sums of P_ij, not the token frequencies THEORY §1 fixes",
        tests=("tests/claims/test_s1_conventions.py", "tests/test_corpus.py", "tests/claims/test_s5_realtext.py"),
    ),
    Mutant(
        id="unigram-ignored",
        file="theory/target.py",
        old="        p = p / p.sum()\n",
        new="        p = joint.sum(axis=1)\n",
        description="theory.target.cooccurrence ignores a given unigram and uses the row sums of P_ij",
        tests=("tests/claims/test_s1_conventions.py", "tests/test_corpus.py", "tests/claims/test_s5_realtext.py"),
    ),
    Mutant(
        id="analogy-no-exclusion",
        file="sims/data/evaluation.py",
        old="        scores[rows, q[:, :3]] = -np.inf\n",
        new="",
        description="3CosAdd no longer excludes the three query words (THEORY §5 protocol)",
        tests=("tests/claims/test_s1_conventions.py", "tests/claims/test_s5_realtext.py"),
    ),
    Mutant(
        id="eigen-sort-by-magnitude",
        file="theory/spectrum.py",
        old="    order = np.argsort(values)[::-1]\n",
        new="    order = np.argsort(np.abs(values))[::-1]\n",
        description="the eigensolver's output sorted by |lambda| instead of by value (THEORY §1)",
        tests=("tests/claims/test_s2_exact.py", "tests/claims/test_s3_dynamics.py"),
    ),
    Mutant(
        id="half-height-time-x2",
        file="theory/dynamics.py",
        old="    return time_to_fraction(eigenvalue, initial, 0.5)\n",
        new="    return 2.0 * time_to_fraction(eigenvalue, initial, 0.5)\n",
        description="the half-height step time (theory.dynamics.half_height_time, used by theory.predictions) "
                    "off by a factor 2",
        tests=("tests/claims/test_s3_dynamics.py", "tests/claims/test_s2_exact.py", "tests/claims/test_s1_derivation.py"),
    ),
    Mutant(
        id="tau-x2",
        file="theory/dynamics.py",
        old="        return np.log(eigenvalue / initial) / eigenvalue\n",
        new="        return 2.0 * np.log(eigenvalue / initial) / eigenvalue\n",
        description="the characteristic time tau_k = ln(lam_k / s_k^2(0)) / lam_k off by a factor 2",
        tests=("tests/claims/test_s2_exact.py", "tests/claims/test_s3_dynamics.py", "tests/claims/test_s1_derivation.py"),
    ),
    Mutant(
        id="gd-step-missing-half",
        file="sims/simulators/gd.py",
        old="        self.half_lr = 0.5 * float(lr)\n",
        new="        self.half_lr = float(lr)\n",
        description="GD's step W <- W - lr (WW^T - M*) W, missing its 1/2 (THEORY §4)",
        tests=("tests/claims/test_s4_gd.py", "tests/claims/test_s4_discrete.py"),
    ),
    Mutant(
        id="sgd-flow-time-x2",
        file="theory/dynamics.py",
        old="    return (2.0 if tied else 1.0) * float(mean_weight) * float(lr)\n",
        new="    return (4.0 if tied else 2.0) * float(mean_weight) * float(lr)\n",
        description="SGD's flow time per step (theory.dynamics.sgd_flow_time_per_step) off by a factor 2",
        tests=("tests/claims/test_s4_sgd.py", "tests/claims/test_s4_discrete.py"),
    ),
    Mutant(
        id="plateau-lambda-not-squared",
        file="theory/predictions.py",
        old="np.cumsum(self.learned_eigenvalues ** 2)",
        new="np.cumsum(self.learned_eigenvalues)",
        description="the plateau errors E_k = ||M*||^2 - sum_(j<=k) lam_j^2 computed with lam_j instead of lam_j^2",
        tests=("tests/claims/test_s2_exact.py", "tests/claims/test_s3_dynamics.py"),
    ),
    Mutant(
        id="glove-target-uncentred",
        file="theory/glove.py",
        old="    return double_centre(smoothed_log_counts(counts, smoothing))\n",
        new="    return smoothed_log_counts(counts, smoothing)\n",
        description="uniform-weight GloVe's closed-form target C without the double centring its optimal biases "
                    "imply (THEORY §7)",
        tests=("tests/claims/test_s5_glove.py",),
    ),
    Mutant(
        id="float32-top-off-by-one",
        file="theory/topk.py",
        old="subset_by_index=[size - k, size - 1], driver=\"evr\",\n                                 overwrite_a=True",
        new="subset_by_index=[size - k - 1, size - 2], driver=\"evr\",\n                                 overwrite_a=True",
        description="the float32 top-k solve (the real-text baselines' and subsets') takes eigenpairs 2..k+1, "
                    "missing the largest",
        tests=("tests/test_topk.py",),
    ),
    Mutant(
        id="band-short-last-panel",
        file="theory/band.py",
        old="\"dgeqrt\", rows, width, count,",
        new="\"dgeqrt\", rows, count, count,",
        description="the band reduction factorises only the first `rows` columns of a last panel shorter than it "
                    "is wide, leaving the rest of the panel untransformed (a bug this suite's first draft had)",
        tests=("tests/test_topk.py",),
    ),
)
