"""Conventions the real-text pipeline encodes (registry: sims/claims/definitions/s1_objects.py).

RT-UNIGRAM: P_i is the token frequency of each vocabulary word (THEORY §1), which differs from the row
sums of the windowed P_ij wherever words sit at line ends, alone on a line, or next to OOV words.
RT-ANALOGY-EXCLUDE: 3CosAdd never answers with a query word (THEORY §5), which matters whenever
b - a + c lies nearest a query word, e.g. b close to a, so that b - a + c is close to c.
Every case is built so that the convention changes the answer; each test checks that it does.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sims.claims.definitions.s1_objects import AnalogyCase, CorpusCase
from sims.claims.recording import check, check_claim

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran"]

# Lines end on "mat", "dog" and "cat", line 3 is "cat" alone, and "x" is out of vocabulary at V = 4 (removed
# before windowing): token counts and window marginals disagree.
HAND_CORPUS = "the cat sat on the mat\nthe dog\ncat\ncat x the cat\n"


@st.composite
def corpora(draw):
    """Multi-line texts with line ends and one-word lines (tokens without any window pair), every word in
    the vocabulary (V = the distinct words) and each with a neighbour: the cases RT-UNIGRAM's hypothesis needs."""
    lines = [draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=12)) for _ in range(draw(st.integers(1, 4)))]
    words = sorted({w for line in lines for w in line})
    if len(words) < 2:  # a line of one repeated word: give it a second word
        lines[0] = lines[0] + [next(w for w in WORDS if w != words[0])]
        words = sorted({w for line in lines for w in line})
    alone = draw(st.sampled_from(words))
    lines += [[alone]] * draw(st.integers(1, 3))
    order = draw(st.permutations(range(len(lines))))
    text = "\n".join(" ".join(lines[i]) for i in order)
    return CorpusCase(text, vocab=len(words), window=draw(st.integers(1, 3)))


def discriminates(case: CorpusCase) -> bool:
    return float(np.max(np.abs(case.row_sum_unigram() - case.token_frequencies(case.stats.vocab)))) > 1e-6


@pytest.mark.claim("RT-UNIGRAM")
def test_unigram_is_token_frequency_hand_example():
    """A corpus worked by hand: 'cat' alone on a line counts as a token but adds no window pair."""
    case = CorpusCase(HAND_CORPUS, vocab=4, window=2)
    check(discriminates(case), "the corpus tells token frequencies from row sums of P_ij", problem=case)
    check_claim("RT-UNIGRAM", case)
    # cat 4, the 4, dog 1, mat 1, on 1, sat 1 (x 1): V = 4 keeps cat, the (ties alphabetical) then dog, mat.
    assert case.stats.vocab == ["cat", "the", "dog", "mat"]
    assert np.allclose(case.stats.cooccurrence().unigram, np.array([4, 4, 1, 1]) / 10)


@pytest.mark.claim("RT-UNIGRAM")
@given(case=corpora())
@example(case=CorpusCase(HAND_CORPUS, vocab=4, window=2))
def test_unigram_is_token_frequency(case):
    # The one-word lines make token frequencies and row sums differ in all but contrived cases; the hand
    # example (also the explicit example here) is the one checked to discriminate.
    check_claim("RT-UNIGRAM", case)


@st.composite
def analogy_cases(draw):
    """Random unit-ish embeddings and questions whose b is a's near twin: b - a + c ~ c, so without the
    exclusion c (a query word) would be the answer."""
    size = draw(st.integers(6, 30))
    dim = draw(st.integers(3, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    embeddings = rng.standard_normal((size, dim))
    count = draw(st.integers(1, 6))
    ids = np.array([rng.choice(size, 4, replace=False) for _ in range(count)])
    twin = draw(st.floats(1e-3, 0.05))
    for a, b, _, _ in ids:  # b = a + small noise (later questions may move an earlier b; c stays nearest)
        embeddings[b] = embeddings[a] + twin * rng.standard_normal(dim)
    return AnalogyCase(embeddings, ids, label=f"AnalogyCase(V={size}, d={dim}, Q={count}, seed={seed}, twin={twin:.3g})")


@pytest.mark.claim("RT-ANALOGY-EXCLUDE")
def test_analogy_excludes_query_words_hand_example():
    """man:woman :: king:? with woman ~ man: b - a + c ~ king, the query word; queen is the answer."""
    w = np.array([[1.0, 0.0, 0.0],     # 0 man
                  [0.99, 0.05, 0.0],   # 1 woman (near man)
                  [0.0, 0.0, 1.0],     # 2 king
                  [0.1, 0.3, 0.95],    # 3 queen
                  [0.0, 1.0, 0.0]])    # 4 other
    case = AnalogyCase(w, np.array([[0, 1, 2, 3]]), label="man:woman :: king:? (woman ~ man)")
    check(bool(case.nearest_is_query_word()[0]), "without the exclusion the query word 'king' wins", problem=case)
    outcome = check_claim("RT-ANALOGY-EXCLUDE", case)
    assert list(outcome.measurement.measured) == [3]


@pytest.mark.claim("RT-ANALOGY-EXCLUDE")
@given(case=analogy_cases())
def test_analogy_excludes_query_words(case):
    check(bool(np.any(case.nearest_is_query_word())), "some question has a query word nearest b - a + c",
          problem=case)
    check_claim("RT-ANALOGY-EXCLUDE", case)
