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


r"""The evaluating passes: the network run so that its weights' factors
come out.

`run` evaluates the network's jaxpr on one input, adding a zero `delta` to
the output :math:`y` of each fast leaf's product, and differentiates the
outputs with respect to the deltas (reverse mode, per example under
`vmap_axes`): that gives each product's cotangent :math:`g = \partial f /
\partial y`, while the evaluation records the product's other operand
:math:`x` and the multiplier :math:`m` of its weight :math:`m \odot W`
(`analysis.py`). Every other float leaf gets its full Jacobian.

Two derivative rules (`derivative_rules.py`) keep the passes cheap: a
leaf read in place of its self-masked copy, and a product whose backward
pass puts the weight first.
"""

import dataclasses
from typing import Any, Callable, Optional, Sequence

import jax
from jax import numpy as jnp
import numpy as np

from nt_prune._src.empirical import analysis
from nt_prune._src.empirical import derivative_rules
from nt_prune._src.empirical import jaxpr_access
from nt_prune._src.empirical import patches


@dataclasses.dataclass(frozen=True)
class Recorded:
  """What a fast leaf's product records: its factors but the cotangent.

  Attributes:
    x: the product's other operand (a convolution's patches).
    multiplier: `m` of the weight `m * W` (a convolution's as a matrix).
  """
  x: jax.Array
  multiplier: jax.Array


def _at_use(eqn, use: analysis.Use, value: jax.Array, invals: list,
            multiplier: Optional[jax.Array],
            delta: jax.Array) -> tuple[jax.Array, Recorded]:
  """A fast leaf's product plus `delta`, and what it records.

  A use with a recipe (`analysis.Use.recipe`) reads the leaf itself and
  scales its output by the recipe's scalars (the product is bilinear): the
  masked, scaled copy of the weight is never formed.
  """
  subfuns, params = jaxpr_access.bind_params(eqn)
  recipe = use.recipe
  if recipe:
    self_mask = analysis.SELF_MASK in recipe
    invals[use.operand] = (derivative_rules.self_masked(value) if self_mask
                           else value)
  if use.is_convolution:
    out = eqn.primitive.bind(*subfuns, *invals, **params)
  else:
    out = derivative_rules.weight_first_dot(invals, use.operand, params)
  for step in recipe or ():
    if step is not analysis.SELF_MASK:
      out = (out * step).astype(out.dtype)
  other = invals[1 - use.operand]
  m = multiplier if recipe is None else analysis.multiplier(value, recipe)
  if use.is_convolution:
    other = patches.patches(other, m.shape, out.shape, eqn.params)
    m = patches.kernel_as_matrix(m, eqn.params['dimension_numbers'])
    delta = jnp.transpose(delta, np.argsort(use.out_order))
  return out + delta, Recorded(other, m)


def _track_multiplier(eqn, invals: list, multiplier: dict[Any, Any]) -> None:
  """Follows the multiplier of a leaf through a product or conversion."""
  tracked = [v for v in eqn.invars
             if not jaxpr_access.is_literal(v) and v in multiplier]
  if not tracked:
    return
  subfuns, params = jaxpr_access.bind_params(eqn)
  if eqn.primitive.name == 'mul':
    (var,) = tracked  # `analysis` allows one linear factor.
    other = invals[1] if eqn.invars[0] is var else invals[0]
    multiplier[eqn.outvars[0]] = multiplier[var] * other
  elif eqn.primitive.name in ('convert_element_type', 'copy'):
    multiplier[eqn.outvars[0]] = eqn.primitive.bind(
        *subfuns, multiplier[tracked[0]], **params)


def evaluate(closed, uses: dict[int, analysis.Use], args: Sequence[Any],
             deltas: dict[int, jax.Array]
             ) -> tuple[list[jax.Array], dict[int, Recorded]]:
  """Evaluates `closed` on `args`, adding `deltas[leaf]` to each use's output.

  A convolution's delta is in the patches' output order.

  Returns:
    The jaxpr's outputs, and per used leaf what its product records.
  """
  jaxpr = closed.jaxpr
  env = dict(zip(jaxpr.constvars, closed.consts))
  env.update(zip(jaxpr.invars, args))
  multiplier = {jaxpr.invars[leaf]: jnp.ones_like(env[jaxpr.invars[leaf]])
                for leaf in uses}
  at_use = {use.eqn_index: leaf for leaf, use in uses.items()}
  recorded = {}
  for eqn_index, eqn in enumerate(jaxpr.eqns):
    invals = [jaxpr_access.read(env, v) for v in eqn.invars]
    leaf = at_use.get(eqn_index)
    if leaf is None:
      subfuns, params = jaxpr_access.bind_params(eqn)
      outvals = eqn.primitive.bind(*subfuns, *invals, **params)
      outvals = outvals if eqn.primitive.multiple_results else [outvals]
      _track_multiplier(eqn, invals, multiplier)
    else:
      use = uses[leaf]
      out, recorded[leaf] = _at_use(
          eqn, use, env[jaxpr.invars[leaf]], invals,
          multiplier.get(eqn.invars[use.operand]), deltas[leaf])
      outvals = [out]
    env.update(zip(eqn.outvars, outvals))
  return [jaxpr_access.read(env, v) for v in jaxpr.outvars], recorded


