# Copyright 2026 Google LLC.
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

"""Tests for `Kernel.is_input` (`neural_tangents/_src/stax/requirements.py`).

The kernel of the raw inputs is marked `is_input=True`; a layer with weights
resets the flag, parameter-free layers carry it, and `Dropout(mode='train')`
refuses the input layer, as its code intends.
"""

from absl.testing import absltest
from absl.testing import parameterized
from jax import config
from jax import random
from neural_tangents import stax
from tests import test_utils


config.parse_flags_with_absl()
config.update('jax_numpy_rank_promotion', 'raise')


def _is_input(layer, x) -> bool:
  """`is_input` of the kernel `layer` outputs on inputs `x`."""
  return stax.serial(layer, stax.Identity())[2](x, None).is_input


class IsInputTest(test_utils.NeuralTangentsTestCase):

  def setUp(self):
    super().setUp()
    self.x = random.normal(random.PRNGKey(1), (3, 4))
    self.images = random.normal(random.PRNGKey(2), (2, 5, 5, 3))

  def test_the_inputs_kernel_is_marked(self):
    self.assertTrue(_is_input(stax.Identity(), self.x))

  @parameterized.named_parameters(
      ('flatten', stax.Flatten()), ('avg_pool', stax.AvgPool((2, 2))),
      ('fan_out_in', stax.serial(stax.FanOut(2), stax.FanInConcat())))
  def test_parameter_free_layers_carry_it(self, layer):
    # (Nonlinearities refuse the raw inputs: they are not Gaussian.)
    self.assertTrue(_is_input(layer, self.images))

  @parameterized.named_parameters(
      ('dense', stax.Dense(8), False),
      ('conv', stax.Conv(8, (3, 3)), True))
  def test_weight_layers_reset_it(self, layer, images):
    self.assertFalse(_is_input(layer, self.images if images else self.x))

  def test_dropout_refuses_the_input_layer(self):
    _, _, kernel_fn = stax.serial(stax.Dropout(0.5, mode='train'),
                                  stax.Dense(1))
    with self.assertRaisesRegex(ValueError, 'input layer'):
      kernel_fn(self.x, None, 'nngp')

  def test_dropout_after_a_weight_layer_is_unchanged(self):
    _, _, kernel_fn = stax.serial(
        stax.Dense(8), stax.Dropout(0.5, mode='train'), stax.Dense(1))
    self.assertEqual(kernel_fn(self.x, None, 'nngp').shape, (3, 3))


if __name__ == '__main__':
  absltest.main()
