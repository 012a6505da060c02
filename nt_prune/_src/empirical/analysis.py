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

r"""Which parameter leaves reach the network as a weight of one product.

A leaf takes the engine's fast paths if it reaches the network only through
elementwise multiplications, by constants or by zero-derivative functions of
itself (such as `W != 0`), into one `dot_general`, or one convolution as its
kernel: the layer's effective weight is then :math:`m \odot W` for a
multiplier :math:`m` that the evaluating pass records (`passes.py`). Every
other leaf is handled by its full Jacobian.

`analyse` follows each leaf through the jaxpr of the network, one equation
at a time, with a rule per primitive in `_RULES` (as NT's `rules.py` has
one structure rule per primitive); a primitive without a rule ends the
leaf's fast path. Each value that depends on a leaf is either linear in it
(`LINEAR`) or of zero derivative (`ZERO`, a mask made from it).
"""

import dataclasses
import enum
import math
from typing import Any, Callable, Optional, Sequence

import jax
from jax import numpy as jnp
import numpy as np

from nt_prune._src import masking
from nt_prune._src.empirical import jaxpr_access

# A recipe's step: the weight times its own `!= 0`, as a number.
SELF_MASK = 'self_mask'


class Kind(enum.Enum):
  """How a value of the jaxpr depends on a leaf."""
  LINEAR = 'linear'  # The leaf times a multiplier.
  ZERO = 'zero'  # A zero-derivative function of the leaf (a mask).


@dataclasses.dataclass(frozen=True)
class Dependence:
  kind: Kind
  leaf: int


@dataclasses.dataclass
class Use:
  """How a leaf reaches its `dot_general` (or convolution, as its kernel).

  Attributes:
    eqn_index: the product's equation in the jaxpr.
    operand: 0 if the leaf is the product's lhs, 1 if its rhs.
    dimension_numbers: the `dot_general`'s; for a convolution, those of its
      patches (last axis contracted) with the kernel as a matrix (axis 0).
    out_order: for a convolution, its output axes in the patches' order
      (batch, spatial..., features); `None` for a `dot_general`.
    keep_prob: the keep probability its mask declares (`masking.remask`),
      or `None`.
    uniform: whether the multiplier is one number (no mask, scalar scales).
    recipe: how the weight the product reads is made from the leaf, if made
      by these steps only: `SELF_MASK` (times its own `!= 0`, as a number:
      no value changes) or a literal scalar (times it); else `None`.
  """
  eqn_index: int
  operand: int
  dimension_numbers: Any
  out_order: Optional[tuple[int, ...]] = None
  keep_prob: Optional[float] = None
  uniform: bool = False
  recipe: Optional[tuple[Any, ...]] = None

  @property
  def is_convolution(self) -> bool:
    return self.out_order is not None


def contracted_axes(dimension_numbers, operand: int
                    ) -> tuple[Sequence[int], Sequence[int]]:
  """The leaf's and the other operand's contracted axes in their product.

  Args:
    dimension_numbers: the `dot_general`'s (no batch axes).
    operand: 0 if the leaf is the product's lhs, 1 if its rhs.
  """
  (lc, rc), _ = dimension_numbers
  return (lc, rc) if operand == 0 else (rc, lc)


def multiplier(leaf: jax.Array, recipe: Sequence[Any]) -> jax.Array:
  """The multiplier with which the leaf reaches its use, from its recipe.

  The one computation of it for a leaf with a recipe: the evaluating pass
  records it, and the overflow guard computes it again inside its branch,
  so both are the same to the bit. The weight is followed alongside, since
  a self-mask is of the weight as it is at that step.
  """
  weight, product = leaf, jnp.ones_like(leaf)
  for step in recipe:
    factor = (weight != 0).astype(weight.dtype) if step is SELF_MASK else step
    weight, product = weight * factor, product * factor
  return product


def kept_value(recipe: Optional[Sequence[Any]], dtype) -> Optional[jax.Array]:
  """The multiplier of every kept entry of a leaf with a recipe, or `None`.

  A recipe's self-masks are 1 on kept entries, so every kept entry has the
  product of its scalars: `multiplier` of a scalar 1, to the bit.
  """
  return None if recipe is None else multiplier(jnp.ones((), dtype), recipe)


