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

"""The only two places where nt_prune touches neural-tangents internals.

The stack is pinned to neural-tangents 0.6.5 (`setup.py`), and
`tests/nt_internals_test.py` checks both touches against it.

1. `layer_requirements`: a layer combinator must declare the input
   requirements of the layer it wraps, exactly as `stax.serial` does with the
   private `requirements.get_req`. NT has no public accessor for them.

2. `install_input_kernel_marker`: NT's `Kernel.is_input` is meant to say "this
   kernel describes the raw network inputs" (weight layers reset it to
   `False`, parameter-free layers and branches carry it, `stax.Dropout` reads
   it), but in 0.6.5 `_inputs_to_kernel` builds the input kernel with
   `is_input=False`, so the flag is always `False`. Pruned layers need it to
   refuse a silently-wrong kernel on raw inputs (see `input_layer.py`). We wrap
   `_inputs_to_kernel` so that the input kernel has `is_input=True`: this is
   the one-line upstream fix proposed in CONTRIBUTING.md. A side effect is that
   NT's own check comes alive: `stax.Dropout(mode='train')` applied directly
   to the inputs now raises NT's "Dropout cannot be applied to the input
   layer." in `kernel_fn`.
"""

import functools
from typing import Any, Callable, Mapping

from neural_tangents import Kernel
from neural_tangents._src.stax import requirements as _nt_requirements


def layer_requirements(kernel_fn: Callable[..., Any]) -> Mapping[str, Any]:
  """Returns the input requirements NT attached to a layer's `kernel_fn`."""
  reqs = _nt_requirements.get_req(kernel_fn)
  if reqs is None:
    raise TypeError(f'{kernel_fn} carries no neural-tangents input '
                    'requirements; is it the `kernel_fn` of an NT layer?')
  return dict(reqs)


_MARKER = '_nt_prune_marks_is_input'


def install_input_kernel_marker() -> None:
  """Makes NT build the raw-input `Kernel` with `is_input=True` (idempotent)."""
  original = _nt_requirements._inputs_to_kernel  # pylint: disable=protected-access
  if getattr(original, _MARKER, False):
    return

  @functools.wraps(original)
  def inputs_to_kernel(*args, **kwargs) -> Kernel:
    return original(*args, **kwargs).replace(is_input=True)

  setattr(inputs_to_kernel, _MARKER, True)
  _nt_requirements._inputs_to_kernel = inputs_to_kernel  # pylint: disable=protected-access


def input_kernel_marker_installed() -> bool:
  return getattr(_nt_requirements._inputs_to_kernel, _MARKER, False)  # pylint: disable=protected-access
