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


r"""The contraction paths: one weight leaf's term of the kernel.

Each path computes a leaf's term
:math:`\sum_{(c, f)} J_W(x_1)_{(c, f)} J_W(x_2)_{(c, f)}^T` from its factors
(`factors.Rows`) with the signature `(leaf, layout, options) -> Term`:

* `KEPT`: the columns of the kept entries only, gathered in steps of about
  `Options.step_elements` values in a `lax.fori_loop` (memory stays bounded
  whatever the number kept, and the loop makes XLA store the factors before
  the gathers read them). Costs a search for the kept entries and a gather
  per entry: best where few weights are kept.
* `DROPPED`: where most weights are kept and every kept entry has one
  multiplier :math:`\mu`, the unpruned (Kronecker) term of :math:`\mu` less
  the `KEPT` sum over the dropped entries, then the fewer.
* `PAIRS` (a dense layer, independent examples): per pair of examples
  :math:`p = (a, b)`, :math:`\Theta_p = \sum_c x_{1,ca} x_{2,cb} \sum_f
  M_{cf} g_{1,fa} g_{2,fb}` with :math:`M = m \odot m` as a dense matrix:
  one matrix product, no search, no gathers, but :math:`|W|` multiply-adds
  per pair: best where many weights are kept and batches are small.
* `KRONECKER` (a dense layer whose multiplier is one number :math:`\mu`):
  :math:`\mu^2 (x_1^T x_2)(g_1^T g_2)`, NT's structured derivatives.

`choose` takes `KRONECKER` where it applies, and else compares the cost of
`PAIRS` with that of `KEPT` (or `DROPPED`) by a `CostModel`.

A `KEPT` or `DROPPED` leaf searched at a capacity below its size
(`compaction.capacity`) also returns a `Guard`: `add_overflows` adds the
entries past the capacity, capacity by capacity, in one `lax.cond` for all
leaves that only a mask that keeps (or drops) more than its capacity
enters, so a kept weight is never dropped and one compilation serves every
mask.
"""

import dataclasses
from typing import Callable, Optional

import jax
from jax import lax
from jax import numpy as jnp

from nt_prune._src.empirical import analysis
from nt_prune._src.empirical import compaction
from nt_prune._src.empirical import factors
from nt_prune._src.empirical.cost_model import cost_model
from nt_prune._src.empirical.layout import Layout
from nt_prune._src.empirical.options import Options
from nt_prune._src.empirical.options import Path


@dataclasses.dataclass(frozen=True)
class Leaf:
  """A weight leaf on the fast path, with its factors for `x1` and `x2`.

  Attributes:
    use: how it reaches its product (`analysis.Use`).
    value: the leaf (the parameter as given).
    multiplier: `m` of the layer's weight `m * W` (a convolution's as a
      matrix, `patches.kernel_as_matrix`).
    rows1: `x1`'s factors.
    rows2: `x2`'s factors (`rows1` itself where `x2` is `x1`).
  """
  use: analysis.Use
  value: jax.Array
  multiplier: jax.Array
  rows1: factors.Rows
  rows2: factors.Rows

  @property
  def size(self) -> int:
    return self.multiplier.size

  @property
  def kept_value(self) -> Optional[jax.Array]:
    return analysis.kept_value(self.use.recipe, self.multiplier.dtype)


@dataclasses.dataclass(frozen=True)
class Guard:
  """The entries of a leaf past its capacity, added only on overflow.

  Attributes:
    leaf: the leaf.
    path: `KEPT` (add the kept entries past the capacity) or `DROPPED`
      (subtract the dropped ones).
    capacity: the entries each search returns.
    count: the number of entries the mask keeps (`KEPT`) or drops.
  """
  leaf: Leaf
  path: Path
  capacity: int
  count: jax.Array


@dataclasses.dataclass(frozen=True)
class Term:
  """A leaf's term of the kernel, and its guard if it has one."""
  kernel: jax.Array
  guards: tuple[Guard, ...] = ()


