"""Walker's alias table for one large discrete distribution (the V² pairs of P_ij), drawn on a torch device.

Why an alias table: the pair sampler draws positives (i, j) ~ P_ij from V² = 10⁸ categories at V = 10,000.
torch.multinomial refuses more than 2²⁴ categories, and an inverse-CDF search costs ~log2(V²) = 27 dependent
memory reads per draw; an alias table costs two reads whatever V. Building it (Vose's O(n) method, compiled
with numba) is a one-off ~2 s at n = 10⁸ on one CPU core.

Drawing: bucket b uniform in [0, n), coin c uniform in [0, 1); keep b if c < threshold[b], else take
alias[b]. Bucket b then carries threshold[b] / n of its own probability and (1 − threshold[b]) / n of
alias[b]'s, and the construction makes every category's total its probability (to float64 rounding in the
build, ~1e-13 relative; thresholds are then stored in the working dtype, which in float32 perturbs each
probability by a relative ~1e-7: measured 9e-8 at most on a Zipfian joint of V = 10⁴ words).

Both uniforms come from float64 torch.rand on the generator's device: the bucket as floor(u n), not
torch.randint, whose 32-bit modulo reduction favours the first 2³² mod n buckets by 1 / floor(2³² / n)
(2.4 % at n = 10⁸); the coin needs float64's 2⁻⁵³ resolution because the threshold of a pair of
probability 10⁻¹² among n = 10⁸ buckets is 10⁻⁴ (float32's 2⁻²⁴ grid would distort it by ~6e-4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import torch

from theory.validation import InputError

# Alias indices fit int32 below this many categories (V <= 46,340 words for V² pairs): half the memory.
INT32_CATEGORIES = 2 ** 31 - 1


@numba.njit(cache=True)
def _vose(scaled, alias, stack):
    """Vose's alias method in place: `scaled` (n p_i) becomes the thresholds, `alias` is filled.

    One index array serves both work lists: "small" (scaled < 1) grows from the front, "large" from the
    back; an element moves from large to small when it has given away its surplus, so they never overlap.
    """
    n = scaled.shape[0]
    small = 0
    large = n
    for i in range(n):
        alias[i] = i
        if scaled[i] < 1.0:
            stack[small] = i
            small += 1
        else:
            large -= 1
            stack[large] = i
    while small > 0 and large < n:
        small -= 1
        s = stack[small]
        g = stack[large]
        alias[s] = g                       # bucket s: keep s with probability scaled[s], else g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:                # g is now below one bucket's worth: small
            large += 1
            stack[small] = g
            small += 1
    # What is left is 1 up to rounding: those buckets keep themselves.
    for k in range(small):
        scaled[stack[k]] = 1.0
    for k in range(large, n):
        scaled[stack[k]] = 1.0


def alias_arrays(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(thresholds float64, aliases int32/int64) of Walker's table for non-negative `probabilities` (any sum > 0)."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise InputError("an alias table needs finite, non-negative probabilities")
    total = float(p.sum())
    if total <= 0:
        raise InputError("an alias table needs probabilities with a positive sum")
    n = p.size
    index = np.int32 if n <= INT32_CATEGORIES else np.int64
    scaled = p * (n / total)                   # a fresh float64 array, overwritten with the thresholds
    alias = np.empty(n, dtype=index)
    stack = np.empty(n, dtype=index)
    _vose(scaled, alias, stack)
    return scaled, alias


def alias_probabilities(thresholds: np.ndarray, aliases: np.ndarray) -> np.ndarray:
    """The distribution a table draws from: bucket b gives t_b / n to b and (1 − t_b) / n to alias[b]."""
    t = np.asarray(thresholds, dtype=np.float64)
    n = t.size
    out = t.copy()
    np.add.at(out, np.asarray(aliases, dtype=np.int64), 1.0 - t)
    return out / n


def uniform_indices(uniforms: torch.Tensor, n: int) -> torch.Tensor:
    """floor(u n) for float64 uniforms u in [0, 1): unbiased indices in [0, n) to 2^-53 (torch.randint is not)."""
    return (uniforms * n).long().clamp_(max=n - 1)


@dataclass(frozen=True, eq=False)
class AliasTable:
    """Walker's alias table on one torch device: `draw(count, gen)` returns int64 category indices."""

    thresholds: torch.Tensor   # (n,) working dtype, in [0, 1]
    aliases: torch.Tensor      # (n,) int32 (or int64 beyond 2³¹ categories)

    @classmethod
    def build(cls, probabilities: np.ndarray, *, dtype, device) -> "AliasTable":
        thresholds, aliases = alias_arrays(probabilities)
        return cls(torch.as_tensor(thresholds, device=device).to(dtype),
                   torch.as_tensor(aliases, device=device))

    @property
    def size(self) -> int:
        return int(self.thresholds.shape[0])

    def draw_from(self, uniforms: torch.Tensor) -> torch.Tensor:
        """Categories from 2 x count float64 uniforms in [0, 1): the first half picks buckets, the second tosses coins."""
        count = uniforms.shape[0] // 2
        bucket = uniform_indices(uniforms[:count], self.size)
        keep = uniforms[count:] < self.thresholds[bucket]
        return torch.where(keep, bucket, self.aliases[bucket].long())

    def draw(self, count: int, gen: torch.Generator) -> torch.Tensor:
        """`count` int64 draws, all on the table's device from `gen` (no host round-trip)."""
        u = torch.rand(2 * count, generator=gen, dtype=torch.float64, device=self.thresholds.device)
        return self.draw_from(u)