@dataclasses.dataclass
class _State:
  """What `analyse` knows after the equations it has read."""
  dependence: dict[Any, Dependence] = dataclasses.field(default_factory=dict)
  uses: dict[int, Use] = dataclasses.field(default_factory=dict)
  bad: set[int] = dataclasses.field(default_factory=set)
  varying: set[int] = dataclasses.field(default_factory=set)
  # A linear var -> its recipe from the leaf (see `Use.recipe`), or `None`.
  recipe: dict[Any, Optional[tuple[Any, ...]]] = dataclasses.field(
      default_factory=dict)
  # A var that is `v != 0` (as a number) -> `v`.
  self_mask_of: dict[Any, Any] = dataclasses.field(default_factory=dict)

  def of(self, var) -> Optional[Dependence]:
    return (None if jaxpr_access.is_literal(var) else
            self.dependence.get(var))


# A rule reads one equation whose inputs depend on the one leaf `leaf`
# (`deps`: per input, its dependence or `None`), updates the state, and
# returns the dependence of the equation's outputs (`None`: not followed).
_Rule = Callable[[_State, Any, int, list, int], Optional[Dependence]]


def _note_self_mask(state: _State, eqn) -> None:
  """Records `eqn`'s output if it is `v != 0`, or that as a float."""
  literal = jaxpr_access.is_literal
  if eqn.primitive.name == 'ne':
    v, zero = eqn.invars
    if literal(v):
      v, zero = zero, v
    if (literal(zero) and not literal(v) and np.ndim(zero.val) == 0 and
        zero.val == 0):
      state.self_mask_of[eqn.outvars[0]] = v
  elif (eqn.primitive.name == 'convert_element_type' and
        not literal(eqn.invars[0]) and eqn.invars[0] in state.self_mask_of):
    v = state.self_mask_of[eqn.invars[0]]
    if eqn.outvars[0].aval.dtype == v.aval.dtype:
      state.self_mask_of[eqn.outvars[0]] = v


def _zero_derivative_rule(state, eqn, eqn_index, deps, leaf):
  del eqn_index, deps  # Unused.
  _note_self_mask(state, eqn)
  return Dependence(Kind.ZERO, leaf)


def _linear_unary_rule(state, eqn, eqn_index, deps, leaf):
  """A type conversion or copy: linear into a float, else a mask."""
  if len(eqn.invars) != 1:
    return _unknown_rule(state, eqn, eqn_index, deps, leaf)
  _note_self_mask(state, eqn)
  if jnp.issubdtype(eqn.outvars[0].aval.dtype, jnp.inexact):
    return deps[0]
  return Dependence(Kind.ZERO, leaf)


def _recipe_step(state: _State, var, other) -> Optional[tuple[Any, ...]]:
  """The recipe of `var * other`, given `var`'s (see `Use.recipe`)."""
  recipe = state.recipe.get(var)
  if recipe is None:
    return None
  if jaxpr_access.is_literal(other):
    return recipe + (other.val,) if np.ndim(other.val) == 0 else None
  if state.self_mask_of.get(other) is var:
    return recipe + (SELF_MASK,)
  return None


def _mul_rule(state, eqn, eqn_index, deps, leaf):
  """A product with one linear factor stays linear; of masks, a mask."""
  linear = [i for i, d in enumerate(deps) if d and d.kind is Kind.LINEAR]
  if not linear:
    return Dependence(Kind.ZERO, leaf)
  if len(linear) > 1:
    return _unknown_rule(state, eqn, eqn_index, deps, leaf)
  var, other = eqn.invars[linear[0]], eqn.invars[1 - linear[0]]
  # The multiplier stays one number only through scalar factors that do not
  # depend on the leaf (a mask made from it does).
  if state.of(other) is not None or math.prod(other.aval.shape) > 1:
    state.varying.add(leaf)
  state.recipe[eqn.outvars[0]] = _recipe_step(state, var, other)
  return deps[linear[0]]


