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

"""Pruned layers on raw inputs: refused by default, opt-in; hidden ones free."""

import itertools

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import diagnostics

jax.config.update('jax_numpy_rank_promotion', 'raise')

_GETS = ('nngp', 'ntk', ('nngp', 'ntk'), 'cov1', ('cov1', 'cov2'), None)

_X_FLAT = random.normal(random.PRNGKey(0), (4, 7))
_X_IMG = random.normal(random.PRNGKey(0), (3, 6, 6, 2))


def _on_inputs(approx=False):
  """Networks whose pruned layer sees the raw inputs (maybe transformed)."""
  p = dict(sparsity=0.7, approximate_input_layer=approx)
  return {
      'dense': (stax.serial(nt_prune.PrunedDense(16, **p), stax.Relu(),
                            stax.Dense(1)), _X_FLAT),
      'dense_alone': (nt_prune.PrunedDense(16, **p), _X_FLAT),
      'conv': (stax.serial(nt_prune.PrunedConv(8, (3, 3), **p), stax.Relu(),
                           stax.Flatten(), stax.Dense(1)), _X_IMG),
      'after_flatten': (stax.serial(stax.Flatten(),
                                    nt_prune.PrunedDense(16, **p)), _X_IMG),
      'after_pooling': (stax.serial(stax.AvgPool((2, 2)),
                                    nt_prune.PrunedConv(8, (2, 2), **p)),
                        _X_IMG),
      'in_a_branch': (stax.serial(
          stax.FanOut(2),
          stax.parallel(stax.Dense(16), nt_prune.PrunedDense(16, **p)),
          stax.FanInSum()), _X_FLAT),
      'other_combinator': (nt_prune.pruned(stax.ConvLocal, **p)(4, (2, 2)),
                           _X_IMG),
      # FanInProd: equal shapes, so the channel count stays the input
      # dimension if any branch is the raw inputs, whatever the order.
      'prod_input_branch_second': (_fan_in(stax.FanInProd, _hidden_branch(),
                                           stax.Identity(), p), _X_FLAT),
      'prod_input_branch_first': (_fan_in(stax.FanInProd, stax.Identity(),
                                          _hidden_branch(), p), _X_FLAT),
      'concat_of_inputs': (_fan_in(stax.FanInConcat, stax.Identity(),
                                   stax.Flatten(), p), _X_FLAT),
  }


def _hidden_branch():
  return stax.serial(stax.Dense(16), stax.Relu(), stax.Dense(7))


def _fan_in(fan_in, branch0, branch1, pruned_kwargs):
  return stax.serial(stax.FanOut(2), stax.parallel(branch0, branch1),
                     fan_in(), nt_prune.PrunedDense(4, **pruned_kwargs))


def _hidden():
  """Networks whose pruned layers never see the raw inputs."""
  p = dict(sparsity=0.7)
  return {
      'mlp': (stax.serial(stax.Dense(16), stax.Relu(),
                          nt_prune.PrunedDense(16, **p)), _X_FLAT),
      'linear_after_dense': (stax.serial(stax.Dense(16),
                                         nt_prune.PrunedDense(16, **p)),
                             _X_FLAT),
      'after_pooling': (stax.serial(stax.Conv(8, (2, 2)), stax.Relu(),
                                    stax.AvgPool((2, 2)),
                                    nt_prune.PrunedConv(8, (2, 2), **p)),
                        _X_IMG),
      'after_flatten': (stax.serial(stax.Conv(8, (2, 2)), stax.Relu(),
                                    stax.Flatten(),
                                    nt_prune.PrunedDense(4, **p)), _X_IMG),
      'after_branches': (stax.serial(
          stax.Dense(16), stax.FanOut(2),
          stax.parallel(stax.Relu(), stax.Erf()), stax.FanInConcat(),
          nt_prune.PrunedDense(4, **p)), _X_FLAT),
      # A layer with parameters gives a Gaussian of growing width, whatever
      # NT 0.6.5's flag says (GlobalSelfAttention carries its input's).
      'after_attention': (stax.serial(
          stax.GlobalSelfAttention(8, 8, 8, 2), stax.Relu(),
          nt_prune.PrunedDense(4, **p)), _X_IMG.reshape((3, 12, 6))),
      # FanInConcat: channel counts add up and grow if any branch's does,
      # whatever the branches' order.
      'concat_hidden_first': (_fan_in(stax.FanInConcat, _hidden_branch(),
                                      stax.Identity(), p), _X_FLAT),
      'concat_hidden_second': (_fan_in(stax.FanInConcat, stax.Identity(),
                                       _hidden_branch(), p), _X_FLAT),
      'sparsity_zero_first': (stax.serial(
          nt_prune.PrunedDense(16, sparsity=0.), stax.Relu(),
          nt_prune.PrunedDense(4, **p)), _X_FLAT),
  }


