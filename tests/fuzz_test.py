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

"""A seeded fuzz of the pruned layers' arguments: refused clearly, or right.

Each case draws every argument of `PrunedDense` or `PrunedConv` from a pool
of good values or, with probability `_P_BAD`, of bad ones, then builds the
layer after a dense hidden layer and runs `init_fn`, `apply_fn` and
`kernel_fn`. The outcome must be one of:

* every argument good: the layer works, with the outputs' and kernels'
  shapes of the `stax` layer with the same arguments, and finite values;
* some argument bad: a `ValueError` or `TypeError` raised by nt_prune (never
  one from inside jax or NT, never a silent acceptance) whose message starts
  with the layer's name and names a bad argument (or, for a
  `filter_shape`/`strides`/`dimension_numbers` mismatch, one of that group).
"""

import math
import random as py_random
import re

from absl.testing import absltest
import jax
from jax import random
import jax.numpy as jnp
from neural_tangents import stax

import nt_prune

jax.config.update('jax_numpy_rank_promotion', 'raise')

_N_CASES = 150  # Per layer.
_P_BAD = 0.12
_NAN = float('nan')

_COMMON = {
    'W_std': ([1., 0.5, 2], [-1., _NAN, math.inf, '1', None]),
    'b_std': ([None, 0.1], [-0.1, _NAN, 'x']),
    'parameterization': (['ntk', 'standard', 'NTK'], ['foo', None, 1]),
    's': ([(1, 1), (2, 1), (1, 2)], [(1, 0), (-1, 1), (1,), 'ab', (1.5, 1)]),
    'sparsity': ([0., 0.5, 0.9], [1., -0.1, '0.5', None, _NAN]),
    'rescale': (['forward', 'init', None], ['none', 'Forward', 1]),
    'approximate_input_layer': ([False, True], ['yes', 1, None]),
}
_WIDTH = ([1, 3], [0, -1, 2.5, '3', None, True])

_POOLS = {
    'PrunedDense': {
        'out_dim': _WIDTH,
        'batch_axis': ([0], ['0', 1.5, None]),
        'channel_axis': ([-1, 1], [0, 2, -3, 'x']),
        **_COMMON,
    },
    'PrunedConv': {
        'out_chan': _WIDTH,
        'filter_shape': ([(1, 1), (2, 1), (2, 2)],
                         [(0, 1), (-1, 2), (2,), (2, 2, 2), 'ab', None,
                          (2., 1)]),
        'strides': ([None, (1, 1), (2, 1)], [(0, 1), (1,), (-1, 1), 'x']),
        'padding': (['VALID', 'SAME', 'CIRCULAR'],
                    ['valid', 'REFLECT', None, 1]),
        'dimension_numbers': ([None, ('NHWC', 'HWIO', 'NHWC')],
                              [('NHWC', 'HWIO'), ('NHWC', 'HWIO', 'NHW'),
                               'NHWC', ('NHWN', 'HWIO', 'NHWC')]),
        **_COMMON,
    },
}
_STAX = {'PrunedDense': stax.Dense, 'PrunedConv': stax.Conv}
_INPUTS = {'PrunedDense': (3, 5), 'PrunedConv': (2, 5, 4, 3)}
_PRUNING = ('sparsity', 'rescale', 'approximate_input_layer')
_GROUP = {'filter_shape', 'strides', 'dimension_numbers'}


def _draw(rng: py_random.Random, layer: str):
  """Arguments of one case, and the names of those drawn bad."""
  arguments, bad = {}, set()
  for name, (good_values, bad_values) in _POOLS[layer].items():
    if rng.random() < _P_BAD:
      arguments[name] = rng.choice(bad_values)
      bad.add(name)
    else:
      arguments[name] = rng.choice(good_values)
  return arguments, bad


def _run(layer: str, arguments: dict):
  """Builds and runs the layer after a dense hidden layer."""
  pruning = {k: arguments[k] for k in _PRUNING}
  layer_args = {k: v for k, v in arguments.items() if k not in _PRUNING}
  x = random.normal(random.PRNGKey(0), _INPUTS[layer])
  prefix = (stax.Dense(6) if layer == 'PrunedDense' else
            stax.Conv(6, (1, 1)))
  pruned = nt_prune.pruned(_STAX[layer], **pruning)(**layer_args)
  dense = _STAX[layer](**layer_args)
  outputs = []
  for net in (stax.serial(prefix, stax.Relu(), pruned),
              stax.serial(prefix, stax.Relu(), dense)):
    init_fn, apply_fn, kernel_fn = net
    _, params = init_fn(random.PRNGKey(1), x.shape)
    outputs.append((apply_fn(params, x), *kernel_fn(x, None,
                                                     ('nngp', 'ntk'))))
  return outputs


class FuzzTest(absltest.TestCase):

  def _check_case(self, layer, arguments, bad):
    try:
      (got, want) = _run(layer, arguments)
    except (ValueError, TypeError) as e:
      message = str(e)
      self.assertTrue(bad, f'{layer}({arguments}) refused good arguments: '
                      f'{message}')
      self.assertTrue(message.startswith(f'{layer}: '), message)
      named = set(re.findall(r'`(\w+)`', message))
      allowed = bad | (_GROUP if bad & _GROUP else set())
      self.assertTrue(named & allowed, f'{layer}({arguments}): bad {bad}, '
                      f'but the message names {named}: {message}')
      return
    self.assertFalse(bad, f'{layer}({arguments}) accepted bad {bad}')
    for g, w in zip(got, want):
      self.assertEqual(g.shape, w.shape)
      self.assertTrue(bool(jnp.all(jnp.isfinite(g))), f'{arguments}')

  def test_fuzz(self):
    rng = py_random.Random(20261126)
    counts = {'good': 0, 'bad': 0}
    for layer in _POOLS:
      for _ in range(_N_CASES):
        arguments, bad = _draw(rng, layer)
        counts['bad' if bad else 'good'] += 1
        with self.subTest(layer=layer, arguments=arguments):
          self._check_case(layer, arguments, bad)
    # Both kinds of outcome are exercised in quantity.
    self.assertGreater(counts['good'], 50)
    self.assertGreater(counts['bad'], 100)

  def test_oracle_catches_a_silent_acceptance(self):
    # Negative control: a bad argument that nt_prune let through (here,
    # declared bad although it is good) fails the check.
    arguments, _ = _draw(py_random.Random(0), 'PrunedDense')
    arguments = {k: _POOLS['PrunedDense'][k][0][0] for k in arguments}
    with self.assertRaisesRegex(AssertionError, r'accepted bad \{.W_std.\}'):
      self._check_case('PrunedDense', arguments, {'W_std'})


if __name__ == '__main__':
  absltest.main()
