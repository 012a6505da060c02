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

"""Parameter-free flax modules with exact stax twins (for `to_stax`).

Flax has functions for these (`x.reshape`, `nn.avg_pool`, `jnp.mean`); these
modules make their arguments visible so that `nt_prune.flax.to_stax` can map
them to `stax.Flatten`, `stax.AvgPool` and `stax.GlobalAvgPool`. Activations
need no module: `nn.relu` and `jax.scipy.special.erf` map to `stax.Relu` and
`stax.Erf`.
"""

from typing import Optional, Sequence

import flax.linen as nn
import jax
from jax import numpy as jnp


class Flatten(nn.Module):
  """Flattens all but the batch axis, like `stax.Flatten`.

  Example:

    >>> from jax import numpy as jnp
    >>> from nt_prune import flax as npf
    >>> npf.Flatten().apply({}, jnp.zeros((2, 3, 4, 5))).shape
    (2, 60)
  """

  def __call__(self, x: jax.Array) -> jax.Array:
    return x.reshape((x.shape[0], -1))


class AvgPool(nn.Module):
  """Average pooling over spatial axes (NHWC), like `stax.AvgPool`.

  Attributes:
    window_shape: pooling window, one entry per spatial dimension.
    strides: `None` means 1 in every dimension (as in `stax.AvgPool`).
    padding: `'VALID'` or `'SAME'`.

  Example:

    >>> from jax import numpy as jnp
    >>> from neural_tangents import stax
    >>> from nt_prune import flax as npf
    >>> x = jnp.arange(2 * 4 * 4 * 3.).reshape(2, 4, 4, 3)
    >>> y = npf.AvgPool((2, 2), strides=(2, 2)).apply({}, x)
    >>> y.shape
    (2, 2, 2, 3)
    >>> bool(jnp.allclose(y, stax.AvgPool((2, 2), strides=(2, 2))[1]((), x)))
    True
  """
  window_shape: Sequence[int]
  strides: Optional[Sequence[int]] = None
  padding: str = 'VALID'

  def __call__(self, x: jax.Array) -> jax.Array:
    strides = tuple(self.strides or (1,) * len(self.window_shape))
    return nn.avg_pool(x, tuple(self.window_shape), strides, self.padding,
                       count_include_pad=True)


class GlobalAvgPool(nn.Module):
  """Mean over all spatial axes (NHWC), like `stax.GlobalAvgPool`.

  Example:

    >>> from jax import numpy as jnp
    >>> from neural_tangents import stax
    >>> from nt_prune import flax as npf
    >>> x = jnp.arange(2 * 4 * 4 * 3.).reshape(2, 4, 4, 3)
    >>> y = npf.GlobalAvgPool().apply({}, x)
    >>> y.shape
    (2, 3)
    >>> bool(jnp.allclose(y, stax.GlobalAvgPool()[1]((), x)))
    True
  """

  def __call__(self, x: jax.Array) -> jax.Array:
    return jnp.mean(x, axis=tuple(range(1, x.ndim - 1)))
