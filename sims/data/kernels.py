"""Compiled inner loops of corpus counting: a byte-level tokenizer, a word hash table, windowed pair counts.

Tokens are defined as in sims.corpus: runs of a-z in `text.lower()`, lines are documents. On strictly
valid UTF-8 bytes that is exactly: ASCII A-Z lower-cased, a-z kept, every other byte a separator, '\\n'
a document boundary, except the only two non-ASCII characters whose lower case contains a-z:
U+212A KELVIN SIGN (bytes E2 84 AA) lower-cases to 'k', and U+0130 (bytes C4 B0) to 'i' followed by
the combining dot U+0307, which ends the token. Callers must pass validated UTF-8 (see reader.py).

Pair counts are kept as one upper triangle T (i <= j, packed row by row): a pair of in-vocabulary tokens
(a before b) adds its weight to T[min, max]; the symmetric counts of THEORY §1 are C = T + T^T.
"""

from __future__ import annotations

import numba
import numpy as np

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)
EMPTY_SLOT = -1
NEWLINE = 10


@numba.njit(cache=True, nogil=True)
def line_tokens(data, start, end, letters, token_start, token_length, token_hash):
    """Tokenise data[start:end] (one line): lower-case letters into `letters`; returns the token count."""
    count = 0
    used = 0
    first = 0
    inside = False
    h = FNV_OFFSET
    i = start
    while i < end:
        byte = data[i]
        letter = 0
        closes = False
        if 97 <= byte <= 122:
            letter = byte
        elif 65 <= byte <= 90:
            letter = byte + 32
        elif byte == 0xC4 and i + 1 < end and data[i + 1] == 0xB0:
            letter = 105
            closes = True
            i += 1
        elif byte == 0xE2 and i + 2 < end and data[i + 1] == 0x84 and data[i + 2] == 0xAA:
            letter = 107
            i += 2
        if letter != 0:
            if not inside:
                inside = True
                first = used
                h = FNV_OFFSET
            letters[used] = letter
            used += 1
            h = (h ^ np.uint64(letter)) * FNV_PRIME
        if inside and (letter == 0 or closes):
            token_start[count] = first
            token_length[count] = used - first
            token_hash[count] = h
            count += 1
            inside = False
        i += 1
    if inside:
        token_start[count] = first
        token_length[count] = used - first
        token_hash[count] = h
        count += 1
    return count


@numba.njit(cache=True, nogil=True)
def slot_of(h, mask):
    return np.int64((h ^ (h >> np.uint64(29))) & mask)


@numba.njit(cache=True, nogil=True)
def find_word(h, letters, first, length, slots, mask, word_hash, word_offset, word_length, arena):
    """Index of the word letters[first:first+length] in the table, or -(free slot + 1) when absent."""
    s = slot_of(h, mask)
    while True:
        w = slots[s]
        if w == EMPTY_SLOT:
            return -(s + 1)
        if word_hash[w] == h and word_length[w] == length:
            offset = word_offset[w]
            same = True
            for k in range(length):
                if arena[offset + k] != letters[first + k]:
                    same = False
                    break
            if same:
                return w
        s = (s + 1) & mask


@numba.njit(cache=True, nogil=True)
def add_word(slot, h, letters, first, length, slots, word_hash, word_offset, word_length, arena, state):
    """Append a new word (state = [words, arena bytes used]) in the free `slot`; returns its index."""
    w = state[0]
    offset = state[1]
    for k in range(length):
        arena[offset + k] = letters[first + k]
    word_hash[w] = h
    word_offset[w] = offset
    word_length[w] = length
    slots[slot] = w
    state[0] = w + 1
    state[1] = offset + length
    return w


@numba.njit(cache=True, nogil=True)
def count_words(data, position, min_tokens, slots, word_hash, word_offset, word_length, arena, word_count,
                state, letters, token_start, token_length, token_hash):
    """Unigram counts of every word in data[position:] (lines of >= min_tokens tokens only).

    state = [words, arena bytes used, tokens, documents]. Returns where it stopped: len(data) when done,
    else the start of a line for which the table might be too small (grow it and call again from there).
    """
    size = data.shape[0]
    mask = np.uint64(slots.shape[0] - 1)
    capacity = word_hash.shape[0]
    while position < size:
        end = position
        while end < size and data[end] != NEWLINE:
            end += 1
        n = line_tokens(data, position, end, letters, token_start, token_length, token_hash)
        if n > 0 and n >= min_tokens:
            letters_used = token_start[n - 1] + token_length[n - 1]
            # Room for the worst case (every token a new word), and the table at most half full.
            if (state[0] + n > capacity or state[1] + letters_used > arena.shape[0]
                    or 2 * (state[0] + n) > slots.shape[0]):
                return position
            for t in range(n):
                w = find_word(token_hash[t], letters, token_start[t], token_length[t], slots, mask,
                              word_hash, word_offset, word_length, arena)
                if w < 0:
                    w = add_word(-w - 1, token_hash[t], letters, token_start[t], token_length[t], slots,
                                 word_hash, word_offset, word_length, arena, state)
                word_count[w] += 1
            state[2] += n
            state[3] += 1
        position = end + 1
    return size


