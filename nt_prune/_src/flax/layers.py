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

r"""flax.linen twins of `nt_prune.PrunedDense` and `nt_prune.PrunedConv`.

Same finite-width equations as the stax layers, with `q = 1 - sparsity`,
mask `M ~ Bernoulli(q)` drawn once at `init` from the `'params'` rng, fan-in
`N` (input features, times the filter size for convolutions), and `c_0`, `c_f`
the init and forward rescale factors of `nt_prune.PruningRule`:

* `parameterization='ntk'`: `kernel ~ N(0, c_0^2)` masked, `bias ~ N(0, 1)`,
  `y = c_f W_std / sqrt(N) * x @ kernel + b_std * bias`;
* `parameterization='standard'`: `kernel ~ N(0, c_0^2 W_std^2 / N)` masked,
  `bias ~ N(0, b_std^2)`, `y = c_f * x @ kernel + bias`.

The mask is the zero pattern of `kernel`, re-applied in `__call__`
(`masking.remask`), so pruned weights never get a gradient. The
infinite-width kernel of a network of these modules is that of its stax twin
(`nt_prune.flax.to_stax`), see `nt_prune/_src/kernel_rule.py`. `sparsity=0`
gives a dense NTK-parameterized layer, so whole networks can be written with
them.
"""

import dataclasses
import math
from typing import Any, Optional, Sequence, TYPE_CHECKING

import flax.linen as nn
import jax
from jax import lax
from jax import numpy as jnp
from jax import random

from nt_prune._src import mask_laws
from nt_prune._src import masking
from nt_prune._src import validation
from nt_prune._src.rule import PruningRule

PADDINGS = ('VALID', 'SAME')
Dtype = Any  # As flax.linen's.


class _PrunedLinear(nn.Module):
  """Shared parameters and equation; subclasses say how to contract.

  The keyword-only pruning and dtype fields are declared here (keyword-only
  fields follow every positional one, whatever the class); each subclass
  declares its positional fields in its own order (a convolution's
  `kernel_size`, `strides`, `padding` come second), so the fields this
  class's methods read from them are declared below for readers and type
  checkers only.
  """
  if TYPE_CHECKING:  # Declared by every subclass, positionally.
    features: int
    W_std: float
    b_std: Optional[float]
    parameterization: str
    s: tuple[int, int]

  _: dataclasses.KW_ONLY
  sparsity: Optional[float] = None
  rescale: Optional[str] = 'forward'
  mask: mask_laws.MaskLaw = 'bernoulli'
  dtype: Optional[Dtype] = None
  param_dtype: Dtype = jnp.float32

  def _validate(self, **arguments) -> None:
    name = type(self).__name__
    validation.check_layer_arguments(name, dict(
        features=self.features, W_std=self.W_std, b_std=self.b_std,
        parameterization=self.parameterization, s=self.s, **arguments))
    mask_laws.check_mask(name, self.mask, self.sparsity)
    validation.check_rescale(name, self.rescale)

  def _affine(self, x: jax.Array, kernel_shape: Sequence[int], fan_in: int,
              contract) -> jax.Array:
    """`contract(x, kernel)` with the layer's masking, scaling and bias."""
    name = type(self).__name__
    if fan_in == 0:
      validation.refuse(ValueError, name, 'x', x.shape,
                        'inputs with at least one feature per example')
    law, sparsity = mask_laws.check_mask(name, self.mask, self.sparsity)
    rule = PruningRule(sparsity, self.rescale)
    standard = self.parameterization.lower() == 'standard'

    def kernel_init(key, shape, dtype):
      W = random.normal(key, shape, dtype)
      if standard:
        W *= self.W_std / fan_in**0.5
      # Input channels on axis -2, units on axis -1 (`(in, out)`, `HWIO`).
      kept = mask_laws.draw(type(self).__name__, law, key, shape,
                            rule.keep_prob, -2, -1)
      return W * kept * rule.init_scale

    def bias_init(key, shape, dtype):
      return (self.b_std if standard else 1.) * random.normal(key, shape,
                                                              dtype)

    kernel = self.param('kernel', kernel_init, tuple(kernel_shape),
                        self.param_dtype)
    bias = (None if self.b_std is None else
            self.param('bias', bias_init, (self.features,), self.param_dtype))
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias,
                                              dtype=self.dtype)
    y = contract(x, masking.remask(kernel, rule.keep_prob) * rule.forward_scale)
    if not standard:
      y *= self.W_std / fan_in**0.5
    if bias is not None:
      bias = jnp.reshape(bias, (1,) * (y.ndim - 1) + (-1,))  # As flax's.
      y += bias if standard else self.b_std * bias
    return y


