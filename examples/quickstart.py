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

"""Quick start: analytic vs empirical NTK of a randomly pruned MLP.

Builds a ReLU MLP whose first layer is dense and whose hidden and readout
layers are pruned (as in the paper's NTK experiment), computes its exact
infinite-width NTK with `kernel_fn`, and compares it with the empirical NTK of
finite networks of growing width (`nt_prune.empirical_ntk_fn`, from the kept
weights), next to the dense network of the same width, and with NT's
`nt.monte_carlo_kernel_fn` (NT's tools work on pruned layers unchanged). The pruned network needs a larger width than the
dense one for the same error; the multiplier grows with `1/q`, more slowly
than `1/q` (see `ntk_convergence.py`). Writes the table to
`--out_dir/quickstart.csv`.

  python examples/quickstart.py [--quick] [--sparsity 0.75]
      [--rescale forward] [--out_dir DIR]
"""

import time

from absl import app
from absl import flags
from jax import random
import neural_tangents as nt
import numpy as np

import nt_prune
from nt_prune import diagnostics
import networks

FLAGS = flags.FLAGS
flags.DEFINE_bool('quick', False, 'Seconds: two small widths, two networks.')
flags.DEFINE_float('sparsity', 0.75, 'Fraction of pruned weights.')
flags.DEFINE_enum('rescale', 'forward', ['forward', 'init', 'none'],
                  'Rescale mode of the pruned layers.')
flags.DEFINE_list('widths', ['64', '256', '1024', '2048'], 'Finite widths.')
flags.DEFINE_integer('networks', 8, 'Finite networks averaged per width.')
flags.DEFINE_string('out_dir', 'examples/out/quickstart',
                    'Where to write quickstart.csv.')


def pruned_mlp(width: int, sparsity: float, rescale):
  """ReLU MLP: dense first layer, pruned hidden layers and readout."""
  return networks.mlp(width, sparsity=sparsity, rescale=rescale, b_std=0.05,
                      out_dim=1)


def main(argv):
  del argv
  rescale = None if FLAGS.rescale == 'none' else FLAGS.rescale
  widths = [16, 64] if FLAGS.quick else [int(w) for w in FLAGS.widths]
  n_networks = 2 if FLAGS.quick else FLAGS.networks
  mc_width, mc_samples = (64, 4) if FLAGS.quick else (1024, 32)

  x = random.normal(random.PRNGKey(0), (8, 10))
  _, _, kernel_fn = pruned_mlp(1, FLAGS.sparsity, rescale)
  ntk = kernel_fn(x, None, 'ntk')
  _, _, dense_kernel_fn = pruned_mlp(1, 0., rescale)
  dense_ntk = dense_kernel_fn(x, None, 'ntk')
  q = 1 - FLAGS.sparsity
  print(f'Pruned ReLU MLP, sparsity={FLAGS.sparsity} (q={q:g}), '
        f'rescale={rescale!r}; 8 inputs of dimension 10.')
  print('Analytic NTK vs dense NTK: relative difference '
        f'{float(diagnostics.relative_error(ntk, dense_ntk)):.4f}')
  print('Relative Frobenius error of the empirical NTK '
        f'(nt_prune.empirical_ntk_fn) to its limit, mean over {n_networks} '
        'networks:')
  print(f'{"width":>7} {"width*q":>8} {"pruned":>8} {"(std)":>7} '
        f'{"dense":>8} {"(std)":>7} {"seconds":>8}')
  rows = []
  for width in widths:
    start = time.time()
    row = dict(width=width, effective_width=width * q)
    for label, sparsity, limit in (('pruned', FLAGS.sparsity, ntk),
                                   ('dense', 0., dense_ntk)):
      init_fn, apply_fn, _ = pruned_mlp(width, sparsity, rescale)
      ntk_fn = nt_prune.empirical_ntk_fn(apply_fn)  # Compiled inside.
      errors = []
      for seed in range(n_networks):
        _, params = init_fn(random.PRNGKey(100 + seed), x.shape)
        errors.append(float(diagnostics.relative_error(
            ntk_fn(x, None, params), limit)))
      row[label], row[f'{label}_std'] = np.mean(errors), np.std(errors)
    row['seconds'] = time.time() - start
    rows.append(row)
    print(f'{width:>7} {width * q:>8.0f} {row["pruned"]:>8.4f} '
          f'{row["pruned_std"]:>7.4f} {row["dense"]:>8.4f} '
          f'{row["dense_std"]:>7.4f} {row["seconds"]:>8.1f}')

  init_fn, apply_fn, _ = pruned_mlp(mc_width, FLAGS.sparsity, rescale)
  mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, random.PRNGKey(1),
                                n_samples=mc_samples, implementation=2)
  error = float(diagnostics.relative_error(mc(x, None, 'ntk'), ntk))
  print(f'nt.monte_carlo_kernel_fn (width {mc_width}, {mc_samples} networks): '
        f'relative NTK error {error:.4f}')

  path = networks.write_csv(rows, FLAGS.out_dir, 'quickstart.csv')
  print(f'Wrote {path}')


if __name__ == '__main__':
  app.run(main)
