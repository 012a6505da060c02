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

r"""The exact empirical NTK of (pruned) networks, at the cost of kept weights.

The empirical NTK is a sum over parameter leaves,

.. math::

  \Theta(x_1, x_2) = \sum_\ell J_\ell(x_1) J_\ell(x_2)^T, \qquad
  J_\ell(x) = \partial f(x) / \partial \theta_\ell,

and a weight that enters the network only through
:math:`y = x \cdot (m \odot W)` (a `dot_general`, as in `stax.Dense`,
possibly masked and scaled elementwise by :math:`m`, as in nt_prune's pruned
layers, whose :math:`m` is :math:`c_f \cdot (W \ne 0)`) has

.. math::

  J_W(x)_{o, (i, j)} = m_{ij} \sum_r x_{r i} \, g_{o r j}, \qquad
  g = \partial f / \partial y,

which vanishes wherever :math:`m_{ij} = 0`. So only the columns of kept
entries (:math:`m_{ij} \ne 0`) are formed, from one forward pass that
records :math:`x` and one backward pass per output unit that gives
:math:`g`: the contraction costs :math:`N_1 N_2 O^2 \, \mathrm{nnz}(m)`
multiply-adds, against :math:`N_1 N_2 O^2 |W|` for NT's Jacobian
contraction.

How the weights are found: `f` is traced to a jaxpr, and each parameter leaf
is followed through elementwise multiplications (by constants, or by
zero-derivative functions of the leaf itself, such as `W != 0`) to the one
`dot_general`, or convolution as its kernel, that consumes it. A convolution
is recorded as the `dot_general` of its input's patches with its kernel as a
matrix, so everything after the recording sees `dot_general`s only. A leaf
used in any other way (attention, biases, layer norms, ...) is handled
exactly by its full Jacobian, as in NT's implementation 1. Nothing is ever
dropped.

Static shapes under `jit`: the number of kept entries of a freshly drawn mask
varies, so each masked leaf of :math:`n` entries gets a static capacity: from
the keep probability :math:`q` its pruned layer declares (the layer's
`apply_fn` names its masking `nt_prune_keep_<q>`),

.. math::

  C = \min\left(n, \left\lceil q n + 7 \sqrt{n q (1 - q)} + 16
  \right\rceil\right)

entries; an unmasked or undeclared leaf gets :math:`C = n`. If a mask ever
keeps more than :math:`C` entries, a `lax.cond` adds the entries past the
first :math:`C`, :math:`C` at a time, so a kept weight is never dropped; one
compilation serves every mask. The kept entries are found by a stream
compaction on bit-packed words (`_true_entries`), several times faster than
`jnp.nonzero`.

Where examples are independent (`vmap_axes`) a dense layer's kernel also
factors over pairs of examples (`_pairs_contribution`): one matrix product
of the squared multiplier :math:`m \odot m`, as a dense matrix, with the
products of the two inputs' cotangents. It needs no search for kept entries
and no capacity, and costs :math:`|W| N_1 N_2 O^2` multiply-adds at the
speed of a dense matrix product; a cost model fitted to both paths'
timings (`_prefer_pairs`) takes it where it is faster: many kept weights
and small batches. A leaf whose multiplier is one number (an unpruned layer,
scaled by scalars only) takes NT's Kronecker factorization instead
(`_kronecker_contribution`). Where a dense layer keeps most of its weights
(:math:`q > 1/2`), all with the one multiplier :math:`\mu` of its recipe
(below), its kernel is the Kronecker term of :math:`\mu` less the kept
path's sum over the *dropped* entries (`_dropped_multiplier`), which are
then the fewer: the capacity is :math:`C` at :math:`1 - q`, and the cost
grows with :math:`\min(q, 1 - q) |W|` (at width 1024, sparsity 0.2 and
128 x 128 examples, 304 ms down to 116 ms).

A pruned layer's weight reaches its product as `W * (W != 0) * c`; the
self-mask changes no value (`W * 1 = W`, `0 * 0 = 0`), so where a leaf
reaches its use through such masks and literal scalars only (its recipe,
`_Use.recipe`), the use reads the leaf in place and scales its output by the
scalars, and for a dense layer the guard rebuilds the multiplier from the
leaf inside its `lax.cond`: neither the masked weight nor the multiplier is
written to memory on every call (at width 2048 and sparsity 0.99, 27 ms
down to 15 ms). A convolution's guard still takes its multiplier, which is
small.

The kernel at the kept entries is accumulated in steps (`lax.fori_loop`),
each gathering about `_STEP_ELEMENTS` values of the factors :math:`x` and
:math:`g` (stored rows first, one row per index of the weight) and
contracting them: memory stays bounded whatever the number of kept entries,
and the loop makes XLA store the factors before the gathers read them, where
it would otherwise fuse their transposes into the gathers (1.5x slower in
all at width 1024).

The backward pass through a recorded weight's product forms the other
operand's cotangent with the weight as the left operand
(`_weight_first_dot`): jax's own transpose rule puts it on the right,
contracted over a dense weight's minor axis, which the CPU runtime of jax
0.5.3 runs by first copying the weight transposed (the benchmark's width
2048, sparsity 0.99, 16 x 32 examples: 39.4 ms down to 20.5 ms on jax 0.5.3;
16.1 ms down to 14.4 ms on jax 0.4.25, from one full run to the next).

A convolution's column sums over positions :math:`r`, so where it fits in
`_CHUNK_ELEMENTS` its whole per-example gradient
:math:`\sum_r x_{r c} \, g_{o r f}` is one batched matrix product of the
patches with the cotangents, and the kept entries are gathered from it. It
is formed as `(example, c, outputs, f)`: a mask's kept entries run along
`f` within a row `c`, so the gathers read nearby memory (from
`(example, f, c)`, every value was a cache miss). The positions' axes are
contracted as they are, and the patches are formed once for `x1` and `x2`
together and read in parts (`_Rows.examples`). In all, the benchmark's
pruned CNN went from 7.9 ms to 6.1 ms.
"""

import dataclasses
import itertools
import math
import re
from typing import Any, Callable, Optional, Sequence, Union

import jax
from jax import lax
from jax import numpy as jnp
from jax.custom_derivatives import SymbolicZero
import numpy as np

from nt_prune._src import validation

# pylint: disable=g-import-not-at-top
try:  # `jax.extend.core` has the jaxpr types from jax 0.4.36 on;
  from jax.extend.core import Literal
except ImportError:  # `jax.core` had them up to jax 0.5.
  from jax.core import Literal
# pylint: enable=g-import-not-at-top


def _bind_params(eqn) -> tuple[Sequence[Any], dict[str, Any]]:
  """`(subfuns, params)` with which to bind `eqn`'s primitive again.

  `Primitive.get_bind_params` returns that pair up to jax 0.6 and the params
  alone from jax 0.7 on (no primitive takes sub-functions there).
  """
  bind_params = eqn.primitive.get_bind_params(eqn.params)
  return bind_params if isinstance(bind_params, tuple) else ((), bind_params)

Axes = Union[int, Sequence[int]]

