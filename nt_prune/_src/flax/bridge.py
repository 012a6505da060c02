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

"""The bridge between flax networks of nt_prune modules and their stax twins.

A flax network written as `flax.linen.Sequential` of `PrunedDense`,
`PrunedConv`, `Flatten`, `AvgPool`, `GlobalAvgPool`, `nn.relu` and
`jax.scipy.special.erf` has a stax twin, layer by layer:

=====================================  ======================================
flax layer (index i in `layers`)       stax layer (index i in `stax.serial`)
=====================================  ======================================
`PrunedDense(features, ...)`           `nt_prune.PrunedDense(features, ...)`
`PrunedConv(features, kernel_size,..)` `nt_prune.PrunedConv(features, ...)`
`Flatten()`                            `stax.Flatten()`
`AvgPool(window, strides, padding)`    `stax.AvgPool(window, strides, ...)`
`GlobalAvgPool()`                      `stax.GlobalAvgPool()`
`nn.relu`                              `stax.Relu()`
`jax.scipy.special.erf`                `stax.Erf()`
=====================================  ======================================

Parameters: flax's `params['layers_i']['kernel']` is the stax `W` of layer `i`
(`Dense`: `(in, out)`; `Conv`: `HWIO`, the same layouts), and
`params['layers_i']['bias']`, of shape `(features,)`, is the stax `b`
reshaped to NT's broadcastable shape. Parameter-free layers have `()` in stax
and nothing in flax.

General flax modules (arbitrary `__call__` code) cannot be inferred; write the
network as such a `Sequential`, which is the shared description from which
both forms are built.
"""

import math
from typing import Any, Mapping, Sequence

import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax

from nt_prune._src import mask_keeping
from nt_prune._src import layers as stax_layers
from nt_prune._src import validation
from nt_prune._src.flax import parameter_free
from nt_prune._src.flax.layers import PrunedConv
from nt_prune._src.flax.layers import PrunedDense

_ACTIVATIONS = {
    nn.relu: stax.Relu,
    jax.nn.relu: stax.Relu,
    jax.scipy.special.erf: stax.Erf,
    jax.lax.erf: stax.Erf,
}

_SUPPORTED = ('nt_prune.flax.PrunedDense, nt_prune.flax.PrunedConv, '
              'nt_prune.flax.Flatten, nt_prune.flax.AvgPool, '
              'nt_prune.flax.GlobalAvgPool, nn.relu, jax.scipy.special.erf')


def _stax_layer(layer: Any, approximate_input_layer: bool):
  """The stax twin of one flax layer."""
  if isinstance(layer, PrunedDense):
    return stax_layers.PrunedDense(
        layer.features, layer.W_std, layer.b_std,
        parameterization=layer.parameterization, s=tuple(layer.s),
        sparsity=layer.sparsity,
        rescale=layer.rescale, approximate_input_layer=approximate_input_layer,
        mask=layer.mask)
  if isinstance(layer, PrunedConv):
    return stax_layers.PrunedConv(
        layer.features, tuple(layer.kernel_size),
        None if layer.strides is None else tuple(layer.strides),
        layer.padding, layer.W_std, layer.b_std,
        parameterization=layer.parameterization, s=tuple(layer.s),
        sparsity=layer.sparsity,
        rescale=layer.rescale, approximate_input_layer=approximate_input_layer,
        mask=layer.mask)
  if isinstance(layer, parameter_free.Flatten):
    return stax.Flatten()
  if isinstance(layer, parameter_free.AvgPool):
    return stax.AvgPool(tuple(layer.window_shape),
                        None if layer.strides is None else
                        tuple(layer.strides), layer.padding)
  if isinstance(layer, parameter_free.GlobalAvgPool):
    return stax.GlobalAvgPool()
  for fn, stax_fn in _ACTIVATIONS.items():
    if layer is fn:
      return stax_fn()
  raise TypeError(f'to_stax: no stax twin for layer {layer!r}; supported '
                  f'layers are {_SUPPORTED}.')


def _layers(where: str, model: nn.Sequential) -> Sequence[Any]:
  if not isinstance(model, nn.Sequential):
    validation.refuse(TypeError, where, 'model', type(model).__name__,
                      'a flax.linen.Sequential of nt_prune.flax layers')
  return model.layers


def to_stax(model: nn.Sequential, *, approximate_input_layer: bool = False):
  """Returns the stax twin `(init_fn, apply_fn, kernel_fn)` of `model`.

  Args:
    model: `flax.linen.Sequential` of the layers listed in this module.
    approximate_input_layer: passed to every pruned layer (see
      `nt_prune.PrunedDense`).

  Returns:
    `stax.serial` of the twins, layer by layer.
  """
  validation.check_bool('to_stax', 'approximate_input_layer',
                        approximate_input_layer)
  return stax.serial(*(_stax_layer(layer, approximate_input_layer)
                       for layer in _layers('to_stax', model)))


