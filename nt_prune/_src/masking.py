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

`remask(W, keep_prob)` also declares the probability `q` with which the mask
keeps an entry, as the name scope `nt_prune_keep_<q>` of its operations, so
that it travels with the mask into a traced network: `nt_prune.empirical_ntk_fn`
reads it back (`declared_keep_prob`) to reserve static room for the kept
entries. The stax layers, `nt_prune.pruned` and the flax layers all call it, and
so can a network written by hand.
"""

import re
from typing import Optional

import jax
from jax import numpy as jnp

from nt_prune._src import validation

_KEEP_SCOPE = 'nt_prune_keep_'
_KEEP_PATTERN = re.compile(_KEEP_SCOPE + r'([0-9.e+-]+)')


def remask(W: jax.Array, keep_prob: Optional[float] = None) -> jax.Array:
  r"""`W` with its zero pattern re-applied: :math:`W \odot (W \ne 0)`.

  The value is `W`; the derivative is zero where `W` is, so pruned weights
  never get a gradient.

  Args:
    W: a weight whose zeros are its pruned entries.
    keep_prob: the probability `q` with which the mask keeps an entry, if
      known: `nt_prune.empirical_ntk_fn` then reserves room for about `q`
      times `W.size` kept entries (and still handles any number exactly).

  Returns:
    `W * (W != 0)`.

  Example:

    >>> import jax.numpy as jnp
    >>> import nt_prune
    >>> nt_prune.remask(jnp.array([0., 2.]), keep_prob=0.5)
    Array([0., 2.], dtype=float32)
  """
  if keep_prob is None:
    return W * (W != 0)
  keep_prob = validation.check_keep_prob('remask', keep_prob)
  with jax.named_scope(f'{_KEEP_SCOPE}{keep_prob!r}'):
    return W * (W != 0)


def declared_keep_prob(name_stack: str) -> Optional[float]:
  """The `keep_prob` a `remask` declared in an operation's name stack.

  Args:
    name_stack: an operation's name stack as a string (a jaxpr equation's
      `str(eqn.source_info.name_stack)`).

  Returns:
    The innermost declared keep probability, or `None` if there is none.
  """
  found = _KEEP_PATTERN.findall(name_stack)
  return float(found[-1]) if found else None


def kept(W: jax.typing.ArrayLike) -> jax.Array:
  """The mask stored in `W`: `True` where a weight is kept.

  Args:
    W: a weight array (or anything `jnp.asarray` takes, such as a list), not
      a layer's parameters `(W, b)`.

  Returns:
    A boolean array of `W`'s shape.
  """
  if isinstance(W, tuple):
    validation.refuse(TypeError, 'kept', 'W', W,
                      "a weight array, not a tuple (of a layer's parameters "
                      "(W, b), pass W)")
  return jnp.asarray(W) != 0
