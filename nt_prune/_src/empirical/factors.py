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


r"""A leaf's Jacobian factors, stored to be gathered at kept entries.

A weight :math:`W` that enters the network as :math:`y = x \cdot W` (a
`dot_general`) has the Jacobian

.. math::

  J_W[(c, f), b] = \sum_r x[c, b, r] \, g[f, b, r], \qquad
  g = \partial f / \partial y,

with :math:`c` the flat index of the weight's contracted axes, :math:`f` of
its free axes, :math:`b` the batch axes (example and outputs) and :math:`r`
the positions the column sums over (a convolution's; one for a dense
layer). `Rows` holds :math:`x` and :math:`g` rows first, one row per index
of the weight, so that a column of :math:`J_W` is two gathered rows
(`kept_columns`). For a convolution whose per-example gradient is small
enough (`gradient_elements`), the sum over :math:`r` is one batched matrix
product instead, and `Rows` holds that gradient, laid out
`(example, c, outputs, f)`: a mask's kept entries run along :math:`f` within
a row :math:`c`, so their gathers read nearby memory.
"""

import dataclasses
import math
from typing import Callable, Optional, Sequence

import jax
from jax import lax
from jax import numpy as jnp

from nt_prune._src.empirical import analysis
from nt_prune._src.empirical import compaction


@dataclasses.dataclass(frozen=True)
class Rows:
  """A leaf's Jacobian factors, one row per index of the weight's axes.

  The arrays are held for all examples of a pass; `examples` is the range of
  them these rows are of (`split`), and each read of `x`, `g` or `grad`
  slices it where it is read: inside a loop that gathers, the slice is part
  of the gather, and the arrays are never copied in parts.

  Attributes:
    all_x: `(C, E?, 1..., R)`, the other operand's rows, or `None` where
      `all_grad` is held.
    all_g: `(F, E?, fx..., R)`, the cotangents' rows, or `None`.
    all_grad: `(E?, C, fx..., F)`, the summed gradient, or `None`.
    w_shape: the leaf's shape.
    w_contract: the leaf's contracted axes.
    w_free: the leaf's free axes.
    per_example: whether there is an example axis `E` (`vmap_axes`).
    examples: the examples these rows are of.
  """
  all_x: Optional[jax.Array]
  all_g: Optional[jax.Array]
  all_grad: Optional[jax.Array]
  w_shape: tuple[int, ...]
  w_contract: tuple[int, ...]
  w_free: tuple[int, ...]
  per_example: bool
  # A factory: slices are unhashable before Python 3.12, so a plain default
  # is refused there as mutable.
  examples: slice = dataclasses.field(default_factory=lambda: slice(None))

  def _part(self, a: Optional[jax.Array], axis: int) -> Optional[jax.Array]:
    if a is None or self.examples == slice(None):
      return a
    return a[(slice(None),) * axis + (self.examples,)]

  @property
  def x(self) -> Optional[jax.Array]:
    return self._part(self.all_x, 1)

  @property
  def g(self) -> Optional[jax.Array]:
    return self._part(self.all_g, 1)

  @property
  def grad(self) -> Optional[jax.Array]:
    return self._part(self.all_grad, 0)

  @property
  def is_dense(self) -> bool:
    """A dense layer's rows: no positions to sum over, no gradient held."""
    return self.all_grad is None and self.all_x.shape[-1] == 1

  def gathered_per_entry(self) -> int:
    """Values gathered per kept entry to form its column."""
    if self.all_grad is None:
      return math.prod(self.g.shape[1:])
    return self.grad.size // math.prod(self.w_shape)


def split(rows: Rows, n1: int) -> tuple[Rows, Rows]:
  """The rows of a pass over `x1` and `x2` stacked: `x1`'s, then `x2`'s."""
  return (dataclasses.replace(rows, examples=slice(None, n1)),
          dataclasses.replace(rows, examples=slice(n1, None)))


@dataclasses.dataclass(frozen=True)
class _Axes:
  """Where a product's axes go: the weight's, the other operand's, `y`'s."""
  w_contract: list[int]
  w_free: list[int]
  x_contract: list[int]
  x_free: list[int]
  y_w_free: list[int]  # `y`'s axes from the weight's free axes.
  y_x_free: list[int]  # `y`'s axes from the other operand's free axes.

  @classmethod
  def of(cls, w_ndim: int, x_ndim: int, operand: int,
         dimension_numbers) -> '_Axes':
    w_contract, x_contract = analysis.contracted_axes(dimension_numbers,
                                                      operand)
    w_free = [a for a in range(w_ndim) if a not in w_contract]
    x_free = [a for a in range(x_ndim) if a not in x_contract]
    # A dot_general's output axes: the lhs's free axes, then the rhs's.
    n_w, n_x = len(w_free), len(x_free)
    y_w_free = list(range(n_w) if operand == 0 else range(n_x, n_x + n_w))
    y_x_free = list(range(n_w, n_w + n_x) if operand == 0 else range(n_x))
    return cls(list(w_contract), w_free, list(x_contract), x_free, y_w_free,
               y_x_free)


