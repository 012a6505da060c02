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

"""Refusing the Gaussian rule where it does not hold: pruned layers on inputs.

The infinite-width limit is Gaussian only where the fan-in grows with width. A
pruned layer applied to the raw network inputs (possibly after parameter-free
layers such as `Flatten` or pooling) has a fixed fan-in, the input dimension
`d`. Its own NNGP and NTK (second moments) are exact, but conditioned on the
mask its outputs are Gaussian with a mask-dependent covariance, so over masks
they are a mixture of Gaussians, and a nonlinearity after it has a different
kernel than the Gaussian rule gives. The relative error is `O(1 / (q d))`
(`examples/prune_every_layer.py` measures it against the exact kernel of
`nt_prune.serial`; `tests/input_mixture_test.py` checks that wide finite
networks reject the Gaussian rule at small `d`).

By default `kernel_fn` therefore raises for such a layer (for every `get`).
Ways out: `nt_prune.serial` (`input_mixture.py`) gives the exact kernel of the
mixture when the pruned layer comes first; or keep the first layer dense, as
the paper's authors do in their NTK experiments; or pass
`approximate_input_layer=True` to accept the Gaussian approximation.

Where the inputs are is read from `Kernel.is_input`, which nt_prune makes NT
set on the input kernel (`_nt_internals.install_input_kernel_marker`) and
propagate by the math (`_nt_internals.install_input_flag_rules`): every layer
with parameters (`Dense`, the convolutions, `GlobalSelfAttention`) resets it;
parameter-free layers carry it; `FanInSum` and `FanInProd` (equal shapes:
the channel count stays the input dimension if any branch is the inputs) set
it if any branch has it; `FanInConcat` (channel counts add up, and grow if any
branch's grows) sets it only if every branch has it.
"""

from neural_tangents import Kernel

from nt_prune._src import _nt_internals
from nt_prune._src.rule import PruningRule

_nt_internals.install_input_kernel_marker()
_nt_internals.install_input_flag_rules()


def check_not_on_inputs(k: Kernel, rule: PruningRule,
                        approximate_input_layer: bool, layer_name: str) -> None:
  """Raises `ValueError` if a pruned layer would get a silently wrong kernel."""
  if not k.is_input or rule.sparsity == 0. or approximate_input_layer:
    return
  d = k.shape1[k.channel_axis]
  raise ValueError(
      f'{layer_name}(sparsity={rule.sparsity}) is applied to the raw network '
      f'inputs, whose dimension (d = {d} channels) stays fixed as the width '
      f'grows. Its pruned outputs are then a mixture of Gaussians over masks, '
      f'not a Gaussian, and the infinite-width kernel of any nonlinearity '
      f'after it differs from the Gaussian rule (relative error '
      f'O(1 / (q d)) with q = 1 - sparsity = {rule.keep_prob:g}). For the '
      f'exact kernel, build the network with `nt_prune.serial` instead of '
      f'`stax.serial`, this layer first (it sums over the masks of one unit); '
      f'or keep the first layer dense (`stax.Dense`/`stax.Conv`, or '
      f'sparsity=0), as the paper\'s authors do in their NTK experiments; or '
      f'pass `approximate_input_layer=True` to accept the Gaussian '
      f'approximation.')