# The name scope a pruned layer's `apply_fn` puts around its masking, from
# which the static capacity is read (see `masking.remask`).
KEEP_SCOPE = 'nt_prune_keep_'
_KEEP_PATTERN = re.compile(KEEP_SCOPE + r'([0-9.e+-]+)')

# Elementwise primitives through which a leaf stays "W times a multiplier".
_LINEAR_UNARY = ('convert_element_type', 'copy')
# Primitives whose output has a zero derivative: masks made from the leaf.
_ZERO_DERIVATIVE = ('ne', 'eq', 'gt', 'ge', 'lt', 'le', 'sign',
                    'stop_gradient', 'and', 'or', 'not')
_Z_CAPACITY = 7.  # Standard deviations of the binomial count.
# Elements of the largest per-example gradient formed for a convolution.
_CHUNK_ELEMENTS = 2**23
# Values gathered per step of the loop over kept entries (see above).
_STEP_ELEMENTS = 2**20
_WORD = 32  # Bits per word when compacting a mask.


def capacity(size: int, keep_prob: Optional[float]) -> int:
  """Static number of kept entries reserved for a mask of `size` entries."""
  if keep_prob is None or keep_prob >= 1.:
    return size
  mean = size * keep_prob
  std = math.sqrt(size * keep_prob * (1. - keep_prob))
  return int(min(size, math.ceil(mean + _Z_CAPACITY * std + 16)))


@dataclasses.dataclass
class _Use:
  """How a leaf reaches its `dot_general` (or convolution, as its kernel)."""
  eqn_index: int
  operand: int  # 0: the leaf is the lhs, 1: the rhs.
  # The `dot_general`'s dimension numbers; for a convolution, those of its
  # patches (last axis contracted) with the kernel as a matrix (axis 0).
  dimension_numbers: Any
  # For a convolution, its output axes in the patches' order (batch,
  # spatial..., features); `None` for a `dot_general`.
  out_order: Optional[tuple[int, ...]] = None
  keep_prob: Optional[float] = None
  # Whether the leaf's multiplier is one number (no mask, scalar scales).
  uniform: bool = False
  # How the weight the use reads is made from the leaf, where it is made by
  # these steps only: `_SELF_MASK` (times its own `!= 0`, as a number: every
  # value unchanged) or a literal scalar (times it). `None`: another way.
  recipe: Optional[tuple[Any, ...]] = None


# A recipe's step: the weight times its own `!= 0`, as a number.
_SELF_MASK = 'self_mask'


def _multiplier(leaf: jax.Array, recipe: Sequence[Any]) -> jax.Array:
  """The multiplier with which the leaf reaches its use, from its recipe.

  The one computation of it for a leaf with a recipe: `_evaluate` records
  it, and the guard's conditional computes it again inside its branch, so
  both are the same to the bit. The weight is followed alongside, since a
  self-mask is of the weight as it is at that step.
  """
  weight, multiplier = leaf, jnp.ones_like(leaf)
  for step in recipe:
    factor = ((weight != 0).astype(weight.dtype) if step is _SELF_MASK else
              step)
    weight, multiplier = weight * factor, multiplier * factor
  return multiplier


def _patches(lhs: jax.Array, rhs_shape: Sequence[int], out_shape,
             params) -> jax.Array:
  """The patches of a convolution's input: `(batch, spatial..., features)`.

  With them, the convolution is the `dot_general` of the patches' last axis
  with the kernel reshaped to `(prod(filter_shape) * in_features,
  out_features)`, filter offsets major (`_kernel_as_matrix`), so that each
  offset's slice is written whole. They are
  strided slices of the padded (and dilated) input, one per filter offset:
  `lax.conv_general_dilated_patches` would convolve with a one-hot kernel,
  at `prod(filter_shape) * in_features` times the cost.
  """
  dn = params['dimension_numbers']
  x = jnp.transpose(lhs, (dn.lhs_spec[0],) + tuple(dn.lhs_spec[2:]) +
                    (dn.lhs_spec[1],))
  n_spatial = x.ndim - 2
  zero = jnp.zeros((), x.dtype)
  x = lax.pad(x, zero, [(0, 0, 0)] + [
      (lo, hi, d - 1) for (lo, hi), d in zip(params['padding'],
                                             params['lhs_dilation'])] +
              [(0, 0, 0)])
  filter_shape = [rhs_shape[a] for a in dn.rhs_spec[2:]]
  out_spatial = [out_shape[a] for a in dn.out_spec[2:]]
  strides, dilation = params['window_strides'], params['rhs_dilation']
  slices = []
  for offset in itertools.product(*(range(k) for k in filter_shape)):
    begin = [o * d for o, d in zip(offset, dilation)]
    slices.append(lax.slice(
        x, [0] + begin + [0],
        [x.shape[0]] + [b + (n - 1) * s + 1 for b, n, s in
                        zip(begin, out_spatial, strides)] + [x.shape[-1]],
        [1] + list(strides) + [1]))
  patches = jnp.stack(slices, axis=-2)  # (..., offsets, in_features)
  return patches.reshape(patches.shape[:1 + n_spatial] + (-1,))


def _kernel_as_matrix(w: jax.Array, dimension_numbers) -> jax.Array:
  """A convolution kernel as `(prod(filter) * in_features, out_features)`.

  Filter offsets major, then the input features, as in `_patches` (for an
  `HWIO` kernel, a reshape).
  """
  rhs_spec = dimension_numbers.rhs_spec
  return jnp.transpose(w, tuple(rhs_spec[2:]) + rhs_spec[1::-1]).reshape(
      -1, w.shape[rhs_spec[0]])


def _use(eqn, eqn_index: int, operand: int) -> Optional[_Use]:
  """The leaf's use as a `dot_general`, or `None` if it cannot be one."""
  if eqn.primitive.name == 'dot_general':
    if any(eqn.params['dimension_numbers'][1]):  # Batch axes.
      return None
    return _Use(eqn_index, operand, eqn.params['dimension_numbers'])
  # A convolution whose kernel is the leaf, with no feature or batch groups.
  if (operand != 1 or eqn.params['feature_group_count'] != 1 or
      eqn.params['batch_group_count'] != 1):
    return None
  dn = eqn.params['dimension_numbers']
  rank = len(dn.out_spec)
  return _Use(eqn_index, 1, (((rank - 1,), (0,)), ((), ())),
              out_order=(dn.out_spec[0],) + tuple(dn.out_spec[2:]) +
              (dn.out_spec[1],))


def _keep_prob(eqn) -> Optional[float]:
  match = _KEEP_PATTERN.search(str(eqn.source_info.name_stack))
  return None if match is None else float(match.group(1))


def _note_self_mask(eqn, self_mask_of: dict[Any, Any]) -> None:
  """Records `eqn`'s output if it is `v != 0`, or that as a float."""
  literal = Literal
  if eqn.primitive.name == 'ne':
    v, zero = eqn.invars
    if isinstance(v, literal):
      v, zero = zero, v
    if (isinstance(zero, literal) and not isinstance(v, literal) and
        np.ndim(zero.val) == 0 and zero.val == 0):
      self_mask_of[eqn.outvars[0]] = v
  elif (eqn.primitive.name == 'convert_element_type' and
        not isinstance(eqn.invars[0], literal) and
        eqn.invars[0] in self_mask_of):
    v = self_mask_of[eqn.invars[0]]
    if eqn.outvars[0].aval.dtype == v.aval.dtype:
      self_mask_of[eqn.outvars[0]] = v


