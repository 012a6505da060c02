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


"""Whether a network's examples are independent, proven from its jaxpr.

`nt_prune.empirical_ntk_fn` runs its passes per example where examples are
independent (`vmap_axes`), which is much faster. Called with the default
`vmap_axes=None`, it takes that path anyway where `examples_independent`
proves, from the jaxpr of `f(params, x)`, that row `i` of the output along
axis 0 depends on row `i` of the input along axis 0 only: every equation
that reads a value depending on the examples must have a rule in `_RULES`
that keeps the examples' rows apart (elementwise operations, products and
convolutions whose weight does not depend on the examples, reshapes that
keep the examples' axis, reductions and windows over other axes, ...), and
a value that does not depend on the examples may meet one that does,
elementwise, only where it is constant along the examples' axis (a bias
broadcast along it, not an `iota` over it). Anything else (an unknown
primitive, a product or a sort over the examples' axis, a batch statistic)
leaves independence unproven, and the kernel is computed without the
assumption, exactly.
"""

import dataclasses
from typing import Any, Callable, Sequence, Union

from nt_prune._src.empirical import jaxpr_access


@dataclasses.dataclass(frozen=True)
class Rows:
  """A value whose rows along `axis` are the examples', kept apart."""
  axis: int


@dataclasses.dataclass(frozen=True)
class Constant:
  """A value that does not depend on the examples, constant along `along`."""
  along: frozenset[int] = frozenset()


_State = Union[Rows, Constant]


class _Unproven(Exception):
  """An equation may mix the examples' rows."""


def _constant_along(state: Constant, aval, axis: int) -> bool:
  shape = aval.shape
  return not shape or shape[axis] == 1 or axis in state.along


def _rows_axis(eqn, states: Sequence[_State]) -> int:
  """The one examples' axis of the inputs with rows (else unproven)."""
  axes = {s.axis for s in states if isinstance(s, Rows)}
  if len(axes) != 1:
    raise _Unproven()
  return axes.pop()


def _elementwise(eqn, states):
  axis = _rows_axis(eqn, states)
  for v, s in zip(eqn.invars, states):
    if isinstance(s, Constant) and not _constant_along(s, v.aval, axis):
      raise _Unproven()
  return [Rows(axis)] * len(eqn.outvars)


def _only_operand_rows(eqn, states) -> int:
  """The examples' axis of operand 0, the only input with rows."""
  if not isinstance(states[0], Rows) or any(
      isinstance(s, Rows) for s in states[1:]):
    raise _Unproven()
  return states[0].axis


def _broadcast_in_dim(eqn, states):
  axis = _only_operand_rows(eqn, states)
  out = eqn.params['broadcast_dimensions'][axis]
  if eqn.outvars[0].aval.shape[out] != eqn.invars[0].aval.shape[axis]:
    raise _Unproven()  # The examples' rows broadcast over.
  return [Rows(out)]


def _reshape(eqn, states):
  axis = _only_operand_rows(eqn, states)
  before, after = eqn.invars[0].aval.shape, eqn.outvars[0].aval.shape
  if (eqn.params.get('dimensions') is not None or
      tuple(before[:axis + 1]) != tuple(after[:axis + 1])):
    raise _Unproven()
  return [Rows(axis)]


def _transpose(eqn, states):
  axis = _only_operand_rows(eqn, states)
  return [Rows(list(eqn.params['permutation']).index(axis))]


def _removing(axes_param: str):
  """A rule for a reduction or squeeze over `eqn.params[axes_param]`."""
  def rule(eqn, states):
    axis = _only_operand_rows(eqn, states)
    removed = eqn.params[axes_param]
    if axis in removed:
      raise _Unproven()
    return [Rows(axis - sum(a < axis for a in removed))] * len(eqn.outvars)
  return rule


