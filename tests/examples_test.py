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

"""The examples run, with their quickest settings, as NT smoke-tests its own.

Each example is an absl app (`main(argv)`, `--quick`, `--out_dir`), imported
and its `main` called in this process. Their flags share names (absl defines
a flag once per process) and one of them turns on 64-bit mode, so each is
imported afresh, and its flags removed and jax's configuration restored
after it (`_example`).
"""

import contextlib
import csv
import importlib
import io
import os
import sys
import tempfile

from absl import flags
from absl.testing import absltest
import jax

from nt_prune import diagnostics

_EXAMPLES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'examples')
# The settings an example may change, restored after it.
_JAX_CONFIG = ('jax_enable_x64', 'jax_numpy_rank_promotion')


@contextlib.contextmanager
def _example(name: str, directory: str = _EXAMPLES):
  """`<directory>/<name>.py`, imported afresh; its flags and settings undone."""
  config = {key: getattr(jax.config, key) for key in _JAX_CONFIG}
  defined = set(flags.FLAGS)
  sys.path.insert(0, directory)
  try:
    yield importlib.import_module(name)
  finally:
    for flag in set(flags.FLAGS) - defined:
      delattr(flags.FLAGS, flag)
    sys.modules.pop(name, None)
    sys.path.remove(directory)
    for key, value in config.items():
      jax.config.update(key, value)


def _run(name: str, *args: str, directory: str = _EXAMPLES) -> str:
  """Runs the example's `main` with flags `args`; returns what it printed."""
  with _example(name, directory) as example:
    argv = flags.FLAGS([name, *args])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
      example.main(argv)
  return printed.getvalue()


class ExamplesTest(absltest.TestCase):

  def test_an_example_leaves_nothing_behind(self):
    # An app that defines flags the real examples define too and turns on
    # 64-bit mode: after it, its flags are gone and the mode is off, so it
    # runs again (as a second example defining the same flags would).
    with tempfile.TemporaryDirectory() as directory:
      with open(os.path.join(directory, 'an_app.py'), 'w') as f:
        f.write('from absl import flags\n'
                'import jax\n'
                "_QUICK = flags.DEFINE_bool('quick', False, '')\n"
                "_OUT = flags.DEFINE_string('out_dir', 'here', '')\n"
                'def main(argv):\n'
                "  jax.config.update('jax_enable_x64', True)\n"
                "  print(_QUICK.value, _OUT.value, jax.numpy.zeros(1).dtype)\n")
      x64 = jax.config.jax_enable_x64
      for _ in range(2):
        out = _run('an_app', '--quick', directory=directory)
        self.assertEqual(out, 'True here float64\n')
        self.assertNotIn('quick', flags.FLAGS)
        self.assertNotIn('out_dir', flags.FLAGS)
        self.assertEqual(jax.config.jax_enable_x64, x64)

  def test_quickstart(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('quickstart', '--quick', '--rescale=none',
                 f'--out_dir={out_dir}')
      with open(os.path.join(out_dir, 'quickstart.csv')) as f:
        rows = list(csv.DictReader(f))
    self.assertIn('rescale=None', out)
    self.assertIn('width*q', out)
    self.assertIn('nt.monte_carlo_kernel_fn', out)
    self.assertEqual([row['width'] for row in rows], ['16', '64'])
    for row in rows:  # Relative errors of finite networks: positive, finite.
      self.assertTrue(0 < float(row['pruned']) < 10, row)

  def test_flax_pruned_mlp(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('flax_pruned_mlp', '--quick', f'--out_dir={out_dir}')
      with open(os.path.join(out_dir, 'flax_ntk.csv')) as f:
        rows = list(csv.DictReader(f))
    self.assertIn('identical zero pattern: True', out)
    self.assertIn('test accuracy', out)
    self.assertEqual([row['width'] for row in rows], ['32', '128'])

  def test_ntk_convergence(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('ntk_convergence', '--quick', f'--out_dir={out_dir}')
      for name in ('results.csv', 'ntk_error_vs_width.png',
                   'ntk_error_vs_effective_width.png'):
        self.assertTrue(os.path.getsize(os.path.join(out_dir, name)) > 0)
      with open(os.path.join(out_dir, 'results.csv')) as f:
        points = diagnostics.from_csv(f.read())
    self.assertLen(points, 16)  # 4 quick widths x 4 sparsities.
    self.assertIn('multiplier', out)

  def test_mask_laws(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('mask_laws', '--quick', f'--out_dir={out_dir}')
      self.assertTrue(os.path.getsize(
          os.path.join(out_dir, 'ntk_error_by_law.png')) > 0)
      with open(os.path.join(out_dir, 'results.csv')) as f:
        points = diagnostics.from_csv(f.read())
    # 3 quick widths x 4 laws.
    self.assertEqual(sorted({p.mask for p in points}),
                     ['bernoulli', 'exact', 'fan_in', 'n:m=1:10'])
    self.assertLen(points, 12)
    self.assertIn('NTK ranking', out)
    self.assertIn('the analytic NTKs of the 4 laws differ by at most', out)

  def test_digits_kernel_regression(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('digits_kernel_regression', '--quick',
                 f'--out_dir={out_dir}')
      self.assertTrue(os.path.getsize(
          os.path.join(out_dir, 'digits_accuracy.png')) > 0)
    self.assertIn('Infinite-width NTK regression', out)
    self.assertIn('dist. to kernel', out)

  def test_prune_every_layer(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('prune_every_layer', '--quick', f'--out_dir={out_dir}')
      self.assertTrue(os.path.getsize(
          os.path.join(out_dir, 'input_layer_error.png')) > 0)
      with open(os.path.join(out_dir, 'results.csv')) as f:
        parts = [row['part'] for row in csv.DictReader(f)]
    self.assertIn('(a) exact NTK vs wide finite networks', out)
    self.assertIn('pruned everywhere, ERK', out)
    # Quick: (a) one case, (b) two data sets x four laws, (c) four networks.
    self.assertEqual(parts, ['a'] + ['b'] * 8 + ['c'] * 4)


if __name__ == '__main__':
  absltest.main()
