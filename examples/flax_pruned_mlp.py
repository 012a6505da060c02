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

Writes the NTK table to `--out_dir/flax_ntk.csv`.

  python examples/flax_pruned_mlp.py [--quick] [--sparsity 0.9]
      [--out_dir DIR]
"""

from absl import app
from absl import flags
import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np
import optax

import nt_prune
from nt_prune import diagnostics
from nt_prune import flax as npf
import networks

FLAGS = flags.FLAGS
flags.DEFINE_bool('quick', False, 'Seconds: small width, few steps.')
flags.DEFINE_float('sparsity', 0.9, 'Fraction of pruned weights.')
flags.DEFINE_enum('rescale', 'forward', ['forward', 'init', 'none'],
                  'Rescale mode of the pruned layers.')
flags.DEFINE_integer('width', 512, 'Width of the trained network.')
flags.DEFINE_integer('steps', 300, 'Training steps.')
flags.DEFINE_list('ntk_widths', ['128', '512', '2048'],
                  'Widths of the NTK comparison.')
flags.DEFINE_string('out_dir', 'examples/out/flax',
                    'Where to write flax_ntk.csv.')


def pruned_mlp(width: int, sparsity: float, rescale):
  """ReLU MLP: dense first layer, one pruned hidden layer, pruned readout."""
  return networks.flax_mlp(width, sparsity=sparsity, rescale=rescale,
                           b_std=0.05, out_dim=10)


def main(argv):
  del argv
  rescale = None if FLAGS.rescale == 'none' else FLAGS.rescale
  width, steps = (64, 50) if FLAGS.quick else (FLAGS.width, FLAGS.steps)
  ntk_widths = ([32, 128] if FLAGS.quick else
                [int(w) for w in FLAGS.ntk_widths])
  sparsity = FLAGS.sparsity
  x_train, y_train, x_test, y_test = networks.digits(1400, 397)

  # 1-2. Train the flax model.
  model = pruned_mlp(width, sparsity, rescale)
  variables = model.init(random.PRNGKey(0), x_train[:1])
  pruned0, total = npf.count_pruned(variables)
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
  for i in range(steps):
    batch = rng.choice(len(x_train), 128, replace=False)
    trained, state, loss = step(trained, state, x_train[batch],
                                y_train[batch])
    if i % max(1, steps // 5) == 0 or i == steps - 1:
      print(f'step {i:4d}  loss {float(loss):.4f}')
  print(f'test accuracy: {accuracy(variables, x_test, y_test):.3f} at init, '
        f'{accuracy(trained, x_test, y_test):.3f} after {steps} steps')

  mask0 = jax.tree_util.tree_map(lambda w: np.asarray(w) == 0, variables)
  mask1 = jax.tree_util.tree_map(lambda w: np.asarray(w) == 0, trained)
  pruned1, _ = npf.count_pruned(trained)
  same = all(jax.tree_util.tree_leaves(jax.tree_util.tree_map(
      lambda a, b: bool(np.array_equal(a, b)), mask0, mask1)))
  print(f'pruned kernel entries: {pruned0}/{total} at init, {pruned1}/{total} '
        f'after training; identical zero pattern: {same}')

  # 3. Exact infinite-width NTK of the same architecture, via the stax twin.
  x = jnp.asarray(x_test[:32])
  _, _, kernel_fn = npf.to_stax(pruned_mlp(1, sparsity,
                                                     rescale))
  analytic = kernel_fn(x, None, 'ntk')
  print(f'\nflax empirical NTK at init vs the stax twin\'s analytic NTK '
        f'(sparsity={sparsity}, rescale={rescale!r}):')
  print(f'{"width":>7} {"width*q":>8} {"relative error":>15}')
  rows = []
  for ntk_width in ntk_widths:
    model_w = pruned_mlp(ntk_width, sparsity, rescale)
    v = model_w.init(random.PRNGKey(ntk_width), x[:1])
    ntk = nt.empirical_ntk_fn(model_w.apply, vmap_axes=0)(x, None, v)
    error = float(diagnostics.relative_error(ntk, analytic))
    rows.append(dict(width=ntk_width, sparsity=sparsity,
                     relative_error=error))
    print(f'{ntk_width:>7} {ntk_width * (1 - sparsity):>8.0f} {error:>15.4f}')

  path = networks.write_csv(rows, FLAGS.out_dir, 'flax_ntk.csv')
  print(f'Wrote {path}')


if __name__ == '__main__':
  app.run(main)
