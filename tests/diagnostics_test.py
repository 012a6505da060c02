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

"""Finite-width diagnostics on small, fast cases."""

from absl.testing import absltest
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import diagnostics
import mc_check
import models

jax.config.update('jax_numpy_rank_promotion', 'raise')

_X = random.normal(random.PRNGKey(0), (5, 6))


def _build(width, sparsity, rescale='forward'):
  return models.mlp(width, sparsity=sparsity, rescale=rescale, b_std=None,
                    depth=2, out_dim=4)


class KernelConvergenceTest(absltest.TestCase):

  def test_error_decreases_with_width(self):
    # 1/sqrt(width) scaling: each 4x in width halves the error, far beyond
    # the spread of 8 networks.
    points = diagnostics.kernel_convergence(
        _build, _X, widths=[16, 64, 256], sparsities=[0., 0.75],
        n_networks=8, key=random.PRNGKey(1), progress=None)
    for sparsity in (0., 0.75):
      errs = [p.ntk_rel_err_mean for p in points if p.sparsity == sparsity]
      self.assertLess(errs[1], errs[0])
      self.assertLess(errs[2], errs[1])

  def test_pruned_network_is_farther_from_its_limit(self):
    # Effective width: at the same width, sparsity 0.9 (width * q = 25.6) is
    # farther from its limit than the dense network. The difference of the
    # means must exceed Z_STAT standard errors of that difference, so a
    # sparsity that did not matter would fail.
    dense, pruned = diagnostics.kernel_convergence(
        _build, _X, widths=[256], sparsities=[0., 0.9], n_networks=32,
        key=random.PRNGKey(2), progress=None)
    sem = np.hypot(dense.ntk_rel_err_sem, pruned.ntk_rel_err_sem)
    self.assertGreater(pruned.ntk_rel_err_mean - dense.ntk_rel_err_mean,
                       mc_check.Z_STAT * sem)

  def test_sparsity_zero_matches_a_direct_computation(self):
    key = random.PRNGKey(3)
    (point,) = diagnostics.kernel_convergence(
        lambda w, s: stax.serial(stax.Dense(w), stax.Relu(), stax.Dense(4)),
        _X, [32], [0.], 3, key, progress=None)
    init_fn, apply_fn, kernel_fn = stax.serial(stax.Dense(32), stax.Relu(),
                                               stax.Dense(4))
    limit = kernel_fn(_X, None, ('nngp', 'ntk'))
    ntk_errs, nngp_errs = [], []
    for i in range(3):
      _, params = init_fn(random.fold_in(key, i), _X.shape)
      ntk = nt.empirical_ntk_fn(apply_fn)(_X, None, params)
      f = apply_fn(params, _X)
      ntk_errs.append(float(jnp.linalg.norm(ntk - limit.ntk) /
                            jnp.linalg.norm(limit.ntk)))
      nngp_errs.append(float(jnp.linalg.norm(f @ f.T / 4 - limit.nngp) /
                             jnp.linalg.norm(limit.nngp)))
    self.assertAlmostEqual(point.ntk_rel_err_mean, np.mean(ntk_errs), 5)
    self.assertAlmostEqual(point.ntk_rel_err_std, np.std(ntk_errs, ddof=1), 5)
    self.assertAlmostEqual(point.ntk_rel_err_sem,
                           np.std(ntk_errs, ddof=1) / np.sqrt(3), 5)
    self.assertAlmostEqual(point.nngp_rel_err_mean, np.mean(nngp_errs), 5)

  def test_rescales_and_csv_round_trip(self):
    points = diagnostics.kernel_convergence(
        _build, _X, [16], [0.5], 2, random.PRNGKey(0),
        rescales=['forward', 'init', None], implementation=2, progress=None)
    self.assertEqual([p.rescale for p in points], ['forward', 'init', None])
    text = diagnostics.to_csv(points)
    self.assertEqual(text.splitlines()[0].split(','),
                     list(diagnostics.CSV_COLUMNS))
    self.assertEqual(diagnostics.from_csv(text), points)

  def test_mask_laws_are_a_dimension(self):
    def build(width, sparsity, rescale, mask):
      return models.mlp(width, sparsity=sparsity, rescale=rescale, mask=mask,
                        b_std=None, depth=2, out_dim=4)
    points = diagnostics.kernel_convergence(
        build, _X, [16], [0.5], 2, random.PRNGKey(0), rescales=[None],
        masks=['exact', nt_prune.NByM(1, 2)], progress=None)
    self.assertEqual([p.mask for p in points], ['exact', 'n:m=1:2'])
    self.assertEqual(diagnostics.from_csv(diagnostics.to_csv(points)), points)

  def test_needs_two_networks(self):
    with self.assertRaisesRegex(ValueError, r'kernel_convergence: '
                                r'`n_networks` must be an integer >= 2'):
      diagnostics.kernel_convergence(_build, _X, [8], [0.], 1,
                                     random.PRNGKey(0))


class FitHelpersTest(absltest.TestCase):

  def test_slope(self):
    w = np.array([64., 128., 256., 512.])
    self.assertAlmostEqual(diagnostics.loglog_slope(w, 3. * w**-0.5), -0.5)

  def test_multiplier_recovers_a_known_factor(self):
    w = np.geomspace(32, 4096, 8)
    for q in (0.5, 0.25, 0.1):
      dense = 2. * w**-0.5
      pruned = 2. * (w * q)**-0.5  # Effective width w * q.
      self.assertAlmostEqual(diagnostics.width_multiplier(w, dense, pruned),
                             1 / q, places=6)
    # A pruned curve that never reaches the dense errors: no estimate.
    self.assertTrue(np.isnan(diagnostics.width_multiplier(
        w[:2], 2. * w[:2]**-0.5, 2. * (w[:2] * 0.01)**-0.5)))


if __name__ == '__main__':
  absltest.main()
