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

"""The places nt_prune touches NT internals (see `_nt_internals.py`)."""

from absl.testing import absltest
import jax
from jax import random
import neural_tangents as nt
from neural_tangents import stax
from neural_tangents._src.stax import requirements

import nt_prune
from nt_prune._src import _nt_internals

jax.config.update('jax_numpy_rank_promotion', 'raise')

_X = random.normal(random.PRNGKey(0), (3, 4, 4, 2))


class InputMarkerTest(absltest.TestCase):

  def test_pinned_nt_builds_input_kernels_with_is_input_false(self):
    # Why the marker exists: NT 0.6.5 itself never sets `is_input`. If this
    # fails, NT fixed it upstream and the marker can go.
    self.assertEqual(nt.__version__, '0.6.5')
    original = requirements._inputs_to_kernel.__wrapped__
    k = original(_X, None, diagonal_batch=True, diagonal_spatial=False,
                 compute_ntk=True, batch_axis=0, channel_axis=-1,
                 mask_constant=None)
    self.assertFalse(k.is_input)

  def test_installed_on_import_and_idempotent(self):
    self.assertTrue(_nt_internals.input_kernel_marker_installed())
    patched = requirements._inputs_to_kernel
    _nt_internals.install_input_kernel_marker()
    self.assertIs(requirements._inputs_to_kernel, patched)

  def test_is_input_propagates_like_nt_intends(self):
    get = 'is_input'
    self.assertTrue(stax.Identity()[2](_X, None, get))
    self.assertTrue(stax.Flatten()[2](_X, None, get))
    self.assertTrue(stax.AvgPool((2, 2))[2](_X, None, get))
    self.assertFalse(stax.Conv(4, (2, 2))[2](_X, None, get))
    self.assertFalse(stax.serial(stax.Flatten(), stax.Dense(4),
                                 stax.Relu())[2](_X, None, get))
    self.assertFalse(nt_prune.PrunedConv(4, (2, 2), sparsity=0.5,
                                         approximate_input_layer=True)[2](
                                             _X, None, get))

  def test_side_effect_nt_dropout_check_comes_alive(self):
    # Documented in README and CONTRIBUTING: NT's own check in Dropout.
    with self.assertRaisesRegex(ValueError, 'Dropout cannot be applied to '
                                'the input layer'):
      stax.serial(stax.Dropout(0.5, mode='train'), stax.Dense(4))[2](
          _X, None, 'nngp')
    stax.serial(stax.Dense(4), stax.Dropout(0.5, mode='train'))[2](
        _X, None, 'nngp')


def _fan_in(fan_in, first_is_input):
  hidden = stax.serial(stax.Conv(2, (1, 1)), stax.Relu())
  branches = (stax.Identity(), hidden) if first_is_input else (
      hidden, stax.Identity())
  return stax.serial(stax.FanOut(2), stax.parallel(*branches), fan_in())


class InputFlagRulesTest(absltest.TestCase):

  def test_pinned_nt_reads_branch_zero_only(self):
    # Why the rules exist: NT 0.6.5's own FanInConcat copies the flag of
    # branch 0, so the verdict depends on the order of the branches.
    original = stax.FanInConcat.__wrapped__
    for first_is_input in (True, False):
      hidden = stax.serial(stax.Conv(2, (1, 1)), stax.Relu())
      branches = (stax.Identity(), hidden) if first_is_input else (
          hidden, stax.Identity())
      net = stax.serial(stax.FanOut(2), stax.parallel(*branches), original())
      self.assertEqual(net[2](_X, None, 'is_input'), first_is_input)

  def test_installed_on_import_and_idempotent(self):
    self.assertTrue(_nt_internals.input_flag_rules_installed())
    patched = stax.FanInConcat
    _nt_internals.install_input_flag_rules()
    self.assertIs(stax.FanInConcat, patched)

  def test_rules(self):
    get = 'is_input'
    for first_is_input in (True, False):
      self.assertFalse(_fan_in(stax.FanInConcat, first_is_input)[2](
          _X, None, get))
      self.assertTrue(_fan_in(stax.FanInProd, first_is_input)[2](
          _X, None, get))
    both_inputs = stax.serial(stax.FanOut(2), stax.parallel(
        stax.Identity(), stax.Identity()), stax.FanInConcat())
    self.assertTrue(both_inputs[2](_X, None, get))
    # The flag the next layer sees (inside `serial`, layers get `Kernel`s).
    attention = stax.serial(stax.GlobalSelfAttention(4, 4, 4, 2),
                            stax.Identity())
    self.assertFalse(attention[2](_X.reshape((3, 8, 4)), None, get))
    self.assertTrue(stax.serial(stax.GlobalSelfAttention.__wrapped__(
        4, 4, 4, 2), stax.Identity())[2](_X.reshape((3, 8, 4)), None, get))

  def test_wrapped_layers_keep_nt_requirements(self):
    for name in ('FanInSum', 'FanInProd', 'FanInConcat'):
      wrapped = getattr(stax, name)()[2]
      original = getattr(stax, name).__wrapped__()[2]
      self.assertEqual(requirements.get_req(wrapped),
                       requirements.get_req(original))


class RequirementsTest(absltest.TestCase):

  def test_pruned_layer_declares_the_wrapped_layers_requirements(self):
    for constructor, args in ((stax.Dense, (4,)), (stax.Conv, (4, (2, 2))),
                              (stax.ConvTranspose, (4, (2, 2))),
                              (stax.ConvLocal, (4, (2, 2)))):
      dense = constructor(*args, channel_axis=1) if constructor is stax.Dense \
          else constructor(*args, dimension_numbers=('NCHW', 'OIHW', 'NCHW'))
      pruned = nt_prune.pruned(constructor, sparsity=0.5)
      pruned = pruned(*args, channel_axis=1) if constructor is stax.Dense \
          else pruned(*args, dimension_numbers=('NCHW', 'OIHW', 'NCHW'))
      self.assertEqual(requirements.get_req(pruned[2]),
                       requirements.get_req(dense[2]))
      self.assertEqual(_nt_internals.layer_requirements(dense[2]),
                       dict(requirements.get_req(dense[2])))

  def test_refuses_a_function_without_requirements(self):
    with self.assertRaisesRegex(TypeError, 'no neural-tangents input'):
      _nt_internals.layer_requirements(len)


if __name__ == '__main__':
  absltest.main()
