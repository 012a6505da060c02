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

"""`nt_prune.serial`: the exact kernel of a pruned input layer."""

import itertools

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import mc_check
import nt_prune
from nt_prune import diagnostics

jax.config.update('jax_numpy_rank_promotion', 'raise')

_X = random.normal(random.PRNGKey(0), (4, 3))
_X4 = random.normal(random.PRNGKey(1), (4, 4))
_IMAGES = random.normal(random.PRNGKey(2), (3, 3, 3, 2))
# Monte Carlo: two input features (the Gaussian rule is far off), small
# images, two channels (so that NByM(1, 2) groups them) and a 2 x 1 filter.
_X_MC = random.normal(random.PRNGKey(3), (4, 2))
_IMAGES_MC = random.normal(random.PRNGKey(4), (3, 2, 2, 2))
_WIDTH = 128
_NETWORKS = 128


def _input_layer(kind, law, parameterization, rescale, b_std, **kwargs):
  sparsity = None if isinstance(law, nt_prune.NByM) else 0.5
  common = dict(W_std=2., b_std=b_std, parameterization=parameterization,
                sparsity=sparsity, rescale=rescale, mask=law, **kwargs)
  if kind == 'dense':
    return nt_prune.PrunedDense(_WIDTH, **common)
  return nt_prune.PrunedConv(_WIDTH, (2, 1), padding='SAME', **common)


def _network(kind, law, parameterization, rescale, b_std, phi,
             **kwargs):
  """Pruned input layer, `phi`, then a pruned hidden layer (wide output)."""
  tail = [stax.GlobalAvgPool()] if kind == 'conv' else []
  return [_input_layer(kind, law, parameterization, rescale, b_std, **kwargs),
          phi] + tail + [nt_prune.PrunedDense(
              _WIDTH, W_std=1.2, b_std=b_std, sparsity=0.5, rescale=rescale,
              parameterization=parameterization)]


# Each mask law with each input layer; parameterizations, rescale modes,
# biases and nonlinearities spread over them (each level of each with both
# layers).
_CASES = (
    ('dense', 'bernoulli', 'ntk', 'forward', 0.3, stax.Erf),
    ('dense', 'exact', 'standard', 'init', None, stax.Erf),
    ('dense', 'fan_in', 'ntk', None, 0.3, stax.Erf),
    ('dense', nt_prune.NByM(1, 2), 'standard', 'forward', None, stax.Erf),
    ('conv', 'bernoulli', 'standard', None, 0.3, stax.Erf),
    ('conv', 'exact', 'ntk', 'forward', None, stax.Erf),
    ('conv', 'fan_in', 'standard', 'forward', 0.3, stax.Erf),
    ('conv', nt_prune.NByM(1, 2), 'ntk', 'init', None, stax.Erf),
)


def _inputs(kind):
  return _IMAGES_MC if kind == 'conv' else _X_MC


class FiniteWidthTest(parameterized.TestCase):
  """Wide finite networks agree with the exact kernel, not the Gaussian one.

  Tolerances are `mc_check`'s (3 root-mean-square statistical errors of the
  mean over `_NETWORKS` networks, plus `1 / (q n)` for the width). Measured
  (jax 0.12.1, this file's seeds): Monte Carlo errors 0.004 to 0.026 against
  tolerances 0.035 to 0.071; the Gaussian rule's errors 0.07 to 0.36.
  """

  @parameterized.parameters(*_CASES)
  def test_finite_networks_agree_and_reject_the_gaussian_rule(
      self, kind, law, parameterization, rescale, b_std, phi):
    x = _inputs(kind)
    layers = _network(kind, law, parameterization, rescale, b_std, phi())
    init_fn, apply_fn, kernel_fn = nt_prune.serial(*layers)
    exact = kernel_fn(x, None, ('nngp', 'ntk'))
    gaussian = stax.serial(*_network(kind, law, parameterization, rescale,
                                     b_std, phi(),
                                     approximate_input_layer=True))[2](
                                         x, None, ('nngp', 'ntk'))
    result = mc_check.summarize(mc_check.per_network_kernels(
        init_fn, apply_fn, x, random.PRNGKey(7), _NETWORKS,
        implementation=3))
    gaussian_errors = {}
    for name in ('nngp', 'ntk'):
      right = getattr(exact, name)
      tol = mc_check.tolerance(result, name, right, hidden_layers=1,
                               width=_WIDTH, q_min=0.5)
      err = float(diagnostics.relative_error(result.mean[name], right))
      self.assertLess(err, tol, f'{name}: Monte Carlo error {err:.4f} > '
                      f'tolerance {tol:.4f}')
      gaussian_errors[name] = (float(diagnostics.relative_error(
          result.mean[name], getattr(gaussian, name))), tol)
    # Negative control: the Gaussian rule fails the same test.
    self.assertTrue(any(e > tol for e, tol in gaussian_errors.values()),
                    f'the Gaussian rule is not rejected: {gaussian_errors}')


