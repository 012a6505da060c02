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

"""NT's tools work on pruned architectures unchanged."""

import os
import subprocess
import sys
import textwrap

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import mc_check
import models
import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')

_X = random.normal(random.PRNGKey(0), (8, 7))
_X_TEST = random.normal(random.PRNGKey(2), (4, 7))


def _assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
  jax.tree_util.tree_map(
      lambda u, v: np.testing.assert_allclose(u, v, rtol=rtol, atol=atol), a, b)


class MonteCarloKernelFnTest(parameterized.TestCase):

  @parameterized.parameters(('mlp', None), ('mlp', 'init'), ('cnn', None))
  def test_converges_to_kernel_fn(self, arch, rescale):
    build, x, width = ((models.mlp, _X, 256) if arch == 'mlp' else
                       (models.cnn, random.normal(random.PRNGKey(0),
                                                  (4, 4, 4, 2)), 64))
    n = 32
    init_fn, apply_fn, _ = build(width, sparsity=0.5, rescale=rescale)
    mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, random.PRNGKey(7), n,
                                  implementation=2)(x, None, ('nngp', 'ntk'))
    # Spread of single networks, for the tolerance (see mc_check).
    spread = mc_check.summarize(mc_check.per_network_kernels(
        init_fn, apply_fn, x, random.PRNGKey(8), n))
    kernels = {m: build(width, sparsity=0.5, rescale=m)[2](
        x, None, ('nngp', 'ntk')) for m in nt_prune.RESCALE_MODES}
    mc_check.assert_right_rule_only(self, mc._asdict(), spread, kernels,
                                    rescale, 3, width, 0.5)


# Batched diagonal blocks take NT's x1 != x2 path (float32 arc-cosines near
# correlation 1): plain stax models differ from unbatched ones by ~3e-5 too.
_BATCH_RTOL = 1e-3


class BatchTest(parameterized.TestCase):

  @parameterized.parameters(True, False)
  def test_batched_kernel_fn(self, store_on_device):
    _, _, kernel_fn = models.cnn(8, sparsity=0.5, rescale=None)
    x = random.normal(random.PRNGKey(0), (6, 4, 4, 2))
    want = kernel_fn(x, None, ('nngp', 'ntk'))
    got = nt.batch(kernel_fn, batch_size=2,
                   store_on_device=store_on_device)(x, None, ('nngp', 'ntk'))
    _assert_trees_close(got, want, rtol=_BATCH_RTOL)

  def test_batched_empirical_ntk(self):
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.9)
    _, params = init_fn(random.PRNGKey(1), _X.shape)
    ntk_fn = nt.empirical_ntk_fn(apply_fn)
    _assert_trees_close(nt.batch(ntk_fn, batch_size=4)(_X, None, params),
                        ntk_fn(_X, None, params), atol=1e-5)

  def test_batch_across_two_host_devices(self):
    script = textwrap.dedent('''
        import jax
        from jax import random
        import neural_tangents as nt
        import numpy as np
        import models
        assert jax.device_count() == 2, jax.devices()
        _, _, kernel_fn = models.mlp(8, sparsity=0.75, rescale='init')
        x = random.normal(random.PRNGKey(0), (8, 5))
        want = kernel_fn(x, None, ('nngp', 'ntk'))
        got = nt.batch(kernel_fn, batch_size=2, device_count=2)(
            x, None, ('nngp', 'ntk'))
        for a, b in zip(got, want):
          np.testing.assert_allclose(a, b, rtol=%g, atol=1e-6)
        print('OK on', jax.device_count(), 'devices')
    ''' % _BATCH_RTOL)
    env = dict(os.environ,
               XLA_FLAGS='--xla_force_host_platform_device_count=2',
               PYTHONPATH=os.pathsep.join(
                   [os.path.dirname(__file__)] + sys.path))
    out = subprocess.run([sys.executable, '-c', script], env=env,
                         capture_output=True, text=True, timeout=600)
    self.assertEqual(out.returncode, 0, out.stderr[-3000:])
    self.assertIn('OK on 2 devices', out.stdout)


class PredictTest(parameterized.TestCase):

  @parameterized.parameters('forward', 'init', None)
  def test_gradient_descent_mse_ensemble(self, rescale):
    _, _, kernel_fn = models.mlp(16, sparsity=0.75, rescale=rescale,
                                 out_dim=1)
    y = jnp.sin(_X.sum(1, keepdims=True))
    predict = nt.predict.gradient_descent_mse_ensemble(kernel_fn, _X, y,
                                                       diag_reg=1e-4)
    mean = predict(None, _X_TEST, 'ntk', compute_cov=False)
    # Infinite-time NTK regression written out.
    k_train = kernel_fn(_X, None, 'ntk')
    k_test = kernel_fn(_X_TEST, _X, 'ntk')
    reg = 1e-4 * jnp.trace(k_train) / k_train.shape[0]
    want = k_test @ jnp.linalg.solve(k_train + reg * jnp.eye(len(_X)), y)
    np.testing.assert_allclose(mean, want, rtol=1e-3, atol=1e-4)


