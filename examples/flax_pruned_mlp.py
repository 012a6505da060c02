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

"""A pruned MLP in flax: train it, keep its masks, get its exact NTK.

1. Builds a flax MLP from `nt_prune.flax` modules (first layer dense, hidden
   and readout layers pruned).
2. Trains it with optax (adamw with weight decay, chained with
   `nt_prune.keep_masks`, which zeroes every update at a pruned position, so
   no optimizer can revive a mask) on scikit-learn's `load_digits` (1797 8x8
   images, ships offline; fixed split) and shows that every pruned weight is
   still exactly zero.
3. Gets the stax twin with one call (`nt_prune.flax.to_stax`) and compares the
   flax network's empirical NTK at initialization with the twin's analytic
   NTK, at a few widths.

  python examples/flax_pruned_mlp.py [--quick] [--sparsity 0.9]
"""

import argparse

import flax.linen as nn
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np
import optax
from sklearn.datasets import load_digits

import nt_prune
from nt_prune import flax as nt_prune_flax


def pruned_mlp(width: int, sparsity: float, rescale) -> nn.Sequential:
  layer = dict(W_std=1.5, b_std=0.05)
  return nn.Sequential([
      nt_prune_flax.PrunedDense(width, sparsity=0., **layer), nn.relu,
      nt_prune_flax.PrunedDense(width, sparsity=sparsity, rescale=rescale,
                                **layer), nn.relu,
      nt_prune_flax.PrunedDense(10, sparsity=sparsity, rescale=rescale,
                                **layer),
  ])


def digits():
  data = load_digits()
  x = data.data.astype(np.float32) / 16.
  x = (x - x.mean(0)) / (x.std(0) + 1e-3)
  y = np.eye(10, dtype=np.float32)[data.target]
  perm = np.random.RandomState(0).permutation(len(x))
  train, test = perm[:1400], perm[1400:]
  return x[train], y[train], x[test], y[test]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--sparsity', type=float, default=0.9)
  parser.add_argument('--rescale', default='forward',
                      choices=['forward', 'init', 'none'])
  parser.add_argument('--width', type=int, default=512)
  parser.add_argument('--steps', type=int, default=300)
  parser.add_argument('--ntk_widths', type=int, nargs='+',
                      default=[128, 512, 2048])
  parser.add_argument('--quick', action='store_true',
                      help='a few seconds: small width, few steps')
  args = parser.parse_args()
  if args.quick:
    args.width, args.steps, args.ntk_widths = 64, 50, [32, 128]
  rescale = None if args.rescale == 'none' else args.rescale
  x_train, y_train, x_test, y_test = digits()

  # 1-2. Train the flax model.
  model = pruned_mlp(args.width, args.sparsity, rescale)
  variables = model.init(random.PRNGKey(0), x_train[:1])
  pruned0, total = nt_prune_flax.count_pruned(variables)
  # adamw alone keeps the masks (its update is zero where the gradient is);
  # keep_masks guarantees it for any optimizer (noisy_sgd, centralize, ...).
  opt = optax.chain(optax.adamw(1e-2, weight_decay=1e-2),
                    nt_prune.keep_masks(variables))
  state = opt.init(variables)

  def loss_fn(v, x, y):
    return optax.softmax_cross_entropy(model.apply(v, x), y).mean()

  @jax.jit
  def step(v, state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(v, x, y)
    updates, state = opt.update(grads, state, v)
    return optax.apply_updates(v, updates), state, loss

  accuracy = lambda v, x, y: float(
      jnp.mean(model.apply(v, x).argmax(1) == y.argmax(1)))
  rng = np.random.RandomState(1)
  trained = variables
  for i in range(args.steps):
    batch = rng.choice(len(x_train), 128, replace=False)
    trained, state, loss = step(trained, state, x_train[batch],
                                y_train[batch])
    if i % max(1, args.steps // 5) == 0 or i == args.steps - 1:
      print(f'step {i:4d}  loss {float(loss):.4f}')
  print(f'test accuracy: {accuracy(variables, x_test, y_test):.3f} at init, '
        f'{accuracy(trained, x_test, y_test):.3f} after {args.steps} steps')

  mask0 = jax.tree_util.tree_map(lambda w: np.asarray(w) == 0, variables)
  mask1 = jax.tree_util.tree_map(lambda w: np.asarray(w) == 0, trained)
  pruned1, _ = nt_prune_flax.count_pruned(trained)
  same = all(jax.tree_util.tree_leaves(jax.tree_util.tree_map(
      lambda a, b: bool(np.array_equal(a, b)), mask0, mask1)))
  print(f'pruned kernel entries: {pruned0}/{total} at init, {pruned1}/{total} '
        f'after training; identical zero pattern: {same}')

  # 3. Exact infinite-width NTK of the same architecture, via the stax twin.
  x = jnp.asarray(x_test[:32])
  _, _, kernel_fn = nt_prune_flax.to_stax(pruned_mlp(1, args.sparsity,
                                                     rescale))
  analytic = kernel_fn(x, None, 'ntk')
  print(f'\nflax empirical NTK at init vs the stax twin\'s analytic NTK '
        f'(sparsity={args.sparsity}, rescale={rescale!r}):')
  print(f'{"width":>7} {"width*q":>8} {"relative error":>15}')
  for width in args.ntk_widths:
    model_w = pruned_mlp(width, args.sparsity, rescale)
    v = model_w.init(random.PRNGKey(width), x[:1])
    ntk = nt.empirical_ntk_fn(lambda p, x: model_w.apply(p, x),
                              vmap_axes=0)(x, None, v)
    err = float(jnp.linalg.norm(ntk - analytic) / jnp.linalg.norm(analytic))
    print(f'{width:>7} {width * (1 - args.sparsity):>8.0f} {err:>15.4f}')


if __name__ == '__main__':
  main()