def _erf_dual(s11, s12, s22):
  """`E[erf(u) erf(v)]` and `E[erf'(u) erf'(v)]` for a centred Gaussian."""
  a = jnp.sqrt((1 + 2 * s11) * (1 + 2 * s22))
  return (2 / np.pi * jnp.arcsin(2 * s12 / a),
          4 / np.pi / jnp.sqrt(a**2 - 4 * s12**2))


def _brute_force_erf(x, law_columns, rescale, q, W_std, b_std):
  """Dense pruned input layer, Erf, dense layer: every mask in a loop."""
  c_v = {'forward': 1 / q, 'init': 1 / q, None: 1.}[rescale]
  c_g = {'forward': 1 / q, 'init': 1., None: 1.}[rescale]
  d = x.shape[1]
  nngp = ntk = 0.
  for column, weight in law_columns:
    gram = (x * jnp.asarray(column, x.dtype)[None]) @ x.T / d
    sigma = c_v * W_std**2 * gram + b_std**2
    theta = c_g * W_std**2 * gram + b_std**2
    diag = jnp.diag(sigma)
    t, t_prime = _erf_dual(diag[:, None], sigma, diag[None, :])
    nngp = nngp + weight * t
    ntk = ntk + weight * t_prime * theta
  nngp_out = W_std**2 * nngp + b_std**2
  return nngp_out, nngp_out + W_std**2 * ntk


def _columns(law, d, q):
  """Every column of the law with its probability, written out by hand."""
  if law == 'bernoulli':
    return [(c, q**sum(c) * (1 - q)**(d - sum(c)))
            for c in itertools.product((0, 1), repeat=d)]
  k = round(q * d)
  subsets = list(itertools.combinations(range(d), k))
  return [([int(i in s) for i in range(d)], 1 / len(subsets))
          for s in subsets]


class EnumerationTest(parameterized.TestCase):

  @parameterized.product(law=('bernoulli', 'fan_in'),
                         rescale=('forward', 'init', None),
                         sparsity=(0.3, 0.75))
  def test_against_a_brute_force_sum(self, law, rescale, sparsity):
    q = 1 - sparsity
    W_std, b_std = 1.3, 0.4
    _, _, kernel_fn = nt_prune.serial(
        nt_prune.PrunedDense(64, W_std, b_std, sparsity=sparsity,
                             rescale=rescale, mask=law),
        stax.Erf(), stax.Dense(1, W_std, b_std))
    got = kernel_fn(_X, None, ('nngp', 'ntk'))
    nngp, ntk = _brute_force_erf(_X, _columns(law, 3, q), rescale, q, W_std,
                                 b_std)
    np.testing.assert_allclose(got.nngp, nngp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got.ntk, ntk, rtol=1e-5, atol=1e-6)

  def test_sparsity_zero_is_the_dense_kernel(self):
    dense = stax.serial(stax.Dense(8, 1.5, 0.2), stax.Relu(), stax.Dense(1))
    pruned = nt_prune.serial(
        nt_prune.PrunedDense(8, 1.5, 0.2, sparsity=0.), stax.Relu(),
        stax.Dense(1))
    for get in ('nngp', 'ntk'):
      np.testing.assert_array_equal(pruned[2](_X, None, get),
                                    dense[2](_X, None, get))

  def test_the_mask_law_changes_the_limit(self):
    kernels = {
        law: nt_prune.serial(
            nt_prune.PrunedDense(8, sparsity=0.5, mask=law), stax.Relu(),
            stax.Dense(1))[2](_X4, None, 'ntk')
        for law in ('bernoulli', 'exact', 'fan_in', nt_prune.NByM(1, 2))}
    np.testing.assert_array_equal(kernels['bernoulli'], kernels['exact'])
    for a, b in (('bernoulli', 'fan_in'), ('fan_in', nt_prune.NByM(1, 2))):
      self.assertGreater(
          float(diagnostics.relative_error(kernels[a], kernels[b])), 1e-3)

  def test_one_dense_layer_alone_has_the_gaussian_rule(self):
    # No nonlinearity before the next layer: second moments are linear in
    # the mask, so the mixture's kernel is the Gaussian rule's.
    exact = nt_prune.serial(nt_prune.PrunedDense(8, 1.5, 0.2, sparsity=0.6,
                                                 rescale=None),
                            stax.Dense(1))[2](_X, None, 'ntk')
    gaussian = stax.serial(
        nt_prune.PrunedDense(8, 1.5, 0.2, sparsity=0.6, rescale=None,
                             approximate_input_layer=True),
        stax.Dense(1))[2](_X, None, 'ntk')
    np.testing.assert_allclose(exact, gaussian, rtol=1e-5)


