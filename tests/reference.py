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

"""An independent reference for the empirical NTK of the tests' networks.

The dense network's Jacobian restricted to the kept weights, contracted by
hand: no code path shared with NT's or nt_prune's empirical NTK.
"""

import jax
from jax import numpy as jnp

import models
import nt_prune
from nt_prune._src.rule import PruningRule

ARCHS = {
    # builder, input shape, indices of pruned layers in the serial params.
    'mlp': (models.mlp, (5, 7), (2, 4, 6)),
    'cnn': (models.cnn, (3, 6, 6, 2), (2, 5, 8)),
}


def reference_ntk(arch, width, params, x, sparsity, rescale,
                  parameterization):
  """NTK from the dense network's Jacobian restricted to kept weights."""
  build, _, pruned_idx = ARCHS[arch]
  _, dense_apply, _ = build(width, sparsity=None,
                            parameterization=parameterization)
  c_f = PruningRule(sparsity, rescale).forward_scale
  dense_params = [(p[0] * c_f, p[1]) if i in pruned_idx else p
                  for i, p in enumerate(params)]
  jac = jax.jacobian(dense_apply)(dense_params, x)  # leaves: (N, out, *p).
  ntk = 0.
  for i, (p, j) in enumerate(zip(params, jac)):
    for leaf_idx, (leaf, jleaf) in enumerate(zip(p, j)):
      if leaf is None:
        continue
      if i in pruned_idx and leaf_idx == 0:
        # d out / d W = c_f * (d dense_out / d W_eff) on kept weights, 0 else.
        jleaf = jleaf * (nt_prune.kept(leaf) * c_f)[None, None]
      jflat = jleaf.reshape(jleaf.shape[:2] + (-1,))
      ntk += jnp.einsum('iap,jap->ij', jflat, jflat)
  return ntk / jac[0][0].shape[1]  # NT averages the trace over outputs.
