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

"""Per-layer sparsities for a global one: ERK by hand, uniform, refusals."""

from absl.testing import absltest
import jax
import numpy as np

import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')


class LayerSparsitiesTest(absltest.TestCase):

  def test_erk_by_hand(self):
    # LeNet-300-100 at 0.9. Z = floor(0.9 N) = 211680, 27000, 900 zeros;
    # r = sum / prod = 1084/235200, 400/30000, 110/1000. First pass:
    # eps = (23520 + 3000 + 100) / (1084 + 400 + 110) = 16.70, and
    # 0.11 * 16.70 > 1: the last layer is dense. Second pass:
    # eps = (23520 + 3000 - 900) / (1084 + 400) = 25620 / 1484.
    eps = 25620 / 1484
    want = [1 - eps * 1084 / 235200, 1 - eps * 400 / 30000, 0.]
    got = nt_prune.layer_sparsities([(784, 300), (300, 100), (100, 10)], 0.9)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    self.assertAlmostEqual(nt_prune.global_sparsity(
        [(784, 300), (300, 100), (100, 10)], got), 0.9, places=6)

  def test_erk_convolutions_use_every_axis(self):
    shapes = [(3, 3, 16, 32), (3, 3, 32, 32)]
    got = nt_prune.layer_sparsities(shapes, 0.8)
    # Kept: N - floor(0.8 N) = 4608 - 3686 and 9216 - 7372; r = 54 / 4608
    # and 70 / 9216; neither density exceeds 1.
    eps = (922 + 1844) / (54 + 70)
    np.testing.assert_allclose(got, [1 - eps * 54 / 4608, 1 - eps * 70 / 9216],
                               rtol=1e-12)

  def test_uniform(self):
    self.assertEqual(nt_prune.layer_sparsities([(4, 4), (4, 2)], 0.5,
                                               'uniform'), [0.5, 0.5])

  def test_bad_input(self):
    with self.assertRaisesRegex(ValueError, r"layer_sparsities: "
                                r"`distribution` must be one of \('uniform', "
                                r"'erk'\), got 'er'"):
      nt_prune.layer_sparsities([(4, 4)], 0.5, 'er')
    with self.assertRaisesRegex(ValueError, r'layer_sparsities: `sparsity` '
                                r'must be a real number in \[0, 1\)'):
      nt_prune.layer_sparsities([(4, 4)], 1.)
    with self.assertRaisesRegex(ValueError, r'layer_sparsities: `shapes\[1\]` '
                                r'must be a non-empty sequence of positive'):
      nt_prune.layer_sparsities([(4, 4), (0, 3)], 0.5)


if __name__ == '__main__':
  absltest.main()
