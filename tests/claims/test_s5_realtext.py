"""THEORY §1/§5 claims on real text, on gensim's lee_background corpus (registry: sims/claims/definitions/s5_realtext.py)."""

from __future__ import annotations

import functools

import pytest

from sims.claims.definitions.s5_realtext import CountedCorpusCase, RealTextSgdCase
from sims.claims.recording import check_claim
from sims.corpus import corpus_statistics, default_corpus


WINDOW = 16


@functools.lru_cache(maxsize=4)
def lee(vocab: int, window: int = WINDOW):
    """Counts of gensim's Lee background corpus (60k tokens of news) at vocabulary size `vocab`."""
    return corpus_statistics(None, vocab, window, cache=False)


@functools.cache
def lee_text() -> str:
    return default_corpus().read_text(encoding="utf-8", errors="replace")


@pytest.mark.claim("RT-ID")
@pytest.mark.parametrize("vocab", [120, 300])
def test_target_identities_on_real_corpus(vocab):
    check_claim("RT-ID", CountedCorpusCase(lee(vocab), lee_text(), WINDOW, label=f"lee_background V={vocab} L={WINDOW}"))


@pytest.mark.claim("RT-ID")
def test_target_identities_at_a_short_window():
    # L = 2: most pairs unseen, and the window's edges (offsets cut by a document's ends) matter more.
    check_claim("RT-ID", CountedCorpusCase(lee(300, 2), lee_text(), 2, label="lee_background V=300 L=2"))


@pytest.mark.claim("RT-QWEM")
def test_sgd_qwem_converges_to_closed_form_subspace():
    check_claim("RT-QWEM", RealTextSgdCase(lee(150).cooccurrence(), dim=10, seed=0,
                                           label="lee_background V=150 d=10, seed 0"))