def _recipe_step(recipe: Optional[tuple[Any, ...]], var, other,
                 self_mask_of: dict[Any, Any]) -> Optional[tuple[Any, ...]]:
  """The recipe of `var * other`, given `var`'s (see `_Use.recipe`)."""
  if recipe is None:
    return None
  if isinstance(other, Literal):
    if np.ndim(other.val) == 0:
      return recipe + (other.val,)
    return None
  if self_mask_of.get(other) is var:
    return recipe + (_SELF_MASK,)
  return None


def _analyse(jaxpr, n_leaves: int) -> dict[int, _Use]:
  """Leaves (by index) that reach one dot_general (or kernel) linearly."""
  # Var -> ('lin' | 'zero', leaf index) for values that depend on a leaf.
  kind = {}
  uses: dict[int, _Use] = {}
  bad, varying = set(), set()
  # Lin var -> its recipe from the leaf (see `_Use.recipe`), or `None`.
  recipe: dict[Any, Optional[tuple[Any, ...]]] = {}
  self_mask_of = {}  # A var that is `v != 0` (as a number) -> `v`.
  for i, v in enumerate(jaxpr.invars[:n_leaves]):
    kind[v] = ('lin', i)
    recipe[v] = ()

  def dependence(var):
    return kind.get(var) if not isinstance(var, Literal) else None

  for eqn_index, eqn in enumerate(jaxpr.eqns):
    deps = [dependence(v) for v in eqn.invars]
    leaves = {d[1] for d in deps if d is not None}
    if not leaves:
      continue
    name = eqn.primitive.name
    out = None
    if len(leaves) > 1:
      bad.update(leaves)
    elif name in _ZERO_DERIVATIVE:
      out = ('zero', leaves.pop())
      _note_self_mask(eqn, self_mask_of)
    elif name in _LINEAR_UNARY and len(eqn.invars) == 1:
      # Linear only into a floating type; into another, a zero derivative.
      inexact = jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.inexact)
      out = deps[0] if inexact else ('zero', deps[0][1])
      _note_self_mask(eqn, self_mask_of)
    elif name == 'mul':
      lin = [d for d in deps if d is not None and d[0] == 'lin']
      out = lin[0] if len(lin) == 1 else (
          ('zero', leaves.pop()) if not lin else None)
      if out is None:
        bad.update(leaves)
      elif lin:
        # The multiplier stays one number only through scalar factors that
        # do not depend on the leaf (a mask made from it does).
        var = eqn.invars[0] if deps[0] == lin[0] else eqn.invars[1]
        other = eqn.invars[1] if deps[0] == lin[0] else eqn.invars[0]
        if dependence(other) is not None or math.prod(other.aval.shape) > 1:
          varying.add(lin[0][1])
        recipe[eqn.outvars[0]] = _recipe_step(recipe.get(var), var, other,
                                              self_mask_of)
    elif name in ('dot_general', 'conv_general_dilated'):
      leaf = leaves.pop()
      operands = [i for i, d in enumerate(deps) if d is not None]
      use = (_use(eqn, eqn_index, operands[0]) if len(operands) == 1 and
             deps[operands[0]][0] == 'lin' and leaf not in uses else None)
      if use is None:
        bad.add(leaf)
      else:
        use.recipe = recipe.get(eqn.invars[operands[0]])
        uses[leaf] = use
      continue  # The output is an activation.
    else:
      bad.update(leaves)
    if out is not None:
      for v in eqn.outvars:
        kind[v] = out
  for v in jaxpr.outvars:
    d = dependence(v)
    if d is not None:
      bad.add(d[1])
  # The capacity comes from the masking's name scope, where there is one.
  for leaf, use in uses.items():
    for eqn in jaxpr.eqns[:use.eqn_index]:
      if any(dependence(v) == ('lin', leaf) for v in eqn.invars):
        q = _keep_prob(eqn)
        if q is not None:
          use.keep_prob = q
  for leaf, use in uses.items():
    use.uniform = leaf not in varying
  return {leaf: use for leaf, use in uses.items() if leaf not in bad}


def _read(env, var):
  return var.val if isinstance(var, Literal) else env[var]


@jax.custom_jvp
def _self_masked(w: jax.Array) -> jax.Array:
  """`w`, whose derivative is that of `w * (w != 0)`: zero where `w` is.

  A leaf read in place of its self-masked copy (`w * (w != 0)` is `w`):
  no operation runs on it, and the kernel's gradient with respect to the
  parameters is zero at pruned weights, as NT's through `W * (W != 0)`.
  """
  return w


@_self_masked.defjvp
def _self_masked_jvp(primals, tangents):
  (w,), (t,) = primals, tangents
  return w, t * (w != 0).astype(t.dtype)


def _weight_first_dot(invals: Sequence[jax.Array], operand: int,
                      params: dict[str, Any]) -> jax.Array:
  r"""A leaf's `dot_general`, whose other operand's cotangent puts it first.

  The same product as `lax.dot_general_p.bind(*invals, **params)`, with
  the leaf as operand `operand`. Its backward pass, the other operand's
  cotangent :math:`\bar x = \bar y \cdot W^T`, is formed as
  `dot_general(W, ct)` and transposed, where jax's transpose rule forms
  `dot_general(ct, W)`, contracting the weight's free axes on the right: for
  a dense layer's `(C, F)` weight, its minor axis. For that, the CPU runtime
  of jax 0.5.3 first copies the weight transposed, slowly: a
  `(48, 2048) x (2048, 2048)^T` product per example (`vmap`) took 11.6 ms,
  and 1.7 ms with the weight first (1.8 against 1.4 ms on jax 0.4.25).

  The passes differentiate with respect to the deltas and the other leaves
  only, so the leaf's own cotangent (jax's) is formed only where a caller
  differentiates the kernel with respect to the parameters, in reverse
  mode. A `custom_vjp` has no forward mode: `jax.jvp` of the kernel raises
  jax's error.
  """
  (lc, rc), _ = params['dimension_numbers']  # No batch axes (`_use`).
  w_contract, x_contract = (lc, rc) if operand == 0 else (rc, lc)
  x_dtype = invals[1 - operand].dtype

  def plain(x, w):
    return lax.dot_general_p.bind(*((w, x) if operand == 0 else (x, w)),
                                  **params)

  product = jax.custom_vjp(plain)

  def forward(x, w):
    # `x` and `w` come with whether they are differentiated
    # (`symbolic_zeros`); the residuals' keys, which are static, tell
    # `backward` which cotangents to form: `x_bar` for `x`, and `x` (the
    # value `w`'s cotangent needs) for `w`.
    residuals = {'w': w.value}
    if x.perturbed:
      residuals['x_bar'] = ()
    if w.perturbed:
      residuals['x'] = x.value
    return plain(x.value, w.value), residuals

  def backward(residuals, ct):
    w = residuals['w']
    if isinstance(ct, SymbolicZero):
      return None, None
    x_bar = w_bar = None
    if 'x_bar' in residuals:
      # The product's axes: the lhs's free axes, then the rhs's.
      w_free = [a for a in range(w.ndim) if a not in w_contract]
      n_x_free = ct.ndim - len(w_free)
      ct_w_free = (range(len(w_free)) if operand == 0 else
                   range(n_x_free, ct.ndim))
      # (w's contracted axes, in order, then x's free axes, in order).
      t = lax.dot_general(w, ct, ((tuple(w_free), tuple(ct_w_free)),
                                  ((), ())),
                          precision=params.get('precision'))
      x_free = [a for a in range(len(x_contract) + n_x_free)
                if a not in x_contract]
      axes_of_t = [x_contract[w_contract.index(a)]
                   for a in sorted(w_contract)]
      x_bar = jnp.transpose(t, np.argsort(axes_of_t + x_free)).astype(
          x_dtype)
    if 'x' in residuals:
      w_bar, = jax.vjp(lambda w: plain(residuals['x'], w), w)[1](ct)
    return x_bar, w_bar

  product.defvjp(forward, backward, symbolic_zeros=True)
  return product(invals[1 - operand], invals[operand])


