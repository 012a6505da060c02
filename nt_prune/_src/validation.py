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

"""Argument checks shared by every public function: one message style.

Every refusal reads `<where>: `<argument>` must be <what is allowed>, got
<value>.`, where `<where>` is the layer's or the function's name. A value of
the wrong type raises `TypeError`, a value of the right type outside the
allowed range `ValueError`.
"""

import math
import numbers
from typing import Any, Mapping, NoReturn, Optional, Sequence

import numpy as np

RESCALE_MODES = ('forward', 'init', None)
PARAMETERIZATIONS = ('ntk', 'standard')
# NT's `stax.Padding` values.
PADDINGS = ('VALID', 'SAME', 'CIRCULAR')

# The width argument of each constructor, by its name.
WIDTH_ARGUMENTS = ('out_dim', 'out_chan', 'features')


def refuse(error: type[Exception], where: str, name: str, value: Any,
           allowed: str) -> NoReturn:
  """Raises `error` with the one message style of nt_prune."""
  raise error(f'{where}: `{name}` must be {allowed}, got {value!r}.')


def _is_int(value: Any) -> bool:
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
  return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_sparsity(where: str, sparsity: Any, name: str = 'sparsity') -> float:
  """Returns `sparsity` as a float in `[0, 1)`, or raises."""
  allowed = ('a real number in [0, 1) (the probability that a weight is '
             'pruned; 1 would prune every weight)')
  if not _is_real(sparsity):
    refuse(TypeError, where, name, sparsity, allowed)
  value = float(sparsity)
  if math.isnan(value) or not 0. <= value < 1.:
    refuse(ValueError, where, name, sparsity, allowed)
  return value


def check_keep_prob(where: str, keep_prob: Any) -> float:
  """Returns `keep_prob` as a float in `(0, 1]`, or raises."""
  allowed = ('a real number in (0, 1] (the probability that a weight is '
             'kept)')
  if not _is_real(keep_prob):
    refuse(TypeError, where, 'keep_prob', keep_prob, allowed)
  value = float(keep_prob)
  if math.isnan(value) or not 0. < value <= 1.:
    refuse(ValueError, where, 'keep_prob', keep_prob, allowed)
  return value


def check_rescale(where: str, rescale: Any,
                  name: str = 'rescale') -> Optional[str]:
  """Returns `rescale`, or raises if it is not one of `RESCALE_MODES`."""
  if not any(rescale is m or (isinstance(rescale, str) and rescale == m)
             for m in RESCALE_MODES):
    refuse(ValueError, where, name, rescale, f'one of {RESCALE_MODES}')
  return rescale


def check_positive_int(where: str, name: str, value: Any) -> int:
  if not _is_int(value):
    refuse(TypeError, where, name, value, 'a positive integer')
  if value < 1:
    refuse(ValueError, where, name, value, 'a positive integer')
  return int(value)


def check_int(where: str, name: str, value: Any) -> int:
  if not _is_int(value):
    refuse(TypeError, where, name, value, 'an integer')
  return int(value)


def check_std(where: str, name: str, value: Any, allow_none: bool) -> None:
  if value is None and allow_none:
    return
  allowed = ('None or ' if allow_none else '') + 'a finite real number >= 0'
  if not _is_real(value):
    refuse(TypeError, where, name, value, allowed)
  if not math.isfinite(value) or value < 0:
    refuse(ValueError, where, name, value, allowed)


def check_parameterization(where: str, parameterization: Any) -> str:
  """Returns the lower-cased parameterization (NT accepts any case)."""
  allowed = f'one of {PARAMETERIZATIONS} (any case, as in NT)'
  if not isinstance(parameterization, str):
    refuse(TypeError, where, 'parameterization', parameterization, allowed)
  if parameterization.lower() not in PARAMETERIZATIONS:
    refuse(ValueError, where, 'parameterization', parameterization, allowed)
  return parameterization.lower()


def check_bool(where: str, name: str, value: Any) -> bool:
  """Returns `value` as a bool (numpy's bools too), or raises."""
  if not isinstance(value, (bool, np.bool_)):
    refuse(TypeError, where, name, value, 'True or False')
  return bool(value)


def check_positive_ints(where: str, name: str, value: Any,
                        length: Optional[int] = None) -> tuple[int, ...]:
  """Returns `value` as a tuple of positive integers (of `length` if given)."""
  size = 'a non-empty' if length is None else f'a length-{length}'
  allowed = f'{size} sequence of positive integers'
  if (isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or
      not all(_is_int(v) for v in value)):
    refuse(TypeError, where, name, value, allowed)
  if (not value or (length is not None and len(value) != length) or
      not all(v >= 1 for v in value)):
    refuse(ValueError, where, name, value, allowed)
  return tuple(int(v) for v in value)


def check_padding(where: str, padding: Any,
                  allowed: Sequence[str] = PADDINGS) -> str:
  allowed_text = f'one of {tuple(allowed)}'
  if not isinstance(padding, str):
    refuse(TypeError, where, 'padding', padding, allowed_text)
  if padding not in allowed:
    refuse(ValueError, where, 'padding', padding, allowed_text)
  return padding