def rows(x: jax.Array, g: jax.Array, w_shape: Sequence[int], operand: int,
         dimension_numbers, n_fx: int, per_example: bool,
         gradient_elements: int) -> Rows:
  """The factors of `J_W`, rows first (see `Rows`), for gathering.

  Args:
    x: the other operand of the leaf's `dot_general` (with a leading example
      axis if `per_example`).
    g: `d fx / d y` for the `dot_general`'s output `y`, of shape
      `fx.shape + y.shape` (with a leading example axis if `per_example`).
    w_shape: the leaf's shape.
    operand: 0 if the leaf is the `dot_general`'s lhs, 1 if its rhs.
    dimension_numbers: the `dot_general`'s.
    n_fx: number of axes of `fx` (per example if `per_example`).
    per_example: whether `x` and `g` have a leading example axis.
    gradient_elements: the largest summed gradient to form, in elements.
  """
  e = 1 if per_example else 0
  ax = _Axes.of(len(w_shape), x.ndim - e, operand, dimension_numbers)
  n_r = math.prod(x.shape[e + a] for a in ax.x_free)
  x_rows = jnp.transpose(x, [e + a for a in ax.x_contract] + list(range(e)) +
                         [e + a for a in ax.x_free])
  x_rows = x_rows.reshape((-1,) + x.shape[:e] + (1,) * n_fx + (n_r,))
  g_rows = jnp.transpose(g, [e + n_fx + a for a in ax.y_w_free] +
                         list(range(e + n_fx)) +
                         [e + n_fx + a for a in ax.y_x_free])
  g_rows = g_rows.reshape((-1,) + g.shape[:e + n_fx] + (n_r,))
  out = Rows(x_rows, g_rows, None, tuple(w_shape), tuple(ax.w_contract),
             tuple(ax.w_free), per_example)
  batch = math.prod(g_rows.shape[1:-1])
  if n_r > 1 and batch * x_rows.shape[0] * g_rows.shape[0] <= (
      gradient_elements):
    grad = _summed_gradient(x, g, ax, e, n_fx)
    out = dataclasses.replace(out, all_x=None, all_g=None, all_grad=grad)
  return out


def _summed_gradient(x: jax.Array, g: jax.Array, ax: _Axes, e: int,
                     n_fx: int) -> jax.Array:
  """`sum_r x[c, r] g[o, r, f]` as `(E?, c, fx..., f)`: one batched product.

  Cheaper than gathering `R` values per kept entry, for the memory of NT's
  Jacobian. The positions' axes are contracted as they are, not merged: XLA
  then writes a convolution's patches in the order the product reads them.
  """
  positions = [x.shape[e + a] for a in ax.x_free]
  n_c = math.prod(x.shape[e + a] for a in ax.x_contract)
  n_w = math.prod(g.shape[e + n_fx + a] for a in ax.y_w_free)
  x_nat = jnp.transpose(x, list(range(e)) + [e + a for a in ax.x_free] +
                        [e + a for a in ax.x_contract]).reshape(
                            x.shape[:e] + tuple(positions) + (n_c,))
  g_nat = jnp.transpose(g, list(range(e + n_fx)) +
                        [e + n_fx + a for a in ax.y_x_free] +
                        [e + n_fx + a for a in ax.y_w_free]).reshape(
                            g.shape[:e] + (-1,) + tuple(positions) + (n_w,))
  over = tuple(range(e, e + len(positions)))
  # (e, r..., c) x (e, o, r..., f) -> (e, c, o, f).
  batch = (tuple(range(e)),) * 2
  grad = lax.dot_general(x_nat, g_nat,
                         ((over, tuple(a + 1 for a in over)), batch))
  return grad.reshape(x.shape[:e] + (n_c,) + g.shape[e:e + n_fx] + (n_w,))


def kept_columns(r: Rows, idx: jax.Array, weight: jax.Array) -> jax.Array:
  """`J_W` at the flat entries `idx` of the weight, times `weight`.

  Returns: `(K, E?, fx...)`, one column per entry.
  """
  c, f = (compaction.flat_index(idx, r.w_shape, axes)
          for axes in (r.w_contract, r.w_free))
  if r.grad is not None:
    if r.per_example and r.grad.ndim == 3:
      # No output axes: `c` and `f` index adjacent axes, whose entries' axis
      # stays in their place (an empty `...` between them keeps them
      # adjacent in jax 0.4, not in numpy or jax 0.5).
      out = r.grad[:, c, f].T
    else:  # Apart, or first: the entries' axis comes first.
      out = r.grad[(slice(None),) * int(r.per_example) + (c, Ellipsis, f)]
  elif r.x.shape[-1] == 1:
    out = r.x[c, ..., 0] * r.g[f, ..., 0]
  else:
    out = jnp.sum(r.x[c] * r.g[f], axis=-1)
  return out * weight.reshape((-1,) + (1,) * (out.ndim - 1))


def dense_factors(r1: Rows, r2: Rows,
                  move_examples: Callable[[jax.Array], jax.Array]
                  ) -> tuple[jax.Array, ...]:
  """A dense layer's `x1, x2, g1, g2` as `(rows, fx...)` (see `Rows`)."""
  return tuple(move_examples(a[..., 0]) for a in (r1.x, r2.x, r1.g, r2.g))
