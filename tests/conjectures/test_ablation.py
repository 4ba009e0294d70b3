"""Conjectures C-ABLATION-SETTING31 and C-ABLATION-SETTING31-SYNTHETIC: the paper's ablation (its Figure 7) --
clean, unmixed steps come from Setting 3.1's reweighting, not from the quartic loss (registry:
sims/claims/definitions/s5_ablation.py).

Real text, deterministically (one fixed corpus, no search): gensim's lee_background at V = 300, L = 16, d = 8,
seed 0 (four full-batch GD runs, ~4 s). Synthetic, by Hypothesis: planted co-occurrences with a Zipfian unigram
and three planted directions, V = 16-40, d = 3. The `w2v-theory ablation` command runs the same four runs on
any corpus, with figures.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.s5_ablation import AblationCase
from sims.claims.recording import check_claim
from sims.data.synthetic import planted_joint, zipf_unigram
from tests.strategies import seeds
from theory.target import cooccurrence


@pytest.mark.conjecture(id="C-ABLATION-SETTING31")
def test_setting31_not_the_loss_gives_clean_steps_on_real_text():
    from sims.corpus import default_corpus
    from sims.data.counting import count_corpus

    stats = count_corpus(default_corpus(), 300, 16).statistics().cooccurrence()
    check_claim("C-ABLATION-SETTING31", AblationCase(stats, 8, 0, label="lee_background, V=300, L=16, d=8, seed=0"))


@pytest.mark.conjecture(id="C-ABLATION-SETTING31-SYNTHETIC")
@given(size=st.integers(16, 40), exponent=st.floats(0.5, 1.2), ratio=st.floats(0.3, 0.6), seed=seeds)
def test_setting31_not_the_loss_gives_clean_steps_on_planted_statistics(size, exponent, ratio, seed):
    exponent, ratio = round(exponent, 3), round(ratio, 3)
    strengths = (1.5, round(1.5 * ratio, 3), round(1.5 * ratio ** 2, 3))
    stats = cooccurrence(planted_joint(zipf_unigram(size, exponent), strengths, seed))
    check_claim("C-ABLATION-SETTING31-SYNTHETIC",
                AblationCase(stats, 3, seed, label=f"planted strengths={strengths}, V={size}, zipf={exponent}, "
                                                   f"seed={seed}, d=3"))
