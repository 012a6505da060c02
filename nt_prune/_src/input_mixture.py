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

r"""`nt_prune.serial`: the exact kernel of a network pruned in every layer.

A pruned layer on the raw inputs has a fixed fan-in `D` (the input channels
of a `Dense` layer, the `c |f|` entries of a convolution's patch), so its
mask does not average out. Unit `j` keeps the features of its mask column
:math:`m_j`; given :math:`m_j`, its pre-activation is Gaussian with the
dense layer's kernel of the kept features,

.. math::

  \Sigma_m(x, x') = c_f^2 c_0^2 \frac{\sigma_W^2}{D} \sum_i m_i x_i x'_i
  + \sigma_b^2, \qquad
  \Theta_m(x, x') = c_f^2 \frac{\sigma_W^2}{D} \sum_i m_i x_i x'_i
  + \sigma_b^2

(NTK parameterization; :math:`c_f`, :math:`c_0` as in `PrunedDense`; the
standard parameterization and convolutions as in NT's `Dense` and `Conv`
applied to the masked features, which is how they are computed). Over masks
the pre-activations are a mixture of Gaussians. Units are independent given
their masks and the next weight layer's fan-in grows with the width, so after
the elementwise layers :math:`\phi` that follow, the limit is Gaussian again
with

.. math::

  K = \mathbb{E}_m\left[T_\phi(\Sigma_m)\right], \qquad
  \Theta = \mathbb{E}_m\left[T_{\phi'}(\Sigma_m) \Theta_m\right]

(the expectation of the product), where :math:`T_\phi`, :math:`T_{\phi'}`
are computed by NT's own layers from each :math:`\Sigma_m`, and the
expectation is over one unit's column law (`mask_columns.py`; unlike in hidden
layers, the mask law changes the limit here).

:math:`\mathbb{E}_m` is computed exactly, as a weighted sum over the distinct
columns, when there are at most `MAX_ENUMERATED_MASKS` of them; otherwise
`input_masks=MaskSamples(count, key)` estimates it from `count` sampled
columns (the weights are still integrated exactly), with a standard error
from `STANDARD_ERROR_GROUPS` independent groups of them.
"""

import dataclasses
import math
import string
from typing import Any, Callable, NamedTuple, Optional, Sequence

import jax
from jax import lax
from jax import numpy as jnp
from neural_tangents import Kernel
from neural_tangents import stax
import numpy as np

from nt_prune._src import _nt_internals
from nt_prune._src import mask_columns
from nt_prune._src import validation
from nt_prune._src.kernel_rule import scaled_weight_kernel
from nt_prune._src.pruned import Layer
from nt_prune._src.pruned import PrunedLayerSpec
from nt_prune._src.pruned import spec_of
from nt_prune._src.pruned import SUPPORTED_CONSTRUCTORS

# At most this many distinct mask columns are summed exactly: each costs one
# evaluation of the first layer's and its nonlinearities' kernels, so the
# cost is this many times that of the dense network's first layers.
MAX_ENUMERATED_MASKS = 4096

# The standard error of a sampled estimate comes from this many groups of the
# samples (batch means: each group's estimate through the whole network).
STANDARD_ERROR_GROUPS = 16

# Kernel entries held at once while summing over columns (memory bound).
_CHUNK_ELEMENTS = 2**24

# NT's elementwise layers (`neural_tangents/_src/stax/elementwise.py`), by the
# name `stax.layer` gives their functions: they act on each unit alone.
ELEMENTWISE = frozenset({
    'ABRelu', 'Abs', 'Cos', 'Elementwise', 'ElementwiseNumerical', 'Erf',
    'Exp', 'ExpNormalized', 'Gabor', 'Gaussian', 'Gelu', 'Hermite',
    'Identity', 'LeakyRelu', 'Monomial', 'Polynomial', 'Rbf',
    'RectifiedMonomial', 'Relu', 'Sigmoid_like', 'Sign', 'Sin'})

# Linear parameter-free layers: they commute with the expectation, so they may
# come between the block and the next weight layer.
_LINEAR = frozenset({'AvgPool', 'Flatten', 'GlobalAvgPool', 'GlobalSumPool',
                     'Identity', 'SumPool'})

# Layers whose fan-in grows with the width: their inputs are Gaussian again.
_WEIGHT_LAYERS = frozenset({'Conv', 'ConvLocal', 'ConvTranspose', 'Dense',
                            'GlobalSelfAttention'}) | frozenset(
                                SUPPORTED_CONSTRUCTORS.values())

_INPUT_ONLY_KWARGS = ('diagonal_batch', 'diagonal_spatial', 'mask_constant')


