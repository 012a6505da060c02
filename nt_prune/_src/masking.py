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

"""Masks: how they are stored and re-applied (`mask_laws.py` draws them).

The mask of a pruned layer is the zero pattern of its weight `W`: pruned
entries are exact zeros and nothing else is stored, so parameters keep the
`(W, b)` structure of the matching `stax` layer. `remask` is the single place
where `apply_fn` re-applies the mask; a zero weight then contributes no output
and gets a zero gradient, so an optimizer whose update is zero where the
gradient is never revives it; `keep_masks` guarantees it for any optimizer.

Consequence: a kept weight that is exactly `0.0` counts as pruned (with
Gaussian initialization this has probability zero).

`remask` is written `W * (W != 0)` rather than `jnp.where(W != 0, W, 0.)`: NT's
fastest empirical NTK (implementation 3, structured derivatives) has a rule for
the product and none for `where`, for which it builds a `|W| x |W|` Jacobian
and runs out of memory on 512-wide layers.
"""

import jax
from jax import numpy as jnp


def remask(W: jax.Array) -> jax.Array:
  """Returns `W` with its zero pattern re-applied (zero gradient there)."""
  return W * (W != 0)


def kept(W: jax.typing.ArrayLike) -> jax.Array:
  """The mask stored in `W`: `True` where a weight is kept.

  Args:
    W: a weight array (or anything `jnp.asarray` takes, such as a list).

  Returns:
    A boolean array of `W`'s shape.
  """
  return jnp.asarray(W) != 0
