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

"""The only places where nt_prune touches neural-tangents internals.

The stack requires neural-tangents 0.6.5 (`setup.py`), and
`tests/nt_internals_test.py` checks every touch against it.

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

3. `install_input_flag_rules`: the rest of NT's layers must propagate
   `is_input` by the math, which in 0.6.5 they do not:

   * a layer with parameters gives a Gaussian output whose width grows, so it
     resets the flag. `Dense` and the convolutions do; `GlobalSelfAttention`
     carries its input's flag, which would refuse a pruned layer after
     attention as if it were on the raw inputs;
   * `FanInSum`, `FanInProd` and `FanInConcat` copy the flag of branch 0
     only. The rule: `FanInSum` and `FanInProd` need branches of equal shape,
     so if any branch is the raw inputs the channel count stays the input
     dimension, and the result is raw-input-like if *any* branch is;
     `FanInConcat` adds channel counts, which grow if any branch's do, so the
     result is raw-input-like only if *all* branches are.

   We wrap these constructors in `neural_tangents.stax` (and in NT's private
   modules that define them) so that their `kernel_fn` sets the flag by that
   rule. Layers built before `import nt_prune` keep NT's behaviour; nt_prune
   is imported with neural-tangents in practice, and the upstream fix
   (CONTRIBUTING.md) removes the wrappers.
"""

import functools
from typing import Any, Callable, Mapping

from neural_tangents import Kernel
from neural_tangents import stax
from neural_tangents._src.stax import branching as _nt_branching
from neural_tangents._src.stax import linear as _nt_linear
from neural_tangents._src.stax import requirements as _nt_requirements


def layer_requirements(kernel_fn: Callable[..., Any]) -> Mapping[str, Any]:
  """Returns the input requirements NT attached to a layer's `kernel_fn`."""
  reqs = _nt_requirements.get_req(kernel_fn)
  if reqs is None:
    raise TypeError(f'{kernel_fn} carries no neural-tangents input '
                    'requirements; is it the `kernel_fn` of an NT layer?')
  return dict(reqs)


def copy_requirements(source: Callable[..., Any],
                      target: Callable[..., Any]) -> None:
  """Gives `target` the input requirements of NT `kernel_fn` `source`.

  So that NT's combinators (`stax.serial`, `nt.batch`) treat a function that
  wraps a `kernel_fn` as that `kernel_fn`.
  """
  _nt_requirements._set_req(target, layer_requirements(source))  # pylint: disable=protected-access


_MARKER = '_nt_prune_marks_is_input'


def install_input_kernel_marker() -> None:
  """Makes NT build the raw-input `Kernel` with `is_input=True`; idempotent."""
  # pylint: disable=protected-access
  original = _nt_requirements._inputs_to_kernel
  if getattr(original, _MARKER, False):
    return

  @functools.wraps(original)
  def inputs_to_kernel(*args, **kwargs) -> Kernel:
    return original(*args, **kwargs).replace(is_input=True)

  setattr(inputs_to_kernel, _MARKER, True)
  _nt_requirements._inputs_to_kernel = inputs_to_kernel
  # pylint: enable=protected-access


def input_kernel_marker_installed() -> bool:
  # pylint: disable-next=protected-access
  return getattr(_nt_requirements._inputs_to_kernel, _MARKER, False)


def _combined(rule: Callable[[Any], bool]) -> Callable[[Kernel, Any], Kernel]:
  return lambda out, ks: out.replace(is_input=rule(k.is_input for k in ks))


# Constructor name -> (NT's private module defining it, how its kernel_fn's
# output flag follows from its input kernel(s)).
_FLAG_RULES = {
    'GlobalSelfAttention': (_nt_linear,
                            lambda out, k: out.replace(is_input=False)),
    'FanInSum': (_nt_branching, _combined(any)),
    'FanInProd': (_nt_branching, _combined(any)),
    'FanInConcat': (_nt_branching, _combined(all)),
}


def _with_flag_rule(
    constructor: Callable[..., Any],
    rule: Callable[[Kernel, Any], Kernel],
) -> Callable[..., Any]:
  """`constructor` whose layers' `kernel_fn` sets `is_input` by `rule`."""

  @functools.wraps(constructor)
  def wrapped(*args, **kwargs):
    init_fn, apply_fn, kernel_fn = constructor(*args, **kwargs)

    @functools.wraps(kernel_fn)  # Keeps NT's requirements (an attribute).
    def flagged_kernel_fn(k, *rest, **kw):
      out = kernel_fn(k, *rest, **kw)
      # Inside `serial`/`parallel` NT passes `Kernel`s; called on arrays the
      # layer returns the requested kernels, which carry no flag.
      return rule(out, k) if isinstance(out, Kernel) else out

    return init_fn, apply_fn, flagged_kernel_fn

  setattr(wrapped, _MARKER, True)
  return wrapped


def install_input_flag_rules() -> None:
  """Makes NT's layers propagate `is_input` by the math (idempotent).

  This rebinds NT's `FanInSum`, `FanInProd`, `FanInConcat` (and the other
  layers of `_FLAG_RULES`) in `neural_tangents.stax`: a stopgap, to be removed
  once NT carries `upstream/is_input.patch`.
  """
  for name, (module, rule) in _FLAG_RULES.items():
    original = getattr(module, name)
    if getattr(original, _MARKER, False):
      continue
    wrapped = _with_flag_rule(original, rule)
    setattr(module, name, wrapped)
    setattr(stax, name, wrapped)


def input_flag_rules_installed() -> bool:
  return all(getattr(getattr(stax, name), _MARKER, False) and
             getattr(module, name) is getattr(stax, name)
             for name, (module, _) in _FLAG_RULES.items())
