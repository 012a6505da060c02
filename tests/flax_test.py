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

"""flax.linen twins: same outputs, same empirical NTK, same infinite limit."""

import functools

from absl.testing import absltest
from absl.testing import parameterized
import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np
import optax

import mc_check
import models
import nt_prune
from nt_prune import flax as npf

jax.config.update('jax_numpy_rank_promotion', 'raise')


_FLAX_MLP = functools.partial(models.flax_mlp, activations=(
    nn.relu, jax.scipy.special.erf))
_ARCHS = {'mlp': (_FLAX_MLP, (6, 7)),
          'cnn': (models.flax_cnn, (3, 5, 5, 2))}


def _flax_as_nt(model):
  """`init_fn`, `apply_fn` in NT's calling convention."""
  init_fn = lambda key, shape: (None, model.init(key, jnp.zeros(shape)))
  apply_fn = lambda variables, x, **kwargs: model.apply(variables, x)
  return init_fn, apply_fn


class FlaxStaxEquivalenceTest(parameterized.TestCase):

  @parameterized.product(arch=list(_ARCHS),
                         parameterization=['ntk', 'standard'],
                         rescale=list(nt_prune.RESCALE_MODES),
                         b_std=[0.1, None])
  def test_outputs_and_round_trip(self, arch, parameterization, rescale,
                                  b_std):
    build, shape = _ARCHS[arch]
    model = build(16, sparsity=0.6, rescale=rescale,
                  parameterization=parameterization, b_std=b_std)
    x = random.normal(random.PRNGKey(0), shape)
    variables = model.init(random.PRNGKey(1), x)
    init_fn, apply_fn, _ = npf.to_stax(model)
    params = npf.to_stax_params(model, variables, x.shape)
    # Same structure and shapes as the stax twin's own parameters.
    _, own = init_fn(random.PRNGKey(2), x.shape)
    self.assertEqual(jax.tree_util.tree_structure(params),
                     jax.tree_util.tree_structure(own))
    jax.tree_util.tree_map(lambda a, b: self.assertEqual(a.shape, b.shape),
                           params, own)
    np.testing.assert_allclose(apply_fn(params, x), model.apply(variables, x),
                               rtol=1e-5, atol=1e-5)
    # And back: stax parameters drawn by stax run the flax model.
    back = npf.to_flax_variables(model, own)
    np.testing.assert_allclose(model.apply(back, x), apply_fn(own, x),
                               rtol=1e-5, atol=1e-5)
    jax.tree_util.tree_map(np.testing.assert_array_equal,
                           npf.to_flax_variables(model, params), variables)

  @parameterized.product(arch=list(_ARCHS),
                         rescale=list(nt_prune.RESCALE_MODES),
                         implementation=list(nt.NtkImplementation))
  def test_empirical_ntk_equal(self, arch, rescale, implementation):
    build, shape = _ARCHS[arch]
    model = build(16, sparsity=0.75, rescale=rescale,
                  parameterization='standard')
    x = random.normal(random.PRNGKey(0), shape)
    variables = model.init(random.PRNGKey(1), x)
    _, apply_fn, _ = npf.to_stax(model)
    params = npf.to_stax_params(model, variables, x.shape)
    _, flax_apply = _flax_as_nt(model)
    ntk_flax = nt.empirical_ntk_fn(flax_apply, implementation=implementation)(
        x, None, variables)
    ntk_stax = nt.empirical_ntk_fn(apply_fn, implementation=implementation)(
        x, None, params)
    np.testing.assert_allclose(ntk_flax, ntk_stax, rtol=1e-4, atol=1e-4 *
                               float(jnp.max(jnp.abs(ntk_stax))))

  def test_sparsity_zero_first_layer_needs_no_flag(self):
    model = _FLAX_MLP(8, sparsity=0.5)
    npf.to_stax(model)[2](jnp.ones((2, 7)), None, 'ntk')

  def test_pruned_first_layer_is_refused_like_stax(self):
    model = nn.Sequential([npf.PrunedDense(8, sparsity=0.5), nn.relu])
    with self.assertRaisesRegex(ValueError, 'approximate_input_layer'):
      npf.to_stax(model)[2](jnp.ones((2, 7)), None, 'nngp')
    npf.to_stax(model, approximate_input_layer=True)[2](jnp.ones((2, 7)),
                                                        None, 'nngp')