class EstimatorTest(parameterized.TestCase):
  """`MaskSamples` against the exact sum, within its standard error."""

  def _kernel_fns(self, law, masks):
    x = random.normal(random.PRNGKey(3), (5, 3))
    layers = (nt_prune.PrunedDense(8, W_std=2., sparsity=0.5, mask=law),
              stax.Erf(),
              nt_prune.PrunedDense(1, sparsity=0.5))
    return x, nt_prune.serial(*layers, input_masks=masks)[2]

  @parameterized.parameters('bernoulli', 'fan_in')
  def test_within_its_standard_error_and_rejects_the_other_law(self, law):
    masks = nt_prune.MaskSamples(2048, random.PRNGKey(11))
    x, sampled = self._kernel_fns(law, masks)
    _, exact = self._kernel_fns(law, None)
    other = 'fan_in' if law == 'bernoulli' else 'bernoulli'
    _, wrong = self._kernel_fns(other, None)
    estimate, error = sampled(x, None, 'ntk'), sampled.standard_error(
        x, None, 'ntk')
    # 16 groups: (estimate - exact) / error is Student-t with 15 degrees of
    # freedom; P(|t| > 5) < 2e-4 per entry.
    z = np.abs(estimate - exact(x, None, 'ntk')) / error
    self.assertLess(float(z.max()), 5.)
    z_wrong = np.abs(estimate - wrong(x, None, 'ntk')) / error
    self.assertGreater(float(z_wrong.max()), 5.)

  def test_same_key_same_estimate_and_jit(self):
    masks = nt_prune.MaskSamples(64, random.PRNGKey(1))
    x, kernel_fn = self._kernel_fns('bernoulli', masks)
    a = kernel_fn(x, None, 'nngp')
    np.testing.assert_array_equal(a, kernel_fn(x, None, 'nngp'))
    np.testing.assert_allclose(
        jax.jit(kernel_fn, static_argnames='get')(x, None, 'nngp'), a,
        rtol=1e-6)

  def test_exact_sum_has_zero_standard_error(self):
    x, kernel_fn = self._kernel_fns('bernoulli', None)
    np.testing.assert_array_equal(kernel_fn.standard_error(x, None, 'ntk'),
                                  np.zeros((5, 5)))