def _evaluate(closed, n_leaves: int, uses: dict[int, _Use], args: Sequence[Any],
              deltas: dict[int, jax.Array]):
  """Evaluates `closed` on `args`, adding `deltas[leaf]` to each use's output.

  Returns:
    The jaxpr's outputs, and per used leaf `(x, m)` of its use as a
    `dot_general` (see `_Use`): the other operand (a convolution's patches)
    and the elementwise multiplier `m` with which the leaf reaches it
    (`W_eff = m * W`; a convolution's as a matrix). A convolution's delta is
    in the patches' output order.

  A use with a recipe (`_Use.recipe`) reads the leaf itself, and scales its
  output by the recipe's scalars.
  """
  jaxpr = closed.jaxpr
  env, multiplier = {}, {}
  for var, val in zip(jaxpr.constvars, closed.consts):
    env[var] = val
  for var, val in zip(jaxpr.invars, args):
    env[var] = val
  for leaf in uses:
    var = jaxpr.invars[leaf]
    multiplier[var] = jnp.ones_like(env[var])
  at_use = {use.eqn_index: leaf for leaf, use in uses.items()}
  recorded = {}
  for eqn_index, eqn in enumerate(jaxpr.eqns):
    invals = [_read(env, v) for v in eqn.invars]
    subfuns, params = _bind_params(eqn)
    leaf = at_use.get(eqn_index)
    recipe = None if leaf is None else uses[leaf].recipe
    if recipe:
      # The same product from the leaf itself, scaled after (it is
      # bilinear): the masked, scaled copy of the weight is never formed.
      value = env[jaxpr.invars[leaf]]
      invals[uses[leaf].operand] = (_self_masked(value)
                                    if _SELF_MASK in recipe else value)
    if leaf is not None and uses[leaf].out_order is None:
      outvals = _weight_first_dot(invals, uses[leaf].operand, params)
    else:
      outvals = eqn.primitive.bind(*subfuns, *invals, **params)
    for step in recipe or ():
      if step is not _SELF_MASK:
        outvals = (outvals * step).astype(outvals.dtype)
    if not eqn.primitive.multiple_results:
      outvals = [outvals]
    tracked = [v for v in eqn.invars
               if not isinstance(v, Literal) and v in multiplier]
    if leaf is not None:
      operand = uses[leaf].operand
      other = invals[1 - operand]
      m = (multiplier[eqn.invars[operand]] if recipe is None else
           _multiplier(env[jaxpr.invars[leaf]], recipe))
      delta = deltas[leaf]
      if uses[leaf].out_order is not None:  # A convolution.
        dn = eqn.params['dimension_numbers']
        other = _patches(other, m.shape, outvals[0].shape, eqn.params)
        m = _kernel_as_matrix(m, dn)
        delta = jnp.transpose(delta, np.argsort(uses[leaf].out_order))
      recorded[leaf] = (other, m)
      outvals = [outvals[0] + delta]
    elif tracked and eqn.primitive.name == 'mul':
      (var,) = tracked  # `_analyse` allows one linear factor.
      other = invals[1] if eqn.invars[0] is var else invals[0]
      multiplier[eqn.outvars[0]] = multiplier[var] * other
    elif tracked and eqn.primitive.name in _LINEAR_UNARY:
      multiplier[eqn.outvars[0]] = eqn.primitive.bind(
          *subfuns, multiplier[tracked[0]], **params)
    for var, val in zip(eqn.outvars, outvals):
      env[var] = val
  return [_read(env, v) for v in jaxpr.outvars], recorded