def _along_other_axis(eqn, states):
  """`cumsum` and friends, `split`: along one axis, not the examples'."""
  axis = _only_operand_rows(eqn, states)
  if eqn.params['axis'] == axis:
    raise _Unproven()
  return [Rows(axis)] * len(eqn.outvars)


def _window(eqn, states):
  """A pooling window of one row along the examples' axis."""
  axis = _only_operand_rows(eqn, states)
  p = eqn.params
  if (p['window_dimensions'][axis] != 1 or p['window_strides'][axis] != 1 or
      tuple(p['padding'][axis]) != (0, 0) or p['base_dilation'][axis] != 1 or
      p['window_dilation'][axis] != 1):
    raise _Unproven()
  return [Rows(axis)]


def _slice(eqn, states):
  axis = _only_operand_rows(eqn, states)
  p, n = eqn.params, eqn.invars[0].aval.shape[axis]
  strides = p.get('strides')
  if (p['start_indices'][axis] != 0 or p['limit_indices'][axis] != n or
      (strides is not None and strides[axis] != 1)):
    raise _Unproven()
  return [Rows(axis)]


def _pad(eqn, states):
  axis = _only_operand_rows(eqn, states)
  if tuple(eqn.params['padding_config'][axis]) != (0, 0, 0):
    raise _Unproven()
  return [Rows(axis)]


def _concatenate(eqn, states):
  axis = _elementwise(eqn, states)[0].axis
  if eqn.params['dimension'] == axis:
    raise _Unproven()
  return [Rows(axis)]


def _dot_general(eqn, states):
  (lc, rc), (lb, rb) = eqn.params['dimension_numbers']
  lhs, rhs = states
  n_l, n_r = (len(v.aval.shape) for v in eqn.invars)
  l_free = [a for a in range(n_l) if a not in lc and a not in lb]
  r_free = [a for a in range(n_r) if a not in rc and a not in rb]
  if isinstance(lhs, Rows) and isinstance(rhs, Rows):
    # Both sides' rows, paired as a batch axis (attention within examples).
    for k, (a, b) in enumerate(zip(lb, rb)):
      if a == lhs.axis and b == rhs.axis:
        return [Rows(k)]
    raise _Unproven()
  if isinstance(lhs, Rows) and lhs.axis in l_free:
    return [Rows(len(lb) + l_free.index(lhs.axis))]
  if isinstance(rhs, Rows) and rhs.axis in r_free:
    return [Rows(len(lb) + len(l_free) + r_free.index(rhs.axis))]
  raise _Unproven()


def _convolution(eqn, states):
  """Examples along the input's batch axis, a kernel without them."""
  axis = _only_operand_rows(eqn, states)
  dn = eqn.params['dimension_numbers']
  if axis != dn.lhs_spec[0] or eqn.params['batch_group_count'] != 1:
    raise _Unproven()
  return [Rows(dn.out_spec[0])]


_Rule = Callable[[Any, Sequence[_State]], list[_State]]

_ELEMENTWISE = (
    'abs', 'acos', 'acosh', 'add', 'and', 'asin', 'asinh', 'atan', 'atan2',
    'atanh', 'cbrt', 'ceil', 'clamp', 'conj', 'convert_element_type', 'copy',
    'copy_p', 'cos', 'cosh', 'digamma', 'div', 'eq', 'erf', 'erf_inv', 'erfc',
    'exp', 'exp2', 'expm1', 'floor', 'ge', 'gt', 'imag', 'integer_pow',
    'is_finite', 'le', 'lgamma', 'log', 'log1p', 'logistic', 'lt', 'max',
    'min', 'mul', 'ne', 'neg', 'nextafter', 'not', 'or', 'pow', 'real',
    'reduce_precision', 'rem', 'round', 'rsqrt', 'select_n', 'sign', 'sin',
    'sinh', 'sqrt', 'square', 'stop_gradient', 'sub', 'tan', 'tanh', 'xor')