class CompositionTest(parameterized.TestCase):

  def _kernel_fn(self):
    return nt_prune.serial(
        nt_prune.PrunedConv(16, (2, 2), sparsity=0.5), stax.Relu(),
        stax.AvgPool((2, 2)), stax.Flatten(),
        nt_prune.PrunedDense(1, sparsity=0.5))[2]

  def test_batch_and_jit_and_x2(self):
    kernel_fn = self._kernel_fn()
    x1, x2 = _IMAGES, random.normal(random.PRNGKey(5), (2, 3, 3, 2))
    full = kernel_fn(x1, x2, ('nngp', 'ntk'))
    batched = nt.batch(kernel_fn, 1)(x1, x2, ('nngp', 'ntk'))
    jitted = jax.jit(kernel_fn, static_argnames='get')(x1, x2, ('nngp', 'ntk'))
    for got in (batched, jitted):
      np.testing.assert_allclose(got.nngp, full.nngp, rtol=1e-5, atol=1e-7)
      np.testing.assert_allclose(got.ntk, full.ntk, rtol=1e-5, atol=1e-7)
    both = kernel_fn(jnp.concatenate([x1, x2]), None, 'ntk')
    np.testing.assert_allclose(both[:3, 3:], full.ntk, rtol=1e-5, atol=1e-7)

  def test_a_large_batch_is_summed_in_chunks(self):
    # 1500 inputs: a column's kernels hold about 4.5M entries, so the 8
    # columns are summed a few at a time (memory bound); rows against x2
    # (small kernels, one chunk) must agree.
    x = random.normal(random.PRNGKey(6), (1500, 3))
    kernel_fn = nt_prune.serial(
        nt_prune.PrunedDense(8, b_std=0.5, sparsity=0.5), stax.Erf(),
        stax.Dense(1))[2]
    full = kernel_fn(x, None, 'ntk')
    np.testing.assert_allclose(full[:5], kernel_fn(x[:5], x, 'ntk'),
                               rtol=1e-5, atol=1e-6)

  def test_diagonal_batch(self):
    kernel_fn = self._kernel_fn()
    full = kernel_fn(_IMAGES, None, None, diagonal_batch=False)
    diagonal = kernel_fn(_IMAGES, None, None, diagonal_batch=True)
    self.assertEqual(full.cov1.ndim - 1, diagonal.cov1.ndim)
    np.testing.assert_allclose(diagonal.cov1, jnp.diag(full.cov1), rtol=1e-5)

  def test_inner_layer_and_apply_fn_are_stax_serial(self):
    layers = (stax.Dense(8), stax.Relu(), nt_prune.PrunedDense(8,
                                                               sparsity=0.5))
    ours, theirs = nt_prune.serial(*layers), stax.serial(*layers)
    _, params = ours[0](random.PRNGKey(0), _X.shape)
    np.testing.assert_array_equal(ours[1](params, _X), theirs[1](params, _X))
    np.testing.assert_array_equal(ours[2](_X, None, 'ntk'),
                                  theirs[2](_X, None, 'ntk'))
    nested = stax.serial(stax.Dense(8), stax.Relu(),
                         nt_prune.serial(nt_prune.PrunedDense(8, sparsity=0.5),
                                         stax.Relu()))
    np.testing.assert_allclose(nested[2](_X, None, 'ntk'),
                               stax.serial(*layers, stax.Relu())[2](
                                   _X, None, 'ntk'), rtol=1e-6)


class RefusalTest(parameterized.TestCase):

  def test_stax_serial_points_to_nt_prune_serial(self):
    with self.assertRaisesRegex(ValueError, r'nt_prune\.serial'):
      stax.serial(nt_prune.PrunedDense(8, sparsity=0.5), stax.Relu())[2](
          _X, None, 'nngp')

  def test_too_many_masks(self):
    x = random.normal(random.PRNGKey(0), (2, 13))
    with self.assertRaisesRegex(
        ValueError, r'serial: `input_masks` must be nt_prune\.MaskSamples.*'
        r'8192 distinct'):
      nt_prune.serial(nt_prune.PrunedDense(8, sparsity=0.5),
                      stax.Relu())[2](x, None, 'nngp')

  @parameterized.named_parameters(
      ('relu_after_pooling', (stax.AvgPool((2, 2)), stax.Relu()),
       r'Relu \(layer 1 after them\)'),
      ('a_nested_serial', (stax.serial(stax.Dense(4)),),
       r'serial \(layer 0 after them\)'))
  def test_nonlinearity_before_the_next_weight_layer(self, rest, message):
    with self.assertRaisesRegex(ValueError, message):
      nt_prune.serial(nt_prune.PrunedConv(8, (2, 2), sparsity=0.5),
                      stax.Relu(), *rest)

  def test_other_pruned_input_layers_and_circular_padding(self):
    with self.assertRaisesRegex(ValueError, r'PrunedDense or PrunedConv'):
      nt_prune.serial(nt_prune.pruned(stax.ConvLocal, sparsity=0.5)(
          4, (2, 2)), stax.Relu())
    with self.assertRaisesRegex(ValueError, r"`padding` must be 'VALID'"):
      nt_prune.serial(nt_prune.PrunedConv(4, (2, 2), padding='CIRCULAR',
                                          sparsity=0.5), stax.Relu())

  @parameterized.named_parameters(
      ('not_samples', (64, random.PRNGKey(0)), TypeError,
       r'`input_masks` must be None'),
      ('too_few', nt_prune.MaskSamples(8, random.PRNGKey(0)), ValueError,
       r'`input_masks.count` must be at least 32'),
      ('not_a_count', nt_prune.MaskSamples(64.5, random.PRNGKey(0)),
       TypeError, r'`input_masks.count`'))
  def test_bad_input_masks(self, value, error, message):
    with self.assertRaisesRegex(error, message):
      nt_prune.serial(nt_prune.PrunedDense(8, sparsity=0.5),
                      input_masks=value)

  def test_not_a_layer(self):
    with self.assertRaisesRegex(TypeError, r'`layers\[1\]` must be an NT'):
      nt_prune.serial(stax.Dense(4), stax.Relu)


if __name__ == '__main__':
  absltest.main()
