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

"""Argument checks shared by the stax and flax layers: one message each."""

import math
import numbers
from typing import Any, Optional

RESCALE_MODES = ('forward', 'init', None)
PARAMETERIZATIONS = ('ntk', 'standard')


def check_sparsity(sparsity: Any) -> float:
  """Returns `sparsity` as a float, or raises if it is not in `[0, 1)`."""
  if (isinstance(sparsity, bool) or
      not isinstance(sparsity, numbers.Real)):
    raise TypeError(f'`sparsity` must be a real number in [0, 1), got '
                    f'{sparsity!r} of type {type(sparsity).__name__}.')
  value = float(sparsity)
  if math.isnan(value) or not 0. <= value < 1.:
    raise ValueError(f'`sparsity` must be in [0, 1) (the probability that a '
                     f'weight is pruned; 1 would prune every weight), got '
                     f'{sparsity!r}.')
  return value


def check_rescale(rescale: Any) -> Optional[str]:
  """Returns `rescale`, or raises if it is not one of `RESCALE_MODES`."""
  if not any(rescale is m or (isinstance(rescale, str) and rescale == m)
             for m in RESCALE_MODES):
    raise ValueError(f'`rescale` must be one of {RESCALE_MODES}, got '
                     f'{rescale!r}.')
  return rescale


def check_width(layer_name: str, name: str, value: Any) -> None:
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or
      value < 1):
    raise ValueError(f'{layer_name}: `{name}` must be a positive integer, '
                     f'got {value!r}.')


def check_std(name: str, value: Any, allow_none: bool) -> None:
  if value is None and allow_none:
    return
  if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
      not math.isfinite(value) or value < 0):
    allowed = 'None or ' if allow_none else ''
    raise ValueError(f'`{name}` must be {allowed}a finite real number >= 0, '
                     f'got {value!r}.')


def check_parameterization(layer_name: str, parameterization: Any) -> str:
  """Returns the lower-cased parameterization (NT accepts any case)."""
  if (not isinstance(parameterization, str) or
      parameterization.lower() not in PARAMETERIZATIONS):
    raise ValueError(f'{layer_name}: `parameterization` must be one of '
                     f'{PARAMETERIZATIONS}, got {parameterization!r}.')
  return parameterization.lower()


def check_bool(name: str, value: Any) -> None:
  if not isinstance(value, bool):
    raise TypeError(f'`{name}` must be True or False, got {value!r}.')


def check_layer(layer_name: str, width_name: str, width: Any, W_std: Any,
                b_std: Any, parameterization: Any) -> None:
  """The checks every pruned weight layer (stax or flax) makes."""
  check_width(layer_name, width_name, width)
  check_std('W_std', W_std, allow_none=False)
  check_std('b_std', b_std, allow_none=True)
  check_parameterization(layer_name, parameterization)
