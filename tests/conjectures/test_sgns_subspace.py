"""Conjecture C-SGNS-SUBSPACE: SGNS (true logistic loss) under Setting 3.1 first learns QWEM's top-d subspace,
before drifting (registry: sims/claims/definitions/conjectures.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sims.claims.definitions.conjectures import SgnsCase
from sims.claims.recording import check_claim
from sims.data.synthetic import planted_joint, zipf_unigram
from tests.strategies import seeds
from theory.predictions import closed_form, random_init
from theory.target import cooccurrence, target_matrix


@pytest.mark.conjecture(id="C-SGNS-SUBSPACE")
@given(size=st.integers(8, 14), exponent=st.sampled_from([0.0, 0.5, 1.0]), top=st.floats(1.0, 2.5),
       ratio=st.floats(0.3, 0.6), seed=seeds)
def test_sgns_learns_qwem_subspace(size, exponent, top, ratio, seed):
    strengths = (round(top, 3), round(top * ratio, 3))  # two planted directions, well separated
    stats = cooccurrence(planted_joint(zipf_unigram(size, exponent), strengths, seed))
    prediction = closed_form(target_matrix(stats), 2)
    check_claim("C-SGNS-SUBSPACE", SgnsCase(stats, prediction, random_init(size, 2, 1e-3, seed), lr=0.01, batch=2048,
                                            seed=seed, label=f"strengths={strengths}, V={size}, zipf={exponent}, "
                                                             f"seed={seed}"))
