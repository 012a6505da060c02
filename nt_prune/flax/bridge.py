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
`PrunedDense(features, sparsity, ...)` `nt_prune.PrunedDense(features, ...)`
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

from typing import Any, Sequence

import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import masking
from nt_prune.flax import parameter_free
from nt_prune.flax.layers import PrunedConv
from nt_prune.flax.layers import PrunedDense

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
    return nt_prune.PrunedDense(
        layer.features, layer.W_std, layer.b_std,
        parameterization=layer.parameterization, sparsity=layer.sparsity,
        rescale=layer.rescale, approximate_input_layer=approximate_input_layer)
  if isinstance(layer, PrunedConv):
    return nt_prune.PrunedConv(
        layer.features, tuple(layer.kernel_size),
        None if layer.strides is None else tuple(layer.strides),
        layer.padding, layer.W_std, layer.b_std,
        parameterization=layer.parameterization, sparsity=layer.sparsity,
        rescale=layer.rescale, approximate_input_layer=approximate_input_layer)
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


def _layers(model: nn.Sequential) -> Sequence[Any]:
  if not isinstance(model, nn.Sequential):
    raise TypeError(f'Expected a flax.linen.Sequential of nt_prune.flax '
                    f'layers, got {type(model).__name__}.')
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
  return stax.serial(*(_stax_layer(layer, approximate_input_layer)
                       for layer in _layers(model)))


def to_stax_params(model: nn.Sequential, variables: Any,
                   input_shape: Sequence[int]) -> list[Any]:
  """Converts flax `variables` of `model` to the stax twin's parameters."""
  init_fn = to_stax(model, approximate_input_layer=True)[0]
  _, shapes = jax.eval_shape(lambda k: init_fn(k, tuple(input_shape)),
                             random.PRNGKey(0))
  params = variables['params']
  out = []
  for i, shape in enumerate(shapes):
    p = params.get(f'layers_{i}')
    if p is None:
      out.append(())
      continue
    b = p.get('bias')
    out.append((jnp.asarray(p['kernel']).reshape(shape[0].shape),
                None if b is None else jnp.asarray(b).reshape(shape[1].shape)))
  return out


def to_flax_variables(model: nn.Sequential, stax_params: Sequence[Any]):
  """Converts the stax twin's parameters to flax `variables` of `model`."""
  layers = _layers(model)
  if len(stax_params) != len(layers):
    raise ValueError(f'{len(stax_params)} stax layers for {len(layers)} flax '
                     f'layers.')
  params = {}
  for i, (layer, p) in enumerate(zip(layers, stax_params)):
    if not isinstance(layer, (PrunedDense, PrunedConv)):
      continue
    W, b = p
    params[f'layers_{i}'] = {'kernel': W}
    if b is not None:
      params[f'layers_{i}']['bias'] = jnp.reshape(b, (-1,))
  return {'params': params}


def count_pruned(variables: Any) -> tuple[int, int]:
  """Returns `(pruned, total)` kernel entries over all pruned layers."""
  kernels = [np.asarray(v) for path, v in
             jax.tree_util.tree_flatten_with_path(variables)[0]
             if getattr(path[-1], 'key', None) == 'kernel']
  return (sum(int((~masking.kept(k)).sum()) for k in kernels),
          sum(k.size for k in kernels))
