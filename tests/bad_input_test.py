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

"""Every input the API fuzz found silently accepted or crashing, refused.

Each case pins the message: `<where>: `<argument>` must be <allowed>, got
<value>.` (see `nt_prune/_src/validation.py`). The optimizer, cancellation and
raw-input cases of the same fuzz are in `masking_test`, `mask_keeping_test`,
`kernel_rule_test` and `input_layer_test`.
"""

import re

from absl.testing import absltest
from absl.testing import parameterized
import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import diagnostics
from nt_prune import flax as npf

jax.config.update('jax_numpy_rank_promotion', 'raise')

_X = random.normal(random.PRNGKey(0), (3, 5))
_IMG = random.normal(random.PRNGKey(0), (2, 5, 5, 3))


class KeptTest(absltest.TestCase):

  def test_a_list_is_read_as_an_array(self):
    np.testing.assert_array_equal(nt_prune.kept([0., 1.]), [False, True])


class ConstructionTest(parameterized.TestCase):

  @parameterized.parameters(((1, 0), ValueError), ((-1, 1), ValueError),
                            ((1,), ValueError), ((1, 1, 1), ValueError),
                            ('ab', TypeError), ((1.5, 1), TypeError),
                            (None, TypeError))
  def test_s(self, s, error):
    with self.assertRaisesRegex(error, r'PrunedDense: `s` must be a length-2 '
                                rf'sequence of positive integers, got '
                                rf'{re.escape(repr(s))}\.'):
      nt_prune.PrunedDense(4, s=s, sparsity=0.5)

  @parameterized.parameters(((0, 2), ValueError), ((-1, 2), ValueError),
                            ((), ValueError), ('ab', TypeError),
                            ((2., 1), TypeError), (None, TypeError))
  def test_filter_shape(self, filter_shape, error):
    with self.assertRaisesRegex(error, r'PrunedConv: `filter_shape` must be a '
                                r'non-empty sequence of positive integers'):
      nt_prune.PrunedConv(4, filter_shape, sparsity=0.5)

  @parameterized.parameters(((0, 1), ValueError), ((-1, 1), ValueError),
                            ((1,), ValueError), ((1, 1, 1), ValueError),
                            ('ab', TypeError))
  def test_strides(self, strides, error):
    with self.assertRaisesRegex(error, r'PrunedConv: `strides` must be a '
                                r'length-2 sequence of positive integers'):
      nt_prune.PrunedConv(4, (2, 2), strides, sparsity=0.5)

  @parameterized.parameters(
      (('NHWC', 'HWIO'), TypeError), ('NHWC', TypeError),
      (('NHWC', 'HWIO', 'NHW'), ValueError),
      (('NHWN', 'HWIO', 'NHWC'), ValueError),
      (('NHWC', 'HWIC', 'NHWC'), ValueError),
      (('NHWC', 'HXIO', 'NHWC'), ValueError))
  def test_dimension_numbers(self, dimension_numbers, error):
    with self.assertRaisesRegex(error, r'PrunedConv: `dimension_numbers` must '
                                r'be None or three strings'):
      nt_prune.PrunedConv(4, (2, 2), dimension_numbers=dimension_numbers,
                          sparsity=0.5)

  def test_good_dimension_numbers(self):
    init_fn, apply_fn, _ = nt_prune.PrunedConv(
        4, (2, 2), dimension_numbers=('NCHW', 'OIHW', 'NCHW'), sparsity=0.5)
    x = jnp.moveaxis(_IMG, -1, 1)
    _, params = init_fn(random.PRNGKey(0), x.shape)
    self.assertEqual(apply_fn(params, x).shape, (2, 4, 4, 4))

  @parameterized.parameters(('0', 'batch_axis', TypeError, 'an integer'),
                            (1.5, 'batch_axis', TypeError, 'an integer'))
  def test_batch_axis(self, value, name, error, allowed):
    with self.assertRaisesRegex(error, rf'PrunedDense: `{name}` must be '
                                rf'{allowed}'):
      nt_prune.PrunedDense(4, batch_axis=value, sparsity=0.5)

  def test_axes_must_differ(self):
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `channel_axis` '
                                r'must be an axis other than `batch_axis` '
                                r'\(0\), got 0\.'):
      nt_prune.PrunedDense(4, batch_axis=0, channel_axis=0, sparsity=0.5)

  def test_axes_must_differ_on_the_inputs(self):
    init_fn = nt_prune.PrunedDense(4, batch_axis=1, channel_axis=-1,
                                   sparsity=0.5)[0]
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `channel_axis` '
                                r'must be an axis other than `batch_axis` '
                                r'\(1\) of the 2-dimensional inputs'):
      init_fn(random.PRNGKey(0), _X.shape)

  def test_axis_out_of_range(self):
    init_fn = nt_prune.PrunedDense(4, channel_axis=3, sparsity=0.5)[0]
    with self.assertRaisesRegex(ValueError, r'PrunedDense: `channel_axis` '
                                r'must be an axis of the 2-dimensional inputs '
                                r'\(shape \(3, 5\)\), got 3\.'):
      init_fn(random.PRNGKey(0), _X.shape)

  def test_filter_shape_must_fit_the_inputs(self):
    init_fn = nt_prune.PrunedConv(4, (2,), sparsity=0.5)[0]
    with self.assertRaisesRegex(ValueError, r'PrunedConv: `filter_shape` '
                                r'must be of length 2 for inputs of shape '
                                r'\(2, 5, 5, 3\)'):
      init_fn(random.PRNGKey(0), _IMG.shape)


class ApplyParamsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.init_fn, self.apply_fn, _ = nt_prune.PrunedDense(4, b_std=0.1,
                                                          sparsity=0.5)
    _, self.params = self.init_fn(random.PRNGKey(0), _X.shape)

  def _refused(self, params, error=ValueError):
    with self.assertRaisesRegex(
        error, r'PrunedDense: `params` must be the layer\'s \(W, b\) pair '
        r'for inputs of shape \(3, 5\): W of shape \(5, 4\) and b of shape '
        r'\(1, 4\)'):
      self.apply_fn(params, _X)

  def test_own_parameters_run(self):
    self.assertEqual(self.apply_fn(self.params, _X).shape, (3, 4))

  def test_another_layers_parameters(self):
    _, other = nt_prune.PrunedDense(6, b_std=0.1, sparsity=0.5)[0](
        random.PRNGKey(0), _X.shape)
    self._refused(other)

  def test_no_bias_for_a_layer_with_one(self):
    self._refused((self.params[0], None))

  def test_per_example_bias(self):
    self._refused((self.params[0], jnp.ones((3, 4))))

  def test_not_a_pair(self):
    self._refused(self.params[0], TypeError)
    self._refused([self.params], TypeError)

  def test_a_bias_for_a_layer_without_one(self):
    init_fn, apply_fn, _ = nt_prune.PrunedDense(4, sparsity=0.5)
    _, (W, _) = init_fn(random.PRNGKey(0), _X.shape)
    with self.assertRaisesRegex(ValueError, r'W of shape \(5, 4\) and b None'):
      apply_fn((W, jnp.ones((1, 4))), _X)


def _build(width, sparsity, rescale='forward'):
  return stax.serial(stax.Dense(width), stax.Relu(),
                     nt_prune.PrunedDense(2, sparsity=sparsity,
                                          rescale=rescale))


