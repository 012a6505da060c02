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

"""The analytic kernel rule against NT's dense layers and formulas by hand."""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')

_CONSTRUCTORS = {
    'Dense': (stax.Dense, (16,), (5, 6)),
    'Conv': (stax.Conv, (16, (3, 2)), (3, 5, 4, 2)),
    'ConvTranspose': (stax.ConvTranspose, (16, (2, 2)), (3, 4, 3, 2)),
    'ConvLocal': (stax.ConvLocal, (16, (2, 2)), (3, 4, 4, 2)),
}


def _prefix(constructor, parameterization, b_std):
  """A dense weight layer and ReLU, so the pruned layer sees hidden units."""
  args = _CONSTRUCTORS[constructor][1]
  return [_CONSTRUCTORS[constructor][0](*args, W_std=1.3, b_std=b_std,
                                        parameterization=parameterization),
          stax.Relu()]


class DenseEquivalenceTest(parameterized.TestCase):

  @parameterized.product(constructor=list(_CONSTRUCTORS),
                         parameterization=['ntk', 'standard'],
                         b_std=[None, 0.2])
  def test_sparsity_zero_is_the_stax_layer(self, constructor,
                                           parameterization, b_std):
    stax_layer, args, shape = _CONSTRUCTORS[constructor]
    kwargs = dict(W_std=1.7, b_std=b_std, parameterization=parameterization)
    x = random.normal(random.PRNGKey(0), shape)
    prefix = _prefix(constructor, parameterization, b_std)
    dense = stax.serial(*prefix, stax_layer(*args, **kwargs))
    for rescale in nt_prune.RESCALE_MODES:
      pruned = stax.serial(*prefix, nt_prune.pruned(
          stax_layer, sparsity=0., rescale=rescale)(*args, **kwargs))
      _, p_dense = dense[0](random.PRNGKey(3), x.shape)
      _, p_pruned = pruned[0](random.PRNGKey(3), x.shape)
      jax.tree_util.tree_map(np.testing.assert_array_equal, p_pruned, p_dense)
      np.testing.assert_array_equal(pruned[1](p_dense, x),
                                    dense[1](p_dense, x))
      for get in ('nngp', 'ntk'):
        np.testing.assert_array_equal(pruned[2](x, None, get),
                                      dense[2](x, None, get))

  @parameterized.product(constructor=list(_CONSTRUCTORS),
                         parameterization=['ntk', 'standard'],
                         b_std=[None, 0.2], sparsity=[0.3, 0.9])
  def test_forward_rescale_is_the_dense_kernel(self, constructor,
                                               parameterization, b_std,
                                               sparsity):
    stax_layer, args, shape = _CONSTRUCTORS[constructor]
    kwargs = dict(W_std=1.7, b_std=b_std, parameterization=parameterization)
    x = random.normal(random.PRNGKey(0), shape)
    prefix = _prefix(constructor, parameterization, b_std)
    dense = stax.serial(*prefix, stax_layer(*args, **kwargs))[2]
    pruned = stax.serial(*prefix, nt_prune.pruned(
        stax_layer, sparsity=sparsity)(*args, **kwargs))[2]
    k_dense = dense(x, None, ('nngp', 'ntk'))
    k_pruned = pruned(x, None, ('nngp', 'ntk'))
    np.testing.assert_array_equal(k_pruned.nngp, k_dense.nngp)
    np.testing.assert_array_equal(k_pruned.ntk, k_dense.ntk)

  @parameterized.product(constructor=list(_CONSTRUCTORS),
                         b_std=[None, 0.2], sparsity=[0.3, 0.9])
  def test_no_rescale_in_ntk_parameterization_is_a_W_std_change(
      self, constructor, b_std, sparsity):
    stax_layer, args, shape = _CONSTRUCTORS[constructor]
    x = random.normal(random.PRNGKey(0), shape)
    prefix = _prefix(constructor, 'ntk', b_std)
    q = 1. - sparsity
    scaled = stax.serial(*prefix, stax_layer(*args, W_std=1.7 * q**0.5,
                                             b_std=b_std))[2]
    pruned = stax.serial(*prefix, nt_prune.pruned(
        stax_layer, sparsity=sparsity, rescale=None)(*args, W_std=1.7,
                                                     b_std=b_std))[2]
    for get in ('nngp', 'ntk'):
      np.testing.assert_allclose(pruned(x, None, get), scaled(x, None, get),
                                 rtol=1e-5, atol=1e-6)


class PruningRuleTest(parameterized.TestCase):

  @parameterized.product(rescale=list(nt_prune.RESCALE_MODES),
                         sparsity=[0., 0.3, 0.9, 0.999])
  def test_factors_follow_from_the_scales(self, rescale, sparsity):
    rule = nt_prune.PruningRule(sparsity, rescale)
    q = 1. - sparsity
    self.assertAlmostEqual(rule.forward_variance_factor,
                           q * rule.forward_scale**2 * rule.init_scale**2,
                           places=12)
    self.assertAlmostEqual(rule.weight_gradient_factor,
                           q * rule.forward_scale**2, places=12)


