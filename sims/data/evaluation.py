"""Word-embedding benchmarks read from installed package data (no network, no pickles): analogies (3CosAdd)
and word similarity (Spearman rho), each reported with its coverage (questions or pairs in vocabulary).

Sets (EVALUATION_SETS): the Google analogies (overall and per family), WordSim-353 and SimLex-999 from
gensim's test data; MSR analogies, MEN, Stanford Rare Words, MTurk and the WordSim-353
similarity / relatedness splits shipped in sims/data/evaluation_sets/ (copied from the hyperhyper wheel;
origins and licences in its README.md). One loader per file format: "sectioned" (": family" lines then
"a b c d", questions-words.txt), "analogy-tsv" (tab-separated a, a_prime, b, b_prime after a header) and
"similarity-tsv" (tab-separated word1, word2, score; # comments, optional header). A missing file or a
malformed row is a one-line InputError naming the file and line.

Analogy protocol (fixed, THEORY §5): keep the questions of questions-words.txt whose four words
are all in the vocabulary (lowercased); normalise every embedding row to unit L2 norm; answer
a:b :: c:? with argmax_x  x̂·(b̂ − â + ĉ) over the whole vocabulary, excluding a, b and c; the
accuracy is the fraction answered with d, over those questions only (their number is reported).
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.stats

from theory.validation import InputError

# Questions scored per matrix product: a (block x V) score matrix stays a few MB at V = 10^4.
ANALOGY_BLOCK = 256


def _gensim_data(name: str) -> Path:
    # gensim.test.utils.datapath's folder, found without importing gensim (which takes seconds).
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:  # pragma: no cover - gensim is a dependency
        raise InputError(f"gensim (which ships {name}) is not installed")
    return Path(spec.origin).parent / "test" / "test_data" / name


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
    with warnings.catch_warnings():
        # Constant cosines (e.g. a rank-1 embedding) have no rank correlation: None, not a warning.
        warnings.simplefilter("ignore", scipy.stats.ConstantInputWarning)
        rho = scipy.stats.spearmanr(cosine, pairs.human).statistic
    return None if not np.isfinite(rho) else float(rho)


# ---------------------------------------------------------------------------------------------------------
# Every set, one loader per format.

SEMANTIC_FAMILIES = ("capital-common-countries", "capital-world", "currency", "city-in-state", "family")


@dataclass(frozen=True)
class EvaluationSet:
    """One benchmark: where its file is (gensim's test data or this package) and how it is read and scored."""

    name: str      # short id used in tables and JSON
    label: str
    kind: str      # "analogy" (3CosAdd accuracy) or "similarity" (Spearman rho)
    format: str    # "sectioned", "analogy-tsv" or "similarity-tsv"
    file: str
    origin: str    # "gensim" (gensim.test.utils.datapath) or "package" (sims/data/evaluation_sets/)


EVALUATION_SETS = (
    EvaluationSet("google", "Google analogies", "analogy", "sectioned", "questions-words.txt", "gensim"),
    EvaluationSet("msr", "MSR analogies", "analogy", "analogy-tsv", "msr.tsv", "package"),
    EvaluationSet("ws353", "WordSim-353", "similarity", "similarity-tsv", "wordsim353.tsv", "gensim"),
    EvaluationSet("ws353_sim", "WordSim-353 similarity", "similarity", "similarity-tsv", "ws353_similarity.tsv",
                  "package"),
    EvaluationSet("ws353_rel", "WordSim-353 relatedness", "similarity", "similarity-tsv", "ws353_relatedness.tsv",
                  "package"),
    EvaluationSet("simlex", "SimLex-999", "similarity", "similarity-tsv", "simlex999.txt", "gensim"),
    EvaluationSet("men", "MEN", "similarity", "similarity-tsv", "bruni_men.tsv", "package"),
    EvaluationSet("rw", "Stanford Rare Words", "similarity", "similarity-tsv", "luong_rare.tsv", "package"),
    EvaluationSet("mturk", "MTurk-287", "similarity", "similarity-tsv", "radinsky_mturk.tsv", "package"),
)
SETS_BY_NAME = {s.name: s for s in EVALUATION_SETS}


def package_data(name: str) -> Path:
    """A file of sims/data/evaluation_sets/ (installed as package data)."""
    return Path(__file__).resolve().parent / "evaluation_sets" / name


def set_path(spec: EvaluationSet) -> Path:
    return _gensim_data(spec.file) if spec.origin == "gensim" else package_data(spec.file)


def _lines(path: Path, what: str):
    """(line number, text) of every line of a UTF-8 file; a missing or undecodable file is one InputError."""
    if not path.is_file():
        raise InputError(f"{what} file {str(path)!r} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} file {str(path)!r} cannot be read as UTF-8 text ({exc.__class__.__name__})") from None
    return list(enumerate(text.splitlines(), start=1))


def _malformed(path: Path, number: int, reason: str) -> InputError:
    return InputError(f"evaluation file {str(path)!r} line {number}: {reason}")


def load_sectioned_analogies(path: str | Path, index: dict[str, int]) -> AnalogyQuestions:
    """questions-words.txt's format: ': family' lines, then 'a b c d' questions (space separated)."""
    path = Path(path)
    rows, sections, section, total = [], [], "", 0
    for number, line in _lines(path, "analogy"):
        if not line.strip():
            continue
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        words = line.lower().split()
        if len(words) != 4:
            raise _malformed(path, number, f"an analogy needs 4 words, got {len(words)}")
        total += 1
        ids = [index.get(w) for w in words]
        if None not in ids:
            rows.append(ids)
            sections.append(section)
    if total == 0:
        raise InputError(f"evaluation file {str(path)!r} holds no analogy questions")
    return AnalogyQuestions(np.array(rows, dtype=np.int64).reshape(-1, 4), np.array(sections, dtype=str), total)


def _data_rows(path: Path, columns: int, header: tuple[str, ...]):
    """Tab-separated data rows (line number, fields) after # comments and an optional header row."""
    first = True
    for number, line in _lines(path, "evaluation"):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if first and tuple(f.strip().lower() for f in fields) == header:
            first = False
            continue
        first = False
        if len(fields) != columns:
            raise _malformed(path, number, f"expected {columns} tab-separated fields, got {len(fields)}")
        yield number, [f.strip() for f in fields]


def load_tsv_analogies(path: str | Path, index: dict[str, int], section: str = "all") -> AnalogyQuestions:
    """hyperhyper's analogy format: header 'a a_prime b b_prime', then a, a', b, b' tab-separated
    (a : a' :: b : b', i.e. the columns of questions-words.txt's a b c d)."""
    path = Path(path)
    rows, total = [], 0
    for number, words in _data_rows(path, 4, ("a", "a_prime", "b", "b_prime")):
        if not all(words):
            raise _malformed(path, number, "an empty word")
        total += 1
        ids = [index.get(w.lower()) for w in words]
        if None not in ids:
            rows.append(ids)
    if total == 0:
        raise InputError(f"evaluation file {str(path)!r} holds no analogy questions")
    return AnalogyQuestions(np.array(rows, dtype=np.int64).reshape(-1, 4), np.array([section] * len(rows), dtype=str),
                            total)


def load_similarity(path: str | Path, index: dict[str, int]) -> SimilarityPairs:
    """Tab-separated word1, word2, score (# comments; header 'word1 word2 score' optional): gensim's
    wordsim353.tsv and simlex999.txt, and hyperhyper's ws/*.tsv."""
    path = Path(path)
    pairs, scores, total = [], [], 0
    for number, (a, b, score) in _data_rows(path, 3, ("word1", "word2", "score")):
        try:
            value = float(score)
        except ValueError:
            raise _malformed(path, number, f"score {score[:20]!r} is not a number") from None
        if not np.isfinite(value) or not a or not b:
            raise _malformed(path, number, "a pair needs two words and a finite score")
        total += 1
        i, j = index.get(a.lower()), index.get(b.lower())
        if i is not None and j is not None:
            pairs.append((i, j))
            scores.append(value)
    if total == 0:
        raise InputError(f"evaluation file {str(path)!r} holds no word pairs")
    return SimilarityPairs(np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(scores, dtype=np.float64), total)


LOADERS = {"sectioned": load_sectioned_analogies, "analogy-tsv": load_tsv_analogies,
           "similarity-tsv": load_similarity}


def load_set(spec: EvaluationSet | str, index: dict[str, int], path: str | Path | None = None):
    """One set's in-vocabulary questions (AnalogyQuestions) or pairs (SimilarityPairs)."""
    spec = SETS_BY_NAME[spec] if isinstance(spec, str) else spec
    return LOADERS[spec.format](set_path(spec) if path is None else path, index)


def load_sets(index: dict[str, int], names=None) -> dict:
    """Every set (or those named), loaded against `index`: {name: questions or pairs}."""
    names = [s.name for s in EVALUATION_SETS] if names is None else list(names)
    unknown = [n for n in names if n not in SETS_BY_NAME]
    if unknown:
        raise InputError(f"unknown evaluation set {unknown[0]!r}; known: {', '.join(SETS_BY_NAME)}")
    return {name: load_set(SETS_BY_NAME[name], index) for name in names}


def family_accuracy(embeddings: np.ndarray, questions: AnalogyQuestions) -> dict:
    """{family: (accuracy or None, questions)} for every family of `questions`, in file order, plus the
    semantic / syntactic aggregates of the Google set (its first five families are semantic)."""
    if len(questions) == 0:
        return {}
    correct = analogy_predictions(embeddings, questions) == questions.ids[:, 3]
    out = {}
    for family in dict.fromkeys(questions.sections.tolist()):
        mask = questions.sections == family
        out[family] = (float(np.mean(correct[mask])), int(mask.sum()))
    semantic = np.isin(questions.sections, SEMANTIC_FAMILIES)
    if semantic.any() and (~semantic).any():
        out["semantic"] = (float(np.mean(correct[semantic])), int(semantic.sum()))
        out["syntactic"] = (float(np.mean(correct[~semantic])), int((~semantic).sum()))
    return out


def score_set(embeddings: np.ndarray, loaded, kind: str, families: bool = False) -> dict:
    """{"score", "covered", "total"} (+ "families" for analogies when asked): one row's cell for one set."""
    if kind == "analogy":
        cell = {"score": analogy_accuracy(embeddings, loaded), "covered": len(loaded), "total": loaded.total}
        if families:
            cell["families"] = {f: {"score": a, "covered": n} for f, (a, n) in family_accuracy(embeddings, loaded).items()}
        return cell
    return {"score": wordsim_spearman(embeddings, loaded), "covered": len(loaded), "total": loaded.total}


def score_all(embeddings: np.ndarray, loaded: dict, families: bool = True) -> dict:
    """Every loaded set scored on one embedding: {set name: cell} (see score_set)."""
    return {name: score_set(embeddings, data, SETS_BY_NAME[name].kind, families and name == "google")
            for name, data in loaded.items()}


def check_sets(names=None) -> None:
    """Read every set's file (or those named) once, so a missing or malformed one fails before any work."""
    load_sets({}, names)