class DiagnosticsTest(parameterized.TestCase):

  def test_generators_are_read_once_and_every_point_is_kept(self):
    points = diagnostics.kernel_convergence(
        _build, _X, (w for w in (4, 8)), (s for s in (0., 0.5)), 2,
        random.PRNGKey(0), rescales=(r for r in ('forward', None)),
        progress=None)
    self.assertEqual([(p.rescale, p.sparsity, p.width) for p in points],
                     [(r, s, w) for r in ('forward', None) for s in (0., 0.5)
                      for w in (4, 8)])

  def test_a_consumed_generator_is_refused(self):
    widths = (w for w in (4, 8))
    list(widths)
    with self.assertRaisesRegex(ValueError, r'kernel_convergence: `widths` '
                                r'must be a non-empty sequence \(an iterator '
                                r'is read once'):
      diagnostics.kernel_convergence(_build, _X, widths, [0.], 2,
                                     random.PRNGKey(0))

  @parameterized.parameters(
      ('widths', [0], ValueError, r'`widths\[0\]` must be a positive integer'),
      ('widths', ['8'], TypeError, r'`widths\[0\]` must be a positive '),
      ('sparsities', [0.5, 1.5], ValueError, r'`sparsities\[1\]` must be a '
       r'real number in \[0, 1\)'),
      ('rescales', ['bogus'], ValueError, r"`rescales\[0\]` must be one of"),
      ('n_networks', -3, ValueError, r'`n_networks` must be a positive '),
      ('n_networks', 1, ValueError, r'`n_networks` must be an integer >= 2'),
      ('implementation', 7, ValueError, r'`implementation` must be None or '
       r"one of NT's \[0, 1, 2, 3\]"),
      ('progress', 'yes', TypeError, r'`progress` must be None or a '
       r'function'))
  def test_kernel_convergence_arguments(self, name, value, error, message):
    kwargs = dict(build=_build, x=_X, widths=[4], sparsities=[0.],
                  n_networks=2, key=random.PRNGKey(0), progress=None,
                  rescales=['forward'])
    kwargs[name] = value
    with self.assertRaisesRegex(error, 'kernel_convergence: ' + message):
      diagnostics.kernel_convergence(**kwargs)

  def test_width_multiplier_lengths_must_match(self):
    with self.assertRaisesRegex(ValueError, r'width_multiplier: '
                                r'`pruned_errors` must be of the length of '
                                r'`widths` \(4\), got \[0\.56, 0\.4, 0\.28\]'):
      diagnostics.width_multiplier([64, 128, 256, 512], [.4, .28, .2, .14],
                                   [.56, .4, .28])

  @parameterized.parameters(([64, -128], [.4, .3], 'widths'),
                            ([64, 128], [.4, 0.], 'errors'),
                            ([64, 128], [.4, float('nan')], 'errors'))
  def test_non_positive_values(self, widths, errors, name):
    with self.assertRaisesRegex(ValueError, rf'loglog_slope: `{name}` must '
                                r'be a sequence of positive finite'):
      diagnostics.loglog_slope(widths, errors)

  @parameterized.parameters(([64], [.3]), ([64, 64], [.3, .2]))
  def test_slope_needs_two_widths(self, widths, errors):
    with self.assertRaisesRegex(ValueError, r'loglog_slope: `widths` must be '
                                r'at least two distinct widths'):
      diagnostics.loglog_slope(widths, errors)

  @parameterized.parameters('', 'hello world', 'width,sparsity\n1,2\n')
  def test_csv_without_the_header(self, text):
    with self.assertRaisesRegex(ValueError, r'from_csv: `text` must be CSV '
                                r'text whose first row is the header '
                                r'width,sparsity,rescale'):
      diagnostics.from_csv(text)

  @parameterized.parameters(
      ('0.5,none', '1.5,none', r'\(row 2\): `sparsity` must be a real number '
       r'in \[0, 1\)'),
      ('0.5,none', '0.5,bogus', r"\(row 2\): `rescale` must be one of"),
      ('none,4', 'none,-3', r'\(row 2\): `n_networks` must be a positive '),
      ('none,4', 'none,x', r"\(row 2\): `n_networks` must be an integer, got "
       r"'x'"),
      ('64,', 'wide,', r"\(row 2\): `width` must be an integer, got 'wide'"),
      (',0.1,', ',-0.1,', r'\(row 2\): `ntk_rel_err_mean` must be a finite '
       r'real number >= 0'))
  def test_csv_cells(self, old, new, message):
    text = diagnostics.to_csv([diagnostics.ConvergencePoint(
        64, 0.5, None, 4, .1, .01, .005, .2, .02, .01)])
    self.assertIn(old, text)
    with self.assertRaisesRegex(ValueError, 'from_csv ' + message):
      diagnostics.from_csv(text.replace(old, new))

  def test_csv_row_length(self):
    text = diagnostics.to_csv([]) + '1,2\n'
    with self.assertRaisesRegex(ValueError, r'from_csv \(row 2\): `row` must '
                                r'be 11 cells'):
      diagnostics.from_csv(text)


class FlaxBridgeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.model = nn.Sequential([
        npf.PrunedDense(8, sparsity=0., b_std=0.1), nn.relu,
        npf.PrunedDense(3, sparsity=0.5, b_std=0.1)])
    self.variables = self.model.init(random.PRNGKey(0), _X)

  def _with_layer_2(self, entries):
    params = dict(self.variables['params'])
    params['layers_2'] = entries
    return {'params': params}

  def _refused(self, variables, message):
    with self.assertRaisesRegex(ValueError, 'to_stax_params: ' + message):
      npf.to_stax_params(self.model, variables, _X.shape)

  def test_kernel_of_another_shape(self):
    layer = self.variables['params']['layers_2']
    self._refused(self._with_layer_2({'kernel': layer['kernel'].T,
                                      'bias': layer['bias']}),
                  r"`variables\['params'\]\['layers_2'\]` must be the entries "
                  r"and shapes \{'kernel': \(8, 3\), 'bias': \(3,\)\} of "
                  r"layer 2 for inputs of shape \(3, 5\), got \{'kernel': "
                  r"\(3, 8\), 'bias': \(3,\)\}")

  def test_missing_bias(self):
    layer = self.variables['params']['layers_2']
    self._refused(self._with_layer_2({'kernel': layer['kernel']}),
                  r"`variables\['params'\]\['layers_2'\]` must be .* got "
                  r"\{'kernel': \(8, 3\)\}")

  def test_extra_layer(self):
    variables = {'params': {**self.variables['params'],
                            'layers_5': self.variables['params']['layers_2']}}
    self._refused(variables, r"`variables` must be parameters of the weight "
                  r"layers of `model` only \(\['layers_0', 'layers_2'\]\), "
                  r"got \"params\['layers_5'\]\"")

  def test_to_stax_checks_its_flag(self):
    with self.assertRaisesRegex(TypeError, r'to_stax: '
                                r'`approximate_input_layer` must be True or '
                                r"False, got 'yes'"):
      npf.to_stax(self.model, approximate_input_layer='yes')

  def test_to_flax_variables_checks_the_layers(self):
    params = npf.to_stax_params(self.model, self.variables, _X.shape)
    with self.assertRaisesRegex(ValueError, r'to_flax_variables: '
                                r'`stax_params` must be a sequence of 3'):
      npf.to_flax_variables(self.model, params[:2])
    with self.assertRaisesRegex(ValueError, r'to_flax_variables: '
                                r'`stax_params\[2\]` must be the \(W, b\) '
                                r'pair of the layer, with b an array'):
      npf.to_flax_variables(self.model, params[:2] + [(params[2][0], None)])

  def test_count_pruned_on_stax_parameters(self):
    params = npf.to_stax_params(self.model, self.variables, _X.shape)
    self.assertEqual(npf.count_pruned(params),
                     npf.count_pruned(self.variables))
    pruned, total = npf.count_pruned(params)
    self.assertEqual(total, 5 * 8 + 8 * 3)
    self.assertEqual(pruned, int(jnp.sum(params[2][0] == 0)))
    self.assertGreater(pruned, 0)


if __name__ == '__main__':
  absltest.main()
