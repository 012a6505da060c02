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

"""Bad input is refused at construction with a clear, specific error."""

from absl.testing import absltest
from absl.testing import parameterized
import jax
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import flax as npf

jax.config.update('jax_numpy_rank_promotion', 'raise')


_SPARSITY = r'`sparsity` must be a real number in \[0, 1\) \(the probability'


class SparsityTest(parameterized.TestCase):

  @parameterized.parameters(1., 1, 1.5, -0.1, -1e-12, float('nan'),
                            float('inf'), np.float32(1.))
  def test_out_of_range(self, sparsity):
    with self.assertRaisesRegex(ValueError, rf'PrunedDense: {_SPARSITY}'):
      nt_prune.PrunedDense(8, sparsity=sparsity)

  @parameterized.parameters('0.5', True, False, ([0.5],), 1j)
  def test_not_a_number(self, sparsity):
    with self.assertRaisesRegex(TypeError, rf'PrunedConv: {_SPARSITY}'):
      nt_prune.PrunedConv(8, (3,), sparsity=sparsity)

  def test_none_is_only_for_n_by_m(self):
    with self.assertRaisesRegex(TypeError, r"PrunedConv: `sparsity` must be a "
                                r"real number in \[0, 1\) for "
                                r"mask='bernoulli', got None\."):
      nt_prune.PrunedConv(8, (3,), sparsity=None)

  def test_sparsity_is_required(self):
    with self.assertRaisesRegex(TypeError, 'sparsity'):
      nt_prune.PrunedDense(8)  # pytype: disable=missing-parameter

  @parameterized.parameters(0, 0., 0.5, np.float32(0.25), 0.999)
  def test_accepted(self, sparsity):
    nt_prune.PrunedDense(8, sparsity=sparsity)
    nt_prune.PrunedConv(8, (3, 3), sparsity=sparsity)


class RescaleTest(parameterized.TestCase):

  @parameterized.parameters('Forward', 'none', 'None', 'both', 1, True, '')
  def test_unknown(self, rescale):
    with self.assertRaisesRegex(
        ValueError, r"PrunedDense: `rescale` must be one of \('forward', "
        rf"'init', None\), got {rescale!r}\."):
      nt_prune.PrunedDense(8, sparsity=0.5, rescale=rescale)

  @parameterized.parameters('forward', 'init', None)
  def test_accepted(self, rescale):
    nt_prune.PrunedDense(8, sparsity=0.5, rescale=rescale)


def _both_layers(**kwargs):
  """Builds PrunedDense and PrunedConv with `kwargs`, one after the other."""
  return (lambda: nt_prune.PrunedDense(8, sparsity=0.5, **kwargs),
          lambda: nt_prune.PrunedConv(8, (2,), sparsity=0.5, **kwargs))