def _is_dense(leaf: Leaf, layout: Layout) -> bool:
  return layout.pairs_factor and leaf.rows1.is_dense


def applies(path: Path, leaf: Leaf, layout: Layout) -> bool:
  """Whether `path` can contract `leaf`'s term (see `options.Path`)."""
  if path is Path.KEPT:
    return True
  if not _is_dense(leaf, layout):
    return False
  if path is Path.KRONECKER:
    return leaf.use.uniform
  if path is Path.DROPPED:
    return leaf.kept_value is not None and leaf.use.keep_prob is not None
  return True  # PAIRS.


def capacity(path: Path, leaf: Leaf) -> int:
  """The entries a search returns: kept ones, or dropped ones."""
  keep_prob = leaf.use.keep_prob
  if path is Path.DROPPED:
    return compaction.capacity(leaf.size, 1. - keep_prob)
  return compaction.capacity(leaf.size, keep_prob)


def choose(leaf: Leaf, layout: Layout, options: Options) -> Path:
  """The path for `leaf`: forced by `options`, else the cheapest."""
  if options.path is not None and applies(options.path, leaf, layout):
    return options.path
  if applies(Path.KRONECKER, leaf, layout):
    return Path.KRONECKER
  path = Path.KEPT
  if (applies(Path.DROPPED, leaf, layout) and
      capacity(Path.DROPPED, leaf) < capacity(Path.KEPT, leaf)):
    path = Path.DROPPED
  if applies(Path.PAIRS, leaf, layout) and cost_model().prefer_pairs(
      leaf.rows1, leaf.rows2, leaf.size, capacity(path, leaf),
      layout.out_size):
    return Path.PAIRS
  return path


def _kronecker_term(leaf: Leaf, mu: jax.Array, layout: Layout) -> jax.Array:
  x1, x2, g1, g2 = factors.dense_factors(leaf.rows1, leaf.rows2,
                                         layout.move_examples)
  return mu * mu * layout.contract(x1, x2) * layout.contract(g1, g2)


def _kronecker(leaf: Leaf, layout: Layout, options: Options) -> Term:
  del options  # Unused.
  return Term(_kronecker_term(leaf, leaf.multiplier.reshape(-1)[0], layout))


def _pairs(leaf: Leaf, layout: Layout, options: Options) -> Term:
  del options  # Unused.
  r1 = leaf.rows1
  x1, x2, g1, g2 = factors.dense_factors(r1, leaf.rows2, layout.move_examples)
  x12 = layout.contract(x1, x2, over_p=False)  # (C, out...): 1 on outputs.
  g12 = layout.contract(g1, g2, over_p=False)  # (F, out...)
  m = leaf.multiplier
  mm = jnp.transpose(m * m, r1.w_contract + r1.w_free).reshape(
      x12.shape[0], g12.shape[0])
  t = (mm @ g12.reshape(g12.shape[0], -1)).reshape(
      (x12.shape[0],) + g12.shape[1:])
  return Term(jnp.sum(x12 * t, axis=0))


