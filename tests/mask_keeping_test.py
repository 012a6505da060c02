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

"""`keep_masks`: no optax optimizer revives a mask, whatever it writes."""

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