_RULES: dict[str, _Rule] = {name: _elementwise for name in _ELEMENTWISE}
_RULES.update({
    'broadcast_in_dim': _broadcast_in_dim,
    'reshape': _reshape,
    'transpose': _transpose,
    'squeeze': _removing('dimensions'),
    'concatenate': _concatenate,
    'slice': _slice,
    'pad': _pad,
    'split': _along_other_axis,
    'dot_general': _dot_general,
    'conv_general_dilated': _convolution,
})
for _name in ('reduce_sum', 'reduce_max', 'reduce_min', 'reduce_prod',
              'reduce_and', 'reduce_or', 'argmax', 'argmin'):
  _RULES[_name] = _removing('axes')
for _name in ('cumsum', 'cumprod', 'cummax', 'cummin', 'cumlogsumexp'):
  _RULES[_name] = _along_other_axis
for _name in ('reduce_window_sum', 'reduce_window_max', 'reduce_window_min',
              'reduce_window'):
  _RULES[_name] = _window


def _constant_out(eqn, states: Sequence[_State]) -> list[_State]:
  """Outputs of an equation none of whose inputs depend on the examples.

  They do not either; constant along an axis only where a broadcast or an
  elementwise operation of constants along it makes them so.
  """
  name = eqn.primitive.name
  if name == 'broadcast_in_dim':
    (state,), dims = states, eqn.params['broadcast_dimensions']
    shape = eqn.invars[0].aval.shape
    kept = {dims[i] for i in range(len(shape))
            if shape[i] == 1 or i in state.along}
    new = set(range(len(eqn.outvars[0].aval.shape))) - set(dims)
    return [Constant(frozenset(kept | new))]
  if name in _ELEMENTWISE:
    rank = len(eqn.outvars[0].aval.shape)
    along = frozenset(range(rank))
    for v, s in zip(eqn.invars, states):
      if v.aval.shape:
        along &= s.along | {a for a, n in enumerate(v.aval.shape) if n == 1}
    return [Constant(along)] * len(eqn.outvars)
  return [Constant()] * len(eqn.outvars)


def _run(jaxpr, inputs: Sequence[_State]) -> list[_State]:
  """The states of `jaxpr`'s outputs, given its inputs' (or unproven)."""
  inner = getattr(jaxpr, 'jaxpr', jaxpr)
  env: dict[Any, _State] = {v: Constant() for v in inner.constvars}
  env.update(zip(inner.invars, inputs))

  def state(v) -> _State:
    return Constant() if jaxpr_access.is_literal(v) else env[v]

  for eqn in inner.eqns:
    states = [state(v) for v in eqn.invars]
    if not any(isinstance(s, Rows) for s in states):
      outs = _constant_out(eqn, states)
    elif jaxpr_access.sub_jaxpr(eqn) is not None:
      outs = _run(jaxpr_access.sub_jaxpr(eqn), states)
    elif eqn.primitive.name in _RULES:
      outs = _RULES[eqn.primitive.name](eqn, states)
    else:
      raise _Unproven()
    env.update(zip(eqn.outvars, outs))
  return [state(v) for v in inner.outvars]


def examples_independent(closed, n_leaves: int) -> bool:
  """Whether the examples along axis 0 of the input are independent.

  Args:
    closed: the jaxpr of `f(params, x)`, with the `n_leaves` parameter
      leaves and then `x` as its inputs.
    n_leaves: the number of parameter leaves.

  Returns:
    Whether output row `i` along axis 0 provably depends on input row `i`
    along axis 0 only (and the output has one array).
  """
  jaxpr = closed.jaxpr
  if len(jaxpr.invars) != n_leaves + 1 or len(jaxpr.outvars) != 1 or not (
      jaxpr.invars[-1].aval.shape):
    return False
  inputs = [Constant()] * n_leaves + [Rows(0)]
  try:
    (out,) = _run(closed, inputs)
  except _Unproven:
    return False
  return out == Rows(0)
