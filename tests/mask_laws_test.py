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

"""Mask laws: exact kept counts, reproducible draws, refusals.

Their kernels (Monte Carlo against `kernel_fn`, with negative controls) are
checked in `monte_carlo_test.MaskLawsMonteCarloTest`.
"""


from absl.testing import absltest
from absl.testing import parameterized
import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
from neural_tangents import stax
import numpy as np
import optax

import nt_prune
from nt_prune import flax as npf
from nt_prune._src import mask_laws
import empirical_test
import mask_keeping_test

jax.config.update('jax_numpy_rank_promotion', 'raise')


_DENSE_IN = (2, 40)  # Dense: W is (40, 12).
_CONV_IN = (2, 6, 6, 8)  # Conv (3, 3): W is (3, 3, 8, 12).


def _weights(layer, input_shape, key=0):
  return layer[0](random.PRNGKey(key), input_shape)[1][0]


def _layers(**kwargs):
  return {'dense': (nt_prune.PrunedDense(12, **kwargs), _DENSE_IN),
          'conv': (nt_prune.PrunedConv(12, (3, 3), **kwargs), _CONV_IN)}


class CountsTest(parameterized.TestCase):

  @parameterized.product(arch=['dense', 'conv'], sparsity=[0.1, 0.5, 0.93])
  def test_exact_keeps_round_q_n_per_tensor(self, arch, sparsity):
    layer, shape = _layers(sparsity=sparsity, mask='exact')[arch]
    for key in range(3):
      W = _weights(layer, shape, key)
      self.assertEqual(int(jnp.sum(W != 0)),
                       round((1 - sparsity) * W.size))

  @parameterized.product(arch=['dense', 'conv'], sparsity=[0.1, 0.5, 0.93])
  def test_fan_in_keeps_round_q_fan_in_per_unit(self, arch, sparsity):
    layer, shape = _layers(sparsity=sparsity, mask='fan_in')[arch]
    W = _weights(layer, shape)
    per_unit = np.asarray(W != 0).reshape(-1, 12).sum(0)
    fan_in = W.size // 12
    np.testing.assert_array_equal(per_unit, round((1 - sparsity) * fan_in))

  @parameterized.product(arch=['dense', 'conv'], n_m=[(1, 4), (2, 4), (3, 8)])
  def test_n_by_m_keeps_n_per_block(self, arch, n_m):
    n, m = n_m
    layer, shape = _layers(mask=nt_prune.NByM(n, m))[arch]
    W = np.asarray(_weights(layer, shape) != 0)
    # Input channels are axis -2 (`(in, out)`, `HWIO`): blocks of m.
    blocks = W.reshape(W.shape[:-2] + (W.shape[-2] // m, m, 12))
    np.testing.assert_array_equal(blocks.sum(-2), n)

  def test_n_by_m_sparsity(self):
    for arch in ('dense', 'conv'):
      layer, shape = _layers(mask=nt_prune.NByM(1, 4), sparsity=0.75)[arch]
      self.assertEqual(int(jnp.sum(_weights(layer, shape) == 0)),
                       3 * int(jnp.sum(_weights(layer, shape) != 0)))


class DrawsTest(parameterized.TestCase):

  @parameterized.parameters(('bernoulli',), ('exact',), ('fan_in',),
                            (nt_prune.NByM(1, 4),))
  def test_same_key_same_mask_other_key_other_mask(self, mask):
    sparsity = None if isinstance(mask, nt_prune.NByM) else 0.5
    for layer, shape in _layers(sparsity=sparsity, mask=mask).values():
      W1, W2, W3 = (_weights(layer, shape, k) for k in (0, 0, 1))
      np.testing.assert_array_equal(W1 != 0, W2 != 0)
      self.assertFalse(bool(jnp.all((W1 != 0) == (W3 != 0))))

  def test_bernoulli_is_unchanged(self):
    # The default law draws exactly what nt_prune always drew: Bernoulli(q)
    # from the layer's rng folded with the mask salt.
    for layer, shape in _layers(sparsity=0.6).values():
      rng = random.PRNGKey(3)
      W = layer[0](rng, shape)[1][0]
      want = random.bernoulli(random.fold_in(rng, mask_laws.MASK_SALT),
                              0.4, W.shape)
      np.testing.assert_array_equal(W != 0, want)

  def test_the_kernel_is_the_bernoulli_rule(self):
    x = random.normal(random.PRNGKey(0), (3, 5))
    kernels = []
    for mask, sparsity in (('bernoulli', 0.75), ('exact', 0.75),
                           ('fan_in', 0.75), (nt_prune.NByM(1, 4), None)):
      net = stax.serial(stax.Dense(16), stax.Relu(), nt_prune.PrunedDense(
          4, sparsity=sparsity, mask=mask, rescale=None))
      kernels.append(net[2](x, None, 'ntk'))
    for k in kernels[1:]:
      np.testing.assert_array_equal(k, kernels[0])

  def test_flax_twin_draws_the_same_law(self):
    x = jnp.ones((2, 40))
    for mask, check in (
        ('exact', lambda k: int(k.sum()) == round(0.25 * k.size)),
        ('fan_in', lambda k: bool(np.all(k.sum(0) == 10))),
        (nt_prune.NByM(1, 4), lambda k: bool(np.all(
            k.reshape(10, 4, 12).sum(1) == 1)))):
      sparsity = None if isinstance(mask, nt_prune.NByM) else 0.75
      model = nn.Sequential([npf.PrunedDense(12, sparsity=sparsity, mask=mask)])
      kernel = np.asarray(
          model.init(random.PRNGKey(0), x)['params']['layers_0']['kernel'])
      self.assertTrue(check(kernel != 0), mask)
      # And its stax twin has the same law.
      stax_twin = npf.to_stax(model)
      self.assertTrue(check(np.asarray(_weights(stax_twin, x.shape)[0] != 0)),
                      mask)

  @parameterized.parameters(('exact',), ('fan_in',), (nt_prune.NByM(2, 4),))
  def test_training_keeps_every_laws_zeros(self, mask):
    sparsity = None if isinstance(mask, nt_prune.NByM) else 0.5
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(16), stax.Relu(),
        nt_prune.PrunedDense(8, sparsity=sparsity, mask=mask))
    x = random.normal(random.PRNGKey(0), (8, 5))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    opt = optax.chain(optax.noisy_sgd(1e-2), nt_prune.keep_masks(params))
    new = mask_keeping_test._train(apply_fn, params, x, opt)
    np.testing.assert_array_equal(new[2][0] != 0, params[2][0] != 0)


class NtToolsTest(parameterized.TestCase):

  @parameterized.parameters(('exact',), ('fan_in',), (nt_prune.NByM(1, 4),))
  def test_empirical_ntks_agree_on_every_law(self, mask):
    # The mask stays the zero pattern of W, so every empirical NTK
    # implementation sees the same network.
    sparsity = None if isinstance(mask, nt_prune.NByM) else 0.75
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(16), stax.Relu(),
        nt_prune.PrunedDense(16, sparsity=sparsity, mask=mask), stax.Relu(),
        nt_prune.PrunedDense(2, sparsity=sparsity, mask=mask))
    x = random.normal(random.PRNGKey(0), (4, 5))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    want = nt.empirical_ntk_fn(apply_fn, implementation=1)(x, None, params)
    got = [nt.empirical_ntk_fn(apply_fn, implementation=i)(x, None, params)
           for i in nt.NtkImplementation]
    got.append(nt_prune.empirical_ntk_fn(apply_fn)(x, None, params))
    for g in got:
      empirical_test._assert_close(g, want)


