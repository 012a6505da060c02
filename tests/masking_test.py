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
from nt_prune._src import masking

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


class RemaskTest(parameterized.TestCase):

  def test_value_and_gradient(self):
    W = jnp.array([[0., 2.], [-1., 0.]])
    for keep_prob in (None, 0.5):
      np.testing.assert_array_equal(nt_prune.remask(W, keep_prob), W)
      grad = jax.grad(lambda w: jnp.sum(nt_prune.remask(w, keep_prob)**2))(W)
      np.testing.assert_array_equal(grad, 2 * W)  # Zero where W is.

  def test_keep_prob_travels_in_the_traced_network(self):
    # The declaration is read back from the jaxpr of a network that uses it,
    # inside other scopes too; the innermost one counts.
    def network(w, x):
      with jax.named_scope('layer'):
        return x @ nt_prune.remask(w, keep_prob=0.25)

    closed = jax.make_jaxpr(network)(jnp.ones((3, 2)), jnp.ones((4, 3)))
    declared = {masking.declared_keep_prob(str(e.source_info.name_stack))
                for e in closed.jaxpr.eqns}
    self.assertEqual(declared, {0.25, None})  # The product declares none.
    self.assertEqual(masking.declared_keep_prob(
        'nt_prune_keep_0.5/inner/nt_prune_keep_0.1'), 0.1)
    self.assertIsNone(masking.declared_keep_prob('layer/mul'))

  @parameterized.parameters((0., ValueError), (1.5, ValueError),
                            (float('nan'), ValueError), ('0.5', TypeError),
                            (True, TypeError))
  def test_bad_keep_prob(self, keep_prob, error):
    with self.assertRaisesRegex(error, r'remask: `keep_prob` must be a real '
                                r'number in \(0, 1\]'):
      nt_prune.remask(jnp.ones(3), keep_prob)


class KeptTest(absltest.TestCase):

  def test_a_parameter_pair_is_refused(self):
    W, b = jnp.ones((3, 2)), jnp.zeros(2)
    with self.assertRaisesRegex(TypeError, r'kept: `W` must be a weight '
                                r'array, not a tuple'):
      nt_prune.kept((W, b))
    np.testing.assert_array_equal(nt_prune.kept([[0., 1.]]), [[False, True]])


if __name__ == '__main__':
  absltest.main()