class LinearizeTest(absltest.TestCase):

  def test_linearize(self):
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.75, rescale='init')
    _, params = init_fn(random.PRNGKey(1), _X.shape)
    f_lin = nt.linearize(apply_fn, params)
    np.testing.assert_allclose(f_lin(params, _X), apply_fn(params, _X),
                               rtol=1e-5, atol=1e-6)
    # A small step along kept weights: linear model agrees to first order.
    delta = jax.tree_util.tree_map(lambda p: 1e-3 * p, params)
    moved = jax.tree_util.tree_map(lambda p, d: p + d, params, delta)
    diff_lin = f_lin(moved, _X) - apply_fn(params, _X)
    diff = apply_fn(moved, _X) - apply_fn(params, _X)
    self.assertLess(float(jnp.linalg.norm(diff_lin - diff)),
                    0.05 * float(jnp.linalg.norm(diff)))
    # Pruned weights have no gradient in the linearized model either.
    grads = jax.grad(lambda p: f_lin(p, _X).sum())(params)
    for (W, _), (g, _) in zip(params[2::2], grads[2::2]):
      np.testing.assert_array_equal(g[~nt_prune.kept(W)], 0.)


class EmpiricalKernelFnTest(absltest.TestCase):

  def test_empirical_kernel_fn(self):
    init_fn, apply_fn, _ = models.cnn(8, sparsity=0.9, rescale=None)
    x = random.normal(random.PRNGKey(0), (3, 4, 4, 2))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    k = nt.empirical_kernel_fn(apply_fn)(x, None, ('nngp', 'ntk'), params)
    out = apply_fn(params, x)
    np.testing.assert_allclose(k.nngp, out @ out.T / out.shape[1],
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        k.ntk, nt.empirical_ntk_fn(apply_fn)(x, None, params), rtol=1e-5)


class CombinatorsTest(parameterized.TestCase):

  def _branches(self, sparsity, rescale, W_std=1.5):
    layer = lambda n: nt_prune.PrunedDense(n, W_std=W_std, b_std=0.1,
                                           sparsity=sparsity, rescale=rescale)
    return stax.serial(
        stax.Dense(16, W_std=1.5, b_std=0.1), stax.Relu(), stax.FanOut(2),
        stax.parallel(stax.serial(layer(16), stax.Relu()),
                      stax.serial(layer(16), stax.Erf())),
        stax.FanInConcat(), layer(16), stax.FanOut(2),
        stax.parallel(layer(16), stax.Identity()), stax.FanInSum(),
        stax.Relu(), layer(1))

  @parameterized.parameters('forward', None)
  def test_parallel_fanout(self, rescale):
    q = 0.25
    got = self._branches(1 - q, rescale)[2](_X, None, ('nngp', 'ntk'))
    W_std = 1.5 * (q**0.5 if rescale is None else 1.)
    want = self._branches(0., 'forward', W_std)[2](_X, None, ('nngp', 'ntk'))
    _assert_trees_close(got, want)
    init_fn, apply_fn, _ = self._branches(1 - q, rescale)
    _, params = init_fn(random.PRNGKey(0), _X.shape)
    self.assertEqual(apply_fn(params, _X).shape, (8, 1))

  def test_mask_constant(self):
    x = random.normal(random.PRNGKey(0), (4, 6, 3))
    x = x.at[0, 4:].set(-7.).at[2, 5:].set(-7.)
    def net(sparsity, W_std=1.5, rescale=None):
      return stax.serial(
          stax.Dense(8, W_std=1.5), stax.Relu(),
          nt_prune.PrunedDense(8, W_std=W_std, sparsity=sparsity,
                               rescale=rescale), stax.Relu(),
          stax.GlobalAvgPool(),
          nt_prune.PrunedDense(1, W_std=W_std, sparsity=sparsity,
                               rescale=rescale))
    q = 0.5
    got = net(1 - q)[2](x, None, 'ntk', mask_constant=-7.)
    want = net(0., 1.5 * q**0.5)[2](x, None, 'ntk', mask_constant=-7.)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    unmasked = net(1 - q)[2](x, None, 'ntk')
    self.assertGreater(float(jnp.abs(got - unmasked).max()), 1e-3)
    init_fn, apply_fn, _ = net(1 - q)
    _, params = init_fn(random.PRNGKey(0), x.shape)
    out = stax.unmask_fn(apply_fn)(params, x, mask_constant=-7.)
    self.assertEqual(out.shape, (4, 1))


if __name__ == '__main__':
  absltest.main()