class FlaxMonteCarloTest(parameterized.TestCase):

  @parameterized.product(arch=list(_ARCHS), rescale=['init', None])
  def test_flax_inits_converge_to_stax_kernel(self, arch, rescale):
    build, _ = _ARCHS[arch]
    width = 256 if arch == 'mlp' else 64
    x = (random.normal(random.PRNGKey(0), (6, 7)) if arch == 'mlp' else
         random.normal(random.PRNGKey(0), (4, 4, 4, 2)))
    init_fn, apply_fn = _flax_as_nt(build(width, sparsity=0.5,
                                          rescale=rescale))
    result = mc_check.summarize(mc_check.per_network_kernels(
        init_fn, apply_fn, x, random.PRNGKey(1), 32))
    kernels = {m: npf.to_stax(build(1, sparsity=0.5, rescale=m))[2](
        x, None, ('nngp', 'ntk')) for m in nt_prune.RESCALE_MODES}
    hidden = 2 if arch == 'mlp' else 3
    mc_check.assert_right_rule_only(self, result.mean, result, kernels,
                                    rescale, hidden, width, 0.5)


class FlaxTrainingTest(parameterized.TestCase):

  @parameterized.parameters('forward', 'init', None)
  def test_adamw_keeps_pruned_weights_zero(self, rescale):
    model = _FLAX_MLP(32, sparsity=0.7, rescale=rescale, out_dim=1)
    x = random.normal(random.PRNGKey(0), (16, 7))
    y = jnp.sin(x.sum(1, keepdims=True))
    variables = model.init(random.PRNGKey(1), x)
    opt = optax.adamw(1e-2, weight_decay=0.1)
    state = opt.init(variables)

    @jax.jit
    def step(v, state):
      grads = jax.grad(lambda v: jnp.mean((model.apply(v, x) - y)**2))(v)
      updates, state = opt.update(grads, state, v)
      return optax.apply_updates(v, updates), state

    trained = variables
    for _ in range(200):
      trained, state = step(trained, state)
    for name in ('layers_2', 'layers_4'):
      W0 = variables['params'][name]['kernel']
      W1 = trained['params'][name]['kernel']
      pruned = W0 == 0
      self.assertGreater(int(pruned.sum()), 0)
      np.testing.assert_array_equal(W1[pruned], 0.)
      self.assertTrue(bool(jnp.all(W1[~pruned] != W0[~pruned])))
    self.assertEqual(npf.count_pruned(trained)[0],
                     npf.count_pruned(variables)[0])


class FlaxValidationTest(parameterized.TestCase):

  def test_same_messages_as_stax(self):
    cases = [
        (dict(sparsity=1.), ValueError,
         r'`sparsity` must be a real number in \[0, 1\)'),
        (dict(sparsity='a'), TypeError, r'`sparsity` must be a real number'),
        (dict(sparsity=0.5, rescale='both'), ValueError,
         r'`rescale` must be one of'),
        (dict(sparsity=0.5, parameterization='mup'), ValueError,
         r'`parameterization` must be one of'),
        (dict(sparsity=0.5, W_std=-1.), ValueError, r'`W_std` must be'),
        (dict(sparsity=0.5, b_std=float('nan')), ValueError,
         r'`b_std` must be None or'),
    ]
    for kwargs, error, regex in cases:
      with self.assertRaisesRegex(error, regex):
        npf.PrunedDense(8, **kwargs)
      with self.assertRaisesRegex(error, regex):
        nt_prune.PrunedDense(8, **kwargs)
      with self.assertRaisesRegex(error, regex):
        npf.PrunedConv(8, (3, 3), **kwargs)
    with self.assertRaisesRegex(ValueError, 'PrunedDense: `features` must be '
                                'a positive integer'):
      npf.PrunedDense(0, sparsity=0.5)
    with self.assertRaisesRegex(ValueError, r"`padding` must be one of "
                                r"\('VALID', 'SAME'\), got 'CIRCULAR'"):
      npf.PrunedConv(8, (3, 3), padding='CIRCULAR', sparsity=0.5)
    with self.assertRaisesRegex(TypeError, r'`sparsity` must be a real'):
      npf.PrunedConv(8, (3, 3))  # sparsity is required

  def test_to_stax_refuses_unknown_layers(self):
    model = nn.Sequential([npf.PrunedDense(8, sparsity=0.), jnp.tanh])
    with self.assertRaisesRegex(TypeError, r'no stax twin for layer .*'
                                r'supported layers are nt_prune.flax'):
      npf.to_stax(model)
    with self.assertRaisesRegex(TypeError, 'flax.linen.Sequential'):
      npf.to_stax(npf.PrunedDense(8, sparsity=0.))


if __name__ == '__main__':
  absltest.main()
