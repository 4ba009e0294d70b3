"""Conventions the real-text pipeline encodes: THEORY §1's unigram P_i and §5's analogy protocol.

Each claim is measured against a reference computed here straight from the definition, independently of
the code it checks (no shared tokeniser or scoring). The cases are small and constructed by the tests
(tests/claims/test_s1_conventions.py) so that the convention matters: a corpus whose token frequencies differ from
the row sums of P_ij, analogy questions whose b - a + c lies nearest a query word.
"""

from __future__ import annotations

import collections
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from sims.claims.registry import Hypothesis, Measurement, register, require
from theory.validation import InputError


@dataclass(frozen=True)
class CorpusCase:
    """A plain-text corpus, counted by sims.corpus.corpus_statistics with V = `vocab`, window L = `window`."""

    text: str
    vocab: int
    window: int

    @cached_property
    def stats(self):
        """The pipeline's CorpusStatistics, or the InputError it raised (a case, not a crash)."""
        from sims.corpus import corpus_statistics

        with tempfile.TemporaryDirectory(prefix="w2v-convention-") as folder:
            path = Path(folder) / "corpus.txt"
            path.write_text(self.text, encoding="utf-8")
            try:
                return corpus_statistics(path, self.vocab, self.window, cache=False)
            except InputError as error:
                return error

    def token_frequencies(self, words) -> np.ndarray:
        """Reference: how often each word occurs as a token (lowercased runs of a-z), over the given words."""
        counter = collections.Counter(re.findall(r"[a-z]+", self.text.lower()))
        counts = np.array([counter[w] for w in words], dtype=np.float64)
        return counts / counts.sum()

    def row_sum_unigram(self) -> np.ndarray:
        """The convention THEORY §1 rules out: P_i taken as the marginal sum_j P_ij of the window counts."""
        counts = self.stats.counts
        return counts.sum(axis=1) / counts.sum()

    def __repr__(self) -> str:
        return f"CorpusCase(text={self.text!r}, vocab={self.vocab}, window={self.window})"


def _counted(case) -> str | None:
    return str(case.stats) if isinstance(case.stats, InputError) else None


COUNTED = Hypothesis("the corpus yields V words that each co-occur with another", _counted)


@register("RT-UNIGRAM", "the real-text unigram P_i is each vocabulary word's token frequency, normalised over the "
                        "vocabulary (not the row sums of the windowed P_ij)",
          source="THEORY §1 (Objects: keep P_i as token frequencies of the top-V words)", tolerance="identity",
          section=1, hypotheses=(COUNTED,))
def unigram_is_token_frequency(case: CorpusCase) -> Measurement:
    stats = case.stats
    reference = case.token_frequencies(stats.vocab)
    unigram = stats.cooccurrence().unigram
    require(unigram.shape == reference.shape, "one P_i per vocabulary word", predicted=reference.shape,
            measured=unigram.shape)
    return Measurement(float(np.max(np.abs(unigram - reference)) / np.max(reference)), predicted=reference,
                       measured=unigram,
                       what="max_i |P_i - token frequency_i| / max_i token frequency_i, P_i from "
                            "CorpusStatistics.cooccurrence()",
                       detail=f"row sums of P_ij would be off by "
                              f"{float(np.max(np.abs(case.row_sum_unigram() - reference))):.3g}")


@dataclass(frozen=True)
class AnalogyCase:
    """Embeddings (V x d) and analogy questions a:b :: c:d as rows of vocabulary ids (Q x 4)."""

    embeddings: np.ndarray = field(repr=False)
    ids: np.ndarray = field(repr=False)
    label: str = ""

    def reference_answers(self) -> np.ndarray:
        """3CosAdd from the definition, one question at a time: argmax over x not in {a, b, c} of
        x̂ . (b̂ - â + ĉ), rows normalised to unit length."""
        norms = np.linalg.norm(self.embeddings, axis=1, keepdims=True)
        unit = self.embeddings / np.where(norms > 0, norms, 1.0)
        answers = []
        for a, b, c, _ in self.ids:
            query = unit[b] - unit[a] + unit[c]
            best, best_score = -1, -np.inf
            for x in range(len(unit)):
                if x in (a, b, c):
                    continue
                score = float(unit[x] @ query)
                if score > best_score:
                    best, best_score = x, score
            answers.append(best)
        return np.array(answers, dtype=np.int64)

    def nearest_is_query_word(self) -> np.ndarray:
        """Per question: without the exclusion, would a query word win? (What makes the case discriminating.)"""
        norms = np.linalg.norm(self.embeddings, axis=1, keepdims=True)
        unit = self.embeddings / np.where(norms > 0, norms, 1.0)
        queries = unit[self.ids[:, 1]] - unit[self.ids[:, 0]] + unit[self.ids[:, 2]]
        best = np.argmax(queries @ unit.T, axis=1)
        return np.any(best[:, None] == self.ids[:, :3], axis=1)

    def __repr__(self) -> str:
        return self.label or f"AnalogyCase(V={len(self.embeddings)}, d={self.embeddings.shape[1]}, Q={len(self.ids)})"


def _distinct_queries(case) -> str | None:
    ids = np.asarray(case.ids)
    if ids.ndim != 2 or ids.shape[1] != 4 or len(ids) == 0:
        return f"questions must be a non-empty (Q, 4) array of ids, got shape {ids.shape}"
    repeated = int(np.count_nonzero([len(set(row[:3])) < 3 for row in ids]))
    if repeated:
        return f"{repeated} questions repeat a query word"
    if len(case.embeddings) < 4:
        return "fewer than 4 words: nothing is left to answer with"
    return None


DISTINCT_QUERIES = Hypothesis("every question has three distinct query words and V >= 4", _distinct_queries)


@register("RT-ANALOGY-EXCLUDE", "3CosAdd answers a:b :: c:? with the unit-norm word nearest b - a + c among all "
                                "words except a, b and c (never a query word)",
          source="THEORY §5 (3CosAdd on L2-normalised vectors excluding the three query words); "
                 "sims/data/evaluation.py", tolerance="exact_count", section=5, hypotheses=(DISTINCT_QUERIES,))
def analogy_excludes_query_words(case: AnalogyCase) -> Measurement:
    from sims.data.evaluation import AnalogyQuestions, analogy_predictions

    ids = np.asarray(case.ids, dtype=np.int64)
    questions = AnalogyQuestions(ids, np.array(["convention"] * len(ids)), len(ids))
    answers = analogy_predictions(case.embeddings, questions)
    reference = case.reference_answers()
    query_answers = int(np.count_nonzero(np.any(answers[:, None] == ids[:, :3], axis=1)))
    wrong = int(np.count_nonzero(answers != reference))
    return Measurement(float(query_answers + wrong), predicted=reference, measured=answers,
                       what=f"violations: {query_answers} answers are a query word, {wrong} answers differ from "
                            "the per-question reference (argmax over words other than a, b, c)",
                       detail=f"{int(np.count_nonzero(case.nearest_is_query_word()))} of {len(ids)} questions "
                              "have a query word nearest b - a + c")
