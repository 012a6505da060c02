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

"""nt_prune's empirical NTK before and after a change, in one process.

Loads the engine of a git revision (`--before`, one module file,
`nt_prune/_src/empirical.py`, as the engine was up to its split into
`nt_prune/_src/empirical/`) next to the installed one, and times both on
`empirical_ntk.py`'s cases (`vmap_axes=0`, `jax.jit`,
`block_until_ready`, the same warm-up and medians), alternating before and
after for `--rounds` rounds so that drifts of the machine fall on both.
Prints each case's times and `after / before` (the median over rounds), and
writes them to `--out` as CSV with the machine and device.

  python benchmarks/before_after.py --before 4fd5fe8 [--quick]
"""

import importlib.util
import os
import subprocess
import sys
import tempfile

from absl import app
from absl import flags

import nt_prune

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import empirical_ntk
# pylint: enable=g-import-not-at-top,wrong-import-position

_BEFORE = flags.DEFINE_string('before', None, 'The git revision to compare.',
                              required=True)
_ROUNDS = flags.DEFINE_integer('rounds', 2, 'Alternations of before, after.')
_ONLY = flags.DEFINE_list('only', None,
                          'Cases to time, as arch:width:sparsity (all if unset).')
_CSV = flags.DEFINE_string('csv', 'benchmarks/before_after.csv',
                           'Where to write the CSV.')


def _engine_before(revision: str):
  """The `empirical` module of `revision`, loaded under another name."""
  source = subprocess.run(
      ['git', 'show', f'{revision}:nt_prune/_src/empirical.py'],
      check=True, capture_output=True, text=True).stdout
  path = os.path.join(tempfile.mkdtemp(), 'empirical_before.py')
  with open(path, 'w') as f:
    f.write(source)
  spec = importlib.util.spec_from_file_location('empirical_before', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def main(argv):
  del argv
  before = _engine_before(_BEFORE.value)
  machine = empirical_ntk.machine()
  print(f'Machine: {machine}')
  rows = []
  for arch, width, sparsity, n1, n2 in empirical_ntk.cases():
    if _ONLY.value and f'{arch}:{width}:{sparsity}' not in _ONLY.value:
      continue
    x1, x2, params, apply_fn = empirical_ntk.network(arch, width, sparsity,
                                                     n1, n2)
    engines = {
        'before': (before.empirical_ntk_fn(apply_fn, vmap_axes=0), params),
        'after': (nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0), params)}
    row = dict(machine=machine, arch=arch, width=width, sparsity=sparsity,
               n1=n1, n2=n2, **empirical_ntk.alternating_medians(
                   engines, x1, x2, _ROUNDS.value))
    row['after_over_before'] = row['after'] / row['before']
    print(f'{arch} width={width} sparsity={sparsity} batch={n1}x{n2}: '
          f'before {row["before"]:.4f} s, after {row["after"]:.4f} s, '
          f'after / before {row["after_over_before"]:.3f}')
    rows.append(row)
    empirical_ntk.networks.write_csv(rows, os.path.dirname(_CSV.value),
                                     os.path.basename(_CSV.value))
  worst = max(rows, key=lambda r: r['after_over_before'])
  print(f'Wrote {_CSV.value}; the largest after / before: '
        f'{worst["after_over_before"]:.3f} ({worst["arch"]} '
        f'{worst["width"]}, {worst["sparsity"]}, {worst["n1"]}x{worst["n2"]})')


if __name__ == '__main__':
  app.run(main)