def check_dimension_numbers(where: str, dimension_numbers: Any,
                            n_spatial: int) -> None:
  """Checks `(lhs, rhs, out)` specs as NT's convolutions read them."""
  if dimension_numbers is None:
    return
  allowed = (f'None or three strings (input, filter, output specs) of '
             f'{n_spatial + 2} distinct letters each, such as '
             f"('NHWC', 'HWIO', 'NHWC'): input and output with N and C, "
             f'filter with I and O, and the same {n_spatial} spatial letters '
             f'in all three')
  if (not isinstance(dimension_numbers, (tuple, list)) or
      len(dimension_numbers) != 3 or
      not all(isinstance(d, str) for d in dimension_numbers)):
    refuse(TypeError, where, 'dimension_numbers', dimension_numbers, allowed)
  lhs, rhs, out = dimension_numbers
  spatial = [set(spec) - set(letters) for spec, letters in
             ((lhs, 'NC'), (rhs, 'IO'), (out, 'NC'))]
  if (any(len(spec) != n_spatial + 2 or len(set(spec)) != len(spec)
          for spec in dimension_numbers) or
      not set('NC') <= set(lhs) or not set('IO') <= set(rhs) or
      not set('NC') <= set(out) or
      not spatial[0] == spatial[1] == spatial[2]):
    refuse(ValueError, where, 'dimension_numbers', dimension_numbers,
           allowed)


def check_layer_arguments(where: str,
                          arguments: Mapping[str, Any]) -> dict[str, Any]:
  """The checks every pruned weight layer (stax or flax) makes.

  Args:
    where: the layer's name, for the messages.
    arguments: the constructor's arguments by name; those present among
      `out_dim`/`out_chan`/`features`, `W_std`, `b_std`, `parameterization`,
      `s`, `filter_shape`/`kernel_size`, `strides`, `padding`,
      `dimension_numbers`, `batch_axis` and `channel_axis` are checked.

  Returns:
    The arguments, with sequences as tuples.
  """
  out = dict(arguments)
  for name in WIDTH_ARGUMENTS:
    if name in out:
      check_positive_int(where, name, out[name])
  check_std(where, 'W_std', out['W_std'], allow_none=False)
  check_std(where, 'b_std', out['b_std'], allow_none=True)
  check_parameterization(where, out['parameterization'])
  if 's' in out:
    out['s'] = check_positive_ints(where, 's', out['s'], length=2)
  for name in ('filter_shape', 'kernel_size'):
    if name in out:
      out[name] = check_positive_ints(where, name, out[name])
      n_spatial = len(out[name])
      if out.get('strides') is not None:
        out['strides'] = check_positive_ints(where, 'strides', out['strides'],
                                             length=n_spatial)
      if 'dimension_numbers' in out:
        check_dimension_numbers(where, out['dimension_numbers'], n_spatial)
  if 'padding' in out and 'filter_shape' in out:
    check_padding(where, out['padding'])
  if 'batch_axis' in out:
    batch_axis = check_int(where, 'batch_axis', out['batch_axis'])
    channel_axis = check_int(where, 'channel_axis', out['channel_axis'])
    if batch_axis == channel_axis:
      refuse(ValueError, where, 'channel_axis', channel_axis,
             f'an axis other than `batch_axis` ({batch_axis})')
  return out


def check_input_shape(where: str, input_shape: Any, arguments: Mapping[str,
                                                                    Any]):
  """Checks the input shape against the layer's axes and filter (at init)."""
  if (not isinstance(input_shape, Sequence) or
      not all(_is_int(d) for d in input_shape)):
    refuse(TypeError, where, 'input_shape', input_shape,
           'a sequence of integers')
  ndim = len(input_shape)
  batch = arguments.get('batch_axis', 0)
  if arguments.get('dimension_numbers'):
    batch = arguments['dimension_numbers'][0].index('N')
  if any(d == 0 for i, d in enumerate(input_shape)
         if i != batch % max(ndim, 1)):
    refuse(ValueError, where, 'input_shape', tuple(input_shape),
           'a shape with no zero-size axis but the batch axis (an example '
           'needs at least one input feature)')
  if 'batch_axis' in arguments:
    axes = [arguments['batch_axis'], arguments['channel_axis']]
    for name, axis in zip(('batch_axis', 'channel_axis'), axes):
      if not -ndim <= axis < ndim:
        refuse(ValueError, where, name, axis,
               f'an axis of the {ndim}-dimensional inputs (shape '
               f'{tuple(input_shape)})')
    if axes[0] % ndim == axes[1] % ndim:
      refuse(ValueError, where, 'channel_axis', axes[1],
             f'an axis other than `batch_axis` ({axes[0]}) of the '
             f'{ndim}-dimensional inputs')
  if 'filter_shape' in arguments:
    n_spatial = len(arguments['filter_shape'])
    if ndim != n_spatial + 2:
      refuse(ValueError, where, 'filter_shape', arguments['filter_shape'],
             f'of length {ndim - 2} for inputs of shape '
             f'{tuple(input_shape)} (batch, {ndim - 2} spatial, channel '
             f'axes)')
