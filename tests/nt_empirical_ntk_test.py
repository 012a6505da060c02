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

"""Empirical NTK of pruned networks: NT's three implementations and a reference.

The reference is independent of NT's empirical NTK code: the Jacobian of the
*dense* network (same architecture, `sparsity=0`, fed the weights the pruned
network effectively uses) by `jax.jacobian`, restricted to kept weights and
contracted by hand.
"""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np

import models
import nt_prune
import reference

jax.config.update('jax_numpy_rank_promotion', 'raise')

class EmpiricalNtkTest(parameterized.TestCase):

  @parameterized.product(arch=list(reference.ARCHS),
                         parameterization=['ntk', 'standard'],
                         rescale=list(nt_prune.RESCALE_MODES),
                         sparsity=[0.5, 0.9],
                         implementation=list(nt.NtkImplementation))
  def test_implementations_agree_with_reference(self, arch, parameterization,
                                                rescale, sparsity,
                                                implementation):
    build, shape, _ = reference.ARCHS[arch]
    width = 16
    init_fn, apply_fn, _ = build(width, sparsity=sparsity, rescale=rescale,
                                 parameterization=parameterization)
    x = random.normal(random.PRNGKey(0), shape)
    _, params = init_fn(random.PRNGKey(1), x.shape)
    ref = reference.reference_ntk(arch, width, params, x, sparsity, rescale,
                        parameterization)
    ntk = nt.empirical_ntk_fn(apply_fn, implementation=implementation)(
        x, None, params)
    np.testing.assert_allclose(ntk, ref, rtol=2e-5, atol=2e-5 * float(
        jnp.max(jnp.abs(ref))))

  def test_reference_sees_pruning(self):
    # Negative control: counting pruned weights (the dense network's NTK at
    # the same weights) is far from the pruned NTK.
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.9, rescale=None)
    _, dense_apply, _ = models.mlp(16, sparsity=None)
    x = random.normal(random.PRNGKey(0), (5, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    pruned = nt.empirical_ntk_fn(apply_fn)(x, None, params)
    dense = nt.empirical_ntk_fn(dense_apply)(x, None, params)
    self.assertGreater(float(jnp.linalg.norm(dense - pruned) /
                             jnp.linalg.norm(pruned)), 0.5)

  def test_structured_derivatives_on_wide_layers(self):
    # NT's implementation 3 (structured derivatives, its fastest) must not
    # fall back to dense |W| x |W| Jacobians on the re-masking (see
    # masking.py): on 512-wide layers that would need ~256 GB.
    init_fn, apply_fn, _ = models.mlp(512, sparsity=0.9, out_dim=1)
    x = random.normal(random.PRNGKey(0), (4, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    structured = nt.empirical_ntk_fn(
        apply_fn, implementation=nt.NtkImplementation.STRUCTURED_DERIVATIVES)(
            x, None, params)
    jac = nt.empirical_ntk_fn(
        apply_fn, implementation=nt.NtkImplementation.JACOBIAN_CONTRACTION)(
            x, None, params)
    np.testing.assert_allclose(structured, jac, rtol=1e-4, atol=1e-4)


if __name__ == '__main__':
  absltest.main()