def _sum_at(leaf: Leaf, entries: tuple[jax.Array, jax.Array],
            layout: Layout, options: Options) -> jax.Array:
  """The leaf's term at the given entries `(flat indices, weights)`."""
  idx, weight = entries
  size = idx.shape[0]
  rows = ((leaf.rows1,) if leaf.rows2 is leaf.rows1 else
          (leaf.rows1, leaf.rows2))
  per_entry = sum(r.gathered_per_entry() for r in rows)
  step = max(1, min(size, options.step_elements // per_entry))
  n_steps = -(-size // step)
  idx, weight = (jnp.pad(a, (0, n_steps * step - size)) for a in (idx, weight))

  def add(i, total):
    idx_i, weight_i = (lax.dynamic_slice_in_dim(a, i * step, step)
                       for a in (idx, weight))
    j1, j2 = (layout.move_examples(factors.kept_columns(r, idx_i, weight_i))
              for r in (leaf.rows1, leaf.rows2))
    return total + layout.contract(j1, j2)

  out = jax.eval_shape(add, 0, 0.)
  return lax.fori_loop(0, n_steps, add, jnp.zeros(out.shape, out.dtype))


def _searched(leaf: Leaf, path: Path, multiplier: jax.Array,
              layout: Layout, options: Options) -> Term:
  """The `KEPT` sum over `multiplier`'s nonzero entries, and its guard."""
  cap = capacity(path, leaf)
  entries, count = compaction.kept_entries(multiplier, cap,
                                           value=leaf.kept_value)
  kernel = _sum_at(leaf, entries, layout, options)
  guards = (Guard(leaf, path, cap, count),) if cap < leaf.size else ()
  return Term(kernel, guards)


def _dropped_multiplier(m: jax.Array, mu: jax.Array) -> jax.Array:
  """`mu` where `m` drops an entry, 0 where it keeps one."""
  return jnp.where(m == 0, mu, jnp.zeros((), m.dtype))


def _kept(leaf: Leaf, layout: Layout, options: Options) -> Term:
  return _searched(leaf, Path.KEPT, leaf.multiplier, layout, options)


def _dropped(leaf: Leaf, layout: Layout, options: Options) -> Term:
  mu = leaf.kept_value
  term = _searched(leaf, Path.DROPPED,
                   _dropped_multiplier(leaf.multiplier, mu), layout, options)
  return Term(_kronecker_term(leaf, mu, layout) - term.kernel, term.guards)


_PATHS: dict[Path, Callable[[Leaf, Layout, Options], Term]] = {
    Path.KEPT: _kept,
    Path.DROPPED: _dropped,
    Path.PAIRS: _pairs,
    Path.KRONECKER: _kronecker,
}


def term(leaf: Leaf, layout: Layout, options: Options) -> Term:
  """The leaf's term of the kernel, by the path `choose` picks."""
  return _PATHS[choose(leaf, layout, options)](leaf, layout, options)


def _guard_multiplier(guard: Guard) -> jax.Array:
  """The searched multiplier, rebuilt from the leaf where it can be.

  Inside the guard's conditional, a dense layer's multiplier is rebuilt from
  the leaf and its recipe: taken as an operand, it would be written to
  memory on every call, a pass the size of the weight.
  """
  leaf = guard.leaf
  if leaf.use.recipe is not None and not leaf.use.is_convolution:
    m = analysis.multiplier(leaf.value, leaf.use.recipe)
  else:
    m = leaf.multiplier
  if guard.path is Path.DROPPED:
    m = _dropped_multiplier(m, leaf.kept_value)
  return m


def _overflow(guard: Guard, layout: Layout, options: Options,
              total: jax.Array) -> jax.Array:
  """Adds (or for `DROPPED` subtracts) the entries past the capacity."""
  m = _guard_multiplier(guard)
  sign = -1. if guard.path is Path.DROPPED else 1.
  cap = guard.capacity

  def add(i, total):
    entries, _ = compaction.kept_entries(m, cap, cap * (i + 1),
                                         guard.leaf.kept_value)
    return total + sign * _sum_at(guard.leaf, entries, layout, options)

  return lax.fori_loop(0, -(-guard.count // cap) - 1, add, total)


def add_overflows(kernel: jax.Array, guards: tuple[Guard, ...],
                  layout: Layout, options: Options) -> jax.Array:
  """`kernel` plus every guard's entries past its capacity, if any overflow.

  One `lax.cond` for all leaves, and only the rare overflow inside it, since
  a conditional's operands cost time even when its branch is not taken.
  """
  if not guards:
    return kernel

  def rest(total):
    for guard in guards:
      total = _overflow(guard, layout, options, total)
    return total

  overflow = jnp.any(jnp.stack([g.count > g.capacity for g in guards]))
  return lax.cond(overflow, rest, lambda total: total, kernel)
