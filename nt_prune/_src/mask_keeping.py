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

"""`keep_masks`: an optax transformation under which no mask can be lost.

The mask of a pruned layer is the zero pattern of its weight (`masking.py`),
and `apply_fn` re-applies it, so a pruned weight gets a zero gradient. An
optimizer whose update is zero wherever the gradient is (SGD, momentum,
Nesterov, Adam, AdamW, whose decay of a zero weight is zero, Lion) therefore
never writes into a pruned position. One that adds noise or mixes entries
(`optax.noisy_sgd`, `optax.centralize`, ...) does, and from then on the revived
weights count as kept. `keep_masks(params)`, chained last, zeroes every update
at the positions that are pruned in `params`:

  u_ij <- u_ij * M_ij,   M = (W_0 != 0)  for each weight W,

and leaves every other parameter (biases, whatever their value) untouched.

Which leaves are weights, by the parameters' structure:

* stax: the first entry `W` of every `(W, b)` pair (NT's `Dense`, `Conv`,
  `ConvTranspose`, `ConvLocal` and nt_prune's pruned layers; `b` may be
  `None`);
* flax: every leaf named `'kernel'` (`nt_prune.flax` layers, `nn.Dense`, ...).

As everywhere in nt_prune, a weight entry that is exactly 0 counts as pruned.
"""

from typing import Any

import jax
import numpy as np
import optax

from nt_prune._src import masking


def _is_array(x: Any) -> bool:
  return isinstance(x, (jax.Array, np.ndarray))


def _is_weight_bias_pair(node: Any) -> bool:
  """A stax `(W, b)` pair: two entries, an array and an array or `None`."""
  return (isinstance(node, (tuple, list)) and len(node) == 2 and
          _is_array(node[0]) and (node[1] is None or _is_array(node[1])))


def pruning_masks(params: Any) -> Any:
  """The masks that `keep_masks` applies, as a pytree like `params`.

  Args:
    params: stax parameters (nested tuples and lists of `(W, b)` pairs) or
      flax parameters or variables.

  Returns:
    A pytree with the structure of `params` (with `None` as a leaf): `W != 0`
    at every weight, and `None` at every other leaf (left untouched).
  """

  def mask(path, node):
    if _is_weight_bias_pair(node):
      return type(node)((masking.kept(node[0]), None))
    if path and getattr(path[-1], 'key', None) == 'kernel' and _is_array(node):
      return masking.kept(node)
    return None

  return jax.tree_util.tree_map_with_path(mask, params,
                                          is_leaf=_is_weight_bias_pair)


def keep_masks(params: Any) -> optax.GradientTransformation:
  """Zeroes every update at the pruned positions of `params`.

  Chain it last, so that it sees the final updates:

  ```python
  opt = optax.chain(optax.noisy_sgd(1e-2), nt_prune.keep_masks(params))
  ```

  Pruned weights then stay exactly zero under any optax optimizer, and so do
  the masks (the zero patterns of the weights); biases and dense weights are
  trained as the inner optimizer says.

  Args:
    params: the initial parameters (stax or flax), whose zero patterns are the
      masks to keep. They must be concrete arrays, not traced.

  Returns:
    An `optax.GradientTransformation` whose `update` must be given updates
    with the structure of `params`.
  """
  masks = pruning_masks(params)
  structure = jax.tree_util.tree_structure(params)

  def init_fn(_):
    return optax.EmptyState()

  def update_fn(updates, state, params=None):
    del params
    if jax.tree_util.tree_structure(updates) != structure:
      raise ValueError(
          f'keep_masks: `updates` must have the structure of the parameters '
          f'the transformation was built from, {structure}; got '
          f'{jax.tree_util.tree_structure(updates)}.')
    updates = jax.tree_util.tree_map(
        lambda m, u: u if m is None else u * m.astype(u.dtype), masks,
        updates, is_leaf=lambda m: m is None)
    return updates, state

  return optax.GradientTransformation(init_fn, update_fn)
