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


"""The derivative rules of the evaluating passes (`passes.py`).

* `self_masked`: a leaf read in place of its self-masked copy
  `W * (W != 0)`, which is `W`: no operation runs on it, and its derivative
  is still zero at pruned weights, as NT's through `W * (W != 0)`.
* `weight_first_dot`: a product whose backward pass forms the other
  operand's cotangent with the weight as the left operand. jax's transpose
  rule puts the weight on the right, contracted over a dense weight's minor
  axis, which some CPU runtimes run by first copying the weight transposed.
"""

from typing import Any, Sequence

import jax
from jax import lax
from jax import numpy as jnp
from jax.custom_derivatives import SymbolicZero
import numpy as np

from nt_prune._src.empirical import analysis


@jax.custom_jvp
def self_masked(w: jax.Array) -> jax.Array:
  """`w`, whose derivative is that of `w * (w != 0)`: zero where `w` is."""
  return w


@self_masked.defjvp
def _self_masked_jvp(primals, tangents):
  (w,), (t,) = primals, tangents
  return w, t * (w != 0).astype(t.dtype)


def _other_cotangent(w: jax.Array, ct: jax.Array, operand: int,
                     dimension_numbers, precision, dtype) -> jax.Array:
  r"""The other operand's cotangent :math:`\bar y \cdot W^T`, weight first."""
  w_contract, x_contract = analysis.contracted_axes(dimension_numbers,
                                                    operand)
  # The product's axes: the lhs's free axes, then the rhs's.
  w_free = [a for a in range(w.ndim) if a not in w_contract]
  n_x_free = ct.ndim - len(w_free)
  ct_w_free = (range(len(w_free)) if operand == 0 else
               range(n_x_free, ct.ndim))
  # (w's contracted axes, in order, then x's free axes, in order).
  t = lax.dot_general(w, ct, ((tuple(w_free), tuple(ct_w_free)), ((), ())),
                      precision=precision)
  x_free = [a for a in range(len(x_contract) + n_x_free)
            if a not in x_contract]
  axes_of_t = [x_contract[w_contract.index(a)] for a in sorted(w_contract)]
  return jnp.transpose(t, np.argsort(axes_of_t + x_free)).astype(dtype)


def weight_first_dot(invals: Sequence[jax.Array], operand: int,
                     params: dict[str, Any]) -> jax.Array:
  """A leaf's `dot_general`, whose other operand's cotangent puts it first.

  The same product as `lax.dot_general_p.bind(*invals, **params)`, with the
  leaf as operand `operand` (no batch axes, `analysis.py`). The passes
  differentiate with respect to the deltas and the other leaves only, so the
  leaf's own cotangent (jax's) is formed only where a caller differentiates
  the kernel with respect to the parameters, in reverse mode. A
  `custom_vjp` has no forward mode: `jax.jvp` of the kernel raises jax's
  error.
  """
  x_dtype = invals[1 - operand].dtype

  def plain(x, w):
    return lax.dot_general_p.bind(*((w, x) if operand == 0 else (x, w)),
                                  **params)

  product = jax.custom_vjp(plain)

  def forward(x, w):
    # Whether `x` and `w` are differentiated (`symbolic_zeros`) decides the
    # residuals' keys, which are static: they tell `backward` what to form.
    residuals = {'w': w.value}
    if x.perturbed:
      residuals['x_bar'] = ()
    if w.perturbed:
      residuals['x'] = x.value
    return plain(x.value, w.value), residuals

  def backward(residuals, ct):
    if isinstance(ct, SymbolicZero):
      return None, None
    w = residuals['w']
    x_bar = w_bar = None
    if 'x_bar' in residuals:
      x_bar = _other_cotangent(w, ct, operand, params['dimension_numbers'],
                               params.get('precision'), x_dtype)
    if 'x' in residuals:
      w_bar, = jax.vjp(lambda w: plain(residuals['x'], w), w)[1](ct)
    return x_bar, w_bar

  product.defvjp(forward, backward, symbolic_zeros=True)
  return product(invals[1 - operand], invals[operand])
