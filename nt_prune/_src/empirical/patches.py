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


"""A convolution as a `dot_general` of its input's patches with its kernel.

The engine records a convolution's kernel as a matrix and the convolution's
input as patches, so that everything after the evaluating pass sees
`dot_general`s only.
"""

import itertools
from typing import Any, Sequence

import jax
from jax import lax
from jax import numpy as jnp


def patches(lhs: jax.Array, rhs_shape: Sequence[int],
            out_shape: Sequence[int], params: dict[str, Any]) -> jax.Array:
  """The patches of a convolution's input: `(batch, spatial..., features)`.

  With them, the convolution is the `dot_general` of the patches' last axis
  with the kernel reshaped to `(prod(filter_shape) * in_features,
  out_features)`, filter offsets major (`kernel_as_matrix`), so that each
  offset's slice is written whole. They are strided slices of the padded
  (and dilated) input, one per filter offset:
  `lax.conv_general_dilated_patches` would convolve with a one-hot kernel,
  at `prod(filter_shape) * in_features` times the cost.
  """
  dn = params['dimension_numbers']
  x = jnp.transpose(lhs, (dn.lhs_spec[0],) + tuple(dn.lhs_spec[2:]) +
                    (dn.lhs_spec[1],))
  n_spatial = x.ndim - 2
  zero = jnp.zeros((), x.dtype)
  x = lax.pad(x, zero, [(0, 0, 0)] + [
      (lo, hi, d - 1) for (lo, hi), d in zip(params['padding'],
                                             params['lhs_dilation'])] +
              [(0, 0, 0)])
  filter_shape = [rhs_shape[a] for a in dn.rhs_spec[2:]]
  out_spatial = [out_shape[a] for a in dn.out_spec[2:]]
  strides, dilation = params['window_strides'], params['rhs_dilation']
  slices = []
  for offset in itertools.product(*(range(k) for k in filter_shape)):
    begin = [o * d for o, d in zip(offset, dilation)]
    slices.append(lax.slice(
        x, [0] + begin + [0],
        [x.shape[0]] + [b + (n - 1) * s + 1 for b, n, s in
                        zip(begin, out_spatial, strides)] + [x.shape[-1]],
        [1] + list(strides) + [1]))
  stacked = jnp.stack(slices, axis=-2)  # (..., offsets, in_features)
  return stacked.reshape(stacked.shape[:1 + n_spatial] + (-1,))


def kernel_as_matrix(w: jax.Array, dimension_numbers) -> jax.Array:
  """A convolution kernel as `(prod(filter) * in_features, out_features)`.

  Filter offsets major, then the input features, as in `patches` (for an
  `HWIO` kernel, a reshape).
  """
  rhs_spec = dimension_numbers.rhs_spec
  return jnp.transpose(w, tuple(rhs_spec[2:]) + rhs_spec[1::-1]).reshape(
      -1, w.shape[rhs_spec[0]])
