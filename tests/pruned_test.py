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

"""`pruned` draws masks: at the right rate, reproducibly, apart from `W`."""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')


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
    # A clearly wrong rate (half or double the odds of pruning) is outside
    # the bound.
    odds = sparsity / (1 - sparsity)
    for wrong_odds in (odds / 2, odds * 2):
      wrong = wrong_odds / (1 + wrong_odds)
      self.assertGreater(abs(pruned - wrong), bound)

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

  def test_kept_weights_are_the_dense_layers(self):
    # The weights are those the dense layer draws from the same rng.
    init_fn, _, _ = nt_prune.PrunedDense(64, sparsity=0.5)
    _, (W, _) = init_fn(random.PRNGKey(0), (1, 64))
    _, (W_dense, _) = stax.Dense(64)[0](random.PRNGKey(0), (1, 64))
    kept = nt_prune.kept(W)
    np.testing.assert_array_equal(W[kept], W_dense[kept])

  def test_mask_is_independent_of_the_weights(self):
    # A mask derived from the weights (by magnitude, or by sign) would select
    # weights whose |W| or W differ on kept and pruned entries. Under
    # independence both differences are mean-zero with standard deviation
    # sqrt(var * (1/n_kept + 1/n_pruned)), var(|N(0,1)|) = 1 - 2/pi and
    # var(N(0,1)) = 1; we allow five of them.
    init_fn, _, _ = nt_prune.PrunedDense(64, sparsity=0.5)
    _, (W, _) = init_fn(random.PRNGKey(0), (1, 64))
    W_dense = np.asarray(stax.Dense(64)[0](random.PRNGKey(0), (1, 64))[1][0])
    kept = np.asarray(nt_prune.kept(W))
    n_kept, n_pruned = kept.sum(), (~kept).sum()
    scale = np.sqrt(1 / n_kept + 1 / n_pruned)
    for stat, var in ((np.abs(W_dense), 1 - 2 / np.pi), (W_dense, 1.)):
      self.assertLess(abs(stat[kept].mean() - stat[~kept].mean()),
                      5 * np.sqrt(var) * scale)

  @parameterized.parameters('forward', 'init', None)
  def test_init_scale(self, rescale):
    init_fn, _, _ = nt_prune.PrunedDense(64, sparsity=0.75, rescale=rescale)
    _, (W, _) = init_fn(random.PRNGKey(0), (1, 64))
    _, (W_dense, _) = stax.Dense(64)[0](random.PRNGKey(0), (1, 64))
    kept = nt_prune.kept(W)
    scale = 2. if rescale == 'init' else 1.
    np.testing.assert_allclose(W[kept], scale * W_dense[kept], rtol=1e-6)


if __name__ == '__main__':
  absltest.main()
