"""The streaming corpus reader: formats (.gz/.bz2/.xz, Wikipedia XML), folders, shards, and bad corpora."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import numpy as np
import pytest

from sims.corpus import corpus_statistics
from sims.data.counting import count_corpus
from sims.data.reader import corpus_files, corpus_shards, iter_documents, shard_chunks
from theory.validation import InputError

TEXT = "The cat sat on the mat.\nA dog ran!\n\nthe big red dog sat on the cat\nx\n" * 7


def enwiki_dump() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"))


def same_counts(a, b) -> None:
    assert a.vocab == b.vocab
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.word_counts, b.word_counts)
    assert (a.tokens, a.kept_tokens, a.documents) == (b.tokens, b.kept_tokens, b.documents)


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz"),
                                            (gzip.open, ".txt")])
def test_compressed_text_counts_as_plain(tmp_path, opener, suffix):
    """Compression is recognised from the first bytes (a gzip file named .txt too)."""
    plain = tmp_path / "plain.txt"
    plain.write_text(TEXT)
    packed = tmp_path / f"packed{suffix}"
    with opener(packed, "wb") as out:
        out.write(TEXT.encode())
    (shard,) = corpus_shards(packed)
    assert shard.compression is not None and shard.end is None
    same_counts(count_corpus(packed, 5, 3, chunk_bytes=10), count_corpus(plain, 5, 3))
    same_counts(count_corpus(packed, 5, 3).statistics(), corpus_statistics(plain, 5, 3, cache=False))


def small_dump(tmp_path, pages: int = 60) -> Path:
    """The first `pages` articles of gensim's shortened enwiki dump, as a valid .xml.bz2 of its own."""
    with bz2.open(enwiki_dump(), "rb") as stream:
        xml = stream.read()
    cut = 0
    for _ in range(pages):
        cut = xml.index(b"</page>", cut) + len(b"</page>")
    path = tmp_path / "small-pages-articles.xml.bz2"
    path.write_bytes(bz2.compress(xml[:cut] + b"\n</mediawiki>\n"))
    return path


def test_wikipedia_dump_is_sniffed_and_streamed(tmp_path):
    """gensim's shortened enwiki dump: XML recognised inside bz2, articles come out as token lists."""
    (shard,) = corpus_shards(enwiki_dump())
    assert shard.wikipedia and shard.compression == "bz2"
    first = next(iter_documents(small_dump(tmp_path, pages=10)))
    assert len(first) > 100 and all(t.isalpha() and t.islower() for t in first)


def test_wikipedia_articles_are_documents(tmp_path):
    """Markup stripped by gensim, each article one document: counts equal those of the articles as lines."""
    dump = small_dump(tmp_path)
    articles = list(iter_documents(dump))
    assert len(articles) >= 3 and all(articles)
    assert not {"ref", "http", "thumb"} & {t for doc in articles for t in doc[:20]}
    as_text = tmp_path / "articles.txt"
    as_text.write_text("\n".join(" ".join(doc) for doc in articles) + "\n")
    streamed = count_corpus(dump, 300, 5)
    same_counts(streamed.statistics(), corpus_statistics(as_text, 300, 5, cache=False))
    assert streamed.documents == len(articles)


def test_min_document_tokens_drops_short_documents(tmp_path):
    lines = ["a b c d e f", "a b", "c d e f g h i", "x"]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines))
    kept = tmp_path / "kept.txt"
    kept.write_text("\n".join(line for line in lines if len(line.split()) >= 5))
    streamed = count_corpus(path, 4, 2, min_document_tokens=5)
    same_counts(streamed.statistics(), corpus_statistics(kept, 4, 2, cache=False))
    assert streamed.documents == 2 and streamed.tokens == 13
    assert [len(d) for d in iter_documents(path, min_document_tokens=5)] == [6, 7]
    with pytest.raises(InputError, match="500 or more tokens"):
        count_corpus(path, 2, 2, min_document_tokens=500)


def test_folders_are_read_recursively_in_sorted_order(tmp_path):
    (tmp_path / "z").mkdir()
    (tmp_path / "b.txt").write_text("b b\n")
    (tmp_path / "a.txt").write_text("a a\n")
    (tmp_path / "z" / "c.txt").write_text("c c\n")
    assert [p.name for p in corpus_files(tmp_path)] == ["a.txt", "b.txt", "c.txt"]
    assert [d[0] for d in iter_documents(tmp_path)] == ["a", "b", "c"]


def test_shards_cut_at_line_boundaries(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(TEXT + "no final newline")
    raw = path.read_bytes()
    shards = corpus_shards(path, shard_bytes=17)
    assert len(shards) > 3 and shards[0].start == 0 and shards[-1].end == len(raw)
    assert all(a.end == b.start for a, b in zip(shards, shards[1:]))
    assert all(raw[s.start - 1:s.start] == b"\n" for s in shards[1:])
    assert b"".join(c for s in shards for c in shard_chunks(s, chunk_bytes=5)) == raw


def test_non_ascii_letters_tokenise_as_lower_does(tmp_path):
    """U+212A KELVIN SIGN lower-cases to 'k'; U+0130 to 'i' + a combining dot (which ends the token)."""
    text = "\u212aelvin \u0130stanbul KELVIN kelvin istanbul caf\u00e9 stra\u00dfe x\u0130y\n" * 3
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    assert list(iter_documents(path))[0][:2] == ["kelvin", "i"]
    same_counts(count_corpus(path, 6, 2).statistics(), corpus_statistics(path, 6, 2, cache=False))


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    (b"", "empty"),
    (b"  \n 123 !!\n", "no tokens"),
    (b"hello world\x00\x00binary\n", "binary"),
    (b"good text\nbad \xff\xfe bytes\n", "not valid UTF-8 (at byte 14)"),
    (b"a b c\n", "exceeds the 3 distinct words"),
])
def test_bad_corpus_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        count_corpus(path, 4, 2)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value) or message in ("no tokens", "exceeds the 3 distinct words")


def test_binary_after_first_block_and_in_compressed_files(tmp_path):
    late = tmp_path / "late.txt"
    late.write_bytes(b"word " * 100_000 + b"\x00\n")
    with pytest.raises(InputError, match="NUL at byte 500000"):
        count_corpus(late, 1 + 1, 2, chunk_bytes=4096)
    packed = tmp_path / "p.gz"
    with gzip.open(packed, "wb") as out:
        out.write(b"fine\n\xc3\x28 broken\n")
    with pytest.raises(InputError, match="not valid UTF-8 .at decompressed byte 5"):
        count_corpus(packed, 2, 2)
    truncated = tmp_path / "t.gz"
    truncated.write_bytes(gzip.compress(TEXT.encode())[:30])
    with pytest.raises(InputError, match="cannot be read") as info:
        count_corpus(truncated, 2, 2)
    assert "\n" not in str(info.value)


def test_empty_folder_and_vocabulary_too_large_for_context(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no files"):
        count_corpus(tmp_path / "empty", 2, 2)
    path = tmp_path / "c.txt"
    path.write_text("title\ntitle\na b\n")
    with pytest.raises(InputError, match="co-occur"):
        count_corpus(path, 3, 2)
