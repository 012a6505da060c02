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

"""Small architectures shared by the tests: dense first layer, pruned rest.

`sparsity=None` (with the default Bernoulli `mask`) builds the same
architecture from plain `stax` layers only; `mask=nt_prune.NByM(n, m)` takes
its sparsity from the law.
"""

from typing import Optional

from neural_tangents import stax

import nt_prune


def _layers(sparsity: Optional[float], rescale: Optional[str], mask):
  if sparsity is None and mask == 'bernoulli':
    return stax.Dense, stax.Conv
  kwargs = dict(sparsity=sparsity, rescale=rescale, mask=mask)
  return (nt_prune.pruned(stax.Dense, **kwargs),
          nt_prune.pruned(stax.Conv, **kwargs))


def mlp(width: int, *, sparsity: Optional[float],
        rescale: Optional[str] = 'forward', parameterization: str = 'ntk',
        bias: bool = True, activation=stax.Relu, depth: int = 3,
        out_dim: int = 8, mask='bernoulli'):
  """`depth` hidden layers; the first is dense, the rest and readout pruned."""
  b_std = 0.1 if bias else None
  common = dict(W_std=1.5, b_std=b_std, parameterization=parameterization)
  dense, _ = _layers(sparsity, rescale, mask)
  layers = [stax.Dense(width, **common), activation()]
  for _ in range(depth - 1):
    layers += [dense(width, **common), activation()]
  layers += [dense(out_dim, **common)]
  return stax.serial(*layers)


def cnn(width: int, *, sparsity: Optional[float],
        rescale: Optional[str] = 'forward', parameterization: str = 'ntk',
        bias: bool = True, activation=stax.Relu, out_dim: int = 8,
        mask='bernoulli'):
  """Dense first conv, two pruned convs, pooling, flatten, pruned readout."""
  b_std = 0.1 if bias else None
  common = dict(W_std=1.5, b_std=b_std, parameterization=parameterization)
  dense, conv = _layers(sparsity, rescale, mask)
  return stax.serial(
      stax.Conv(width, (3, 3), padding='SAME', **common), activation(),
      conv(width, (3, 3), padding='SAME', **common), activation(),
      stax.AvgPool((2, 2)),
      conv(width, (2, 2), padding='VALID', **common), activation(),
      stax.Flatten(),
      dense(out_dim, **common),
  )
