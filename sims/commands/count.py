"""`w2v-theory count`: exact windowed co-occurrence counts of a large corpus, in parallel, into one .npz file."""

from __future__ import annotations


from sims.commands._common import nonnegative_int, positive_int

NAME = "count"
ORDER = 40
HELP = "count a corpus's windowed co-occurrences (streaming, exact, parallel) into FILE.npz"
DESCRIPTION = """\
Count the windowed co-occurrences of the top-V words of a corpus with THEORY §1's conventions:
tokens are lower-cased runs of a-z, each line is a document, out-of-vocabulary words are removed
before windowing, a pair at offset d = 1..L gets weight L + 1 - d, both orders, never across a line;
the vocabulary is the V most frequent words (ties alphabetical), skipping any word that never has an
in-vocabulary neighbour. The counts equal sims.corpus.corpus_statistics's exactly, in O(V^2) memory
whatever the corpus length.

CORPUS is one or more files or folders (read recursively, in sorted order): UTF-8 text, optionally
gzip/bzip2/xz-compressed, or a MediaWiki XML dump (e.g. enwiki-...-pages-articles.xml.bz2, one article
per document, markup stripped by gensim). Plain files are split into byte ranges counted in parallel;
a compressed file is read by one worker. With --scheduler the work runs on an existing Dask cluster,
whose workers must see CORPUS at the same paths.

The output holds counts (V x V int64), vocab, word_counts, tokens, kept_tokens, documents, window
(see sims/data/counts_file.py); load it with sims.data.load_counts.

examples:
  w2v-theory count wiki.txt --vocab 10000 --window 16 --out counts.npz
  w2v-theory count enwiki-latest-pages-articles.xml.bz2 --vocab 10000 --min-document-tokens 500 --out wiki.npz
  w2v-theory count shards/ --vocab 10000 --scheduler tcp://10.0.0.5:8786 --out counts.npz

measured on this project's 2-core CPU machine (idle, numba's kernel cache warm), a generated corpus
(sims.data.synthetic_corpus), V = 10000, L = 16, --workers 2, file -> .npz (tox -e bench, 3 runs each):
  100 M tokens (564 MB): 21.0-22.1 s end to end, 4.5-4.8 M tokens/s; peak RSS 1.42 GB
   10 M tokens  (56 MB):  7.3-8.3 s end to end, 1.2-1.4 M tokens/s, peak RSS 1.37 GB (fixed costs:
  start-up, V x V triangles, writing); the first run of a fresh checkout also compiles the kernels
"""


def add_arguments(parser) -> None:
    parser.add_argument("corpus", nargs="+", metavar="CORPUS", help="text files or folders of them")
    parser.add_argument("--vocab", type=int, required=True, metavar="V", help="vocabulary size V >= 2")
    parser.add_argument("--window", type=int, default=16, metavar="L", help="words per side L >= 1 (default 16)")
    parser.add_argument("--out", required=True, metavar="FILE.npz", help="where to write the counts")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="local worker processes (default: the usable CPUs, at most 4)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on the Dask cluster at ADDRESS (tcp://HOST:PORT) instead of local processes")
    parser.add_argument("--min-document-tokens", type=nonnegative_int, default=0, metavar="N",
                        help="drop documents with fewer than N tokens (the paper used 500; default 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")


# Weights L + 1 - d and their sums over a corpus must stay far inside int64 (and the kernel's window buffer
# small): a window past any sentence or document length changes nothing but the weights.
MAX_WINDOW = 100_000


def run(args) -> int:
    from sims.data.counting import count_corpus
    from sims.io import check_output_file
    from sims.data.counts_file import save_counts
    from sims.data.parallel import check_address, default_workers
    from sims.data.reader import corpus_files
    from theory.validation import InputError

    if args.vocab < 2:
        raise InputError(f"--vocab must be an integer >= 2, got {args.vocab}")
    if not 1 <= args.window <= MAX_WINDOW:
        raise InputError(f"--window must be an integer from 1 to {MAX_WINDOW}, got {args.window}")
    out = check_output_file(args.out, ".npz")
    corpus_files(args.corpus)
    if args.scheduler is not None:
        check_address(args.scheduler)
    workers = args.workers or default_workers()
    counts = count_corpus(args.corpus, args.vocab, args.window, min_document_tokens=args.min_document_tokens,
                          workers=workers, scheduler=args.scheduler, progress=not args.no_progress)
    save_counts(out, counts)
    rate = counts.tokens / max(counts.seconds, 1e-9)
    print(f"{out}: V = {len(counts.vocab)}, L = {counts.window}, {counts.tokens} tokens "
          f"({counts.kept_tokens} in vocabulary), {counts.documents} documents; "
          f"counted in {counts.seconds:.1f} s ({rate / 1e6:.2f} M tokens/s)")
    return 0
