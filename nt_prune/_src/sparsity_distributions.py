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

r"""Per-layer sparsities that reach a global sparsity: uniform and ERK.

With jaxpruner's definitions (`jaxpruner.sparsity_distributions`), for weight
shapes :math:`s_l` with :math:`N_l = \prod s_l` entries and a global sparsity
:math:`p`:

* `'uniform'`: every layer gets :math:`p`;
* `'erk'` (Erdos-Renyi-Kernel [1, 2]): the density of layer :math:`l` is
  :math:`\epsilon r_l`, :math:`r_l = \sum s_l / \prod s_l`, with
  :math:`\epsilon` chosen so that the kept counts add up to the uniform ones,

  .. math::

    \epsilon \sum_{l \text{ not dense}} r_l N_l
    = \sum_{l \text{ not dense}} (N_l - Z_l) - \sum_{l \text{ dense}} Z_l,
    \qquad Z_l = \lfloor p N_l \rfloor;

  a layer whose density would exceed 1 (the largest :math:`r_l` first) is
  made dense, and :math:`\epsilon` is solved again over the rest.

References:
  [1] `Rigging the Lottery: Making All Tickets Winners
  <https://arxiv.org/abs/1911.11134>`_, Utku Evci et al., ICML 2020.

  [2] `The Unreasonable Effectiveness of Random Pruning: Return of the Most
  Naive Baseline for Sparse Training <https://arxiv.org/abs/2202.02643>`_,
  Shiwei Liu et al., ICLR 2022.
"""

import math
from typing import Sequence

import numpy as np

from nt_prune._src import validation

DISTRIBUTIONS = ('uniform', 'erk')


def layer_sparsities(shapes: Sequence[Sequence[int]], sparsity: float,
                     distribution: str = 'erk') -> list[float]:
  """Sparsities of layers with weight `shapes` that reach `sparsity` overall.

  Args:
    shapes: the weight shapes, one per pruned layer (`(in, out)` for a dense
      layer, `HWIO` for a convolution).
    sparsity: the global fraction of weights pruned, in `[0, 1)`.
    distribution: `'uniform'` or `'erk'`.

  Returns:
    One sparsity per layer, to pass to its pruned layer.

  Example:

    >>> import nt_prune
    >>> sparsities = nt_prune.layer_sparsities(
    ...     [(784, 300), (300, 100), (100, 10)], 0.9)
    >>> [round(s, 4) for s in sparsities]
    [0.9204, 0.7698, 0.0]
  """
  where = 'layer_sparsities'
  sparsity = validation.check_sparsity(where, sparsity)
  if not isinstance(distribution, str) or distribution not in DISTRIBUTIONS:
    validation.refuse(ValueError, where, 'distribution', distribution,
                      f'one of {DISTRIBUTIONS}')
  if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Sequence) or \
      not shapes:
    validation.refuse(TypeError, where, 'shapes', shapes,
                      'a non-empty sequence of weight shapes')
  shapes = [validation.check_positive_ints(where, f'shapes[{i}]', s)
            for i, s in enumerate(shapes)]
  if distribution == 'uniform':
    return [sparsity] * len(shapes)

  sizes = [math.prod(s) for s in shapes]
  zeros = [math.floor(sparsity * n) for n in sizes]
  raw = [sum(s) / n for s, n in zip(shapes, sizes)]
  dense = set()
  while True:
    rest = [l for l in range(len(shapes)) if l not in dense]
    if not rest:
      return [0.] * len(shapes)
    kept = sum(sizes[l] - zeros[l] for l in rest) - sum(zeros[l]
                                                          for l in dense)
    eps = kept / sum(raw[l] * sizes[l] for l in rest)
    largest = max(raw[l] for l in rest)
    if largest * eps <= 1:
      break
    dense.update(l for l in rest if raw[l] == largest)
  return [0. if l in dense else float(1. - eps * raw[l])
          for l in range(len(shapes))]


def global_sparsity(shapes: Sequence[Sequence[int]],
                    sparsities: Sequence[float]) -> float:
  """The overall fraction pruned by per-layer `sparsities`."""
  sizes = np.array([math.prod(s) for s in shapes], np.float64)
  return float(np.dot(sizes, sparsities) / sizes.sum())
