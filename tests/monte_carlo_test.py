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

"""Finite pruned networks converge to `kernel_fn`, and wrong rules do not.

For every architecture, parameterization and rescale mode (all their
combinations), and every bias, sparsity and activation (each level with
each level of every other factor: a pairwise covering design, `_covering`
and `_LAW_CASES`, instead of the full product, which cost a third of CI's
time; the rule itself is derived and checked exactly over the full product
in `kernel_rule_test`),
the empirical NNGP and NTK of `N_NETWORKS` independently initialized finite
networks (fresh weights and masks each) are averaged and compared with the
analytic kernel, with the tolerance of `mc_check` (from sample count and
width). Negative control in the same test: the kernels of the two other
rescale rules (e.g. forgetting the `q` factor, or applying it to the gradient
term only) must be rejected by the same tolerance wherever they differ from
the right one.
"""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import random
from neural_tangents import stax

import mc_check
import models
import nt_prune
from nt_prune import RESCALE_MODES

jax.config.update('jax_numpy_rank_promotion', 'raise')

N_NETWORKS = 32
MLP_WIDTH = 256
CNN_WIDTH = 64
HIDDEN_LAYERS = 3  # Both architectures have three hidden weight layers.

_PRIMARY = [dict(parameterization=p, rescale=r)
            for p in ('ntk', 'standard') for r in RESCALE_MODES]


def _covering(**secondary):
  """Every primary case twice, with complementary levels of two-level factors.

  Case `k` of `_PRIMARY` takes the `k % 2**(n - 1)`-th pair of complementary
  level choices of the `n` secondary factors: each primary case meets both
  levels of each secondary factor, and the pairs, cycled over the six
  primary cases, meet every pair of levels of any two secondary factors.
  """
  names = list(secondary)
  n_pairs = 2**(len(names) - 1)
  cases = []
  for k, primary in enumerate(_PRIMARY):
    bits = [(k % n_pairs) >> i & 1 for i in range(len(names))]
    for flip in (0, 1):
      cases.append({**primary, **{name: secondary[name][b ^ flip]
                                  for name, b in zip(names, bits)}})
  return cases


class MonteCarloTest(parameterized.TestCase):

  def _check(self, build, width, x, keep_prob=None, **config):
    init_fn, apply_fn, _ = build(width, **config)
    samples = mc_check.per_network_kernels(init_fn, apply_fn, x,
                                           random.PRNGKey(1), N_NETWORKS)
    result = mc_check.summarize(samples)
    kernels = {
        mode: build(width, **{**config, 'rescale': mode})[2](
            x, None, ('nngp', 'ntk')) for mode in RESCALE_MODES}
    mc_check.assert_right_rule_only(
        self, result.mean, result, kernels, config['rescale'], HIDDEN_LAYERS,
        width, keep_prob or 1. - config['sparsity'])

  @parameterized.parameters(*_covering(activation=[stax.Relu, stax.Erf],
                                       b_std=[0.1, None], sparsity=[0.5, 0.9]))
  def test_mlp(self, activation, **config):
    x = random.normal(random.PRNGKey(0), (6, 7))
    self._check(models.mlp, MLP_WIDTH, x, activation=activation, **config)

  @parameterized.parameters(*_covering(b_std=[0.1, None],
                                       sparsity=[0.5, 0.9]))
  def test_cnn(self, **config):
    x = random.normal(random.PRNGKey(0), (4, 4, 4, 2))
    self._check(models.cnn, CNN_WIDTH, x, **config)


  @parameterized.product(constructor=[stax.ConvTranspose, stax.ConvLocal],
                         rescale=['init', None],
                         parameterization=['ntk', 'standard'])
  def test_other_conv_layers(self, constructor, **config):
    # The rule carries over to NT's other weight layers: check it too.
    def build(width, *, rescale, parameterization, sparsity=0.5):
      common = dict(W_std=1.5, b_std=0.1, parameterization=parameterization)
      layer = nt_prune.pruned(constructor, sparsity=sparsity, rescale=rescale)
      return stax.serial(
          stax.Conv(width, (2, 2), **common), stax.Relu(),
          layer(width, (2, 2), **common), stax.Relu(),
          layer(width, (2, 2), **common), stax.Relu(),
          stax.Flatten(),
          nt_prune.PrunedDense(8, sparsity=sparsity, rescale=rescale,
                               **common))
    x = random.normal(random.PRNGKey(0), (4, 4, 4, 2))
    self._check(build, CNN_WIDTH, x, sparsity=0.5, **config)


# Every law but Bernoulli, at a sparsity that each can reach exactly.
_LAWS = {'exact': ('exact', 0.9), 'fan_in': ('fan_in', 0.9),
         'n_by_m': (nt_prune.NByM(1, 4), None)}
# Every law with every rescale mode; the parameterization alternates, so that
# each law and each rescale mode meets both.
_LAW_CASES = [dict(law=law, rescale=rescale,
                   parameterization=('ntk', 'standard')[(i + j) % 2])
              for i, law in enumerate(_LAWS)
              for j, rescale in enumerate(RESCALE_MODES)]


class MaskLawsMonteCarloTest(parameterized.TestCase):
  """Every mask law converges to the Bernoulli rule with q the kept fraction."""

  _check = MonteCarloTest._check

  @parameterized.parameters(*_LAW_CASES)
  def test_mlp_law(self, law, **config):
    mask, sparsity = _LAWS[law]
    x = random.normal(random.PRNGKey(0), (6, 7))
    self._check(models.mlp, MLP_WIDTH, x, mask=mask, sparsity=sparsity,
                keep_prob=1. - (sparsity or 0.75), **config)

  @parameterized.parameters(*_LAW_CASES)
  def test_cnn_law(self, law, **config):
    mask, sparsity = _LAWS[law]
    x = random.normal(random.PRNGKey(0), (4, 4, 4, 2))
    self._check(models.cnn, CNN_WIDTH, x, mask=mask, sparsity=sparsity,
                keep_prob=1. - (sparsity or 0.75), **config)


if __name__ == '__main__':
  absltest.main()
