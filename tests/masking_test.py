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

"""`apply_fn` re-applies the mask: training never revives a pruned weight."""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np
import optax

import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')


class TrainingTest(parameterized.TestCase):

  @parameterized.parameters('forward', 'init', None)
  def test_adamw_never_revives_pruned_weights(self, rescale):
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(32, b_std=0.1), stax.Relu(),
        nt_prune.PrunedDense(32, b_std=0.1, sparsity=0.7, rescale=rescale),
        stax.Relu(),
        nt_prune.PrunedDense(1, b_std=0.1, sparsity=0.7, rescale=rescale))
    x = random.normal(random.PRNGKey(0), (16, 5))
    y = jnp.sin(x.sum(1, keepdims=True))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    opt = optax.adamw(1e-2, weight_decay=0.1)
    state = opt.init(params)

    @jax.jit
    def step(params, state):
      loss, grads = jax.value_and_grad(
          lambda p: jnp.mean((apply_fn(p, x) - y)**2))(params)
      updates, state = opt.update(grads, state, params)
      return optax.apply_updates(params, updates), state, loss

    loss0 = None
    new = params
    for _ in range(200):
      new, state, loss = step(new, state)
      loss0 = loss if loss0 is None else loss0
    self.assertLess(float(loss), float(loss0))
    for (W0, _), (W1, _) in zip(params[2::2], new[2::2]):
      pruned = ~nt_prune.kept(W0)
      self.assertGreater(int(pruned.sum()), 0)
      np.testing.assert_array_equal(W1[pruned], 0.)
      # Every kept weight moved.
      self.assertTrue(bool(jnp.all(W1[~pruned] != W0[~pruned])))

  def test_gradient_of_pruned_weights_is_zero(self):
    init_fn, apply_fn, _ = nt_prune.PrunedDense(8, sparsity=0.5)
    x = random.normal(random.PRNGKey(0), (4, 6))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    grads = jax.grad(lambda p: apply_fn(p, x).sum())(params)
    pruned = ~nt_prune.kept(params[0])
    np.testing.assert_array_equal(grads[0][pruned], 0.)
    self.assertTrue(bool(jnp.all(grads[0][~pruned] != 0)))


if __name__ == '__main__':
  absltest.main()