@dataclasses.dataclass(frozen=True)
class Pass:
  """One input's forward and backward passes.

  Attributes:
    fx: the network's output.
    uses: per fast leaf, its use (`analysis.analyse`).
    x: per fast leaf, its product's other operand (per example, with a
      leading example axis, under `vmap_axes`).
    g: per fast leaf, `d fx / d y` for its product's output `y`, of shape
      `fx.shape + y.shape` (per example likewise).
    multiplier: per fast leaf, `m` of its weight `m * W`.
    jacobians: per other float leaf, its Jacobian `(leaf.size, fx...)`.
  """
  fx: jax.Array
  uses: dict[int, analysis.Use]
  x: dict[int, jax.Array]
  g: dict[int, jax.Array]
  multiplier: dict[int, jax.Array]
  jacobians: dict[int, jax.Array]


def _zero_delta(eqn, use: analysis.Use) -> jax.Array:
  """Zeros of the use's output shape, in the patches' order if a conv."""
  out = eqn.outvars[0].aval
  shape = (out.shape if use.out_order is None else
           tuple(out.shape[a] for a in use.out_order))
  return jnp.zeros(shape, out.dtype)


def _differentiate(closed, uses: dict[int, analysis.Use],
                   leaves: Sequence[Any], slow: Sequence[int], x: jax.Array,
                   example_axis: Optional[int]):
  """`fx`, the products' operands and cotangents, the slow Jacobians."""
  def outputs(deltas, slow_values):
    args = list(leaves)
    for i, v in zip(slow, slow_values):
      args[i] = v
    outs, recorded = evaluate(closed, uses, args + [x], deltas)
    fx = outs[0]
    if example_axis is not None:
      fx = jnp.squeeze(fx, example_axis)
    # Arrays out, as the auxiliary output of `jax.jacrev` must be.
    return fx, (fx, {leaf: r.x for leaf, r in recorded.items()},
                {leaf: r.multiplier for leaf, r in recorded.items()})

  deltas = {leaf: _zero_delta(closed.jaxpr.eqns[use.eqn_index], use)
            for leaf, use in uses.items()}
  (g, jacobians), (fx, xs, multiplier) = jax.jacrev(
      outputs, argnums=(0, 1), has_aux=True)(deltas,
                                             [leaves[i] for i in slow])
  return fx, xs, g, jacobians, multiplier


def trace(f: Callable[..., Any], leaves: Sequence[Any], treedef,
          x: jax.Array):
  """The closed jaxpr of `f(params, x)`, whose inputs are `leaves` and `x`."""
  def network(leaf_values, inputs):
    return f(jax.tree_util.tree_unflatten(treedef, leaf_values), inputs)

  return jax.make_jaxpr(network)(leaves, x)


def run(f: Callable[..., Any], leaves: Sequence[Any], treedef, x: jax.Array,
        example_axis: Optional[int]) -> Pass:
  """The passes of `f(params, x)` for `params` flattened to `leaves`.

  Args:
    f: `apply_fn(params, x)`.
    leaves: the parameters' leaves.
    treedef: the parameters' tree structure.
    x: the input.
    example_axis: the axis of independent examples of `x` and `f(x)`, or
      `None`: with one, the passes run per example (`jax.vmap`).
  """
  example = x
  if example_axis is not None:
    example = jnp.expand_dims(jnp.take(x, 0, axis=example_axis), example_axis)
  closed = trace(f, leaves, treedef, example)
  uses = analysis.analyse(closed.jaxpr, len(leaves))
  slow = [i for i, leaf in enumerate(leaves) if i not in uses and
          jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)]

  def differentiate(x):
    return _differentiate(closed, uses, leaves, slow, x, example_axis)

  if example_axis is None:
    fx, xs, g, jacobians, multiplier = differentiate(x)
  else:
    fx, xs, g, jacobians, multiplier = jax.vmap(
        lambda x_a: differentiate(jnp.expand_dims(x_a, example_axis)),
        in_axes=example_axis, out_axes=(0, 0, 0, 0, None))(x)
    fx = jnp.moveaxis(fx, 0, example_axis)
    jacobians = [jnp.moveaxis(j, 0, example_axis) for j in jacobians]
  # Parameters first, as the kept columns: `(leaf.size, fx...)`.
  jacobians = {i: jnp.moveaxis(j.reshape(fx.shape + (-1,)), -1, 0)
               for i, j in zip(slow, jacobians)}
  return Pass(fx, uses, xs, g, multiplier, jacobians)