class BadInputTest(parameterized.TestCase):

  @parameterized.parameters(('uniform', ValueError), ('Bernoulli', ValueError),
                            (None, TypeError), (0.5, TypeError))
  def test_unknown_law(self, mask, error):
    with self.assertRaisesRegex(
        error, r"PrunedDense: `mask` must be one of \('bernoulli', 'exact', "
        r"'fan_in'\) or nt_prune.NByM\(n, m\)"):
      nt_prune.PrunedDense(4, sparsity=0.5, mask=mask)

  def test_n_greater_than_m(self):
    with self.assertRaisesRegex(ValueError, r'PrunedConv: `mask` must be '
                                r'NByM\(n, m\) with n <= m'):
      nt_prune.PrunedConv(4, (2, 2), mask=nt_prune.NByM(5, 4))

  @parameterized.parameters((0, 4, 'mask.n'), (1, 0, 'mask.m'),
                            (1, -2, 'mask.m'))
  def test_non_positive_n_or_m(self, n, m, name):
    with self.assertRaisesRegex(ValueError, rf'PrunedDense: `{name}` must be '
                                r'a positive integer'):
      nt_prune.PrunedDense(4, mask=nt_prune.NByM(n, m))

  def test_another_sparsity_with_n_by_m(self):
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `sparsity` must be '
                                r'None or 1 - n/m = 0\.75 for '
                                r'mask=NByM\(n=1, m=4\), got 0\.5'):
      nt_prune.PrunedDense(4, sparsity=0.5, mask=nt_prune.NByM(1, 4))

  def test_channels_not_divisible_by_m(self):
    init_fn = nt_prune.PrunedDense(4, mask=nt_prune.NByM(1, 3))[0]
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `mask` must be '
                                r'NByM\(n, m\) with m dividing the 40 input '
                                r'channels, got NByM\(n=1, m=3\)'):
      init_fn(random.PRNGKey(0), _DENSE_IN)

  def test_no_kept_input(self):
    init_fn = nt_prune.PrunedDense(4, sparsity=0.99, mask='fan_in')[0]
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `sparsity` must be '
                                r'a sparsity that keeps at least one of the '
                                r'40 inputs of each unit'):
      init_fn(random.PRNGKey(0), _DENSE_IN)

  def test_sparsity_is_required_but_for_n_by_m(self):
    with self.assertRaisesRegex(TypeError, r"PrunedDense: `sparsity` must be "
                                r"a real number in \[0, 1\) for "
                                r"mask='exact', got None"):
      nt_prune.PrunedDense(4, mask='exact')

  @parameterized.parameters(stax.ConvTranspose, stax.ConvLocal)
  def test_fan_in_laws_need_a_fan_in_axis(self, constructor):
    for mask in ('fan_in', nt_prune.NByM(1, 2)):
      with self.assertRaisesRegex(ValueError, r"`mask` must be 'bernoulli' or "
                                  r"'exact'"):
        nt_prune.pruned(constructor, sparsity=0.5, mask=mask)
    nt_prune.pruned(constructor, sparsity=0.5, mask='exact')


if __name__ == '__main__':
  absltest.main()