class PrunedDense(_PrunedLinear):
  """Randomly pruned dense layer; the flax twin of `nt_prune.PrunedDense`.

  The stax twin's leading positional arguments (`features` for `out_dim`,
  `W_std`, `b_std`), then `parameterization` and `s` (the stax twin's
  `batch_axis` and `channel_axis` are fixed here: examples first, features
  last), then the keyword-only pruning and dtype arguments.

  Attributes:
    features: number of output features.
    W_std: weight standard deviation.
    b_std: bias standard deviation; `None` means no bias.
    parameterization: `'ntk'` or `'standard'`.
    s: NT's width scalings `(s_in, s_out)` of the standard parameterization;
      they enter only the infinite-width kernel (`nt_prune.flax.to_stax`).
    sparsity: probability in `[0, 1)` that each weight entry is pruned;
      required but for `mask=NByM(n, m)`.
    rescale: `'forward'`, `'init'` or `None`, as in `nt_prune.PrunedDense`.
    mask: the mask law, as in `nt_prune.PrunedDense`.
    dtype: the computation's dtype; `None` promotes the inputs' and
      parameters' dtypes, as in `flax.linen.Dense`.
    param_dtype: the parameters' dtype.

  Example:

    >>> import jax
    >>> from nt_prune import flax as npf
    >>> layer = npf.PrunedDense(4, W_std=1.5, b_std=0.1, sparsity=0.5)
    >>> variables = layer.init(jax.random.PRNGKey(0), jax.numpy.ones((2, 3)))
    >>> jax.tree_util.tree_map(jax.numpy.shape, variables['params'])
    {'bias': (4,), 'kernel': (3, 4)}
  """
  features: int
  W_std: float = 1.
  b_std: Optional[float] = None
  parameterization: str = 'ntk'
  s: tuple[int, int] = (1, 1)

  def __post_init__(self):
    self._validate()
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    fan_in = x.shape[-1]
    return self._affine(x, (fan_in, self.features), fan_in,
                        lambda x, k: x @ k)


class PrunedConv(_PrunedLinear):
  """Randomly pruned convolution (NHWC); the twin of `nt_prune.PrunedConv`.

  Same positional arguments as the stax twin (`features` for `out_chan`,
  `kernel_size` for `filter_shape`; channels last, so no
  `dimension_numbers`), then the keyword-only pruning and dtype arguments.

  Attributes:
    features: number of output channels.
    kernel_size: filter shape, one entry per spatial dimension.
    strides: strides, `None` means 1 in every dimension.
    padding: `'VALID'` or `'SAME'`.
    W_std: weight standard deviation.
    b_std: bias standard deviation; `None` means no bias.
    parameterization: `'ntk'` or `'standard'`.
    s: as in `PrunedDense`.
    sparsity, rescale, mask, dtype, param_dtype: as in `PrunedDense`.

  Example:

    >>> import jax
    >>> from nt_prune import flax as npf
    >>> layer = npf.PrunedConv(8, (3, 3), padding='SAME', sparsity=0.9)
    >>> x = jax.numpy.ones((2, 6, 6, 3))
    >>> variables = layer.init(jax.random.PRNGKey(0), x)
    >>> variables['params']['kernel'].shape, layer.apply(variables, x).shape
    ((3, 3, 3, 8), (2, 6, 6, 8))
  """
  features: int
  kernel_size: Sequence[int]
  strides: Optional[Sequence[int]] = None
  padding: str = 'VALID'
  W_std: float = 1.
  b_std: Optional[float] = None
  parameterization: str = 'ntk'
  s: tuple[int, int] = (1, 1)

  def __post_init__(self):
    self._validate(kernel_size=self.kernel_size, strides=self.strides)
    validation.check_padding('PrunedConv', self.padding, PADDINGS)
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    n = len(self.kernel_size)
    spatial = 'HWDEFG'[:n]  # Letters other than N, C, I, O.
    dims = ('N' + spatial + 'C', spatial + 'IO', 'N' + spatial + 'C')
    fan_in = x.shape[-1] * math.prod(self.kernel_size)
    kernel_shape = tuple(self.kernel_size) + (x.shape[-1], self.features)
    strides = tuple(self.strides) if self.strides else (1,) * n

    def contract(x, k):
      return lax.conv_general_dilated(x, k, strides, self.padding,
                                      dimension_numbers=dims)
    return self._affine(x, kernel_shape, fan_in, contract)
