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

r"""Mask laws: how the kept entries of a pruned weight are drawn.

With :math:`q` the keep probability (`1 - sparsity`) of a weight :math:`W`
whose fan-in axes are those it sums over (`Dense`: the input axis; `Conv`:
the filter taps and the input channels) and whose output axis indexes the
units:

* `'bernoulli'`: every entry kept independently with probability :math:`q`
  (the law the paper analyses);
* `'exact'`: exactly :math:`\mathrm{round}(q |W|)` entries kept, uniformly at
  random among all subsets of that size
  (`torch.nn.utils.prune.random_unstructured`, jaxpruner's random pruning);
* `'fan_in'`: every output unit keeps exactly
  :math:`\mathrm{round}(q N)` of its :math:`N` inputs, uniformly at random
  (fixed fan-in, as in sparse-network theory);
* `NByM(n, m)`: of every :math:`m` consecutive input channels, each output
  unit keeps exactly :math:`n`, chosen at random (N:M structured sparsity;
  jaxpruner's `NByM`); :math:`q = n / m`.

Why every law has the Bernoulli kernel with :math:`q` the kept fraction: a
hidden unit's pre-activation is :math:`\sum_j M_{ij} W_{ij} x_j` over a
fan-in :math:`N` that grows with width. Under each law the mask is
independent of the Gaussian weights, and its entries are exchangeable within
a unit's fan-in, so conditionally on the mask the sum is Gaussian with
variance :math:`\sigma_W^2 / N \sum_j M_{ij} x_j^2`; the inputs of a hidden
layer are exchangeable in the infinite-width limit, so

.. math::

  \frac{1}{N} \sum_j M_{ij} x_j^2 \to q K_x

whichever :math:`q N` inputs are kept (law of large numbers over the kept
ones), which is the Bernoulli rule. The same holds per filter tap of a
convolution, whose patch sums are averages over taps. On the raw network
inputs the fan-in is fixed and the inputs are not exchangeable: there the
law changes the limit, which `nt_prune.serial` computes exactly
(`input_mixture.py`, `mask_columns.py`).

Draws are reproducible from the `rng`, vectorized (one sort of random bits
along the fan-in; no Python loops over units), and each law's kept counts are
exact.
"""

import math
from typing import Any, NamedTuple, Optional, Sequence, Union

import jax
from jax import lax
from jax import numpy as jnp
from jax import random

from nt_prune._src import validation

MASK_LAWS = ('bernoulli', 'exact', 'fan_in')


class NByM(NamedTuple):
  """N:M structured sparsity: `n` kept of every `m` consecutive inputs."""
  n: int
  m: int


MaskLaw = Union[str, NByM]


def check_mask(where: str, mask: Any,
               sparsity: Optional[float]) -> tuple[MaskLaw, float]:
  """Validates a mask law with its sparsity; returns `(law, sparsity)`.

  For `NByM(n, m)` the sparsity is `1 - n/m`: `sparsity=None` takes it, any
  other value must equal it.
  """
  if isinstance(mask, NByM):
    validation.check_positive_int(where, 'mask.n', mask.n)
    validation.check_positive_int(where, 'mask.m', mask.m)
    if mask.n > mask.m:
      validation.refuse(ValueError, where, 'mask', mask,
                        'NByM(n, m) with n <= m (n kept of every m)')
    implied = 1. - mask.n / mask.m
    if implied >= 1.:
      validation.refuse(ValueError, where, 'mask', mask,
                        'NByM(n, m) with n >= 1')
    if sparsity is not None:
      value = validation.check_sparsity(where, sparsity)
      if not math.isclose(value, implied, abs_tol=1e-12):
        validation.refuse(ValueError, where, 'sparsity', sparsity,
                          f'None or 1 - n/m = {implied!r} for mask={mask!r}')
    return mask, implied
  if not isinstance(mask, str) or mask not in MASK_LAWS:
    validation.refuse(ValueError if isinstance(mask, str) else TypeError,
                      where, 'mask', mask,
                      f'one of {MASK_LAWS} or nt_prune.NByM(n, m)')
  if sparsity is None:
    validation.refuse(TypeError, where, 'sparsity', sparsity,
                      f'a real number in [0, 1) for mask={mask!r}')
  return mask, validation.check_sparsity(where, sparsity)


