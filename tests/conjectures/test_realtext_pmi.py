"""Conjecture RT-PMI: on a small real corpus the closed form (PCA of M*) beats PCA of PMI on analogies
(registry: sims/claims/definitions/s5_realtext.py, kind "conjecture")."""

from __future__ import annotations

import pytest

from sims.claims.definitions.s5_realtext import AnalogyComparisonCase
from sims.claims.recording import check_claim
from sims.corpus import corpus_statistics
from sims.data.evaluation import load_analogies


@pytest.mark.conjecture(id="RT-PMI")
def test_closed_form_beats_pmi_on_analogies():
    counted = corpus_statistics(None, 2000, 16, cache=False)
    check_claim("RT-PMI", AnalogyComparisonCase(counted.cooccurrence(), load_analogies(counted.index), dim=50,
                                                label="lee_background V=2000 L=16 d=50"))