def _true_entries(mask: jax.Array, size: int, start: Union[int, jax.Array] = 0
                  ) -> tuple[jax.Array, jax.Array]:
  """Flat indices of True entries `start` to `start + size` of a flat `mask`.

  Stream compaction in a few passes that XLA runs fast on every backend
  (`jnp.nonzero` scatters one update per entry, and takes several times
  longer on CPU): the mask is packed into 32-bit words; a word's kept
  entries take the output slots from the exclusive prefix sum of the words'
  population counts; one scatter per word (not per entry) and a running
  maximum give each slot its word; a 5-step binary search on population
  counts gives the slot's bit within its word.

  Args:
    mask: a flat boolean array.
    size: the number of indices to return.
    start: the rank of the first True entry to return.

  Returns:
    `(indices, count)`: `indices[t]` is the flat index of the True entry of
    rank `start + t` for `start + t < count` (the rest are valid indices of
    no meaning), and `count` the number of True entries.
  """
  n_words = -(-mask.size // _WORD)
  bits = jnp.pad(mask, (0, n_words * _WORD - mask.size)).reshape(
      n_words, _WORD).astype(jnp.uint32)
  words = jnp.sum(bits << jnp.arange(_WORD, dtype=jnp.uint32)[None], axis=1,
                  dtype=jnp.uint32)
  counts = lax.population_count(words).astype(jnp.int32)
  first_slot = jnp.cumsum(counts) - counts - start
  nonempty = counts > 0
  word_ids = jnp.arange(n_words, dtype=jnp.int32)
  # Slot 0's word, then each word that starts a later slot.
  first_word = jnp.max(jnp.where(nonempty & (first_slot <= 0), word_ids, 0))
  starts = jnp.where(nonempty & (first_slot > 0) & (first_slot < size),
                     first_slot, size)
  word = jnp.full(size, first_word).at[starts].max(word_ids, mode='drop')
  word = lax.cummax(word)
  rank = (jnp.arange(size) - first_slot[word]).astype(jnp.uint32)
  bits = words[word]
  # The largest `bit` with at most `rank` kept entries below it.
  bit = jnp.zeros(size, jnp.uint32)
  for step in (16, 8, 4, 2, 1):
    trial = bit + step
    below = lax.population_count(bits & ((jnp.uint32(1) << trial) - 1))
    bit = jnp.where(below <= rank, trial, bit)
  indices = jnp.minimum(word * _WORD + bit.astype(jnp.int32), mask.size - 1)
  return indices, jnp.sum(counts)


def _kept_entries(m: jax.Array, size: int,
                  start: Union[int, jax.Array] = 0,
                  value: Optional[jax.Array] = None):
  """Kept entries `start` to `start + size` of `m`, and how many `m` keeps.

  Returns `((flat indices, weights), count)`. Entries past the number kept
  (padding up to the static `size`) get weight 0, so they add nothing.
  `size == m.size` takes every entry, kept or not, with no search. `value`,
  if given, is the one value every kept entry of `m` has (`_kept_value`),
  and is not gathered.
  """
  flat = m.reshape(-1)
  if size == flat.size:
    return (jnp.arange(size), flat), size
  idx, count = _true_entries(flat != 0, size, start)
  kept = flat[idx] if value is None else value
  return (idx, kept * (start + jnp.arange(size) < count)), count


def _kept_value(recipe: Optional[Sequence[Any]], dtype) -> Optional[jax.Array]:
  """The multiplier of every kept entry of a leaf with a recipe, or `None`.

  A recipe's self-masks are 1 on kept entries, so every kept entry has the
  product of its scalars: `_multiplier` of a scalar 1, to the bit.
  """
  return (None if recipe is None else
          _multiplier(jnp.ones((), dtype), recipe))


@dataclasses.dataclass(frozen=True)
class _Rows:
  """A leaf's Jacobian factors, one row per index of the weight's axes.

  `J_W[(c, f), b] = sum_r x[c, b, r] g[f, b, r]` with `c` the flat index of
  the weight's contracted axes, `f` of its free axes, `b` the batch axes
  (example and outputs) and `r` the positions the column sums over (a
  convolution's; one for a dense layer). Or, where that sum is cheaper as a
  matrix product, the whole gradient `grad[e, c, o, f]` (example, then `c`,
  outputs, `f`), in the order its product gives it: kept entries, which run
  along `f` within a row `c`, then lie close together.

  The arrays are held for all examples of a pass; `examples` is the range
  of them these rows are of, and each read of `x`, `g` or `grad` slices it,
  where it is read: inside a loop that gathers, the slice is part of the
  gather, and the arrays are never copied in parts.
  """
  all_x: Optional[jax.Array]  # (C, E?, 1..., R)
  all_g: Optional[jax.Array]  # (F, E?, fx..., R)
  all_grad: Optional[jax.Array]  # (E?, C, fx..., F)
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


def _split_rows(rows: _Rows, n1: int) -> tuple[_Rows, _Rows]:
  """The rows of a pass over `x1` and `x2` stacked: `x1`'s, then `x2`'s."""
  return (dataclasses.replace(rows, examples=slice(None, n1)),
          dataclasses.replace(rows, examples=slice(n1, None)))


def _rows(x, g, w_shape, operand: int, dimension_numbers, n_fx: int,
          per_example: bool) -> _Rows:
  """The factors of `J_W`, rows first (see `_Rows`), for gathering.

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
  """
  (lc, rc), _ = dimension_numbers
  w_contract, x_contract = (lc, rc) if operand == 0 else (rc, lc)
  w_free = [a for a in range(len(w_shape)) if a not in w_contract]
  e = 1 if per_example else 0
  x_free = [a for a in range(x.ndim - e) if a not in x_contract]
  # Output axes of the dot_general: lhs free axes, then rhs free axes.
  y_w_free = (list(range(len(w_free))) if operand == 0 else
              list(range(len(x_free), len(x_free) + len(w_free))))
  y_x_free = (list(range(len(w_free), len(w_free) + len(x_free)))
              if operand == 0 else list(range(len(x_free))))
  n_r = math.prod(x.shape[e + a] for a in x_free)
  x_rows = jnp.transpose(x, [e + a for a in x_contract] + list(range(e)) +
                         [e + a for a in x_free])
  x_rows = x_rows.reshape((-1,) + x.shape[:e] + (1,) * n_fx + (n_r,))
  g_rows = jnp.transpose(g, [e + n_fx + a for a in y_w_free] +
                         list(range(e + n_fx)) +
                         [e + n_fx + a for a in y_x_free])
  g_rows = g_rows.reshape((-1,) + g.shape[:e + n_fx] + (n_r,))
  rows = _Rows(x_rows, g_rows, None, tuple(w_shape), tuple(w_contract),
               tuple(w_free), per_example)
  batch = g_rows.shape[1:-1]
  n_c, n_w = x_rows.shape[0], g_rows.shape[0]
  if n_r > 1 and math.prod(batch) * n_c * n_w <= _CHUNK_ELEMENTS:
    # Summed over positions (a convolution's): the whole gradient per
    # example and output is one batched matrix product, cheaper than
    # gathering `R` values per kept entry. Same memory as NT's Jacobian.
    # The positions' axes are contracted as they are, not merged: XLA then
    # writes a convolution's patches in the order the product reads them.
    positions = [x.shape[e + a] for a in x_free]
    x_nat = jnp.transpose(x, list(range(e)) + [e + a for a in x_free] +
                          [e + a for a in x_contract]).reshape(
                              x.shape[:e] + tuple(positions) + (n_c,))
    g_nat = jnp.transpose(g, list(range(e + n_fx)) +
                          [e + n_fx + a for a in y_x_free] +
                          [e + n_fx + a for a in y_w_free]).reshape(
                              g.shape[:e] + (-1,) + tuple(positions) + (n_w,))
    over = tuple(range(e, e + len(positions)))
    # (e, r..., c) x (e, o, r..., f) -> (e, c, o, f).
    grad = lax.dot_general(
        x_nat, g_nat,
        ((over, tuple(a + 1 for a in over)), (tuple(range(e)),) * 2))
    rows = dataclasses.replace(
        rows, all_x=None, all_g=None, all_grad=grad.reshape(
            x.shape[:e] + (n_c,) + g.shape[e:e + n_fx] + (n_w,)))
  return rows


def _flat_index(idx: jax.Array, shape: Sequence[int],
                axes: Sequence[int]) -> jax.Array:
  """The flat index over `axes` of the entries whose flat index is `idx`.

  `idx` is in bounds (and below `2**31`, as every index here), so unsigned
  division gives it: a shift and a mask where a size is a power of 2.
  `jnp.unravel_index` and `jnp.ravel_multi_index` also handle negative and
  out-of-bounds indices, with signs, selects and clamps for each index: at
  width 1024 and sparsity 0.9 (16 x 32 examples), the whole kernel took
  13.1 ms with them and 11.2 ms with this (jax 0.4.25).
  """
  idx = idx.astype(jnp.uint32)
  out = jnp.zeros_like(idx)
  for a in axes:
    stride = math.prod(shape[a + 1:])
    out = out * shape[a] + idx // stride % shape[a]
  return out


def _kept_columns(rows: _Rows, idx: jax.Array, weight: jax.Array
                  ) -> jax.Array:
  """`J_W` at the flat entries `idx` of the weight, times `weight`.

  Returns: `(K, E?, fx...)`, one column per entry.
  """
  c, f = (_flat_index(idx, rows.w_shape, axes)
          for axes in (rows.w_contract, rows.w_free))
  if rows.grad is not None:
    if rows.per_example and rows.grad.ndim == 3:
      # No output axes: `c` and `f` index adjacent axes, whose entries'
      # axis stays in their place (an empty `...` between them keeps them
      # adjacent in jax 0.4, not in numpy or jax 0.5).
      out = rows.grad[:, c, f].T
    else:  # Apart, or first: the entries' axis comes first.
      out = rows.grad[(slice(None),) * int(rows.per_example) +
                      (c, Ellipsis, f)]
  elif rows.x.shape[-1] == 1:
    out = rows.x[c, ..., 0] * rows.g[f, ..., 0]
  else:
    out = jnp.sum(rows.x[c] * rows.g[f], axis=-1)
  return out * weight.reshape((-1,) + (1,) * (out.ndim - 1))


def _dense_factors(r1: _Rows, r2: _Rows, move_examples):
  """A dense layer's `x1, x2, g1, g2` as `(rows, fx...)` (see `_Rows`)."""
  return tuple(move_examples(a[..., 0]) for a in (r1.x, r2.x, r1.g, r2.g))


def _pairs_contribution(r1: _Rows, r2: _Rows, m: jax.Array, move_examples,
                        contract) -> jax.Array:
  r"""A dense layer's kernel with the mask as a dense matrix.

  With :math:`M = m \odot m` as a `(C, F)` matrix and each example pair
  :math:`p = (a, b)` (and output axes, in NT's layout),

  .. math::

    \Theta_p = \sum_c x_{1,c a} x_{2,c b} \sum_f M_{cf} \, g_{1,f a}
    g_{2,f b},

  one matrix product of :math:`M` with the :math:`F \times |p|` products of
  cotangents: no search for kept entries, no gathers, and no capacity. It
  costs :math:`C F |p|` multiply-adds, fewer in time than the kept path's
  gathers where many weights are kept and batches are small.
  """
  x1, x2, g1, g2 = _dense_factors(r1, r2, move_examples)
  x12 = contract(x1, x2, over_p=False)  # (C, out...), 1 on output axes.
  g12 = contract(g1, g2, over_p=False)  # (F, out...)
  mm = jnp.transpose(m * m, r1.w_contract + r1.w_free).reshape(
      x12.shape[0], g12.shape[0])
  t = (mm @ g12.reshape(g12.shape[0], -1)).reshape(
      (x12.shape[0],) + g12.shape[1:])
  return jnp.sum(x12 * t, axis=0)


def _kronecker_contribution(r1: _Rows, r2: _Rows, mu: jax.Array,
                            move_examples, contract) -> jax.Array:
  r"""`_pairs_contribution` for a multiplier that is one number :math:`\mu`.

  .. math::

    \Theta_p = \mu^2 \sum_c x_{1,c a} x_{2,c b} \sum_f g_{1,f a} g_{2,f b},

  the Kronecker factorization of NT's structured derivatives for an
  unpruned dense layer: :math:`(C + F) |p|` multiply-adds.
  """
  x1, x2, g1, g2 = _dense_factors(r1, r2, move_examples)
  return mu * mu * contract(x1, x2) * contract(g1, g2)


def _dropped_multiplier(m: jax.Array, mu: jax.Array) -> jax.Array:
  r""":math:`\mu` where `m` drops an entry, 0 where it keeps one.

  For a multiplier whose kept entries are all :math:`\mu`, the kernel is
  the Kronecker term of :math:`\mu` less the kept path's sum over these
  entries: where more than half the weights are kept, fewer entries to
  gather.
  """
  return jnp.where(m == 0, mu, jnp.zeros((), m.dtype))


def _sign(dropped: bool) -> float:
  """The sign of the entries' sum: -1 for dropped entries."""
  return -1. if dropped else 1.


def _prefer_pairs(r1: _Rows, r2: _Rows, size: int, cap: int,
                  out_size: int) -> bool:
  """Whether `_pairs_contribution` is the faster path, by a cost model.

  Seconds per operation fitted to 18 timings of both paths (widths 512 to
  2048, keep probabilities 0.5 to 0.01, 16 x 32 and 128 x 128 examples) on
  the benchmark's machine (2 x86_64 cores, jax 0.4.25), where it picks the
  faster path, or one within 5% of it, in all 18: on the pairs path a
  multiply-add 6.5 ps, an entry of the products of factors 1.3 ns, and 1 ns
  per mask entry to square it; on the kept path a gathered value 0.37 ns, a
  multiply-add 3.9 ps, and 1 ns per mask entry to find the kept ones.
  """
  gathered = sum(math.prod(a.shape[1:-1]) for r in (r1, r2)
                 for a in (r.x, r.g))
  find = 1e-9 * size * (cap < size)
  kept = cap * (0.37e-9 * gathered + 3.9e-12 * out_size) + find
  rows = r1.x.shape[0] + r1.g.shape[0]
  pairs = out_size * (6.5e-12 * size + 1.3e-9 * rows) + 1e-9 * size
  return pairs < kept


def _chunk_size(size: int, rows: Sequence[_Rows]) -> int:
  """Kept entries per step: `_STEP_ELEMENTS` gathered values in all."""
  per_entry = sum(math.prod(r.g.shape[1:]) if r.grad is None else
                  r.grad.size // math.prod(r.w_shape) for r in rows)
  return max(1, min(size, _STEP_ELEMENTS // per_entry))


def _contract(j1, j2, n_fx: int, trace_axes, diagonal_axes,
              over_p: bool = True):
  """NT's contraction of two Jacobians `(P, fx...)` over `P` and the traces.

  The output has NT's layout: for each output axis in order, none if traced,
  one if diagonal, two (x1's, x2's) otherwise; with `over_p=False`, `P` is
  not summed over but kept as the leading axis.
  """
  letters = 'abcdefghijklmnopqrstuvwxy'
  left = letters[:n_fx]
  right = ''.join(left[i] if (i in trace_axes or i in diagonal_axes) else
                  letters[n_fx + i] for i in range(n_fx))
  out = ''
  for i in range(n_fx):
    if i in trace_axes:
      continue
    out += left[i] if i in diagonal_axes else left[i] + letters[n_fx + i]
  if diagonal_axes or not over_p:
    return jnp.einsum(f'z{left},z{right}->{"z" * (not over_p)}{out}', j1, j2)
  # One matrix product: (P * traced, rest1)^T (P * traced, rest2).
  rest = [i for i in range(n_fx) if i not in trace_axes]
  order = [0] + [1 + i for i in trace_axes] + [1 + i for i in rest]
  a, b = (jnp.transpose(j, order) for j in (j1, j2))
  rest1, rest2 = a.shape[1 + len(trace_axes):], b.shape[1 + len(trace_axes):]
  prod = a.reshape(-1, math.prod(rest1)).T @ b.reshape(-1, math.prod(rest2))
  prod = prod.reshape(rest1 + rest2)
  # Interleave as NT: x1's axis i, then x2's axis i.
  k = len(rest)
  return jnp.transpose(prod, [v for i in range(k) for v in (i, k + i)])


def _canonical_axes(where: str, name: str, axes: Axes) -> tuple[int, ...]:
  if isinstance(axes, int) and not isinstance(axes, bool):
    return (axes,)
  if (isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence) or
      not all(isinstance(a, int) and not isinstance(a, bool) for a in axes)):
    validation.refuse(TypeError, where, name, axes,
                      'an integer or a sequence of integers (output axes)')
  return tuple(axes)


def _zero_delta(eqn, use: _Use) -> jax.Array:
  """Zeros of the use's output shape, in the patches' order if a conv."""
  out = eqn.outvars[0].aval
  shape = (out.shape if use.out_order is None else
           tuple(out.shape[a] for a in use.out_order))
  return jnp.zeros(shape, out.dtype)


def _stackable(x1, x2, axis: int) -> bool:
  """Whether `x1` and `x2` concatenate along `axis` without promotion."""
  if (x1.ndim != x2.ndim or x1.dtype != x2.dtype or
      not -x1.ndim <= axis < x1.ndim):
    return False
  axis %= x1.ndim
  return all(a == b for i, (a, b) in enumerate(zip(x1.shape, x2.shape))
             if i != axis)


def _pass(f, leaves, treedef, x, per_example_axis: Optional[int]):
  """One input's forward and backward passes.

  Returns:
    `fx`; the leaves' uses; per used leaf `(x, g, m)` (the other operand,
    `d fx / d y`, the multiplier); per other float leaf its Jacobian
    `(fx..., leaf.size)`; and the jaxpr's equations.
  """
  def network(leaf_values, inputs):
    return f(jax.tree_util.tree_unflatten(treedef, leaf_values), inputs)

  if per_example_axis is None:
    example = x
  else:
    example = jnp.expand_dims(jnp.take(x, 0, axis=per_example_axis),
                              per_example_axis)
  closed = jax.make_jaxpr(network)(leaves, example)
  n = len(leaves)
  uses = _analyse(closed.jaxpr, n)
  slow = [i for i, leaf in enumerate(leaves) if i not in uses and
          jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)]

  def outputs(deltas, slow_values, inputs):
    args = list(leaves)
    for i, v in zip(slow, slow_values):
      args[i] = v
    outs, recorded = _evaluate(closed, n, uses, args + [inputs], deltas)
    fx = outs[0]
    if per_example_axis is not None:
      fx = jnp.squeeze(fx, per_example_axis)
    return fx, (fx, recorded)

  def jacobians(inputs):
    deltas = {leaf: _zero_delta(closed.jaxpr.eqns[use.eqn_index], use)
              for leaf, use in uses.items()}
    (jd, js), (fx, recorded) = jax.jacrev(outputs, argnums=(0, 1),
                                          has_aux=True)(
                                              deltas, [leaves[i] for i in slow],
                                              inputs)
    fast = {leaf: (recorded[leaf][0], jd[leaf]) for leaf in uses}
    multipliers = {leaf: recorded[leaf][1] for leaf in uses}
    return fx, fast, js, multipliers

  if per_example_axis is None:
    fx, fast, js, multipliers = jacobians(x)
  else:
    def one(x_a):
      return jacobians(jnp.expand_dims(x_a, per_example_axis))
    fx, fast, js, multipliers = jax.vmap(
        one, in_axes=per_example_axis, out_axes=(0, 0, 0, None))(x)
    fx = jnp.moveaxis(fx, 0, per_example_axis)
    js = [jnp.moveaxis(j, 0, per_example_axis) for j in js]
  # Parameters first, as the kept columns: `(leaf.size, fx...)`.
  js = {i: jnp.moveaxis(j.reshape(fx.shape + (-1,)), -1, 0)
        for i, j in zip(slow, js)}
  fast = {leaf: (xo, g, multipliers[leaf]) for leaf, (xo, g) in fast.items()}
  return fx, uses, fast, js


def empirical_ntk_fn(
    f: Callable[..., Any],
    trace_axes: Axes = (-1,),
    diagonal_axes: Axes = (),
    vmap_axes: Optional[int] = None,
) -> Callable[..., jax.Array]:
  """The exact empirical NTK, at the cost of the kept weights.

  Same signature, semantics and output shapes as
  `neural_tangents.empirical_ntk_fn` (the kernel is averaged over
  `trace_axes`, `diagonal_axes` appear once, every other output axis twice,
  as `zip(f(x1).shape, f(x2).shape)`). Weights that reach the network only
  through one `dot_general` (`stax.Dense` and nt_prune's `PrunedDense`,
  masked or not) or as the kernel of one convolution (`stax.Conv`,
  `PrunedConv`) take the paths of this module's docstring: kept columns, or
  for a dense layer with `vmap_axes` set, pairs of examples with a dense mask
  (chosen by cost) or the Kronecker factorization (unpruned; where most
  weights are kept, less the dropped columns). Every other
  parameter leaf is handled by its full Jacobian. Where `f` has an output
  that is not one array, `vmap_axes` is not `None` or an integer, or
  `**kwargs` are passed to `f`, NT's implementation 1 (Jacobian contraction)
  computes the kernel instead, exactly.

  Differentiating the kernel: reverse mode (`jax.grad`, `jax.vjp`), with
  respect to the parameters or the inputs, gives NT's derivatives (zero at
  pruned weights, as through `W * (W != 0)`), except where a leaf's kept
  weights are searched under a capacity below its size: jax refuses reverse
  mode through the guard's loop, whose trip count is dynamic. Forward mode
  (`jax.jvp`, `jax.jacfwd`) is refused by jax (`_weight_first_dot` is a
  `custom_vjp`).

  Args:
    f: `apply_fn(params, x, **kwargs)`.
    trace_axes: output axes to trace over (and average), as in NT.
    diagonal_axes: output axes to take the diagonal of, as in NT.
    vmap_axes: `None` (no assumption), or the batch axis of `x` and `f(x)`
      along which examples are independent, as in NT: the per-example passes
      are then vectorized, which is much faster.

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
  trace = _canonical_axes(where, 'trace_axes', trace_axes)
  diagonal = _canonical_axes(where, 'diagonal_axes', diagonal_axes)
  simple_vmap = vmap_axes is None or (isinstance(vmap_axes, int) and
                                      not isinstance(vmap_axes, bool))

  def nt_ntk_fn(x1, x2, params, **apply_fn_kwargs):
    import neural_tangents as nt  # pylint: disable=g-import-not-at-top
    return nt.empirical_ntk_fn(
        f, trace_axes, diagonal_axes, vmap_axes,
        implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION)(
            x1, x2, params, **apply_fn_kwargs)

  def ntk_fn(x1, x2, params, **apply_fn_kwargs):
    if (apply_fn_kwargs or not simple_vmap or not hasattr(x1, 'shape') or
        (x2 is not None and not hasattr(x2, 'shape'))):
      return nt_ntk_fn(x1, x2, params, **apply_fn_kwargs)
    if not isinstance(jax.eval_shape(f, params, x1), jax.ShapeDtypeStruct):
      return nt_ntk_fn(x1, x2, params)  # A pytree of outputs.
    leaves, treedef = jax.tree_util.tree_flatten(params)
    per_example = vmap_axes is not None
    if x2 is None:
      fx1, uses, fast1, slow1 = _pass(f, leaves, treedef, x1, vmap_axes)
      fx2, fast2, slow2 = fx1, None, slow1
    elif per_example and _stackable(x1, x2, vmap_axes):
      # Independent examples: one pass over x1 and x2 together, which is
      # about twice as fast as two passes over smaller batches.
      fx, uses, fast, slow = _pass(f, leaves, treedef,
                                   jnp.concatenate([x1, x2], vmap_axes),
                                   vmap_axes)
      n1 = x1.shape[vmap_axes]
      fx1, fx2 = (lax.slice_in_dim(fx, *bounds, axis=vmap_axes)
                  for bounds in ((0, n1), (n1, None)))
      # The factors are formed once for both, and read in parts.
      fast1, fast2 = fast, None
      # A slow Jacobian is `(P, fx...)`.
      axis = 1 + vmap_axes % fx.ndim
      slow1, slow2 = ({i: lax.slice_in_dim(j, *bounds, axis=axis)
                       for i, j in slow.items()}
                      for bounds in ((0, n1), (n1, None)))
    else:
      fx1, uses, fast1, slow1 = _pass(f, leaves, treedef, x1, vmap_axes)
      fx2, uses2, fast2, slow2 = _pass(f, leaves, treedef, x2, vmap_axes)
      if set(uses2) != set(uses):
        return nt_ntk_fn(x1, x2, params)
    n_fx = fx1.ndim
    t = tuple(sorted(a % n_fx for a in trace))
    d = tuple(sorted(a % n_fx for a in diagonal))
    n_fx_pass = n_fx - 1 if per_example else n_fx

    def factor_rows(fast, leaf):
      xo, g, m = fast[leaf]
      return _rows(xo, g, m.shape, uses[leaf].operand,
                   uses[leaf].dimension_numbers, n_fx_pass, per_example)

    rows = {}
    for leaf in uses:
      r1 = factor_rows(fast1, leaf)
      if fast2 is not None:  # A second pass.
        rows[leaf] = (r1, factor_rows(fast2, leaf))
      else:
        rows[leaf] = (r1, r1) if x2 is None else _split_rows(r1, n1)

    def contract(j1, j2, over_p=True):
      return _contract(j1, j2, n_fx, t, d, over_p)

    def move_examples(j):
      """`(P, E, fx...)` to `(P, fx...)`, the example axis at `vmap_axes`."""
      return jnp.moveaxis(j, 1, 1 + vmap_axes % n_fx) if per_example else j

    def columns(r: _Rows, idx, weight):
      return move_examples(_kept_columns(r, idx, weight))

    def contribution(leaf, kept):
      """The leaf's kernel at the `kept` entries, in steps of a few."""
      idx, weight = kept
      r1, r2 = rows[leaf]
      size = idx.shape[0]
      step = _chunk_size(size, (r1,) if x2 is None else (r1, r2))
      n_steps = -(-size // step)
      idx, weight = (jnp.pad(a, (0, n_steps * step - size))
                     for a in (idx, weight))

      def add(i, total):
        idx_i, weight_i = (lax.dynamic_slice_in_dim(a, i * step, step)
                           for a in (idx, weight))
        return total + contract(columns(r1, idx_i, weight_i),
                                columns(r2, idx_i, weight_i))

      out = jax.eval_shape(add, 0, 0.)
      return lax.fori_loop(0, n_steps, add, jnp.zeros(out.shape, out.dtype))

    def overflow(leaf, m, cap, count, value, sign, total):
      """Adds `sign` times the `count - cap` entries past the first `cap`."""
      def add(i, total):
        return total + sign * contribution(
            leaf, _kept_entries(m, cap, cap * (i + 1), value)[0])

      return lax.fori_loop(0, -(-count // cap) - 1, add, total)

    out_size = math.prod(
        1 if a in t else fx1.shape[a] * (1 if a in d else fx2.shape[a])
        for a in range(n_fx))
    # Pairs of examples factor out of a dense layer's kernel where examples
    # are independent and their axis is neither traced nor diagonal.
    pairs_possible = per_example and vmap_axes % n_fx not in t + d

    ntk, guarded, overflows = 0., [], []
    for leaf, use in uses.items():
      m = fast1[leaf][2]
      cap = capacity(m.size, use.keep_prob)
      r1, r2 = rows[leaf]
      dense_pairs = pairs_possible and r1.grad is None and r1.x.shape[-1] == 1
      if dense_pairs and use.uniform:
        ntk += _kronecker_contribution(r1, r2, m.reshape(-1)[0],
                                       move_examples, contract)
        continue
      # Where most weights are kept and every kept one has its recipe's one
      # multiplier (`value`), the dropped entries are the fewer to gather.
      dropped, value = False, _kept_value(use.recipe, m.dtype)
      if dense_pairs and value is not None and use.keep_prob is not None:
        cap_dropped = capacity(m.size, 1. - use.keep_prob)
        if cap_dropped < cap:
          dropped, cap = True, cap_dropped
      if dense_pairs and _prefer_pairs(r1, r2, m.size, cap, out_size):
        ntk += _pairs_contribution(r1, r2, m, move_examples, contract)
        continue
      if dropped:
        ntk += _kronecker_contribution(r1, r2, value, move_examples, contract)
        m = _dropped_multiplier(m, value)
      kept, count = _kept_entries(m, cap, value=value)
      ntk += _sign(dropped) * contribution(leaf, kept)
      if cap < m.size:
        # A dense layer's multiplier is rebuilt from the leaf inside the
        # conditional where it can be: as an operand, it would be formed in
        # memory on every call (a pass the size of the weight).
        rebuild = use.recipe is not None and use.out_order is None
        guarded.append((leaf, None if rebuild else m, cap, count, value,
                        dropped))
        overflows.append(count > cap)
    if guarded:
      # Never drop a kept weight: a mask that keeps (or, on the dropped
      # path, drops) more than its capacity adds (subtracts) the rest. One
      # `lax.cond` for all leaves, and only the rare overflow inside it,
      # since a conditional's operands cost time even when its branch is
      # not taken.
      def rest(total):
        for leaf, m, cap, count, value, dropped in guarded:
          if m is None:
            m = _multiplier(leaves[leaf], uses[leaf].recipe)
            if dropped:
              m = _dropped_multiplier(m, value)
          total = overflow(leaf, m, cap, count, value, _sign(dropped), total)
        return total

      ntk = lax.cond(jnp.any(jnp.stack(overflows)), rest, lambda t: t, ntk)
    for i, j1 in slow1.items():
      ntk += contract(j1, slow2[i])
    return ntk / math.prod(fx1.shape[a] for a in t)

  return ntk_fn
