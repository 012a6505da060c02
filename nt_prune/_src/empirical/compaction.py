# Copyright 2026 The nt_prune Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.


r"""The kept entries of a mask, at a static capacity.

Under `jit` shapes are static, but the number of entries a freshly drawn
mask keeps varies. A mask of :math:`n` entries that declares its keep
probability :math:`q` (`masking.remask`) gets the static capacity

.. math::

  C = \min\left(n, \left\lceil q n + 7 \sqrt{n q (1 - q)} + 16
  \right\rceil\right),

seven standard deviations above the mean of the binomial count (an
undeclared mask gets :math:`C = n`); the paths (`paths.py`) add the entries
past the first :math:`C`, if a mask ever keeps more, in a guard, so none is
ever dropped.

The kept entries are found by a stream compaction on bit-packed words
(`true_entries`), rather than `jnp.nonzero`, which scatters one update per
entry and is several times slower on CPU.
"""

import math
from typing import Optional, Sequence, Union

import jax
from jax import lax
from jax import numpy as jnp

# Standard deviations of the binomial count above its mean in a capacity.
_Z_CAPACITY = 7.
# Entries above the mean and the deviations, for small masks.
_CAPACITY_SLACK = 16
_WORD = 32  # Bits per word when compacting a mask.


def capacity(size: int, keep_prob: Optional[float]) -> int:
  """Static number of kept entries reserved for a mask of `size` entries."""
  if keep_prob is None or keep_prob >= 1.:
    return size
  mean = size * keep_prob
  std = math.sqrt(size * keep_prob * (1. - keep_prob))
  return int(min(size, math.ceil(mean + _Z_CAPACITY * std + _CAPACITY_SLACK)))


def true_entries(mask: jax.Array, size: int,
                 start: Union[int, jax.Array] = 0
                 ) -> tuple[jax.Array, jax.Array]:
  """Flat indices of True entries `start` to `start + size` of a flat `mask`.

  Stream compaction in a few passes that XLA runs fast on every backend: the
  mask is packed into 32-bit words; a word's kept entries take the output
  slots from the exclusive prefix sum of the words' population counts; one
  scatter per word (not per entry) and a running maximum give each slot its
  word; a 5-step binary search on population counts gives the slot's bit
  within its word.

  Args:
    mask: a flat boolean array.
    size: the number of indices to return.
    start: the rank of the first True entry to return.

  Returns:
    `(indices, count)`: `indices[t]` is the flat index of the True entry of
    rank `start + t` for `start + t < count` (the rest are valid indices of
    no meaning), and `count` the number of True entries.
  """
  n_words = -(-mask.size // _WORD)
  bits = jnp.pad(mask, (0, n_words * _WORD - mask.size)).reshape(
      n_words, _WORD).astype(jnp.uint32)
  words = jnp.sum(bits << jnp.arange(_WORD, dtype=jnp.uint32)[None], axis=1,
                  dtype=jnp.uint32)
  counts = lax.population_count(words).astype(jnp.int32)
  first_slot = jnp.cumsum(counts) - counts - start
  nonempty = counts > 0
  word_ids = jnp.arange(n_words, dtype=jnp.int32)
  # Slot 0's word, then each word that starts a later slot.
  first_word = jnp.max(jnp.where(nonempty & (first_slot <= 0), word_ids, 0))
  starts = jnp.where(nonempty & (first_slot > 0) & (first_slot < size),
                     first_slot, size)
  word = jnp.full(size, first_word).at[starts].max(word_ids, mode='drop')
  word = lax.cummax(word)
  rank = (jnp.arange(size) - first_slot[word]).astype(jnp.uint32)
  bits = words[word]
  # The largest `bit` with at most `rank` kept entries below it.
  bit = jnp.zeros(size, jnp.uint32)
  for step in (16, 8, 4, 2, 1):
    trial = bit + step
    below = lax.population_count(bits & ((jnp.uint32(1) << trial) - 1))
    bit = jnp.where(below <= rank, trial, bit)
  indices = jnp.minimum(word * _WORD + bit.astype(jnp.int32), mask.size - 1)
  return indices, jnp.sum(counts)


def kept_entries(m: jax.Array, size: int,
                 start: Union[int, jax.Array] = 0,
                 value: Optional[jax.Array] = None
                 ) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
  """Kept entries `start` to `start + size` of `m`, and how many `m` keeps.

  Args:
    m: a multiplier; its nonzero entries are the kept ones.
    size: the number of entries to return; `m.size` takes every entry, kept
      or not, with no search.
    start: the rank of the first kept entry to return.
    value: the one value every kept entry of `m` has, if known
      (`analysis.kept_value`): it is then not gathered.

  Returns:
    `((flat indices, weights), count)`. Entries past the number kept
    (padding up to the static `size`) get weight 0, so they add nothing.
  """
  flat = m.reshape(-1)
  if size == flat.size:
    return (jnp.arange(size), flat), size
  idx, count = true_entries(flat != 0, size, start)
  kept = flat[idx] if value is None else value
  return (idx, kept * (start + jnp.arange(size) < count)), count


def flat_index(idx: jax.Array, shape: Sequence[int],
               axes: Sequence[int]) -> jax.Array:
  """The flat index over `axes` of the entries whose flat index is `idx`.

  `idx` is in bounds (and below `2**31`, as every index here), so unsigned
  division gives it: a shift and a mask where a size is a power of 2, where
  `jnp.unravel_index` and `jnp.ravel_multi_index` add signs, selects and
  clamps for negative and out-of-bounds indices.
  """
  idx = idx.astype(jnp.uint32)
  out = jnp.zeros_like(idx)
  for a in axes:
    stride = math.prod(shape[a + 1:])
    out = out * shape[a] + idx // stride % shape[a]
  return out