class MaskSamples(NamedTuple):
  """Estimate the expectation over input-layer masks from sampled columns.

  Attributes:
    count: the number of sampled mask columns, at least
      `2 * STANDARD_ERROR_GROUPS`; the standard error falls as
      `1 / sqrt(count)`.
    key: a JAX PRNG key; the same key gives the same estimate.
  """
  count: int
  key: jax.Array


def _name(layer: Layer) -> str:
  return getattr(layer[2], '__name__', repr(layer[2]))


def _check_layers(layers: Sequence[Any]) -> None:
  for i, layer in enumerate(layers):
    if not (isinstance(layer, tuple) and len(layer) == 3 and
            all(map(callable, layer))):
      validation.refuse(TypeError, 'serial', f'layers[{i}]', layer,
                        'an NT layer (init_fn, apply_fn, kernel_fn)')


def _check_after_block(rest: Sequence[Layer]) -> None:
  """Refuses a nonlinear layer before the next weight layer."""
  for i, layer in enumerate(rest):
    name = _name(layer)
    if name in _WEIGHT_LAYERS:
      return
    if name not in _LINEAR:
      validation.refuse(
          ValueError, 'serial', 'layers', f'... {name} ...',
          f'layers where, after the pruned input layer and the elementwise '
          f'layers that follow it ({", ".join(sorted(ELEMENTWISE))}), only '
          f'linear parameter-free layers ({", ".join(sorted(_LINEAR))}) '
          f'come before the next weight layer: there the units are still a '
          f'mixture of Gaussians, and {name} (layer {i} after them) would '
          f'get a wrong kernel')


def _check_input_layer(spec: PrunedLayerSpec) -> None:
  if spec.constructor not in (stax.Dense, stax.Conv):
    validation.refuse(ValueError, 'serial', 'layers[0]', spec.name,
                      'PrunedDense or PrunedConv as a pruned input layer '
                      '(the exact kernel of other pruned input layers is not '
                      'implemented); or pass approximate_input_layer=True')
  if spec.arguments.get('padding') == 'CIRCULAR':
    validation.refuse(ValueError, spec.name, 'padding', 'CIRCULAR',
                      "'VALID' or 'SAME' in a pruned input layer resolved by "
                      'nt_prune.serial')


def _conv_specs(arguments) -> tuple[str, str, str]:
  if arguments['dimension_numbers'] is not None:
    return tuple(arguments['dimension_numbers'])
  n = len(arguments['filter_shape'])  # NT's default layout.
  spatial = ''.join(c for c in string.ascii_uppercase if c not in 'NCIO')[:n]
  return 'N' + spatial + 'C', spatial + 'IO', 'N' + spatial + 'C'


def _dense_given_mask(spec: PrunedLayerSpec) -> Layer:
  """The dense layer that, on a unit's kept features, is the pruned one."""
  arguments = dict(spec.arguments)
  if spec.constructor is stax.Conv:  # A 1x1 convolution over patches.
    _, rhs, out = _conv_specs(arguments)
    arguments.update(filter_shape=(1,) * len(arguments['filter_shape']),
                     strides=None, padding='VALID',
                     dimension_numbers=(out, rhs, out))
  return spec.constructor(**arguments)


@stax.layer
def _given_mask(spec: PrunedLayerSpec) -> Layer:
  """The pruned input layer given its mask, on the masked features."""
  init_fn, apply_fn, kernel_dense = _dense_given_mask(spec)

  @stax.requires(**_nt_internals.layer_requirements(kernel_dense))
  def kernel_fn(k: Kernel, **kwargs) -> Kernel:
    return scaled_weight_kernel(k, kernel_dense, spec.rule.kept_variance_factor,
                                spec.rule.kept_gradient_factor, **kwargs)

  return init_fn, apply_fn, kernel_fn


def _requiring(kernel_fn: Callable[..., Any]) -> Layer:
  """An identity layer with `kernel_fn`'s input requirements."""
  init_fn, apply_fn, _ = stax.Identity()

  @stax.requires(**_nt_internals.layer_requirements(kernel_fn))
  def identity_kernel_fn(k: Kernel, **unused_kwargs) -> Kernel:
    return k

  def RestRequirements():  # pylint: disable=invalid-name
    return init_fn, apply_fn, identity_kernel_fn

  return stax.layer(RestRequirements)()


def _features(spec: PrunedLayerSpec,
              x: Optional[jax.Array]) -> Optional[jax.Array]:
  """What a unit's mask selects from: the inputs, or a convolution's patches."""
  if x is None or spec.constructor is stax.Dense:
    return x
  arguments = spec.arguments
  n = len(arguments['filter_shape'])
  return lax.conv_general_dilated_patches(
      x, arguments['filter_shape'], arguments['strides'] or (1,) * n,
      arguments['padding'], dimension_numbers=_conv_specs(arguments))


