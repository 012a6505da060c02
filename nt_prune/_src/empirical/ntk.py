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


"""`nt_prune.empirical_ntk_fn`: the exact empirical NTK, at the cost of the
kept weights.

A short pipeline (see the package's docstring for the math): trace the
network and analyse its leaves (`analysis.py`), run the passes
(`passes.py`), arrange each fast leaf's factors (`factors.py`), contract
each leaf's term by the path `paths.choose` picks, add the overflow guard's
entries and the full-Jacobian leaves' terms.
"""

import dataclasses
import functools
from typing import Any, Callable, Optional, Sequence

import jax
from jax import lax
from jax import numpy as jnp

from nt_prune._src import validation
from nt_prune._src.empirical import factors
from nt_prune._src.empirical import independence
from nt_prune._src.empirical import passes
from nt_prune._src.empirical import paths
from nt_prune._src.empirical.layout import Axes
from nt_prune._src.empirical.layout import canonical_axes
from nt_prune._src.empirical.layout import Layout
from nt_prune._src.empirical.options import Options


class _AnalysesDiffer(Exception):
  """`x1`'s and `x2`'s networks have different fast leaves."""


@dataclasses.dataclass(frozen=True)
class _Passes:
  """The passes over `x1` and `x2`: outputs, fast leaves, slow Jacobians."""
  fx1: jax.Array
  fx2: jax.Array
  leaves: tuple[paths.Leaf, ...]
  jacobians: tuple[tuple[jax.Array, jax.Array], ...]


def _rows(p: passes.Pass, leaf: int, per_example: bool,
          options: Options) -> factors.Rows:
  use = p.uses[leaf]
  return factors.rows(p.x[leaf], p.g[leaf], p.multiplier[leaf].shape,
                      use.operand, use.dimension_numbers,
                      p.fx.ndim - int(per_example), per_example,
                      options.gradient_elements)


def _one_input(p: passes.Pass, values: Sequence[Any], per_example: bool,
               options: Options) -> _Passes:
  """`x2` is `x1`: one pass, whose factors serve both sides."""
  leaves = []
  for i, use in p.uses.items():
    rows = _rows(p, i, per_example, options)
    leaves.append(paths.Leaf(use, values[i], p.multiplier[i], rows, rows))
  return _Passes(p.fx, p.fx, tuple(leaves),
                 tuple((j, j) for j in p.jacobians.values()))


def _stacked_inputs(p: passes.Pass, values: Sequence[Any], n1: int,
                    example_axis: int, options: Options) -> _Passes:
  """One pass over `x1` and `x2` stacked along their example axis."""
  leaves = []
  for i, use in p.uses.items():
    rows1, rows2 = factors.split(_rows(p, i, True, options), n1)
    leaves.append(paths.Leaf(use, values[i], p.multiplier[i], rows1, rows2))
  example_axis %= p.fx.ndim
  fx1, fx2 = (lax.slice_in_dim(p.fx, *bounds, axis=example_axis)
              for bounds in ((0, n1), (n1, None)))
  axis = 1 + example_axis  # A Jacobian is `(P, fx...)`.
  jacobians = tuple(
      tuple(lax.slice_in_dim(j, *bounds, axis=axis)
            for bounds in ((0, n1), (n1, None)))
      for j in p.jacobians.values())
  return _Passes(fx1, fx2, tuple(leaves), jacobians)


def _two_inputs(p1: passes.Pass, p2: passes.Pass, values: Sequence[Any],
                per_example: bool, options: Options) -> _Passes:
  """One pass per input."""
  if set(p1.uses) != set(p2.uses):
    raise _AnalysesDiffer()
  leaves = tuple(
      paths.Leaf(use, values[i], p1.multiplier[i],
                 _rows(p1, i, per_example, options),
                 _rows(p2, i, per_example, options))
      for i, use in p1.uses.items())
  return _Passes(p1.fx, p2.fx, leaves,
                 tuple((j, p2.jacobians[i]) for i, j in p1.jacobians.items()))


