"""The conjecture outcome map: what each conjecture's test gives today, and why (scikit-learn's
expected-failure map pattern, applied to open questions).

The claims ledger (sims/claims/ledger.py, ini option `conjecture_map` in pyproject.toml) reads EXPECTED
and fails a run in which a conjecture's outcome differs from its entry ("conjecture C-X flipped: ..."),
in either direction, and a run that collects a conjecture id missing here. A refuted entry must be
refuted in every Hypothesis profile: its reason quotes the counterexample, and where only a search
finds it the test carries it as an explicit `@example`. An outcome that changes for a good reason (a
fixed simulator, a sharper statement, a new counterexample) is a finding: update the entry with it.
tests/test_conjecture_map.py checks that the ids here are exactly the conjecture ids under tests/.
"""

from __future__ import annotations

from sims.claims.ledger import Expected

EXPECTED = {
    "C-LARGE-INIT-ORDER": Expected(
        outcome="refuted",
        reason="at sigma = 0.1 modes 2 and 3 reach half height in the wrong order: eigenvalues (1.0, 0.5, 0.25, "
               "0.0, -1.0, -1.0), seed=0, dim=3, sigma=0.1, init_seed=0 cross at t = 3.44, 13.61, 10.57 (mode 3 "
               "before mode 2; the random initial strengths outweigh the gap once the steps overlap). The "
               "'ci' search finds it; the test carries it as @example"),
    "C-LARGE-LR-ORDER": Expected(
        outcome="refuted",
        reason="not by a reordering but by GD's stability limit: eigenvalues (1.0, 0.5, 0.25, 0.0, -1.0, -4.0), "
               "dim=3, seed=0, sigma=1e-8, init_seed=0, LearningRate(fraction=0.5) (eta lam_1 = 1) diverges, "
               "mode 3 never reaching half height (steps 43.5, 86.9, nan), because lam_min = -4 < -lam_1 makes "
               "the stiffest rate (lam_1 - lam_min)/2 = 2.5 and GD stable only for eta < 0.8 (GD-STAB-NEG). The "
               "'ci' search (12 examples) misses it, random search ('dev') finds it about 1 run in 4: the test "
               "carries it as @example. Below that limit the order held in every example tried"),
    "C-SGNS-SUBSPACE": Expected(
        outcome="holds",
        reason="SGNS by pair-sampled SGD under Setting 3.1 reached overlap >= 0.9 with QWEM's top-2 eigenvectors "
               "in every example tried ('ci': 12; 'dev': 5 runs of 10)"),
    "C-UNTIED": Expected(
        outcome="refuted",
        reason="a negative eigenvalue as large as lam_d is fitted through the antisymmetric part W - W': "
               "eigenvalues (1.0, 0.031, 0.016, 0.008, 0.0, -1.0), dim=1, seed=0, sigma=1e-4, init_seed=0 "
               "ends with W W'^T's top eigenvalue 0.856, not lam_1 = 1 (the 'ci' search's counterexample; "
               "random search refutes it in ~40 % of examples, e.g. eigenvalues (1.0, 0.5, 0.25, 0.0, -1.0, "
               "-1.0), dim=3, seed=0, sigma=1e-4, init_seed=0)"),
    "C-UNTIED-SMALL-NEGATIVES": Expected(
        outcome="holds",
        reason="with no negative eigenvalue at all (the strategy draws max_negative=0) the untied flow reached "
               "the tied minimiser to 1e-3 lam_1 in every example tried ('ci': 12; 'dev': 8 runs of 10)"),
    "RT-PMI": Expected(
        outcome="refuted",
        reason="a tie, deterministically (no search: one fixed corpus): on lee_background, V = 2000, d = 50, "
               "PCA of M* and PCA of PMI both answer 9 of the 188 in-vocabulary Google analogies "
               "(accuracy 0.0479 each), so 'closed form beats PMI' does not hold at 60k tokens"),
    "C-CORPUS-SIZE-ORDER": Expected(
        outcome="refuted",
        reason="deterministically (one fixed corpus, no search): on lee_background, V = 1000, L = 16, d = 30, the "
               "closed form's Google-analogy margin over the best of PPMI / zero-filled PMI is 0 on the first half "
               "and -0.024 on the whole corpus: it shrinks with size and the closed form trails at 60k tokens. On the "
               "2.58 M-token corpus of examples/assemble_corpus.py (V = 5000, d = 200, spread subsets) the closed "
               "form leads at every size, by 0.6, 0.8, 2.1 and 1.5 points"),
}