class DenseFormulaTest(parameterized.TestCase):
  """`PrunedDense` on hidden units against the rule written out by hand.

  The hand formula is evaluated in float64; the layer's float32 kernel must
  match it to float32 precision at every sparsity, down to `q = 1e-8`, where a
  rule computed by subtraction (`D - (1 - q) W`) loses every digit.
  """

  @parameterized.product(parameterization=['ntk', 'standard'],
                         rescale=list(nt_prune.RESCALE_MODES),
                         b_std=[None, 0.2],
                         sparsity=[0.5, 0.9, 1 - 1e-5, 1 - 1e-7, 1 - 1e-8])
  def test_formula(self, parameterization, rescale, b_std, sparsity):
    width, W_std = 24, 1.4
    x = random.normal(random.PRNGKey(0), (5, 3))
    prefix = stax.serial(stax.Dense(width, 1.2, 0.1,
                                    parameterization=parameterization),
                         stax.Erf())
    k_in = prefix[2](x, None, ('nngp', 'ntk'))
    nngp_in, ntk_in = (np.asarray(k, np.float64) for k in k_in)
    k_out = stax.serial(prefix, nt_prune.PrunedDense(
        7, W_std, b_std, parameterization=parameterization,
        sparsity=sparsity, rescale=rescale))[2](x, None, ('nngp', 'ntk'))

    q = 1. - sparsity
    f_v = q if rescale is None else 1.       # forward variance, carried term
    f_g = 1. if rescale == 'forward' else q  # the layer's own weight gradient
    bias_var = 0. if b_std is None else b_std**2
    if parameterization == 'ntk':
      grad_w = W_std**2 * nngp_in
      grad_b = bias_var
    else:
      grad_w = width * nngp_in  # fan-in times the input covariance.
      grad_b = 0. if b_std is None else 1.
    nngp = f_v * W_std**2 * nngp_in + bias_var
    ntk = f_g * grad_w + grad_b + f_v * W_std**2 * ntk_in
    # float32 round-off relative to the kernel's own scale (a few ulp per
    # operation); entries may be as small as q = 1e-8.
    for got, want in ((k_out.nngp, nngp), (k_out.ntk, ntk)):
      np.testing.assert_allclose(got, want, rtol=1e-5,
                                 atol=1e-6 * np.abs(want).max())


class KernelFnOptionsTest(parameterized.TestCase):
  """`kernel_fn` options work as for `stax.Dense`/`stax.Conv`."""

  def _cnn(self, sparsity, rescale, W_std=1.5):
    return stax.serial(
        stax.Conv(8, (3, 3), padding='SAME', W_std=1.5, b_std=0.1),
        stax.Relu(),
        nt_prune.PrunedConv(8, (3, 3), padding='CIRCULAR', W_std=W_std,
                            b_std=0.1, sparsity=sparsity, rescale=rescale),
        stax.Relu(),
        stax.GlobalAvgPool(),
        nt_prune.PrunedDense(3, W_std=W_std, b_std=0.1, sparsity=sparsity,
                             rescale=rescale))

  def _pixel_mlp(self, sparsity, rescale, W_std=1.5):
    """Dense layers on each pixel: allows `diagonal_spatial=True`."""
    return stax.serial(
        stax.Dense(8, W_std=1.5, b_std=0.1), stax.Relu(),
        nt_prune.PrunedDense(8, W_std=W_std, b_std=0.1, sparsity=sparsity,
                             rescale=rescale), stax.Relu(),
        nt_prune.PrunedDense(3, W_std=W_std, b_std=0.1, sparsity=sparsity,
                             rescale=rescale), stax.GlobalAvgPool())

  @parameterized.product(model=['_cnn', '_pixel_mlp'],
                         diagonal_batch=[True, False],
                         diagonal_spatial=[True, False],
                         get=['nngp', 'ntk', ('ntk', 'nngp'), 'cov1',
                              ('cov1', 'cov2', 'nngp')],
                         x2=[False, True])
  def test_options_match_equivalent_stax_model(self, model, diagonal_batch,
                                               diagonal_spatial, get, x2):
    # In NTK parameterization, rescale=None with keep probability q is the
    # dense model with W_std * sqrt(q): compare the two under every option.
    x1 = random.normal(random.PRNGKey(0), (3, 5, 5, 2))
    x2 = random.normal(random.PRNGKey(1), (2, 5, 5, 2)) if x2 else None
    q = 0.25
    build = getattr(self, model)
    pruned = build(1. - q, None)[2]
    scaled = build(0., 'forward', W_std=1.5 * q**0.5)[2]
    kwargs = dict(diagonal_batch=diagonal_batch,
                  diagonal_spatial=diagonal_spatial)
    jitted = jax.jit(pruned, static_argnames=('get',) + tuple(kwargs))
    try:
      want = scaled(x1, x2, get, **kwargs)
    except ValueError as e:
      # NT refuses (e.g. diagonal_spatial for a CNN); so must we.
      with self.assertRaisesRegex(ValueError, 'diagonal_spatial'):
        jitted(x1, x2, get=get, **kwargs)
      self.assertIn('diagonal_spatial', str(e))
      return
    got = jitted(x1, x2, get=get, **kwargs)
    jax.tree_util.tree_map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
        got, want)

  def test_64_bit(self):
    x = random.normal(random.PRNGKey(0), (3, 5, 5, 2))
    # `jax.enable_x64(True)` from jax 0.7 on; `jax.experimental`'s before.
    enable_x64 = (jax.enable_x64 if hasattr(jax, 'enable_x64') else
                  jax.experimental.enable_x64)
    with enable_x64(True):
      x64 = jnp.asarray(x, jnp.float64)
      for rescale in nt_prune.RESCALE_MODES:
        k = self._cnn(0.5, rescale)[2](x64, None, ('nngp', 'ntk'))
        self.assertEqual(k.nngp.dtype, jnp.float64)
        self.assertEqual(k.ntk.dtype, jnp.float64)
        init_fn, apply_fn, _ = self._cnn(0.5, rescale)
        _, params = init_fn(random.PRNGKey(0), x64.shape)
        self.assertEqual(apply_fn(params, x64).dtype, jnp.float64)


if __name__ == '__main__':
  absltest.main()
