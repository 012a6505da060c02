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

"""Networks, data and output shared by the examples and the tests (no flags).

Every architecture has a dense first layer (a pruned layer on the raw inputs
has no Gaussian limit; `nt_prune.serial` gives its exact kernel, see
`prune_every_layer.py`) and pruned layers after it. `sparsity=None` (with the default Bernoulli `mask`) builds the same
architecture from plain `stax` layers only; `mask=nt_prune.NByM(n, m)` takes
its sparsity from the law. The tests import this module through
`tests/models.py`.
"""

import csv
import os
from typing import Any, Callable, Optional, Sequence

import flax.linen as nn
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import flax as npf


def _layers(sparsity: Optional[float], rescale: Optional[str], mask):
  if sparsity is None and mask == 'bernoulli':
    return stax.Dense, stax.Conv
  kwargs = dict(sparsity=sparsity, rescale=rescale, mask=mask)
  return (nt_prune.pruned(stax.Dense, **kwargs),
          nt_prune.pruned(stax.Conv, **kwargs))


def mlp(width: int, *, sparsity: Optional[float],
        rescale: Optional[str] = 'forward', parameterization: str = 'ntk',
        W_std: float = 1.5, b_std: Optional[float] = 0.1,
        activation=stax.Relu, depth: int = 3, out_dim: int = 8,
        mask='bernoulli'):
  """`depth` hidden layers; the first is dense, the rest and readout pruned."""
  common = dict(W_std=W_std, b_std=b_std, parameterization=parameterization)
  dense, _ = _layers(sparsity, rescale, mask)
  layers = [stax.Dense(width, **common), activation()]
  for _ in range(depth - 1):
    layers += [dense(width, **common), activation()]
  layers += [dense(out_dim, **common)]
  return stax.serial(*layers)


def paper_mlp(width: int, sparsity: Optional[float],
              rescale: Optional[str] = 'forward', mask='bernoulli'):
  """The authors' NTK experiment: ReLU, three hidden layers, no biases."""
  return mlp(width, sparsity=sparsity, rescale=rescale, W_std=1., b_std=None,
             out_dim=1, mask=mask)


def cnn(width: int, *, sparsity: Optional[float],
        rescale: Optional[str] = 'forward', parameterization: str = 'ntk',
        b_std: Optional[float] = 0.1, activation=stax.Relu, out_dim: int = 8,
        mask='bernoulli'):
  """Dense first conv, two pruned convs, pooling, flatten, pruned readout."""
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


def flax_mlp(width: int, *, sparsity: float, rescale: Optional[str] = 'forward',
             parameterization: str = 'ntk', b_std: Optional[float] = 0.1,
             activations: Sequence[Callable] = (nn.relu,), depth: int = 2,
             out_dim: int = 8) -> nn.Sequential:
  """flax `mlp`: hidden layer `i` is followed by `activations[i % len]`."""
  common = dict(W_std=1.5, b_std=b_std, parameterization=parameterization)
  layers = [npf.PrunedDense(width, sparsity=0., **common), activations[0]]
  for i in range(1, depth):
    layers += [npf.PrunedDense(width, sparsity=sparsity, rescale=rescale,
                               **common), activations[i % len(activations)]]
  layers += [npf.PrunedDense(out_dim, sparsity=sparsity, rescale=rescale,
                             **common)]
  return nn.Sequential(layers)


def flax_cnn(width: int, *, sparsity: float, rescale: Optional[str] = 'forward',
             parameterization: str = 'ntk', b_std: Optional[float] = 0.1,
             out_dim: int = 8) -> nn.Sequential:
  """A flax CNN with strides, pooling and both paddings."""
  common = dict(W_std=1.5, b_std=b_std, parameterization=parameterization)
  pruning = dict(sparsity=sparsity, rescale=rescale)
  return nn.Sequential([
      npf.PrunedConv(width, (3, 3), padding='SAME', sparsity=0., **common),
      nn.relu,
      npf.PrunedConv(width, (2, 2), strides=(1, 1), **pruning, **common),
      nn.relu,
      npf.AvgPool((2, 2), strides=(2, 2)),
      npf.PrunedConv(width, (2, 2), padding='SAME', **pruning, **common),
      nn.relu,
      npf.Flatten(),
      npf.PrunedDense(out_dim, **pruning, **common),
  ])


def sphere_inputs(n_inputs: int, dimension: int = 10, seed: int = 0):
  """`n_inputs` points on the unit sphere, as in the authors' notebook."""
  x = random.normal(random.PRNGKey(seed), (n_inputs, dimension))
  return x / np.linalg.norm(x, axis=1, keepdims=True)


def digits(n_train: int, n_test: int):
  """sklearn's 8x8 digits: standardized pixels, rows of norm sqrt(64).

  Returns:
    `(x_train, y_train, x_test, y_test)` as float32 numpy arrays, `y` one-hot,
    from one fixed shuffle (seed 0); `n_train + n_test <= 1797`.
  """
  # scikit-learn comes with the `examples` and `test` extras only.
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  data = datasets.load_digits()
  x = data.data.astype(np.float32)
  x = (x - x.mean(0)) / (x.std(0) + 1e-3)
  x /= np.linalg.norm(x, axis=1, keepdims=True) / np.sqrt(x.shape[1])
  y = np.eye(10, dtype=np.float32)[data.target]
  perm = np.random.RandomState(0).permutation(len(x))
  train, test = perm[:n_train], perm[n_train:n_train + n_test]
  return x[train], y[train], x[test], y[test]


def write_csv(rows: Sequence[dict[str, Any]], out_dir: str, name: str) -> str:
  """Writes `rows` (dicts with the same keys) to `out_dir/name`; its path.

  `out_dir` may be `''` (the current directory), as `os.path.dirname` gives
  for a bare file name.
  """
  os.makedirs(out_dir or '.', exist_ok=True)
  path = os.path.join(out_dir, name)
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
  return path