class InputLayerTest(parameterized.TestCase):

  @parameterized.product(net=list(_on_inputs()), get=_GETS)
  def test_refused_by_default(self, net, get):
    (_, _, kernel_fn), x = _on_inputs()[net]
    with self.assertRaisesRegex(ValueError, r'applied to the raw network '
                                r'inputs.*keep the first layer dense.*'
                                r'approximate_input_layer=True'):
      kernel_fn(x, None, get)

  def test_refused_under_jit(self):
    (_, _, kernel_fn), x = _on_inputs()['dense']
    with self.assertRaisesRegex(ValueError, 'approximate_input_layer'):
      jax.jit(kernel_fn, static_argnames='get')(x, None, get='nngp')

  @parameterized.product(net=list(_on_inputs()), get=_GETS)
  def test_opt_in(self, net, get):
    (_, _, kernel_fn), x = _on_inputs(approx=True)[net]
    out = kernel_fn(x, None, get)
    for leaf in jax.tree_util.tree_leaves(out):
      self.assertTrue(bool(np.all(np.isfinite(leaf))))

  def test_opt_in_is_the_gaussian_rule(self):
    # In NTK parameterization, rescale=None is a W_std change (see
    # kernel_rule_test); the opt-in gives exactly that Gaussian rule.
    q = 0.3
    pruned = stax.serial(
        nt_prune.PrunedDense(16, W_std=1.5, sparsity=1 - q, rescale=None,
                             approximate_input_layer=True), stax.Relu(),
        stax.Dense(1))[2]
    gaussian = stax.serial(stax.Dense(16, W_std=1.5 * q**0.5), stax.Relu(),
                           stax.Dense(1))[2]
    np.testing.assert_allclose(pruned(_X_FLAT, None, 'ntk'),
                               gaussian(_X_FLAT, None, 'ntk'), rtol=1e-5)

  @parameterized.product(net=list(_hidden()), get=_GETS)
  def test_hidden_layers_need_no_flag(self, net, get):
    (_, _, kernel_fn), x = _hidden()[net]
    kernel_fn(x, None, get)

  @parameterized.parameters('nngp', 'ntk')
  def test_the_gaussian_rule_is_really_wrong_on_inputs(self, get):
    # Why we refuse. Conditioned on its mask row m, unit i of a pruned input
    # layer is Gaussian with the dense layer's kernel on the inputs x * m
    # (times the forward rescale); the next layer, of infinite fan-in,
    # averages over units, hence over masks. So the exact kernel feeds
    # E_m[kernel of (dense layer, Erf) on x * m] to the rest of the network,
    # with the expectation a finite sum over the 2^d masks. The Gaussian rule
    # is off by O(1 / (q d)); measured here: NNGP 40% at d = 2, 13% at d = 10
    # (NTK 34%, 11%).
    q, W_std = 0.3, 1.5
    errors = []
    for d in (2, 10):
      x = random.normal(random.PRNGKey(d), (5, d))
      rest = stax.serial(stax.Dense(16, W_std=W_std), stax.Erf(),
                         stax.Dense(1, W_std=W_std))
      gaussian = stax.serial(
          nt_prune.PrunedDense(16, W_std=W_std, sparsity=1 - q,
                               approximate_input_layer=True),
          stax.Erf(), rest)[2](x, None, get)
      first = stax.serial(stax.Dense(16, W_std=W_std), stax.Erf())[2]
      ks, probs = [], []
      for m in itertools.product((0., 1.), repeat=d):
        m = np.array(m)
        probs.append(q**m.sum() * (1 - q)**(d - m.sum()))
        ks.append(first(x * m[None] / q**0.5, None, ('nngp', 'ntk', 'cov1')))
      mean = lambda name: sum(p * getattr(k, name) for p, k in zip(probs, ks))
      k_in = first(x, None).replace(nngp=mean('nngp'), ntk=mean('ntk'),
                                    cov1=mean('cov1'))
      exact = getattr(rest[2](k_in), get)
      errors.append(float(diagnostics.relative_error(gaussian, exact)))
    self.assertGreater(errors[0], 0.02)
    self.assertLess(errors[1], errors[0] / 2)


if __name__ == '__main__':
  absltest.main()
