"""Conjecture C-CORPUS-SIZE-ORDER: the paper's ordering (closed form above PCA of PPMI and of PMI on the Google
analogies) sets in with corpus size (registry: sims/claims/definitions/s5_realtext_eval.py, kind "conjecture").

One fixed corpus, no search: gensim's lee_background (60k tokens) at V = 1000, L = 16, d = 30, on its first
half and all of it. The real-text study measures the same margins on larger corpora (`w2v-theory realtext
--sizes`, its corpus-size figure).
"""

from __future__ import annotations

import pytest

from sims.claims.definitions.s5_realtext_eval import SizeSweepCase
from sims.claims.recording import check_claim

@pytest.mark.conjecture(id="C-CORPUS-SIZE-ORDER")
def test_closed_form_margin_grows_with_corpus_size():
    from sims.corpus import default_corpus

    check_claim("C-CORPUS-SIZE-ORDER", SizeSweepCase(str(default_corpus()), 1000, 16, 30, (0.5, 1.0),
                                                     label="lee_background, V=1000, L=16, d=30, prefixes 1/2 and 1"))