def _first_k(rng: jax.Array, length: int, columns: int, k: int) -> jax.Array:
  """`(length, columns)` mask with exactly `k` kept per column, at random.

  Each column's kept rows are the first `k` of a uniformly random order: one
  stable sort of random bits, ties broken by position, so counts are exact.
  """
  shape = (length, columns)
  iota = lax.broadcasted_iota(jnp.int32, shape, 0)
  _, order = lax.sort((random.bits(rng, shape), iota), dimension=0,
                      is_stable=True, num_keys=1)
  flat = order[:k] * columns + jnp.arange(columns)[None]
  return jnp.zeros(length * columns, bool).at[flat.reshape(-1)].set(
      True).reshape(shape)


def fan_in_kept(where: str, keep_prob: float, fan_in: int) -> int:
  """`round(q * fan_in)`, the inputs each unit keeps under `'fan_in'`."""
  k = round(keep_prob * fan_in)
  if k < 1:
    validation.refuse(ValueError, where, 'sparsity', 1. - keep_prob,
                      f'a sparsity that keeps at least one of the '
                      f'{fan_in} inputs of each unit (round(q * fan_in) = '
                      f'{k} with q = {keep_prob!r})')
  return k


def check_groups(where: str, law: NByM, channels: int) -> None:
  """Refuses `NByM(n, m)` where `m` does not divide the input channels."""
  if channels % law.m:
    validation.refuse(ValueError, where, 'mask', law,
                      f'NByM(n, m) with m dividing the {channels} input '
                      f'channels')


# Folded into the weight's `rng` to draw the mask, so that the weights are
# exactly those the dense layer draws from the same `rng` (stax and flax).
MASK_SALT = 0x5052554E  # 'PRUN'


def draw(where: str, law: MaskLaw, rng: jax.Array, shape: Sequence[int],
         keep_prob: float, in_axis: int, out_axis: int) -> jax.Array:
  """Draws a mask of `shape` (`True` means kept) by `law`.

  Args:
    where: the layer's name, for errors.
    law: one of `MASK_LAWS` or an `NByM`.
    rng: the PRNG key the weight is drawn from; the mask is drawn from
      `fold_in(rng, MASK_SALT)`.
    shape: the weight's shape.
    keep_prob: `q`.
    in_axis: the weight's input-channel axis.
    out_axis: the weight's output axis; every other axis is a fan-in axis.

  Returns:
    A boolean array of `shape`.
  """
  shape = tuple(shape)
  rng = random.fold_in(rng, MASK_SALT)
  size = math.prod(shape)
  if law == 'bernoulli':
    if keep_prob >= 1.:
      return jnp.ones(shape, bool)
    return random.bernoulli(rng, keep_prob, shape)
  if law == 'exact':
    return _first_k(rng, size, 1, round(keep_prob * size)).reshape(shape)
  in_axis, out_axis = in_axis % len(shape), out_axis % len(shape)
  # Output axis last: `(..., units)`.
  moved_shape = tuple(d for a, d in enumerate(shape) if a != out_axis) + (
      shape[out_axis],)
  if law == 'fan_in':
    fan_in = size // shape[out_axis]
    kept = _first_k(rng, fan_in, shape[out_axis],
                    fan_in_kept(where, keep_prob, fan_in))
    return jnp.moveaxis(kept.reshape(moved_shape), -1, out_axis)
  n, m = law
  channels = shape[in_axis]
  check_groups(where, law, channels)
  # Groups of m consecutive input channels, each a column of length m.
  rest = tuple(d for a, d in enumerate(shape) if a != in_axis)
  kept = _first_k(rng, m, size // m, n)  # (m, groups * rest)
  kept = kept.reshape((m, channels // m) + rest)
  kept = jnp.swapaxes(kept, 0, 1).reshape((channels,) + rest)
  return jnp.moveaxis(kept, 0, in_axis)
