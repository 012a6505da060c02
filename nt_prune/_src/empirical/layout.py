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


"""The kernel's layout: NT's output axes, traces and diagonals.

`Layout` holds what every path needs to turn Jacobian columns into NT's
kernel: the output axes traced over, the diagonal ones, and the example axis
of independent examples (`vmap_axes`). For each output axis in order, the
kernel has none if it is traced, one if diagonal, two (`x1`'s, `x2`'s)
otherwise, as `neural_tangents.empirical_ntk_fn`.
"""

import dataclasses
import math
from typing import Optional, Sequence, Union

import jax
from jax import numpy as jnp

from nt_prune._src import validation

Axes = Union[int, Sequence[int]]

_LETTERS = 'abcdefghijklmnopqrstuvwxy'


def canonical_axes(where: str, name: str, axes: Axes) -> tuple[int, ...]:
  """`axes` as a tuple of integers, or a `TypeError` that names it."""
  if isinstance(axes, int) and not isinstance(axes, bool):
    return (axes,)
  if (isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or
      not all(isinstance(a, int) and not isinstance(a, bool) for a in axes)):
    validation.refuse(TypeError, where, name, axes,
                      'an integer or a sequence of integers (output axes)')
  return tuple(axes)


@dataclasses.dataclass(frozen=True)
class Layout:
  """The kernel's output axes for outputs `fx1`, `fx2` of `n_fx` axes.

  Attributes:
    fx1_shape: `f(x1)`'s shape.
    fx2_shape: `f(x2)`'s shape.
    trace: the traced output axes, non-negative and sorted.
    diagonal: the diagonal output axes, non-negative and sorted.
    example_axis: the output axis of independent examples, or `None`.
  """
  fx1_shape: tuple[int, ...]
  fx2_shape: tuple[int, ...]
  trace: tuple[int, ...]
  diagonal: tuple[int, ...]
  example_axis: Optional[int]

  @classmethod
  def of(cls, fx1: jax.Array, fx2: jax.Array, trace: Sequence[int],
         diagonal: Sequence[int], vmap_axes: Optional[int]) -> 'Layout':
    n = fx1.ndim
    return cls(tuple(fx1.shape), tuple(fx2.shape),
               tuple(sorted(a % n for a in trace)),
               tuple(sorted(a % n for a in diagonal)),
               None if vmap_axes is None else vmap_axes % n)

  @property
  def n_fx(self) -> int:
    return len(self.fx1_shape)

  @property
  def pairs_factor(self) -> bool:
    """Whether the kernel factors over pairs of independent examples."""
    return (self.example_axis is not None and
            self.example_axis not in self.trace + self.diagonal)

  @property
  def out_size(self) -> int:
    """The number of the kernel's entries."""
    return math.prod(
        1 if a in self.trace else
        self.fx1_shape[a] * (1 if a in self.diagonal else self.fx2_shape[a])
        for a in range(self.n_fx))

  @property
  def trace_size(self) -> int:
    """The number of output entries a traced kernel entry sums over."""
    return math.prod(self.fx1_shape[a] for a in self.trace)

  def move_examples(self, j: jax.Array) -> jax.Array:
    """`(P, E, fx...)` to `(P, fx...)`, the example axis in its place."""
    if self.example_axis is None:
      return j
    return jnp.moveaxis(j, 1, 1 + self.example_axis)

  def contract(self, j1: jax.Array, j2: jax.Array,
               over_p: bool = True) -> jax.Array:
    """NT's contraction of two Jacobians `(P, fx...)` over `P` and traces.

    Args:
      j1: `x1`'s Jacobian columns, `(P, fx1...)`.
      j2: `x2`'s, `(P, fx2...)`.
      over_p: whether to sum over `P`; if not, it stays the leading axis.

    Returns:
      The kernel in NT's layout (with `P` first if not `over_p`).
    """
    n, t, d = self.n_fx, self.trace, self.diagonal
    left = _LETTERS[:n]
    right = ''.join(left[i] if (i in t or i in d) else _LETTERS[n + i]
                    for i in range(n))
    out = ''.join('' if i in t else left[i] if i in d else
                  left[i] + _LETTERS[n + i] for i in range(n))
    if d or not over_p:
      return jnp.einsum(f'z{left},z{right}->{"z" * (not over_p)}{out}', j1,
                        j2)
    # One matrix product: (P * traced, rest1)^T (P * traced, rest2).
    rest = [i for i in range(n) if i not in t]
    order = [0] + [1 + i for i in t] + [1 + i for i in rest]
    a, b = (jnp.transpose(j, order) for j in (j1, j2))
    rest1, rest2 = a.shape[1 + len(t):], b.shape[1 + len(t):]
    prod = (a.reshape(-1, math.prod(rest1)).T @
            b.reshape(-1, math.prod(rest2))).reshape(rest1 + rest2)
    # Interleave as NT: x1's axis i, then x2's axis i.
    k = len(rest)
    return jnp.transpose(prod, [v for i in range(k) for v in (i, k + i)])