def _feature_layout(spec: PrunedLayerSpec,
                    x: jax.Array) -> tuple[int, int, int]:
  """`(channel axis of the features, input channels, taps)`."""
  if spec.constructor is stax.Dense:
    axis = spec.arguments['channel_axis'] % x.ndim
    return axis, x.shape[axis], 1
  lhs, _, out = _conv_specs(spec.arguments)
  return (out.index('C'), x.shape[lhs.index('C')],
          math.prod(spec.arguments['filter_shape']))


_KERNEL_FIELDS = ('nngp', 'ntk', 'cov1', 'cov2')


def _weighted_sum(kernel_fn, f1, f2, axis, columns, weights,
                  kwargs) -> Kernel:
  """`sum_m weights[m] kernel_fn(f1 * m, f2 * m)`, chunked over columns."""

  def given(column):
    shape = [1] * f1.ndim
    shape[axis] = -1
    kept = column.reshape(shape).astype(f1.dtype)
    return kernel_fn(f1 * kept, None if f2 is None else f2 * kept, None,
                     **kwargs)

  first = given(columns[0])
  fields = [n for n in _KERNEL_FIELDS if getattr(first, n) is not None]
  per_column = sum(getattr(first, n).size for n in fields)
  chunk = max(1, min(len(columns), _CHUNK_ELEMENTS // per_column))
  pad = -len(columns) % chunk
  columns = jnp.concatenate([columns, jnp.zeros((pad,) + columns.shape[1:],
                                                columns.dtype)])
  weights = jnp.concatenate([weights, jnp.zeros(pad, weights.dtype)])

  def add_chunk(total, chunk_of):
    kernels = jax.vmap(given)(chunk_of[0])
    return [t + jnp.tensordot(chunk_of[1].astype(t.dtype),
                              getattr(kernels, n), 1)
            for t, n in zip(total, fields)], None

  zeros = [jnp.zeros_like(getattr(first, n)) for n in fields]
  sums, _ = lax.scan(add_chunk, zeros,
                     (columns.reshape((-1, chunk) + columns.shape[1:]),
                      weights.reshape(-1, chunk)))
  return first.replace(**dict(zip(fields, sums)))


@dataclasses.dataclass(frozen=True)
class _Block:
  """A pruned input layer, the elementwise layers after it, and the rest."""
  spec: PrunedLayerSpec
  given_mask_kernel_fn: Callable[..., Any]
  rest_kernel_fn: Callable[..., Any]
  input_masks: Optional[MaskSamples]

  def columns(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The columns summed over and their weights."""
    _, channels, taps = _feature_layout(self.spec, x)
    spec = self.spec
    if self.input_masks is None:
      n = mask_columns.count('serial', spec.law, spec.rule.keep_prob,
                            channels, taps)
      if n > MAX_ENUMERATED_MASKS:
        validation.refuse(
            ValueError, 'serial', 'input_masks', None,
            f'nt_prune.MaskSamples(count, key) for this input layer, whose '
            f'{channels * taps} input features have {n} distinct mask '
            f'columns under mask={spec.law!r} (more than '
            f'MAX_ENUMERATED_MASKS = {MAX_ENUMERATED_MASKS} to sum exactly)')
      columns, weights = mask_columns.enumerate_columns(
          'serial', spec.law, spec.rule.keep_prob, channels, taps)
      return jnp.asarray(columns), jnp.asarray(weights, jnp.float32)
    count, key = self.input_masks
    columns = mask_columns.sample_columns('serial', spec.law,
                                         spec.rule.keep_prob, channels, taps,
                                         count, key)
    return columns, jnp.full(count, 1. / count, jnp.float32)

  def kernel(self, x1, x2, get, columns, weights, kwargs):
    axis, _, _ = _feature_layout(self.spec, x1)
    mixture = _weighted_sum(self.given_mask_kernel_fn,
                            _features(self.spec, x1), _features(self.spec, x2),
                            axis, columns, weights, kwargs)
    rest_kwargs = {k: v for k, v in kwargs.items()
                   if k not in _INPUT_ONLY_KWARGS}
    return self.rest_kernel_fn(mixture, None, get, **rest_kwargs)


def _block(layers: Sequence[Layer],
           masks: Optional[MaskSamples]) -> Optional[_Block]:
  """The leading pruned input block of `layers`, if there is one to resolve."""
  spec = spec_of(layers[0])
  if (spec is None or spec.rule.sparsity == 0. or
      spec.approximate_input_layer):
    return None
  _check_input_layer(spec)
  end = 1
  while end < len(layers) and _name(layers[end]) in ELEMENTWISE:
    end += 1
  rest = layers[end:]
  _check_after_block(rest)
  rest_layer = stax.serial(*rest) if rest else stax.Identity()
  given = stax.serial(_given_mask(spec), *layers[1:end],
                      _requiring(rest_layer[2]))
  return _Block(spec, given[2], rest_layer[2], masks)


def _check_mask_samples(input_masks_: Any) -> Optional[MaskSamples]:
  if input_masks_ is None:
    return None
  allowed = ('None (sum over every mask column exactly) or '
             'nt_prune.MaskSamples(count, key)')
  if not isinstance(input_masks_, MaskSamples):
    validation.refuse(TypeError, 'serial', 'input_masks', input_masks_,
                      allowed)
  validation.check_positive_int('serial', 'input_masks.count',
                                input_masks_.count)
  if input_masks_.count < 2 * STANDARD_ERROR_GROUPS:
    validation.refuse(ValueError, 'serial', 'input_masks.count',
                      input_masks_.count,
                      f'at least {2 * STANDARD_ERROR_GROUPS} (twice '
                      f'STANDARD_ERROR_GROUPS)')
  return input_masks_


def serial(*layers: Layer,
           input_masks: Optional[MaskSamples] = None) -> Layer:
  r"""`stax.serial` that also resolves a pruned input layer exactly.

  Where `layers` starts with a pruned `PrunedDense` or `PrunedConv` (any mask
  law, rescale mode and parameterization, sparsity above 0, not
  `approximate_input_layer`), its `kernel_fn` on arrays is the exact
  infinite-width kernel of the mixture over its masks (module docstring): the
  pruned layer and the elementwise layers after it (`ELEMENTWISE`: NT's
  nonlinearities) are computed given each mask column and averaged, then the
  other layers run as in `stax.serial`. Between them and the next weight
  layer, only linear parameter-free layers (`Flatten`, pooling) may come;
  anything else is refused. Otherwise it is `stax.serial` exactly. `init_fn`
  and `apply_fn` are always `stax.serial`'s.

  Args:
    *layers: NT layers, as for `stax.serial`.
    input_masks: `None` sums over every distinct mask column of one unit
      exactly (refused with a message if there are more than
      `MAX_ENUMERATED_MASKS`); `MaskSamples(count, key)` estimates the sum from
      `count` sampled columns, with the standard error given by
      `kernel_fn.standard_error`.

  Returns:
    `(init_fn, apply_fn, kernel_fn)`. `kernel_fn(x1, x2=None, get=None,
    **kwargs)` takes NT's arguments; given a `Kernel` instead of arrays (as
    an inner layer) it is `stax.serial`'s. `kernel_fn.standard_error` takes
    the same arguments and returns the standard error of each entry of the
    same output (zeros where the sum is exact).

  Example:

    >>> from jax import random
    >>> from neural_tangents import stax
    >>> import nt_prune
    >>> init_fn, apply_fn, kernel_fn = nt_prune.serial(
    ...     nt_prune.PrunedDense(512, sparsity=0.5), stax.Erf(),
    ...     nt_prune.PrunedDense(1, sparsity=0.5))
    >>> x = random.normal(random.PRNGKey(0), (3, 4))  # 2^4 = 16 masks.
    >>> kernel_fn(x, None, 'ntk').shape
    (3, 3)
  """
  _check_layers(layers)
  masks = _check_mask_samples(input_masks)
  init_fn, apply_fn, serial_kernel_fn = stax.serial(*layers)
  block = _block(layers, masks) if layers else None

  def kernel_fn(x1, x2=None, get=None, **kwargs):
    if block is None or isinstance(x1, Kernel):
      return serial_kernel_fn(x1, x2, get, **kwargs)
    columns, weights = block.columns(x1)
    return block.kernel(x1, x2, get, columns, weights, kwargs)

  def standard_error(x1, x2=None, get=None, **kwargs):
    if block is None or block.input_masks is None or isinstance(x1, Kernel):
      return jax.tree_util.tree_map(jnp.zeros_like,
                                    kernel_fn(x1, x2, get, **kwargs))
    # Batch means: the estimate from each of the groups of columns.
    columns, weights = block.columns(x1)
    groups = STANDARD_ERROR_GROUPS
    estimates = [block.kernel(x1, x2, get, columns[g::groups],
                              weights[g::groups] / weights[g::groups].sum(),
                              kwargs) for g in range(groups)]
    return jax.tree_util.tree_map(
        lambda *e: jnp.std(jnp.stack(e), 0, ddof=1) / np.sqrt(len(e)),
        *estimates)

  kernel_fn.standard_error = standard_error
  _nt_internals.copy_requirements(serial_kernel_fn, kernel_fn)
  return init_fn, apply_fn, kernel_fn
