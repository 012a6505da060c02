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

"""Reproduces the paper's NTK convergence results with nt_prune layers.

Following the authors' own NTK experiment: ReLU MLP, input dimension 10, three
hidden layers, scalar output, no biases, NTK parameterization, first layer
dense, hidden and readout layers pruned.

(a) rescale='forward' networks converge to the dense kernel, rescale=None to
    the q-scaled kernel, 'init' to its own kernel;
(b) relative NTK error vs width for sparsities {0, 0.5, 0.75, 0.9}: slope
    about -1/2 in log-log;
(c) the same curves against the effective width `width * q` nearly collapse
    onto the dense curve; the fitted width multipliers grow with 1/q, more
    slowly than 1/q (measured 1.40, 2.39, 4.56 for 1/q = 2, 4, 10), since the
    first layer stays dense.

Empirical NTKs are computed by `nt_prune.empirical_ntk_fn` (exact, at the cost
of the kept weights), the default of `nt_prune.diagnostics`.

Writes `results.csv`, `ntk_error_vs_width.png`,
`ntk_error_vs_effective_width.png` to `--out_dir` and prints the tables.

  python examples/ntk_convergence.py [--quick] [--out_dir DIR]
"""

import os

from absl import app
from absl import flags
from jax import random
import numpy as np

import nt_prune
from nt_prune import diagnostics
import networks

FLAGS = flags.FLAGS
flags.DEFINE_bool('quick', False, 'About a minute: fewer widths, networks.')
flags.DEFINE_string('out_dir', 'examples/out/ntk_convergence',
                    'Where to write results.csv and the plots.')
flags.DEFINE_list('widths', ['64', '128', '256', '512', '1024', '2048'],
                  'Widths for (b) and (c).')
flags.DEFINE_list('sparsities', ['0', '0.5', '0.75', '0.9'],
                  'Sparsities for (b) and (c).')
flags.DEFINE_integer('n_networks', 16, 'Networks per point.')
flags.DEFINE_integer('n_inputs', 16, 'Number of inputs.')


def part_a(x, width, n_networks, key):
  """Each rescale mode converges to its own limit, not to the others'."""
  sparsity = 0.5
  limits = {m: networks.paper_mlp(1, sparsity, m)[2](x, None, 'ntk')
            for m in nt_prune.RESCALE_MODES}
  dense = networks.paper_mlp(1, 0.)[2](x, None, 'ntk')
  print(f'\n(a) sparsity={sparsity}, width={width}, {n_networks} networks: '
        'relative distance of the mean empirical NTK to each limit')
  print(f'{"rescale":>9} {"own limit":>10} {"dense":>8} {"other limits":>22}')
  import neural_tangents as nt  # pylint: disable=g-import-not-at-top
  rows = []
  for mode in nt_prune.RESCALE_MODES:
    init_fn, apply_fn, _ = networks.paper_mlp(width, sparsity, mode)
    mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, n_networks)(
        x, None, 'ntk')
    err = {m: float(diagnostics.relative_error(mc, limits[m]))
           for m in nt_prune.RESCALE_MODES}
    to_dense = float(diagnostics.relative_error(mc, dense))
    others = ', '.join(f'{m!r}: {err[m]:.3f}'
                       for m in nt_prune.RESCALE_MODES if m != mode)
    print(f'{mode!r:>9} {err[mode]:>10.4f} {to_dense:>8.4f} {others:>22}')
    rows.append((mode, err[mode], to_dense))
  return rows


def plot(points, sparsities, out_dir):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  for effective, name in ((False, 'ntk_error_vs_width.png'),
                          (True, 'ntk_error_vs_effective_width.png')):
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for s in sparsities:
      ps = [p for p in points if p.sparsity == s]
      w = np.array([p.width for p in ps]) * ((1 - s) if effective else 1)
      ax.errorbar(w, [p.ntk_rel_err_mean for p in ps],
                  yerr=[p.ntk_rel_err_sem for p in ps], marker='o',
                  capsize=2, label=f'sparsity {s:g}')
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    ax.set_xlabel('effective width (width * q)' if effective else 'width')
    ax.set_ylabel('relative NTK error')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)


def main(argv):
  del argv
  widths = [int(w) for w in FLAGS.widths]
  sparsities = [float(s) for s in FLAGS.sparsities]
  n_networks = FLAGS.n_networks
  if FLAGS.quick:
    widths, n_networks = [32, 64, 128, 256], 6
  os.makedirs(FLAGS.out_dir, exist_ok=True)
  x = networks.sphere_inputs(FLAGS.n_inputs)
  key = random.PRNGKey(1)

  part_a(x, widths[-1], n_networks, key)

  print('\n(b), (c): empirical NTK vs its limit (empirical NTK: '
        'nt_prune.empirical_ntk_fn)')
  points = diagnostics.kernel_convergence(
      networks.paper_mlp, x, widths, sparsities, n_networks, key,
      rescales=['forward'])
  with open(os.path.join(FLAGS.out_dir, 'results.csv'), 'w') as f:
    f.write(diagnostics.to_csv(points))
  plot(points, sparsities, FLAGS.out_dir)

  print(f'\n{"width":>6} ' + ' '.join(f'{f"p={s:g}":>15}' for s in sparsities))
  for w in widths:
    row = [p for p in points if p.width == w]
    print(f'{w:>6} ' + ' '.join(
        f'{p.ntk_rel_err_mean:>8.4f}+-{p.ntk_rel_err_sem:.3f}' for p in row))
  dense = [p.ntk_rel_err_mean for p in points if p.sparsity == 0.]
  print(f'\n{"sparsity":>8} {"slope":>7} {"multiplier":>11} {"1/q":>6}')
  for s in sparsities:
    errs = [p.ntk_rel_err_mean for p in points if p.sparsity == s]
    mult = diagnostics.width_multiplier(widths, dense, errs)
    print(f'{s:>8g} {diagnostics.loglog_slope(widths, errs):>7.3f} '
          f'{mult:>11.2f} {1 / (1 - s):>6.2f}')
  print(f'\nwrote {FLAGS.out_dir}/results.csv and the plots')


if __name__ == '__main__':
  app.run(main)
