"""Word-embedding benchmarks on data shipped with gensim: Google analogies (3CosAdd) and WordSim-353 (Spearman).

Analogy protocol (fixed, THEORY §5): keep the questions of questions-words.txt whose four words
are all in the vocabulary (lowercased); normalise every embedding row to unit L2 norm; answer
a:b :: c:? with argmax_x  x̂·(b̂ − â + ĉ) over the whole vocabulary, excluding a, b and c; the
accuracy is the fraction answered with d, over those questions only (their number is reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.stats

from theory.validation import InputError

# Questions scored per matrix product: a (block x V) score matrix stays a few MB at V = 10^4.
ANALOGY_BLOCK = 256


def _gensim_data(name: str) -> Path:
    try:
        from gensim.test.utils import datapath
    except ImportError:  # pragma: no cover - gensim is a dependency
        raise InputError(f"gensim (which ships {name}) is not installed") from None
    return Path(datapath(name))


@dataclass(frozen=True)
class AnalogyQuestions:
    """In-vocabulary analogy questions a:b :: c:d as vocabulary ids, with their section names."""

    ids: np.ndarray          # (Q, 4) int64 columns a, b, c, d
    sections: np.ndarray     # (Q,) str, e.g. "capital-common-countries"
    total: int               # questions in the file, before the vocabulary filter

    def __len__(self) -> int:
        return len(self.ids)


def load_analogies(index: dict[str, int], path: str | Path | None = None) -> AnalogyQuestions:
    """Read questions-words.txt (default: gensim's copy) keeping questions fully inside `index`."""
    path = _gensim_data("questions-words.txt") if path is None else Path(path)
    if not path.is_file():
        raise InputError(f"analogy file {str(path)!r} does not exist")
    rows, sections, section, total = [], [], "", 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        words = line.lower().split()
        if len(words) != 4:
            continue
        total += 1
        ids = [index.get(w) for w in words]
        if None not in ids:
            rows.append(ids)
            sections.append(section)
    return AnalogyQuestions(np.array(rows, dtype=np.int64).reshape(-1, 4), np.array(sections, dtype=str), total)


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm; an all-zero row stays zero (it then scores 0 against everything)."""
    w = np.asarray(embeddings, dtype=np.float64)
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return w / np.where(norms > 0, norms, 1.0)


def analogy_predictions(embeddings: np.ndarray, questions: AnalogyQuestions, block: int = ANALOGY_BLOCK) -> np.ndarray:
    """3CosAdd answer id for every question (query words excluded), computed in blocks of questions."""
    unit = unit_rows(embeddings)
    ids = questions.ids
    answers = np.empty(len(ids), dtype=np.int64)
    for start in range(0, len(ids), block):
        q = ids[start:start + block]
        query = unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]
        scores = query @ unit.T
        rows = np.arange(len(q))[:, None]
        scores[rows, q[:, :3]] = -np.inf
        answers[start:start + block] = np.argmax(scores, axis=1)
    return answers


def analogy_accuracy(embeddings: np.ndarray, questions: AnalogyQuestions) -> float | None:
    """Fraction of in-vocabulary questions answered correctly by 3CosAdd; None when there are none."""
    if len(questions) == 0:
        return None
    return float(np.mean(analogy_predictions(embeddings, questions) == questions.ids[:, 3]))


@dataclass(frozen=True)
class SimilarityPairs:
    """In-vocabulary word pairs with human similarity scores."""

    ids: np.ndarray      # (N, 2) int64
    human: np.ndarray    # (N,) float
    total: int

    def __len__(self) -> int:
        return len(self.ids)


def load_wordsim(index: dict[str, int], path: str | Path | None = None) -> SimilarityPairs:
    """Read wordsim353.tsv (default: gensim's copy), keeping pairs whose words are both in `index`."""
    path = _gensim_data("wordsim353.tsv") if path is None else Path(path)
    if not path.is_file():
        raise InputError(f"similarity file {str(path)!r} does not exist")
    pairs, scores, total = [], [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        total += 1
        a, b = index.get(parts[0].lower()), index.get(parts[1].lower())
        if a is not None and b is not None:
            pairs.append((a, b))
            scores.append(float(parts[2]))
    return SimilarityPairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(scores), total)


def wordsim_spearman(embeddings: np.ndarray, pairs: SimilarityPairs) -> float | None:
    """Spearman rho between cosine similarity and human score; None with fewer than 3 pairs."""
    if len(pairs) < 3:
        return None
    unit = unit_rows(embeddings)
    cosine = np.einsum("ij,ij->i", unit[pairs.ids[:, 0]], unit[pairs.ids[:, 1]])
    rho = scipy.stats.spearmanr(cosine, pairs.human).statistic
    return None if not np.isfinite(rho) else float(rho)
