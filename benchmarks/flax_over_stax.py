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

"""`nt_prune.empirical_ntk_fn` on a flax model against its stax twin.

For each MLP case of `empirical_ntk.py`, the flax model
(`empirical_ntk.flax_twin`) and its stax twin with the same weights are timed
alternately, `--rounds` times each, in one process (`jax.jit`, median after
a warm-up, `block_until_ready`); the CSV and the printed table give the
median of each and their ratio, flax / stax.

  python benchmarks/flax_over_stax.py [--rounds 3] [--csv PATH]
"""

import os
import sys

from absl import app
from absl import flags

import nt_prune

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable-next=g-import-not-at-top,wrong-import-position
import empirical_ntk

_ROUNDS = flags.DEFINE_integer('rounds', 3, 'Alternations of flax, stax.')
_CSV = flags.DEFINE_string('csv', 'benchmarks/flax_over_stax.csv',
                           'Where to write the CSV.')


def main(argv):
  del argv
  machine = empirical_ntk.machine()
  print(f'Machine: {machine}')
  rows = []
  for arch, width, sparsity, n1, n2 in empirical_ntk.cases():
    if arch != 'mlp':
      continue
    x1, x2, _, _ = empirical_ntk.network(arch, width, sparsity, n1, n2)
    model, variables, stax_apply, stax_params = empirical_ntk.flax_twin(
        width, sparsity, x1)
    calls = {
        'flax': (nt_prune.empirical_ntk_fn(lambda v, x: model.apply(v, x),
                                           vmap_axes=0), variables),
        'stax': (nt_prune.empirical_ntk_fn(stax_apply, vmap_axes=0),
                 stax_params)}
    row = dict(machine=machine, width=width, sparsity=sparsity, n1=n1, n2=n2,
               **empirical_ntk.alternating_medians(calls, x1, x2,
                                                   _ROUNDS.value))
    row['flax_over_stax'] = row['flax'] / row['stax']
    rows.append(row)
    print(f'width={width} sparsity={sparsity} batch={n1}x{n2}: flax '
          f'{row["flax"]:.4f} s, stax {row["stax"]:.4f} s, flax / stax '
          f'{row["flax_over_stax"]:.3f}')
  empirical_ntk.networks.write_csv(rows, os.path.dirname(_CSV.value),
                                   os.path.basename(_CSV.value))
  worst = max(rows, key=lambda r: r['flax_over_stax'])
  print(f'wrote {_CSV.value}; largest flax / stax: '
        f'{worst["flax_over_stax"]:.3f} (width {worst["width"]}, sparsity '
        f'{worst["sparsity"]})')


if __name__ == '__main__':
  app.run(main)