class LayerArgumentsTest(parameterized.TestCase):

  @parameterized.parameters('NTK', 'Standard')
  def test_parameterization_case_insensitive_like_nt(self, p):
    nt_prune.PrunedDense(8, parameterization=p, sparsity=0.5)

  @parameterized.parameters(('foo', ValueError), ('mup', ValueError),
                            (None, TypeError), (1, TypeError))
  def test_unknown_parameterization(self, p, error):
    for layer, name in zip(_both_layers(parameterization=p),
                           ('PrunedDense', 'PrunedConv')):
      with self.assertRaisesRegex(
          error, rf"{name}: `parameterization` must be one of \('ntk', "
          rf"'standard'\) \(any case, as in NT\), got {p!r}\."):
        layer()

  @parameterized.parameters((0, ValueError), (-3, ValueError),
                            (2.5, TypeError), ('8', TypeError),
                            (None, TypeError))
  def test_bad_width(self, width, error):
    with self.assertRaisesRegex(error, r'PrunedDense: `out_dim` must be '
                                rf'a positive integer, got {width!r}\.'):
      nt_prune.PrunedDense(width, sparsity=0.5)
    with self.assertRaisesRegex(error, r'PrunedConv: `out_chan` must be '
                                rf'a positive integer, got {width!r}\.'):
      nt_prune.PrunedConv(width, (3,), sparsity=0.5)

  @parameterized.parameters((-1., ValueError), (float('nan'), ValueError),
                            (float('inf'), ValueError), ('1', TypeError),
                            (None, TypeError))
  def test_bad_W_std(self, w_std, error):
    for layer in _both_layers(W_std=w_std):
      with self.assertRaisesRegex(error, r'Pruned(Dense|Conv): `W_std` must '
                                  r'be a finite real number >= 0'):
        layer()

  @parameterized.parameters((-1., ValueError), (float('nan'), ValueError),
                            ('0.1', TypeError))
  def test_bad_b_std(self, b_std, error):
    for layer in _both_layers(b_std=b_std):
      with self.assertRaisesRegex(error, r'Pruned(Dense|Conv): `b_std` must '
                                  r'be None or a finite real number >= 0'):
        layer()

  def test_unknown_argument(self):
    with self.assertRaisesRegex(TypeError, r'PrunedDense: .*W_sd'):
      nt_prune.pruned(stax.Dense, sparsity=0.5)(8, W_sd=1.)

  @parameterized.parameters(('REFLECT', ValueError), ('valid', ValueError),
                            (None, TypeError), (1, TypeError))
  def test_bad_padding_lists_the_allowed_values(self, padding, error):
    with self.assertRaisesRegex(
        error, r"PrunedConv: `padding` must be one of \('VALID', 'SAME', "
        rf"'CIRCULAR'\), got {padding!r}\."):
      nt_prune.PrunedConv(8, (3,), padding=padding, sparsity=0.5)

  def test_bad_opt_in(self):
    with self.assertRaisesRegex(TypeError, r'PrunedDense: '
                                r'`approximate_input_layer` must be True or '
                                r"False, got 'yes'\."):
      nt_prune.PrunedDense(8, sparsity=0.5, approximate_input_layer='yes')

  def test_inputs_without_features_are_refused(self):
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `input_shape` must '
                                r'be a shape with no zero-size axis but the '
                                r'batch axis .*, got \(3, 0\)\.'):
      nt_prune.PrunedDense(8, sparsity=0.5)[0](jax.random.PRNGKey(0), (3, 0))
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `x` must be inputs '
                                r'with at least one feature'):
      npf.PrunedDense(8, sparsity=0.5).init(jax.random.PRNGKey(0),
                                            np.ones((3, 0)))

  def test_numpy_bools_are_bools(self):
    # As numpy scalars are numbers elsewhere: the opt-in takes `np.bool_`.
    kernel_fn = nt_prune.PrunedDense(
        8, sparsity=0.5, approximate_input_layer=np.bool_(True))[2]
    self.assertEqual(kernel_fn(np.ones((2, 3)), None, 'nngp').shape, (2, 2))


class CombinatorTest(parameterized.TestCase):

  @parameterized.parameters(
      (c,) for c in (stax.Relu, stax.serial, stax.AvgPool,
                     stax.GlobalSelfAttention, len, [stax.Dense], {}))
  def test_refuses_other_constructors(self, constructor):
    # Unhashable ones too (a list, a dict), with the same message.
    with self.assertRaisesRegex(
        TypeError, r'pruned: `constructor` must be one of the neural-tangents '
        r'weight layers stax.Dense, stax.Conv, stax.ConvTranspose, '
        r'stax.ConvLocal, got '):
      nt_prune.pruned(constructor, sparsity=0.5)

  def test_refuses_a_built_layer(self):
    with self.assertRaisesRegex(
        TypeError, r'stax.ConvLocal, not a built layer \(init_fn, apply_fn, '
        r'kernel_fn\): pass the constructor itself, as in .*, got '
        r'\(<function '):
      nt_prune.pruned(stax.Dense(8), sparsity=0.5)

  def test_signature_and_name(self):
    import inspect  # pylint: disable=g-import-not-at-top
    layer = nt_prune.pruned(stax.Conv, sparsity=0.5)
    self.assertEqual(inspect.signature(layer), inspect.signature(stax.Conv))
    self.assertEqual(layer(8, (3,))[0].__name__, 'PrunedConv')


if __name__ == '__main__':
  absltest.main()
