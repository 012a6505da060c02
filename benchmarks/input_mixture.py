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

"""The cost of a pruned input layer's exact kernel (`nt_prune.serial`).

For an Erf MLP (pruned input layer, two pruned hidden layers, sparsity 0.5)
on `n` inputs of dimension `d`, times `kernel_fn(x, None, 'ntk')` under
`jax.jit` (median of several calls after a warm-up, `block_until_ready`)
with the input layer pruned (a sum over its `2^d` Bernoulli mask columns, or
an estimate from sampled columns) and the same network with the input layer
dense (`stax.serial`, the reference), in one process, and prints the ratio.
The cost grows linearly in the number of columns summed.

  python benchmarks/input_mixture.py [--quick] [--repeats N] [--csv PATH]
"""

import os
import sys

from absl import app
from absl import flags
from jax import random
from neural_tangents import stax

import nt_prune

# The timing, the machine's description and the `--quick` and `--repeats`
# flags are `empirical_ntk.py`'s, as in `before_after.py`.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable-next=g-import-not-at-top,wrong-import-position
import empirical_ntk

_CSV = flags.DEFINE_string('csv', 'benchmarks/input_mixture.csv',
                           'Where to write the results.')


def layers(first_pruned: bool):
  pruned = dict(sparsity=0.5)
  first = (nt_prune.PrunedDense(1, **pruned) if first_pruned else
           stax.Dense(1))
  return (first, stax.Erf(), nt_prune.PrunedDense(1, **pruned), stax.Erf(),
          nt_prune.PrunedDense(1, **pruned), stax.Erf(),
          nt_prune.PrunedDense(1, **pruned))


def cases():
  """`(n, d, sampled columns or None)`."""
  if flags.FLAGS.quick:
    return [(64, 8, None), (64, 64, 64)]
  return [(n, d, count) for n in (64, 512)
          for d, count in ((4, None), (8, None), (12, None), (64, 256),
                           (64, 1024))]


def main(argv):
  del argv
  rows = []
  where = empirical_ntk.machine()
  print(where)
  print(f'{"n":>5} {"d":>3} {"columns":>8} {"pruned input":>13} '
        f'{"dense input":>12} {"ratio":>7}')
  for n, d, count in cases():
    x = random.normal(random.PRNGKey(0), (n, d))
    masks = None if count is None else nt_prune.MaskSamples(
        count, random.PRNGKey(1))
    ours = nt_prune.serial(*layers(True), input_masks=masks)[2]
    reference = stax.serial(*layers(False))[2]
    seconds = [empirical_ntk.time_call(
        lambda x1, x2, _, f=f: f(x1, x2, 'ntk'), x, None, None)
               for f in (ours, reference)]
    columns = count or 2**d
    rows.append(dict(n=n, d=d, columns=columns,
                     estimate='sampled' if count else 'exact',
                     pruned_input_s=seconds[0], dense_input_s=seconds[1],
                     ratio=seconds[0] / seconds[1], machine=where))
    print(f'{n:>5} {d:>3} {columns:>8} {1e3 * seconds[0]:>10.2f} ms '
          f'{1e3 * seconds[1]:>9.2f} ms {rows[-1]["ratio"]:>7.1f}')
  empirical_ntk.networks.write_csv(rows, os.path.dirname(_CSV.value),
                                   os.path.basename(_CSV.value))
  print(f'wrote {_CSV.value}')


if __name__ == '__main__':
  app.run(main)
