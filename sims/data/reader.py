"""Stream a corpus (files or folders; plain, gzip, bzip2, xz text or Wikipedia XML) as chunks of whole lines.

A line is a document (a Wikipedia article is made one line). Chunks are bytes that end at a line boundary,
checked to be strict UTF-8 without NUL bytes; shards cut plain files into byte ranges at line boundaries
so that several processes can read one file. Tokens are as in sims.corpus: runs of a-z in `text.lower()`.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from theory.validation import InputError

TOKEN_PATTERN = re.compile(r"[a-z]+")
CHUNK_BYTES = 4 << 20
SHARD_BYTES = 64 << 20
SNIFF_BYTES = 4096
MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
# What an undecodable compressed stream raises (plus OSError/EOFError for truncated ones).
DECOMPRESSION_ERRORS = (OSError, EOFError, lzma.LZMAError, gzip.BadGzipFile)


@dataclass(frozen=True)
class Shard:
    """A byte range [start, end) of a plain text file, or a whole compressed or XML file (end = None)."""

    path: str
    start: int
    end: int | None
    compression: str | None   # None, "gzip", "bz2" or "xz"
    wikipedia: bool           # a MediaWiki XML dump: one article per document
    size: int                 # bytes on disk this shard covers (for balancing and progress)


def corpus_files(paths) -> list[Path]:
    """The files a corpus consists of: each path as given, folders expanded (recursively, sorted)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError(f"corpus {str(path)!r} does not exist")
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file())
            if not inside:
                raise InputError(f"corpus folder {str(path)!r} holds no files")
            files.extend(inside)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"corpus {str(path)!r} is not a regular file or folder")
    if not files:
        raise InputError("no corpus files given")
    for path in files:
        if not os.access(path, os.R_OK):
            raise InputError(f"corpus file {str(path)!r} is not readable")
    return files


def sniff(path: Path) -> tuple[str | None, bool]:
    """(compression, is a MediaWiki XML dump), from the first bytes, not from the file name."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(8)
        compression = next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)
        with (OPENERS[compression](path, "rb") if compression else open(path, "rb")) as stream:
            start = stream.read(SNIFF_BYTES)
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(f"corpus file {str(path)!r} cannot be read: {_reason(exc)}") from None
    text = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    return compression, text.startswith(b"<") and b"<mediawiki" in text[:1024]


def corpus_shards(paths, shard_bytes: int = SHARD_BYTES) -> list[Shard]:
    """Every file of the corpus as shards: plain files cut into ~shard_bytes ranges at line boundaries."""
    shards: list[Shard] = []
    for path in corpus_files(paths):
        compression, wikipedia = sniff(path)
        size = path.stat().st_size
        if compression or wikipedia:
            shards.append(Shard(str(path), 0, None, compression, wikipedia, size))
            continue
        cuts = _line_boundaries(path, size, shard_bytes)
        shards.extend(Shard(str(path), a, b, None, False, b - a) for a, b in zip(cuts, cuts[1:]) if b > a)
    return shards


def _line_boundaries(path: Path, size: int, shard_bytes: int) -> list[int]:
    """0, then the first line start at or after each multiple of shard_bytes, then size."""
    cuts = [0]
    with open(path, "rb") as stream:
        for target in range(shard_bytes, size, shard_bytes):
            if target <= cuts[-1]:
                continue
            stream.seek(target - 1)
            # Reading from target - 1: if that byte is a newline, target itself starts a line.
            offset = target - 1
            while True:
                block = stream.read(1 << 16)
                if not block:
                    offset = size
                    break
                found = block.find(b"\n")
                if found >= 0:
                    offset += found + 1
                    break
                offset += len(block)
            if offset >= size:
                break
            cuts.append(offset)
    cuts.append(size)
    return cuts


def shard_chunks(shard: Shard, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The shard's text as validated chunks of whole lines (the last may lack its final newline)."""
    if shard.wikipedia:
        blocks = _wikipedia_blocks(shard, chunk_bytes)
    else:
        blocks = _raw_blocks(shard, chunk_bytes)
    offset = shard.start
    for chunk in _whole_lines(blocks):
        check_chunk(chunk, shard, offset)
        offset += len(chunk)
        yield chunk


def _raw_blocks(shard: Shard, chunk_bytes: int) -> Iterator[bytes]:
    try:
        if shard.compression:
            with OPENERS[shard.compression](shard.path, "rb") as stream:
                while block := stream.read(chunk_bytes):
                    yield block
            return
        with open(shard.path, "rb") as stream:
            stream.seek(shard.start)
            left = shard.end - shard.start
            while left > 0 and (block := stream.read(min(chunk_bytes, left))):
                left -= len(block)
                yield block
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(f"corpus file {shard.path!r} cannot be read: {_reason(exc)}") from None


def _whole_lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """Re-cut blocks so each ends after a newline (a line longer than a block is kept whole)."""
    carry = b""
    for block in blocks:
        data = carry + block if carry else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        yield data[:cut] if cut < len(data) else data
        carry = data[cut:]
    if carry:
        yield carry


def check_chunk(chunk: bytes, shard: Shard, offset: int) -> None:
    """InputError naming the file (and byte offset) if the chunk holds a NUL byte or is not UTF-8."""
    where = "decompressed byte" if shard.compression or shard.wikipedia else "byte"
    nul = chunk.find(b"\x00")
    if nul >= 0:
        raise InputError(f"corpus file {shard.path!r} looks binary (NUL at {where} {offset + nul}), not text")
    if chunk.isascii():
        return
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"corpus file {shard.path!r} is not valid UTF-8 (at {where} {offset + exc.start})") from None


def _wikipedia_blocks(shard: Shard, chunk_bytes: int) -> Iterator[bytes]:
    """Articles of a MediaWiki dump, markup stripped by gensim, one per line, in blocks of ~chunk_bytes."""
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    pending: list[bytes] = []
    size = 0
    try:
        with (OPENERS[shard.compression](shard.path, "rb") if shard.compression else open(shard.path, "rb")) as raw:
            for _title, text, _page in extract_pages(raw, filter_namespaces=("0",)):
                if not text or text[:9].lower() == "#redirect":
                    continue
                # An article is one document, and documents are lines: its own line breaks become spaces.
                line = filter_wiki(text).replace("\n", " ").encode("utf-8") + b"\n"
                pending.append(line)
                size += len(line)
                if size >= chunk_bytes:
                    yield b"".join(pending)
                    pending, size = [], 0
    except DECOMPRESSION_ERRORS as exc:
        raise InputError(f"corpus file {shard.path!r} cannot be read: {_reason(exc)}") from None
    except SyntaxError as exc:  # xml.etree's ParseError
        raise InputError(f"corpus file {shard.path!r} is not a readable MediaWiki XML dump: {exc}") from None
    if pending:
        yield b"".join(pending)


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def iter_documents(paths, min_document_tokens: int = 0) -> Iterator[list[str]]:
    """The corpus as token lists, by the regex definition (the slow reference the compiled path matches)."""
    for shard in corpus_shards(paths):
        for chunk in shard_chunks(shard):
            for line in chunk.decode("utf-8").lower().split("\n"):
                tokens = TOKEN_PATTERN.findall(line)
                if tokens and len(tokens) >= min_document_tokens:
                    yield tokens
