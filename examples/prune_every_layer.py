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

"""Networks pruned in every layer, the input layer included: exact kernels.

`nt_prune.serial` gives the exact infinite-width kernel of a network whose
first layer is pruned (a sum over one unit's mask columns, or an estimate from
sampled columns with its standard error). This example measures:

(a) the exact NTK against wide finite networks (Monte Carlo over networks,
    with its standard error) and against the Gaussian approximation
    (`approximate_input_layer=True`), by input dimension `d` and keep
    probability `q`, on points of the unit sphere;
(b) the limit NTKs of the four mask laws at the input layer (`q = 0.5`),
    each one's distance to the dense network's NTK, on the sphere (`d = 8`,
    exact sums) and on scikit-learn's digits (`d = 64`, sampled columns);
(c) NTK regression on the digits (infinite training time) with networks
    pruned everywhere (uniform and ERK sparsities, global 0.9), with the
    first layer dense, and dense.

Writes `results.csv` (one row per measurement) and `input_layer_error.png` to
`--out_dir`.

  python examples/prune_every_layer.py [--quick] [--out_dir DIR]
"""

import time

from absl import app
from absl import flags
import jax
from jax import numpy as jnp
from jax import random
import matplotlib
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import nt_prune
from nt_prune import diagnostics
import networks

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

FLAGS = flags.FLAGS
flags.DEFINE_bool('quick', False, 'About a minute: fewer cases, samples.')
flags.DEFINE_string('out_dir', 'examples/out/prune_every_layer',
                    'Where to write the CSV and the plot.')

LAWS = ('bernoulli', 'exact', 'fan_in', nt_prune.NByM(1, 2))
W_STD, B_STD = 2., 0.1


def network(width, sparsities, law='bernoulli', first_dense=False,
            approximate=False, out_dim=1):
  """Erf MLP, one hidden layer: `sparsities` of the input, hidden, readout.

  `law` is the input layer's mask law (the hidden layers' laws do not change
  the limit); `first_dense` keeps the input layer dense.
  """
  first = (stax.Dense(width, W_STD, B_STD) if first_dense else
           nt_prune.PrunedDense(
               width, W_STD, B_STD, mask=law,
               sparsity=None if isinstance(law, nt_prune.NByM) else
               sparsities[0], approximate_input_layer=approximate))
  return [first, stax.Erf(),
          nt_prune.PrunedDense(width, W_STD, B_STD, sparsity=sparsities[1]),
          stax.Erf(),
          nt_prune.PrunedDense(out_dim, W_STD, B_STD, sparsity=sparsities[2])]


def finite_ntks(layers, x, width_networks, key):
  """Per-network empirical NTKs (trace over the outputs) of finite networks."""
  init_fn, apply_fn, _ = stax.serial(*layers)
  kernel_fn = jax.jit(nt_prune.empirical_ntk_fn(apply_fn, trace_axes=(-1,),
                                                vmap_axes=0))
  return np.stack([
      np.asarray(kernel_fn(x, None, init_fn(k, x.shape)[1]), np.float64)
      for k in random.split(key, width_networks)])


def _compare(data, x, q, width, count, masks, rows):
  """One row of (a): finite networks, exact and Gaussian kernels at `x`."""
  s = [1 - q, 1 - q, 1 - q]
  exact = nt_prune.serial(*network(width, s), input_masks=masks)[2](
      x, None, 'ntk')
  gauss = stax.serial(*network(width, s, approximate=True))[2](x, None, 'ntk')
  samples = finite_ntks(network(width, s, out_dim=width), x, count,
                        random.PRNGKey(x.shape[1]))
  mean = samples.mean(0)
  err = lambda a, b: float(diagnostics.relative_error(a, b))
  spread = float(np.sqrt(samples.var(0, ddof=1).sum() / count) /
                 np.linalg.norm(exact))
  row = dict(part='a', data=data, d=x.shape[1], q=q, width=width,
             finite_vs_exact=err(mean, exact), standard_error=spread,
             gaussian_vs_exact=err(gauss, exact),
             finite_vs_gaussian=err(mean, gauss))
  rows.append(row)
  print(f'{data:>7} {row["d"]:>3} {q:>4} {row["finite_vs_exact"]:>16.4f} '
        f'{spread:>6.4f} {row["gaussian_vs_exact"]:>18.4f} '
        f'{row["finite_vs_gaussian"]:>19.4f}')


def part_a(quick, rows, x_digits):
  """Exact vs finite networks vs the Gaussian rule, by `d` and `q`."""
  print('\n(a) exact NTK vs wide finite networks vs the Gaussian rule (Erf; '
        'digits: 2048 sampled columns)')
  print(f'{"data":>7} {"d":>3} {"q":>4} {"finite vs exact":>16} {"+-":>6} '
        f'{"Gaussian vs exact":>18} {"finite vs Gaussian":>19}')
  width, count = (128, 8) if quick else (512, 32)
  for d in ((2,) if quick else (2, 4, 8)):
    x = networks.sphere_inputs(6, d) * np.sqrt(d)
    for q in ((0.3,) if quick else (0.3, 0.7)):
      _compare('sphere', x, q, width, count, None, rows)
  if not quick:
    for q in (0.3, 0.7):
      _compare('digits', x_digits[:6], q, width, count,
               nt_prune.MaskSamples(2048, random.PRNGKey(2)), rows)


