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

r"""The law of one unit's mask column in a pruned input layer.

A unit of a pruned layer on the raw inputs sees `D` input features: the `d`
input channels of a `Dense` layer, or the `D = c |f|` entries of a
convolution's patch (`c` channels, `|f|` filter taps), ordered channel-major
as `jax.lax.conv_general_dilated_patches` orders them (feature `c |f| + t`
is channel `c` at tap `t`). In the limit of many units, the column
:math:`m \in \{0, 1\}^D` of one unit follows, by mask law:

* `'bernoulli'`: i.i.d. :math:`\mathrm{Bernoulli}(q)` entries;
* `'exact'` (exactly :math:`\mathrm{round}(q |W|)` kept in the whole weight):
  a column is a sample without replacement from a population whose size
  grows with the width, so in the limit its entries are i.i.d.
  :math:`\mathrm{Bernoulli}(q)` as well;
* `'fan_in'`: exactly :math:`k = \mathrm{round}(q D)` ones, uniformly at
  random;
* `NByM(n, m)`: at each tap, exactly `n` of every `m` consecutive channels,
  uniformly and independently.

This module counts a law's distinct columns, lists them with their
probabilities, and samples them.
"""

import itertools
import math

import jax
from jax import numpy as jnp
import numpy as np

from nt_prune._src import mask_laws


def count(where: str, law: mask_laws.MaskLaw, keep_prob: float,
          channels: int, taps: int) -> int:
  """The number of distinct columns of `channels * taps` entries."""
  features = channels * taps
  if law in ('bernoulli', 'exact'):
    return 2**features if keep_prob < 1. else 1
  if law == 'fan_in':
    return math.comb(features,
                     mask_laws.fan_in_kept(where, keep_prob, features))
  mask_laws.check_groups(where, law, channels)
  return math.comb(law.m, law.n)**(features // law.m)


def _subsets(size: int, k: int) -> np.ndarray:
  """All `(C(size, k), size)` 0/1 rows with exactly `k` ones."""
  rows = np.zeros((math.comb(size, k), size), bool)
  for i, kept in enumerate(itertools.combinations(range(size), k)):
    rows[i, list(kept)] = True
  return rows


def enumerate_columns(where: str, law: mask_laws.MaskLaw, keep_prob: float,
                      channels: int, taps: int
                      ) -> tuple[np.ndarray, np.ndarray]:
  """Every distinct column with its probability.

  Args:
    where: the caller's name, for errors.
    law: the mask law.
    keep_prob: `q`.
    channels: the input channels.
    taps: the filter taps (1 for `Dense`).

  Returns:
    `(columns, probabilities)`: a boolean `(M, channels * taps)` array in the
    channel-major feature order, and `(M,)` probabilities that sum to 1.
  """
  features = channels * taps
  if law in ('bernoulli', 'exact'):
    if keep_prob >= 1.:
      return np.ones((1, features), bool), np.ones(1)
    bits = np.arange(2**features)[:, None] >> np.arange(features)
    columns = (bits & 1).astype(bool)
    kept = columns.sum(1)
    return columns, keep_prob**kept * (1. - keep_prob)**(features - kept)
  if law == 'fan_in':
    columns = _subsets(features,
                       mask_laws.fan_in_kept(where, keep_prob, features))
    return columns, np.full(len(columns), 1. / len(columns))
  mask_laws.check_groups(where, law, channels)
  groups = channels // law.m
  choices = _subsets(law.m, law.n)  # One group's columns.
  picks = np.array(list(itertools.product(range(len(choices)),
                                          repeat=groups * taps)), np.int64)
  # (M, groups, taps, m) -> (M, channels, taps): channel-major features.
  blocks = choices[picks].reshape(-1, groups, taps, law.m)
  columns = blocks.transpose(0, 1, 3, 2).reshape(-1, features)
  return columns, np.full(len(columns), 1. / len(columns))


def sample_columns(where: str, law: mask_laws.MaskLaw, keep_prob: float,
                   channels: int, taps: int, samples: int,
                   key: jax.Array) -> jax.Array:
  """`samples` independent columns, a boolean `(samples, channels * taps)`.

  Drawn by `mask_laws.draw` as the weight of `samples` units (HWIO-like
  `(taps, channels, samples)`), so each column follows the law exactly;
  `'exact'` is drawn as its limit, `'bernoulli'`; `draw` refuses what
  `count` would.
  """
  law = 'bernoulli' if law == 'exact' else law
  kept = mask_laws.draw(where, law, key, (taps, channels, samples),
                        keep_prob, in_axis=1, out_axis=2)
  return jnp.transpose(kept, (2, 1, 0)).reshape(samples, channels * taps)
