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

"""Masks: drawn at the right rate, reproducibly, and never revived by training."""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np
import optax

import nt_prune


class MaskDrawTest(parameterized.TestCase):

  @parameterized.product(sparsity=[0.1, 0.5, 0.9, 0.99],
                         rescale=list(nt_prune.RESCALE_MODES))
  def test_fraction_pruned_within_binomial_bound(self, sparsity, rescale):
    init_fn, _, _ = nt_prune.PrunedDense(300, sparsity=sparsity,
                                         rescale=rescale)
    _, (W, b) = init_fn(random.PRNGKey(0), (2, 400))
    n = W.size
    pruned = float(jnp.mean(W == 0))
    # Binomial(n, p) / n has standard deviation sqrt(p (1 - p) / n); five of
    # them is exceeded with probability < 1e-6.
    bound = 5 * np.sqrt(sparsity * (1 - sparsity) / n)
    self.assertLess(abs(pruned - sparsity), bound)
    self.assertIsNone(b)
    # A clearly wrong rate (half or double the odds) is outside the bound.
    self.assertGreater(abs(pruned - sparsity / 2), bound)

  def test_biases_are_not_pruned(self):
    init_fn, _, _ = nt_prune.PrunedDense(300, b_std=0.5, sparsity=0.9)
    _, (_, b) = init_fn(random.PRNGKey(0), (2, 400))
    self.assertTrue(bool(jnp.all(b != 0)))

  def test_rng_determines_the_mask(self):
    init_fn, _, _ = nt_prune.PrunedConv(16, (3, 3), sparsity=0.5)
    _, (W1, _) = init_fn(random.PRNGKey(0), (1, 8, 8, 4))
    _, (W2, _) = init_fn(random.PRNGKey(0), (1, 8, 8, 4))
    _, (W3, _) = init_fn(random.PRNGKey(1), (1, 8, 8, 4))
    np.testing.assert_array_equal(W1, W2)
    self.assertFalse(bool(jnp.all(nt_prune.kept(W1) == nt_prune.kept(W3))))

  def test_mask_is_independent_of_the_weights(self):
    # With sparsity 0 the weights are the dense layer's: the mask does not
    # reuse the weights' randomness.
    init_fn, _, _ = nt_prune.PrunedDense(64, sparsity=0.5)
    _, (W, _) = init_fn(random.PRNGKey(0), (1, 64))
    _, (W_dense, _) = stax.Dense(64)[0](random.PRNGKey(0), (1, 64))
    kept = nt_prune.kept(W)
    np.testing.assert_array_equal(W[kept], W_dense[kept])

  @parameterized.parameters('forward', 'init', None)
  def test_init_scale(self, rescale):
    init_fn, _, _ = nt_prune.PrunedDense(64, sparsity=0.75, rescale=rescale)
    _, (W, _) = init_fn(random.PRNGKey(0), (1, 64))
    _, (W_dense, _) = stax.Dense(64)[0](random.PRNGKey(0), (1, 64))
    kept = nt_prune.kept(W)
    scale = 2. if rescale == 'init' else 1.
    np.testing.assert_allclose(W[kept], scale * W_dense[kept], rtol=1e-6)


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