def _stackable(x1: jax.Array, x2: jax.Array, axis: int) -> bool:
  """Whether `x1` and `x2` concatenate along `axis` without promotion."""
  if (x1.ndim != x2.ndim or x1.dtype != x2.dtype or
      not -x1.ndim <= axis < x1.ndim):
    return False
  axis %= x1.ndim
  return all(a == b for i, (a, b) in enumerate(zip(x1.shape, x2.shape))
             if i != axis)


def _run_passes(f, values, treedef, x1, x2, vmap_axes: Optional[int],
                options: Options) -> _Passes:
  """The passes, over `x1` and `x2` together where examples allow it."""
  per_example = vmap_axes is not None
  if x2 is None:
    p = passes.run(f, values, treedef, x1, vmap_axes)
    return _one_input(p, values, per_example, options)
  if per_example and _stackable(x1, x2, vmap_axes):
    # Independent examples: one pass over both, which is about twice as
    # fast as two passes over smaller batches.
    p = passes.run(f, values, treedef, jnp.concatenate([x1, x2], vmap_axes),
                   vmap_axes)
    return _stacked_inputs(p, values, x1.shape[vmap_axes], vmap_axes,
                           options)
  return _two_inputs(passes.run(f, values, treedef, x1, vmap_axes),
                     passes.run(f, values, treedef, x2, vmap_axes), values,
                     per_example, options)


def _examples_independent(f, values, treedef, x1, x2) -> bool:
  """Whether examples along axis 0 are provably independent for both."""
  return all(independence.examples_independent(
      passes.trace(f, values, treedef, x), len(values))
             for x in (x1, x2) if x is not None)


def _kernel(f, trace: Sequence[int], diagonal: Sequence[int],
            vmap_axes: Optional[int], options: Options, x1, x2,
            params) -> jax.Array:
  """The pipeline: passes, a term per leaf, guards, full Jacobians."""
  values, treedef = jax.tree_util.tree_flatten(params)
  if vmap_axes is None and _examples_independent(f, values, treedef, x1, x2):
    vmap_axes = 0  # Only how the kernel is computed changes, as in NT.
  run = _run_passes(f, values, treedef, x1, x2, vmap_axes, options)
  layout = Layout.of(run.fx1, run.fx2, trace, diagonal, vmap_axes)
  terms = [paths.term(leaf, layout, options) for leaf in run.leaves]
  kernel = sum((t.kernel for t in terms), 0.)
  kernel = paths.add_overflows(kernel, sum((t.guards for t in terms), ()),
                               layout, options)
  for j1, j2 in run.jacobians:
    kernel += layout.contract(j1, j2)
  return kernel / layout.trace_size


def _nt_jacobian_contraction(f, trace_axes, diagonal_axes, vmap_axes, x1, x2,
                             params, **apply_fn_kwargs) -> jax.Array:
  """NT's implementation 1, for what the engine does not take."""
  import neural_tangents as nt  # pylint: disable=g-import-not-at-top
  return nt.empirical_ntk_fn(
      f, trace_axes, diagonal_axes, vmap_axes,
      implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION)(
          x1, x2, params, **apply_fn_kwargs)