@numba.njit(cache=True, nogil=True)
def merge_words(source_arena, source_offset, source_length, source_count, source_hash,
                slots, word_hash, word_offset, word_length, arena, word_count, state):
    """Add another table's words and counts into this one (which must have room for all of them)."""
    mask = np.uint64(slots.shape[0] - 1)
    for w in range(source_count.shape[0]):
        first = source_offset[w]
        found = find_word(source_hash[w], source_arena, first, source_length[w], slots, mask,
                          word_hash, word_offset, word_length, arena)
        if found < 0:
            found = add_word(-found - 1, source_hash[w], source_arena, first, source_length[w], slots,
                             word_hash, word_offset, word_length, arena, state)
        word_count[found] += source_count[w]


@numba.njit(cache=True, nogil=True)
def word_hashes(arena, offsets, lengths):
    """FNV-1a hash of each word, the same as line_tokens computes while scanning."""
    out = np.empty(offsets.shape[0], dtype=np.uint64)
    for w in range(offsets.shape[0]):
        h = FNV_OFFSET
        for k in range(lengths[w]):
            h = (h ^ np.uint64(arena[offsets[w] + k])) * FNV_PRIME
        out[w] = h
    return out


@numba.njit(cache=True, nogil=True)
def triangle_row_starts(size):
    """start[i] such that T[i, j] (j >= i) is packed at start[i] + j."""
    start = np.empty(size, dtype=np.int64)
    for i in range(size):
        start[i] = i * size - (i * (i - 1)) // 2 - i
    return start


@numba.njit(cache=True, nogil=True)
def count_windows(data, min_tokens, window, slots, word_hash, word_offset, word_length, arena,
                  triangle, row_start, state, ids, letters, token_start, token_length, token_hash):
    """Add the weighted pairs of data's lines to the packed triangle; state[0] += in-vocabulary tokens.

    Out-of-vocabulary tokens are dropped before windowing; a pair at offset d in 1..L of the remaining
    stream of one line gets weight L + 1 - d.
    """
    size = data.shape[0]
    mask = np.uint64(slots.shape[0] - 1)
    position = 0
    while position < size:
        end = position
        while end < size and data[end] != NEWLINE:
            end += 1
        n = line_tokens(data, position, end, letters, token_start, token_length, token_hash)
        if n > 0 and n >= min_tokens:
            m = 0
            for t in range(n):
                w = find_word(token_hash[t], letters, token_start[t], token_length[t], slots, mask,
                              word_hash, word_offset, word_length, arena)
                if w >= 0:
                    ids[m] = w
                    m += 1
            state[0] += m
            for a in range(m):
                i = ids[a]
                stop = min(a + window + 1, m)
                for b in range(a + 1, stop):
                    j = ids[b]
                    # min/max rather than a branch: which of i, j is smaller is a coin toss.
                    triangle[row_start[min(i, j)] + max(i, j)] += window + a - b + 1
        position = end + 1


@numba.njit(cache=True, nogil=True)
def add_into(total, part, start, stop):
    """total[start:stop] += part[0:stop-start] (any integer dtype into int64, no temporary)."""
    for k in range(stop - start):
        total[start + k] += part[k]


@numba.njit(cache=True, nogil=True)
def row_sums(triangle, size):
    """Row sums of C = T + T^T from the packed triangle (row i's total weight of pairs)."""
    row_start = triangle_row_starts(size)
    sums = np.zeros(size, dtype=np.int64)
    for i in range(size):
        for j in range(i, size):
            v = triangle[row_start[i] + j]
            sums[i] += v
            sums[j] += v
    return sums


@numba.njit(cache=True, nogil=True)
def symmetric_from_triangle(triangle, size, out):
    """out = T + T^T as a dense (size, size) int64 matrix (the diagonal is 2 T_ii: both orders).

    Tile by tile, so that the transposed writes stay within a few cache-resident rows.
    """
    row_start = triangle_row_starts(size)
    tile = 64
    for bi in range(0, size, tile):
        for bj in range(bi, size, tile):
            for i in range(bi, min(bi + tile, size)):
                base = row_start[i]
                for j in range(max(bj, i), min(bj + tile, size)):
                    v = triangle[base + j]
                    out[i, j] = v
                    out[j, i] = v
            if bi == bj:
                for i in range(bi, min(bi + tile, size)):
                    out[i, i] *= 2


@numba.njit(cache=True, nogil=True)
def rehash(slots, word_hash, words):
    """Insert words 0..words-1 into an empty slot array (after the table grew)."""
    mask = np.uint64(slots.shape[0] - 1)
    for w in range(words):
        s = slot_of(word_hash[w], mask)
        while slots[s] != EMPTY_SLOT:
            s = (s + 1) & mask
        slots[s] = w