def _has_weights(layer: Any) -> bool:
  return isinstance(layer, (PrunedDense, PrunedConv))


def to_stax_params(model: nn.Sequential, variables: Any,
                   input_shape: Sequence[int]) -> list[Any]:
  """Converts flax `variables` of `model` to the stax twin's parameters.

  Nothing is reshaped but the bias (from `(features,)` to NT's broadcastable
  shape), dropped or ignored: a kernel of another shape, a missing or extra
  bias, and parameters of layers `model` does not have are refused.

  Args:
    model: the flax `Sequential`.
    variables: its variables, `{'params': {'layers_i': {'kernel', 'bias'}}}`.
    input_shape: the shape of the inputs, which fixes the kernels' shapes.

  Returns:
    The stax twin's parameters, a list with one entry per layer.
  """
  where = 'to_stax_params'
  layers = _layers(where, model)
  if not isinstance(variables, Mapping) or 'params' not in variables:
    validation.refuse(TypeError, where, 'variables', variables,
                      "flax variables, a mapping with a 'params' entry")
  params = variables['params']
  expected_keys = {f'layers_{i}' for i, layer in enumerate(layers)
                   if _has_weights(layer)}
  for key in params:
    if key not in expected_keys:
      validation.refuse(ValueError, where, 'variables',
                        f"params['{key}']",
                        f'parameters of the weight layers of `model` only '
                        f'({sorted(expected_keys)})')
  init_fn = to_stax(model, approximate_input_layer=True)[0]
  _, shapes = jax.eval_shape(lambda k: init_fn(k, tuple(input_shape)),
                             random.PRNGKey(0))
  out = []
  for i, (layer, shape) in enumerate(zip(layers, shapes)):
    if not _has_weights(layer):
      out.append(())
      continue
    name = f"variables['params']['layers_{i}']"
    W_shape, b_shape = shape[0].shape, (
        None if shape[1] is None else (math.prod(shape[1].shape),))
    expected = {'kernel': W_shape}
    if b_shape is not None:
      expected['bias'] = b_shape
    p = params.get(f'layers_{i}', {})
    got = {k: getattr(v, 'shape', None) for k, v in p.items()}
    if got != expected:
      validation.refuse(ValueError, where, name, got,
                        f'the entries and shapes {expected} of layer {i} for '
                        f'inputs of shape {tuple(input_shape)}')
    out.append((jnp.asarray(p['kernel']),
                None if b_shape is None else
                jnp.asarray(p['bias']).reshape(shape[1].shape)))
  return out


def to_flax_variables(model: nn.Sequential, stax_params: Sequence[Any]):
  """Converts the stax twin's parameters to flax `variables` of `model`."""
  where = 'to_flax_variables'
  layers = _layers(where, model)
  if (not isinstance(stax_params, Sequence) or
      len(stax_params) != len(layers)):
    validation.refuse(ValueError, where, 'stax_params',
                      type(stax_params).__name__,
                      f'a sequence of {len(layers)} layer parameters, one per '
                      f'layer of `model`')
  params = {}
  for i, (layer, p) in enumerate(zip(layers, stax_params)):
    if not _has_weights(layer):
      if p != ():
        validation.refuse(ValueError, where, f'stax_params[{i}]', p,
                          f'() for the parameter-free layer {layer!r}')
      continue
    with_bias = layer.b_std is not None
    if (not isinstance(p, (tuple, list)) or len(p) != 2 or
        (p[1] is not None) != with_bias):
      validation.refuse(ValueError, where, f'stax_params[{i}]', p,
                        'the (W, b) pair of the layer, with b ' +
                        ('an array' if with_bias else 'None') +
                        f' (b_std={layer.b_std})')
    W, b = p
    params[f'layers_{i}'] = {'kernel': W}
    if b is not None:
      params[f'layers_{i}']['bias'] = jnp.reshape(b, (-1,))
  return {'params': params}


def count_pruned(params: Any) -> tuple[int, int]:
  """Returns `(pruned, total)` weight entries, of flax or stax parameters.

  The weights are those `nt_prune.keep_masks` masks: every flax `'kernel'`
  and the `W` of every stax `(W, b)` pair.
  """
  masks = [m for m in jax.tree_util.tree_leaves(
      mask_keeping.pruning_masks(params))]
  return (sum(int((~m).sum()) for m in masks), sum(m.size for m in masks))