def empirical_ntk_fn(
    f: Callable[..., Any],
    trace_axes: Axes = (-1,),
    diagonal_axes: Axes = (),
    vmap_axes: Optional[int] = None,
    *,
    _options: Optional[Options] = None,
) -> Callable[..., jax.Array]:
  """The exact empirical NTK, at the cost of the kept weights.

  Same signature, semantics and output shapes as
  `neural_tangents.empirical_ntk_fn` (the kernel is averaged over
  `trace_axes`, `diagonal_axes` appear once, every other output axis twice,
  as `zip(f(x1).shape, f(x2).shape)`). Weights that reach the network only
  through one `dot_general` (`stax.Dense`, `nt_prune.PrunedDense` and the
  flax twins, masked or not) or as the kernel of one convolution
  (`stax.Conv`, `nt_prune.PrunedConv`) take the fast paths: a pruned layer's
  term costs in proportion to its kept weights. Every other parameter leaf
  is handled by its full Jacobian. A mask declares its keep probability
  through `nt_prune.remask`, so that room for its kept entries is reserved
  statically; any number kept is handled exactly.

  Where `f` has an output that is not one array, `vmap_axes` is not `None`
  or an integer, or `**kwargs` are passed to `f`, NT's implementation 1
  (Jacobian contraction) computes the kernel instead, exactly.

  `vmap_axes` buys speed: with it, the passes run per example
  (`jax.vmap`), and a dense layer's term can factor over pairs of examples
  (the `PAIRS` and `KRONECKER` paths, `paths.py`).

  The kernel is computed under `jax.jit` (inside the caller's, if any), so
  un-jitted calls on fresh masks of one architecture compile once.

  Differentiating the kernel: reverse mode (`jax.grad`, `jax.vjp`), with
  respect to the parameters or the inputs, gives NT's derivatives (zero at
  pruned weights, as through `W * (W != 0)`), except where a leaf's kept
  weights are searched under a capacity below its size: jax refuses reverse
  mode through the guard's loop, whose trip count is dynamic. Forward mode
  (`jax.jvp`, `jax.jacfwd`) is refused by jax (the products are
  `custom_vjp` functions).

  Args:
    f: `apply_fn(params, x, **kwargs)`.
    trace_axes: output axes to trace over (and average), as in NT.
    diagonal_axes: output axes to take the diagonal of, as in NT.
    vmap_axes: `None` (no assumption), or the batch axis of `x` and `f(x)`
      along which examples are independent, as in NT.
    _options: private but documented: `nt_prune._src.empirical.Options`, to
      force a contraction path or the loops' step sizes (the tests use it);
      the kernel is exact with any options.

  Returns:
    `ntk_fn(x1, x2, params, **apply_fn_kwargs)`; `x2=None` means `x1`.

  Example:

    >>> from jax import random
    >>> from neural_tangents import stax
    >>> import nt_prune
    >>> init_fn, apply_fn, _ = stax.serial(
    ...     stax.Dense(64), stax.Relu(),
    ...     nt_prune.PrunedDense(64, sparsity=0.9), stax.Relu(),
    ...     nt_prune.PrunedDense(1, sparsity=0.9))
    >>> x = random.normal(random.PRNGKey(0), (4, 3))
    >>> _, params = init_fn(random.PRNGKey(1), x.shape)
    >>> nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)(x, None, params).shape
    (4, 4)
  """
  where = 'empirical_ntk_fn'
  if not callable(f):
    validation.refuse(TypeError, where, 'f', f,
                      'a function apply_fn(params, x, **kwargs)')
  trace = canonical_axes(where, 'trace_axes', trace_axes)
  diagonal = canonical_axes(where, 'diagonal_axes', diagonal_axes)
  options = Options() if _options is None else _options
  if not isinstance(options, Options):
    validation.refuse(TypeError, where, '_options', _options,
                      'None or nt_prune._src.empirical.Options')
  simple_vmap = vmap_axes is None or (isinstance(vmap_axes, int) and
                                      not isinstance(vmap_axes, bool))
  kernel = jax.jit(functools.partial(_kernel, f, trace, diagonal, vmap_axes,
                                     options))
  nt_ntk_fn = functools.partial(_nt_jacobian_contraction, f, trace_axes,
                                diagonal_axes, vmap_axes)

  def ntk_fn(x1, x2, params, **apply_fn_kwargs):
    if (apply_fn_kwargs or not simple_vmap or not hasattr(x1, 'shape') or
        (x2 is not None and not hasattr(x2, 'shape'))):
      return nt_ntk_fn(x1, x2, params, **apply_fn_kwargs)
    if not isinstance(jax.eval_shape(f, params, x1), jax.ShapeDtypeStruct):
      return nt_ntk_fn(x1, x2, params)  # A pytree of outputs.
    try:
      return kernel(x1, x2, params)
    except _AnalysesDiffer:
      return nt_ntk_fn(x1, x2, params)

  return ntk_fn
