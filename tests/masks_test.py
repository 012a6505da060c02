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

"""Masks: drawn at the right rate, reproducibly, never revived by training."""

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


def _optimizers():
  """optax optimizers; the last two write into zero-gradient positions."""
  return {
      'sgd': optax.sgd(1e-2),
      'nesterov': optax.sgd(1e-2, momentum=0.9, nesterov=True),
      'adamw': optax.adamw(1e-2, weight_decay=0.1),
      'lion': optax.lion(1e-3),
      'noisy_sgd': optax.noisy_sgd(1e-2),
      'centralize_sgd': optax.chain(optax.centralize(), optax.sgd(1e-2)),
  }


_REVIVING = ('noisy_sgd', 'centralize_sgd')


def _stax_net():
  return stax.serial(
      stax.Dense(16, b_std=0.1), stax.Relu(),
      nt_prune.PrunedDense(16, b_std=0.1, sparsity=0.7), stax.Relu(),
      nt_prune.PrunedDense(2, sparsity=0.7))


def _train(apply_fn, params, x, opt, steps=3):
  state = opt.init(params)
  loss = lambda p: jnp.mean((apply_fn(p, x) - 1.)**2)
  for _ in range(steps):
    updates, state = opt.update(jax.grad(loss)(params), state, params)
    params = optax.apply_updates(params, updates)
  return params


class KeepMasksTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    init_fn, self.apply_fn, _ = _stax_net()
    self.x = random.normal(random.PRNGKey(0), (8, 5))
    _, params = init_fn(random.PRNGKey(1), self.x.shape)
    # A zero-initialized bias must still train.
    params[2] = (params[2][0], jnp.zeros_like(params[2][1]))
    self.params = params

  @parameterized.parameters(*_optimizers())
  def test_no_optimizer_revives_a_mask(self, name):
    opt = optax.chain(_optimizers()[name], nt_prune.keep_masks(self.params))
    new = _train(self.apply_fn, self.params, self.x, opt)
    for i in (2, 4):
      pruned = ~nt_prune.kept(self.params[i][0])
      self.assertGreater(int(pruned.sum()), 0)
      np.testing.assert_array_equal(new[i][0][pruned], 0.)
      self.assertTrue(bool(jnp.all(new[i][0][~pruned] != 0.)))
    # The zero-initialized bias and the dense layer train.
    self.assertTrue(bool(jnp.any(new[2][1] != 0.)))
    self.assertTrue(bool(jnp.any(new[0][0] != self.params[0][0])))

  @parameterized.parameters(*_optimizers())
  def test_plain_optimizers(self, name):
    # What holds without keep_masks: optimizers whose update is zero where
    # the gradient is keep every mask; the others revive pruned weights (so
    # the check above can fail).
    new = _train(self.apply_fn, self.params, self.x, _optimizers()[name])
    revived = sum(int(jnp.sum((self.params[i][0] == 0) & (new[i][0] != 0)))
                  for i in (2, 4))
    if name in _REVIVING:
      self.assertGreater(revived, 0)
    else:
      self.assertEqual(revived, 0)

  def test_masks_follow_the_structure(self):
    masks = nt_prune.pruning_masks(self.params)
    self.assertEqual([type(m) for m in masks],
                     [tuple, tuple, tuple, tuple, tuple])
    np.testing.assert_array_equal(masks[2][0], self.params[2][0] != 0)
    self.assertIsNone(masks[2][1])  # Biases are never masked.
    self.assertEqual(masks[1], ())  # Relu has no parameters.

  def test_flax_parameters(self):
    from nt_prune import flax as npf  # pylint: disable=g-import-not-at-top
    import flax.linen as nn  # pylint: disable=g-import-not-at-top
    model = nn.Sequential([npf.PrunedDense(16, sparsity=0., b_std=0.1),
                           nn.relu,
                           npf.PrunedDense(2, sparsity=0.7, b_std=0.1)])
    params = model.init(random.PRNGKey(1), self.x)['params']
    apply_fn = lambda p, x: model.apply({'params': p}, x)
    opt = optax.chain(optax.noisy_sgd(1e-2), nt_prune.keep_masks(params))
    new = _train(apply_fn, params, self.x, opt)
    pruned = ~nt_prune.kept(params['layers_2']['kernel'])
    self.assertGreater(int(pruned.sum()), 0)
    np.testing.assert_array_equal(new['layers_2']['kernel'][pruned], 0.)
    self.assertTrue(bool(jnp.all(new['layers_2']['bias'] !=
                                 params['layers_2']['bias'])))

  def test_updates_of_another_structure_are_refused(self):
    opt = nt_prune.keep_masks(self.params)
    with self.assertRaisesRegex(
        ValueError, r'keep_masks: `updates` must have the structure of the '
        r'parameters the transformation was built from'):
      opt.update(self.params[:2], opt.init(self.params))


if __name__ == '__main__':
  absltest.main()
