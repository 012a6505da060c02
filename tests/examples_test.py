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

"""The examples run, with their quickest settings, as a user would run them.

Each example is an absl app (`main(argv)`, `--quick`, `--out_dir`) and runs
in its own process, as NT's examples run: their flags share names, and absl
defines a flag once per process.
"""

import csv
import os
import subprocess
import sys
import tempfile

from absl.testing import absltest

from nt_prune import diagnostics

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script, *args):
  out = subprocess.run([sys.executable, os.path.join(_ROOT, 'examples',
                                                     script), *args],
                       capture_output=True, text=True, timeout=900,
                       cwd=_ROOT)
  if out.returncode:
    raise AssertionError(f'{script} failed:\n{out.stderr[-3000:]}')
  return out.stdout


class ExamplesTest(absltest.TestCase):

  def test_quickstart(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('quickstart.py', '--quick', '--rescale=none',
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
      out = _run('flax_pruned_mlp.py', '--quick', f'--out_dir={out_dir}')
      with open(os.path.join(out_dir, 'flax_ntk.csv')) as f:
        rows = list(csv.DictReader(f))
    self.assertIn('identical zero pattern: True', out)
    self.assertIn('test accuracy', out)
    self.assertEqual([row['width'] for row in rows], ['32', '128'])

  def test_ntk_convergence(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('ntk_convergence.py', '--quick', f'--out_dir={out_dir}')
      for name in ('results.csv', 'ntk_error_vs_width.png',
                   'ntk_error_vs_effective_width.png'):
        self.assertTrue(os.path.getsize(os.path.join(out_dir, name)) > 0)
      with open(os.path.join(out_dir, 'results.csv')) as f:
        points = diagnostics.from_csv(f.read())
    self.assertLen(points, 16)  # 4 quick widths x 4 sparsities.
    self.assertIn('multiplier', out)

  def test_mask_laws(self):
    with tempfile.TemporaryDirectory() as out_dir:
      out = _run('mask_laws.py', '--quick', f'--out_dir={out_dir}')
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
      out = _run('digits_kernel_regression.py', '--quick',
                 f'--out_dir={out_dir}')
      self.assertTrue(os.path.getsize(
          os.path.join(out_dir, 'digits_accuracy.png')) > 0)
    self.assertIn('Infinite-width NTK regression', out)
    self.assertIn('dist. to kernel', out)


if __name__ == '__main__':
  absltest.main()