def _product_use(eqn, eqn_index: int, operand: int) -> Optional[Use]:
  """The leaf's use as a `dot_general`, or `None` if it cannot be one."""
  if eqn.primitive.name == 'dot_general':
    if any(eqn.params['dimension_numbers'][1]):  # Batch axes.
      return None
    return Use(eqn_index, operand, eqn.params['dimension_numbers'])
  # A convolution whose kernel is the leaf, with no feature or batch groups.
  if (operand != 1 or eqn.params['feature_group_count'] != 1 or
      eqn.params['batch_group_count'] != 1):
    return None
  dn = eqn.params['dimension_numbers']
  rank = len(dn.out_spec)
  return Use(eqn_index, 1, (((rank - 1,), (0,)), ((), ())),
             out_order=(dn.out_spec[0],) + tuple(dn.out_spec[2:]) +
             (dn.out_spec[1],))


def _product_rule(state, eqn, eqn_index, deps, leaf):
  """The leaf's one product: its use. The output is an activation."""
  operands = [i for i, d in enumerate(deps) if d is not None]
  use = None
  if (len(operands) == 1 and deps[operands[0]].kind is Kind.LINEAR and
      leaf not in state.uses):
    use = _product_use(eqn, eqn_index, operands[0])
  if use is None:
    state.bad.add(leaf)
  else:
    use.recipe = state.recipe.get(eqn.invars[operands[0]])
    state.uses[leaf] = use
  return None


def _unknown_rule(state, eqn, eqn_index, deps, leaf):
  del eqn, eqn_index, deps  # Unused.
  state.bad.add(leaf)
  return None


# Primitives with a rule; any other primitive ends a leaf's fast path.
_RULES: dict[str, _Rule] = {
    'mul': _mul_rule,
    'dot_general': _product_rule,
    'conv_general_dilated': _product_rule,
    'convert_element_type': _linear_unary_rule,
    'copy': _linear_unary_rule,
}
for _name in ('ne', 'eq', 'gt', 'ge', 'lt', 'le', 'sign', 'stop_gradient',
              'and', 'or', 'not'):
  _RULES[_name] = _zero_derivative_rule


def _declared_keep_prob(jaxpr, state: _State, leaf: int,
                        use: Use) -> Optional[float]:
  """The keep probability `remask` declared around the leaf's masking."""
  keep_prob = None
  for eqn in jaxpr.eqns[:use.eqn_index]:
    if any(state.of(v) == Dependence(Kind.LINEAR, leaf) for v in eqn.invars):
      declared = masking.declared_keep_prob(jaxpr_access.name_stack(eqn))
      keep_prob = keep_prob if declared is None else declared
  return keep_prob


def analyse(jaxpr, n_leaves: int) -> dict[int, Use]:
  """The leaves (by index) that reach one product linearly, and how.

  Args:
    jaxpr: the network's jaxpr, whose first `n_leaves` inputs are the
      parameter leaves.
    n_leaves: the number of parameter leaves.

  Returns:
    Per leaf on the fast path, its `Use`.
  """
  state = _State()
  for i, v in enumerate(jaxpr.invars[:n_leaves]):
    state.dependence[v] = Dependence(Kind.LINEAR, i)
    state.recipe[v] = ()
  for eqn_index, eqn in enumerate(jaxpr.eqns):
    deps = [state.of(v) for v in eqn.invars]
    leaves = {d.leaf for d in deps if d is not None}
    if not leaves:
      continue
    if len(leaves) > 1:
      state.bad.update(leaves)
      continue
    rule = _RULES.get(eqn.primitive.name, _unknown_rule)
    out = rule(state, eqn, eqn_index, deps, leaves.pop())
    if out is not None:
      for v in eqn.outvars:
        state.dependence[v] = out
  for v in jaxpr.outvars:
    if state.of(v) is not None:
      state.bad.add(state.of(v).leaf)
  for leaf, use in state.uses.items():
    use.keep_prob = _declared_keep_prob(jaxpr, state, leaf, use)
    use.uniform = leaf not in state.varying
  return {leaf: use for leaf, use in state.uses.items()
          if leaf not in state.bad}
