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
finite networks of growing width (`nt.empirical_ntk_fn`, NT's default
implementation), next to the dense network of the same width, and with
`nt.monte_carlo_kernel_fn`. The pruned network needs about `1/q` times the
width of the dense one for the same error (the paper's finite-width result).

  python examples/quickstart.py [--sparsity 0.75] [--rescale forward]
"""

import argparse
import time

import jax
from jax import random
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import nt_prune


def pruned_mlp(width: int, sparsity: float, rescale):
  """ReLU MLP: dense first layer, pruned hidden layers and readout."""
  return stax.serial(
      stax.Dense(width, W_std=1.5, b_std=0.05),
      stax.Relu(),
      nt_prune.PrunedDense(width, W_std=1.5, b_std=0.05, sparsity=sparsity,
                           rescale=rescale),
      stax.Relu(),
      nt_prune.PrunedDense(width, W_std=1.5, b_std=0.05, sparsity=sparsity,
                           rescale=rescale),
      stax.Relu(),
      nt_prune.PrunedDense(1, W_std=1.5, b_std=0.05, sparsity=sparsity,
                           rescale=rescale),
  )


def rel_err(a, b) -> float:
  return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--sparsity', type=float, default=0.75)
  parser.add_argument('--rescale', default='forward',
                      choices=['forward', 'init', 'none'])
  parser.add_argument('--widths', type=int, nargs='+',
                      default=[64, 256, 1024, 2048])
  parser.add_argument('--networks', type=int, default=8,
                      help='finite networks averaged per width')
  args = parser.parse_args()
  rescale = None if args.rescale == 'none' else args.rescale

  x = random.normal(random.PRNGKey(0), (8, 10))
  _, _, kernel_fn = pruned_mlp(1, args.sparsity, rescale)
  ntk = np.asarray(kernel_fn(x, None, 'ntk'))
  _, _, dense_kernel_fn = pruned_mlp(1, 0., rescale)
  dense_ntk = np.asarray(dense_kernel_fn(x, None, 'ntk'))
  q = 1 - args.sparsity
  print(f'Pruned ReLU MLP, sparsity={args.sparsity} (q={q:g}), '
        f'rescale={rescale!r}; 8 inputs of dimension 10.')
  print(f'Analytic NTK vs dense NTK: relative difference '
        f'{rel_err(ntk, dense_ntk):.4f}')
  print('Relative Frobenius error of the empirical NTK (NT default '
        f'implementation) to its limit, mean over {args.networks} networks:')
  print(f'{"width":>7} {"width*q":>8} {"pruned":>8} {"(std)":>7} '
        f'{"dense":>8} {"(std)":>7} {"seconds":>8}')
  for width in args.widths:
    start = time.time()
    row = []
    for sparsity, limit in ((args.sparsity, ntk), (0., dense_ntk)):
      init_fn, apply_fn, _ = pruned_mlp(width, sparsity, rescale)
      ntk_fn = jax.jit(nt.empirical_ntk_fn(apply_fn))
      errs = []
      for seed in range(args.networks):
        _, params = init_fn(random.PRNGKey(100 + seed), x.shape)
        errs.append(rel_err(np.asarray(ntk_fn(x, None, params)), limit))
      row += [np.mean(errs), np.std(errs)]
    print(f'{width:>7} {width * q:>8.0f} {row[0]:>8.4f} {row[1]:>7.4f} '
          f'{row[2]:>8.4f} {row[3]:>7.4f} {time.time() - start:>8.1f}')

  init_fn, apply_fn, _ = pruned_mlp(1024, args.sparsity, rescale)
  mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, random.PRNGKey(1),
                                n_samples=32, implementation=2)
  print(f'nt.monte_carlo_kernel_fn (width 1024, 32 networks): relative NTK '
        f'error {rel_err(np.asarray(mc(x, None, "ntk")), ntk):.4f}')


if __name__ == '__main__':
  main()