def part_b(quick, rows, x_digits):
  """The four mask laws' limit NTKs at the input layer, against dense."""
  print('\n(b) limit NTK by input-layer mask law (q = 0.5; relative distance '
        'to the dense network\'s NTK; digits: sampled columns, +- 1 SE)')
  x_sphere = networks.sphere_inputs(12, 8) * np.sqrt(8)
  count = 64 if quick else 2048
  for data, x, masks in (
      ('sphere d=8', x_sphere, None),
      ('digits d=64', x_digits,
       nt_prune.MaskSamples(count, random.PRNGKey(0)))):
    dense = stax.serial(*network(1, [0., 0., 0.]))[2](x, None, 'ntk')
    line = []
    for law in LAWS:
      kernel_fn = nt_prune.serial(*network(1, [0.5, 0., 0.], law),
                                  input_masks=masks)[2]
      ntk = jax.jit(kernel_fn, static_argnames='get')(x, None, 'ntk')
      error = jax.jit(kernel_fn.standard_error, static_argnames='get')(
          x, None, 'ntk')
      se = float(jnp.linalg.norm(error) / jnp.linalg.norm(dense))
      distance = float(diagnostics.relative_error(ntk, dense))
      rows.append(dict(part='b', data=data, law=str(law), q=0.5,
                       ntk_vs_dense=distance, standard_error=se))
      line.append(f'{str(law)}: {distance:.4f} +- {se:.4f}')
    print(f'{data}: ' + '; '.join(line))


def part_c(quick, rows):
  """NTK regression on the digits: pruned everywhere, first dense, dense."""
  n_train, count = (100, 32) if quick else (600, 1024)
  x_train, y_train, x_test, y_test = networks.digits(n_train, 500)
  width = 512  # For the ERK shapes only; the kernels are infinite-width.
  shapes = [(64, width), (width, width), (width, 10)]
  print(f'\n(c) NTK regression on digits ({n_train} training, 500 test '
        f'images, global sparsity 0.9)')
  for name, sparsities, first_dense in (
      ('dense', [0., 0., 0.], True),
      ('first layer dense, uniform 0.9', [0., 0.9, 0.9], True),
      ('pruned everywhere, uniform', nt_prune.layer_sparsities(
          shapes, 0.9, 'uniform'), False),
      ('pruned everywhere, ERK', nt_prune.layer_sparsities(shapes, 0.9),
       False)):
    layers = network(1, sparsities, first_dense=first_dense, out_dim=10)
    masks = None if first_dense else nt_prune.MaskSamples(
        count, random.PRNGKey(1))
    kernel_fn = nt_prune.serial(*layers, input_masks=masks)[2]
    predict = nt.predict.gradient_descent_mse_ensemble(
        kernel_fn, x_train, y_train - 0.1, diag_reg=1e-4)
    accuracy = float(np.mean(np.asarray(predict(None, x_test, 'ntk')).argmax(1)
                             == y_test.argmax(1)))
    rows.append(dict(part='c', data='digits', network=name,
                     sparsities=' '.join(f'{s:.3f}' for s in sparsities),
                     test_accuracy=accuracy))
    print(f'{name:>32}: sparsities {rows[-1]["sparsities"]}, test accuracy '
          f'{accuracy:.3f}')


def plot(rows, out_dir):
  a = [r for r in rows if r['part'] == 'a']
  fig, ax = plt.subplots(figsize=(5, 3.5))
  for q in sorted({r['q'] for r in a}):
    points = [r for r in a if r['q'] == q]
    ax.plot([r['d'] for r in points],
            [r['gaussian_vs_exact'] for r in points], 'o-',
            label=f'Gaussian rule, q = {q}')
    ax.errorbar([r['d'] for r in points],
                [r['finite_vs_exact'] for r in points],
                [r['standard_error'] for r in points], fmt='s--',
                label=f'finite networks, q = {q}')
  ax.set_xlabel('input dimension d')
  ax.set_ylabel('relative NTK distance to the exact kernel')
  ax.set_yscale('log')
  ax.legend(fontsize=7)
  fig.tight_layout()
  path = f'{out_dir}/input_layer_error.png'
  fig.savefig(path, dpi=120)
  return path


def main(argv):
  del argv
  rows = []
  x_digits = networks.digits(20 if FLAGS.quick else 100, 0)[0]
  for part in (lambda *a: part_a(*a, x_digits),
               lambda *a: part_b(*a, x_digits), part_c):
    start = time.time()
    part(FLAGS.quick, rows)
    print(f'({time.time() - start:.0f} s)')
  keys = sorted({k for r in rows for k in r})
  path = networks.write_csv([{k: r.get(k, '') for k in keys} for r in rows],
                            FLAGS.out_dir, 'results.csv')
  print(f'\nwrote {path} and {plot(rows, FLAGS.out_dir)}')


if __name__ == '__main__':
  app.run(main)
