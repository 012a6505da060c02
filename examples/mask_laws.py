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

"""Which mask law converges fastest? Every law, one limit, at sparsity 0.9.

On the authors' NTK architecture (`networks.paper_mlp`: dense first layer,
pruned hidden and readout layers), for the mask laws `'bernoulli'`,
`'exact'`, `'fan_in'` and N:M `NByM(1, 10)`:

(a) every law has the same infinite-width kernel (the Bernoulli rule with
    `q = 0.1`), and the mean empirical NTK of each law's finite networks
    converges to it;
(b) the relative NTK and NNGP errors of single networks against width, per
    law (`nt_prune.diagnostics.kernel_convergence`, empirical NTKs by
    `nt_prune.empirical_ntk_fn`);
(c) the ranking of the laws at each width, with standard errors.

Widths are multiples of 10, so that N:M blocks of 10 tile the layers. Writes
`results.csv` and `ntk_error_by_law.png` to `--out_dir` and prints the tables.

  python examples/mask_laws.py [--quick] [--out_dir DIR]
"""

import os

from absl import app
from absl import flags
from jax import random
import neural_tangents as nt

import nt_prune
from nt_prune import diagnostics
import networks

FLAGS = flags.FLAGS
flags.DEFINE_bool('quick', False, 'About a minute: fewer widths, networks.')
flags.DEFINE_string('out_dir', 'examples/out/mask_laws',
                    'Where to write results.csv and the plot.')
flags.DEFINE_list('widths', ['80', '160', '320', '640', '1280'],
                  'Widths (multiples of 10).')
flags.DEFINE_integer('n_networks', 16, 'Networks per point.')
flags.DEFINE_integer('n_inputs', 16, 'Number of inputs.')

SPARSITY = 0.9
LAWS = ('bernoulli', 'exact', 'fan_in', nt_prune.NByM(1, 10))


def part_a(x, width, n_networks, key):
  """One limit for every law; each law's Monte Carlo mean converges to it."""
  # In NTK parameterization the limit does not depend on the width; 10 is
  # the smallest that every law can draw (N:M blocks of 10).
  limits = [networks.paper_mlp(10, SPARSITY, mask=law)[2](x, None, 'ntk')
            for law in LAWS]
  spread = max(float(diagnostics.relative_error(k, limits[0]))
               for k in limits)
  print(f'\n(a) sparsity={SPARSITY}: the analytic NTKs of the {len(LAWS)} '
        f'laws differ by at most {spread:.1e} (relative).')
  print(f'Width {width}, {n_networks} networks: relative distance of the '
        f'mean empirical NTK to the limit')
  rows = []
  for law in LAWS:
    init_fn, apply_fn, _ = networks.paper_mlp(width, SPARSITY, mask=law)
    mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, key, n_networks)(
        x, None, 'ntk')
    err = float(diagnostics.relative_error(mc, limits[0]))
    print(f'{diagnostics.mask_label(law):>10} {err:.4f}')
    rows.append((diagnostics.mask_label(law), err))
  return rows


def build(width, sparsity, rescale, mask):
  return networks.paper_mlp(width, sparsity, rescale, mask)


def plot(points, out_dir):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
  for ax, kernel in zip(axes, ('ntk', 'nngp')):
    for label in dict.fromkeys(p.mask for p in points):
      ps = [p for p in points if p.mask == label]
      ax.errorbar([p.width for p in ps],
                  [getattr(p, f'{kernel}_rel_err_mean') for p in ps],
                  yerr=[getattr(p, f'{kernel}_rel_err_sem') for p in ps],
                  marker='o', capsize=2, label=label)
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    ax.set_xlabel('width')
    ax.set_ylabel(f'relative {kernel.upper()} error')
    ax.grid(True, which='both', alpha=0.3)
  axes[0].legend()
  fig.suptitle(f'sparsity {SPARSITY}: error to the limit by mask law')
  fig.tight_layout()
  fig.savefig(os.path.join(out_dir, 'ntk_error_by_law.png'), dpi=110)
  plt.close(fig)


def table(points, widths):
  """Per width: each law's NTK and NNGP errors, and the NTK ranking."""
  labels = list(dict.fromkeys(p.mask for p in points))
  print(f'\n(b), (c): relative error of single networks, mean +- sem '
        f'(NTK / NNGP), sparsity {SPARSITY}')
  print(f'{"width":>6} ' + ' '.join(f'{label:>27}' for label in labels) +
        '   NTK ranking (best first)')
  lines = []
  for w in widths:
    row = {p.mask: p for p in points if p.width == w}
    cells = ' '.join(
        f'{row[l].ntk_rel_err_mean:.3f}+-{row[l].ntk_rel_err_sem:.3f} / '
        f'{row[l].nngp_rel_err_mean:.3f}+-{row[l].nngp_rel_err_sem:.3f}'
        for l in labels)
    ranking = ' < '.join(sorted(labels,
                                key=lambda l: row[l].ntk_rel_err_mean))
    line = f'{w:>6} {cells}   {ranking}'
    print(line)
    lines.append(line)
  return lines


def main(argv):
  del argv
  widths = [int(w) for w in FLAGS.widths]
  n_networks = FLAGS.n_networks
  if FLAGS.quick:
    widths, n_networks = [40, 80, 160], 4
  os.makedirs(FLAGS.out_dir, exist_ok=True)
  x = networks.sphere_inputs(FLAGS.n_inputs)
  key = random.PRNGKey(1)

  part_a(x, widths[-1], n_networks, key)
  print('\nempirical NTK: nt_prune.empirical_ntk_fn')
  points = diagnostics.kernel_convergence(
      build, x, widths, [SPARSITY], n_networks, key, rescales=['forward'],
      masks=LAWS)
  with open(os.path.join(FLAGS.out_dir, 'results.csv'), 'w') as f:
    f.write(diagnostics.to_csv(points))
  plot(points, FLAGS.out_dir)
  table(points, widths)
  print(f'\n{"law":>10} {"NTK slope":>10}')
  for label in dict.fromkeys(p.mask for p in points):
    errs = [p.ntk_rel_err_mean for p in points if p.mask == label]
    print(f'{label:>10} {diagnostics.loglog_slope(widths, errs):>10.3f}')
  print(f'\nwrote {FLAGS.out_dir}/results.csv and ntk_error_by_law.png')


if __name__ == '__main__':
  app.run(main)
