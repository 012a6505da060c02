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

"""`nt_prune.empirical_ntk_fn` is exact: against NT and an independent Jacobian.

NT's implementation 1 (Jacobian contraction) runs on every supported jax, so
it is the reference here; `reference.reference_ntk` (a
`jax.jacobian` of the dense network restricted to kept weights) is the
independent one.
"""

import logging
import math

from absl.testing import absltest
from absl.testing import parameterized
import jax
from jax import lax
from jax import numpy as jnp
from jax import random
import flax.linen as nn
import neural_tangents as nt
from neural_tangents import stax
import numpy as np

import models
import nt_prune
from nt_prune import flax as npf
from nt_prune._src.empirical import analysis
from nt_prune._src.empirical import compaction
from nt_prune._src.empirical import cost_model
from nt_prune._src.empirical import factors
from nt_prune._src.empirical import independence
from nt_prune._src.empirical import jaxpr_access
from nt_prune._src.empirical import Options
from nt_prune._src.empirical import Path
import reference

jax.config.update('jax_numpy_rank_promotion', 'raise')

_NT1 = nt.NtkImplementation.JACOBIAN_CONTRACTION
_SHAPES = {'mlp': (5, 7), 'cnn': (3, 6, 6, 2)}


def _nt(apply_fn, x1, x2, params, **kwargs):
  """NT's Jacobian contraction, compiled (as the engine computes under jit)."""
  return jax.jit(nt.empirical_ntk_fn(apply_fn, implementation=_NT1,
                                     **kwargs))(x1, x2, params)


def _small_network(arch: str, x2: bool, out_dim: int):
  """A width-8 `arch` at sparsity 0.7: `apply_fn, x1, x2 or None, params`."""
  build = models.mlp if arch == 'mlp' else models.cnn
  init_fn, apply_fn, _ = build(8, sparsity=0.7, out_dim=out_dim)
  x1 = random.normal(random.PRNGKey(0), _SHAPES[arch])
  x2 = (random.normal(random.PRNGKey(1), (2,) + _SHAPES[arch][1:]) if x2
        else None)
  _, params = init_fn(random.PRNGKey(2), x1.shape)
  return apply_fn, x1, x2, params


def _traced(apply_fn, params, x):
  """The parameters' leaves, and the jaxpr of `apply_fn` on them and `x`."""
  leaves, treedef = jax.tree_util.tree_flatten(params)
  closed = jax.make_jaxpr(lambda l, x: apply_fn(
      jax.tree_util.tree_unflatten(treedef, l), x))(leaves, x)
  return leaves, closed


def _forced(dense_path: str, **kwargs) -> Options:
  """Options that force every leaf onto `'kept'` or `'pairs'` where it can."""
  return Options(path=Path.PAIRS if dense_path == 'pairs' else Path.KEPT,
                 **kwargs)


def _assert_close(got, want):
  # float32 sums of different orders: a few ulp of the largest entry.
  np.testing.assert_allclose(got, want, rtol=2e-5,
                             atol=2e-5 * float(jnp.max(jnp.abs(want))))


class ExactnessTest(parameterized.TestCase):

  @parameterized.product(arch=['mlp', 'cnn'],
                         parameterization=['ntk', 'standard'],
                         rescale=list(nt_prune.RESCALE_MODES),
                         b_std=[0.1, None], vmap_axes=[None, 0])
  def test_against_nt(self, arch, parameterization, rescale, b_std,
                     vmap_axes):
    build = models.mlp if arch == 'mlp' else models.cnn
    init_fn, apply_fn, _ = build(16, sparsity=0.8, rescale=rescale,
                                 parameterization=parameterization, b_std=b_std,
                                 out_dim=1)
    x = random.normal(random.PRNGKey(0), _SHAPES[arch])
    _, params = init_fn(random.PRNGKey(1), x.shape)
    got = nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=vmap_axes)(
        x, None, params)
    _assert_close(got, _nt(apply_fn, x, None, params))

  @parameterized.product(arch=['mlp', 'cnn'], rescale=['forward', None])
  def test_against_the_independent_reference(self, arch, rescale):
    build, shape, _ = reference.ARCHS[arch]
    init_fn, apply_fn, _ = build(16, sparsity=0.8, rescale=rescale)
    x = random.normal(random.PRNGKey(0), shape)
    _, params = init_fn(random.PRNGKey(1), x.shape)
    want = reference.reference_ntk(arch, 16, params, x, 0.8,
                                               rescale, 'ntk')
    _assert_close(nt_prune.empirical_ntk_fn(apply_fn)(x, None, params), want)

  @parameterized.product(trace_axes=[(-1,), ()], diagonal_axes=[(), (0,)],
                         x2=[False, True], vmap_axes=[None, 0],
                         dense_path=['kept', 'pairs'])
  def test_output_axes_like_nt(self, trace_axes, diagonal_axes, x2,
                               vmap_axes, dense_path):
    if x2 and diagonal_axes:
      return  # NT needs x1 and x2 to match on diagonal axes.
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.7, out_dim=3)
    x1 = random.normal(random.PRNGKey(0), (5, 7))
    x2 = random.normal(random.PRNGKey(1), (4, 7)) if x2 else None
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    kwargs = dict(trace_axes=trace_axes, diagonal_axes=diagonal_axes,
                  vmap_axes=vmap_axes)
    # Where examples are independent, each dense layer takes the path given
    # (the cost model would choose one).
    got = nt_prune.empirical_ntk_fn(apply_fn, **kwargs,
                                    _options=_forced(dense_path))(
                                        x1, x2, params)
    want = _nt(apply_fn, x1, x2, params, **kwargs)
    self.assertEqual(got.shape, want.shape)
    _assert_close(got, want)

  def test_mixed_network_with_parameter_free_layers(self):
    init_fn, apply_fn, _ = stax.serial(
        stax.Conv(6, (3, 3), padding='SAME', b_std=0.1), stax.Relu(),
        nt_prune.PrunedConv(6, (2, 2), b_std=0.1, sparsity=0.6), stax.Erf(),
        stax.AvgPool((2, 2)), stax.Conv(4, (2, 2)), stax.Relu(),
        stax.Flatten(), stax.Dense(8, b_std=0.1), stax.Relu(),
        nt_prune.PrunedDense(8, sparsity=0.9, rescale='init'), stax.Relu(),
        stax.Dense(2))
    x = random.normal(random.PRNGKey(0), (3, 6, 6, 2))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    _assert_close(nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)(
        x, None, params), _nt(apply_fn, x, None, params))

  @parameterized.parameters('kept', 'pairs')
  def test_weights_scaled_before_their_product(self, dense_path):
    # A scalar scale keeps the multiplier one number (the Kronecker path);
    # an array of scales makes it vary, like a mask.
    scales = 1. + random.uniform(random.PRNGKey(3), (6, 4))

    def apply_fn(params, x):
      w1, w2 = params
      return jax.nn.relu(x @ (3. * w1)) @ (scales * w2)

    params = [random.normal(random.PRNGKey(i), shape)
              for i, shape in ((1, (5, 6)), (2, (6, 4)))]
    x1 = random.normal(random.PRNGKey(0), (4, 5))
    x2 = random.normal(random.PRNGKey(4), (3, 5))
    got = nt_prune.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0,
                                    _options=_forced(dense_path))(
                                        x1, x2, params)
    _assert_close(got, _nt(apply_fn, x1, x2, params, trace_axes=()))

  def test_sparsity_zero_is_the_dense_networks_ntk(self):
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.)
    _, dense_apply, _ = models.mlp(16, sparsity=None)
    x = random.normal(random.PRNGKey(0), (5, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    _assert_close(nt_prune.empirical_ntk_fn(apply_fn)(x, None, params),
                  _nt(dense_apply, x, None, params))

  def test_under_jit_and_nt_batch(self):
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.9)
    x = random.normal(random.PRNGKey(0), (8, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    want = _nt(apply_fn, x, None, params)
    ntk_fn = nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)
    _assert_close(jax.jit(ntk_fn)(x, None, params), want)
    batched = nt.batch(ntk_fn, batch_size=4, store_on_device=False)
    _assert_close(batched(x, None, params), want)

  @parameterized.product(arch=['mlp', 'cnn'], x2=[False, True],
                         gradient_elements=[Options().gradient_elements, 0])
  def test_kept_entries_in_many_steps(self, arch, x2, gradient_elements):
    # A few values per step, so that a leaf's kept entries take many steps,
    # the last one padded; with `gradient_elements=0` a convolution gathers
    # its patches instead of forming the per-example gradient.
    apply_fn, x1, x2, params = _small_network(arch, x2, out_dim=2)
    options = _forced('kept', step_elements=37,
                      gradient_elements=gradient_elements)
    got = jax.jit(nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0,
                                            _options=options))(x1, x2, params)
    _assert_close(got, _nt(apply_fn, x1, x2, params))

  @parameterized.product(arch=['mlp', 'cnn'], x2=[False, True],
                         vmap_axes=[None, 0])
  def test_outputs_with_no_axis_but_the_examples(self, arch, x2, vmap_axes):
    # `f(params, x)` of shape `(N,)`: per example a scalar, so a gradient
    # per example has no output axis between its weight axes.
    apply_fn, x1, x2, params = _small_network(arch, x2, out_dim=1)

    def scalar_fn(params, x):
      return apply_fn(params, x)[:, 0]

    got = jax.jit(nt_prune.empirical_ntk_fn(
        scalar_fn, trace_axes=(), vmap_axes=vmap_axes))(x1, x2, params)
    want = _nt(scalar_fn, x1, x2, params, trace_axes=())
    self.assertEqual(got.shape, (x1.shape[0], (x1 if x2 is None else
                                               x2).shape[0]))
    _assert_close(got, want)

  @parameterized.product(
      weight=[
          # (x's shape per example, the weight's, the product's dimension
          # numbers with the weight as `operand`): the weight on the right
          # with two contracted axes, then with two free axes; the same on
          # the left; then two contracted axes paired out of order, on
          # either side.
          ((3, 4), (3, 4, 5), 1, (((1, 2), (0, 1)), ((), ()))),
          ((4,), (4, 3, 5), 1, (((1,), (0,)), ((), ()))),
          ((3, 4), (5, 3, 4), 0, (((1, 2), (1, 2)), ((), ()))),
          ((6,), (4, 5, 6), 0, (((2,), (1,)), ((), ()))),
          ((3, 4), (4, 3, 5), 1, (((1, 2), (1, 0)), ((), ()))),
          ((3, 4), (5, 4, 3), 0, (((2, 1), (1, 2)), ((), ())))],
      # The pairs path needs independent examples (`vmap_axes`).
      path=[(None, 'kept'), (0, 'kept'), (0, 'pairs')])
  def test_weights_with_several_contracted_or_free_axes(self, weight, path):
    # A kept entry's flat index splits into its row (contracted axes) and
    # column (free axes) as a flat index over each group of axes. A layer
    # `a` before the weight takes the cotangent through it
    # (`_weight_first_dot`).
    x_shape, w_shape, operand, dimension_numbers = weight
    vmap_axes, dense_path = path

    def apply_fn(params, x):
      a, w, v = params
      x = jnp.tanh(x.reshape(x.shape[0], -1) @ a).reshape(x.shape)
      w = nt_prune.remask(w, keep_prob=0.3)
      y = lax.dot_general(*((w, x) if operand == 0 else (x, w)),
                          dimension_numbers)
      if operand == 0:  # The examples' axis comes last.
        y = jnp.moveaxis(y, -1, 0)
      return jax.nn.relu(y).reshape(x.shape[0], -1) @ v

    w = jnp.where(random.bernoulli(random.PRNGKey(3), 0.3, w_shape),
                  random.normal(random.PRNGKey(2), w_shape), 0.)
    n_in, n_out = math.prod(x_shape), math.prod(w_shape) // math.prod(x_shape)
    params = [random.normal(random.PRNGKey(5), (n_in, n_in)) / n_in**0.5, w,
              random.normal(random.PRNGKey(4), (n_out, 2))]
    x1 = random.normal(random.PRNGKey(0), (4,) + x_shape)
    x2 = random.normal(random.PRNGKey(1), (3,) + x_shape)
    closed = jax.make_jaxpr(apply_fn)(params, x1)
    use = analysis.analyse(closed.jaxpr, 3)[1]
    self.assertEqual(use.operand, operand)
    self.assertLess(compaction.capacity(w.size, use.keep_prob), w.size)
    got = jax.jit(nt_prune.empirical_ntk_fn(
        apply_fn, trace_axes=(), vmap_axes=vmap_axes,
        _options=_forced(dense_path)))(x1, x2, params)
    _assert_close(got, _nt(apply_fn, x1, x2, params, trace_axes=()))

  @parameterized.parameters(None, 0)
  def test_gradients_of_the_kernel_are_nt(self, vmap_axes):
    # Reverse mode through the kernel, with respect to the parameters and
    # the inputs, gives NT's derivatives: a recorded leaf's cotangent is
    # formed when asked (`_weight_first_dot`), and is zero at pruned weights
    # (`_self_masked`), as through `W * (W != 0)`. At width 8 every
    # capacity is its leaf's size: no guard (see `empirical_ntk_fn`).
    init_fn, apply_fn, _ = stax.serial(
        stax.Dense(8), stax.Relu(), nt_prune.PrunedDense(8, sparsity=0.5),
        stax.Relu(), stax.Dense(2))
    x1 = random.normal(random.PRNGKey(0), (3, 4))
    x2 = random.normal(random.PRNGKey(1), (2, 4))
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    self.assertTrue(any(bool(jnp.any(leaf == 0))
                        for leaf in jax.tree_util.tree_leaves(params)))

    def gradients(ntk_fn):
      return jax.grad(lambda p, x: jnp.sum(jnp.sin(ntk_fn(x, x2, p))),
                      argnums=(0, 1))(params, x1)

    got = gradients(nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=vmap_axes))
    want = gradients(nt.empirical_ntk_fn(apply_fn, vmap_axes=vmap_axes,
                                         implementation=_NT1))
    for g, w in zip(jax.tree_util.tree_leaves(got),
                    jax.tree_util.tree_leaves(want)):
      _assert_close(g, w)

  def test_forward_mode_is_refused(self):
    # The backward pass's rule for a weight's product is a `custom_vjp`,
    # which jax refuses to differentiate in forward mode: an error, never a
    # wrong tangent.
    init_fn, apply_fn, _ = models.mlp(8, sparsity=0.5)
    x = random.normal(random.PRNGKey(0), (3, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    ntk_fn = nt_prune.empirical_ntk_fn(apply_fn)
    with self.assertRaisesRegex(TypeError, 'forward-mode'):
      jax.jvp(lambda p: ntk_fn(x, None, p), (params,), (params,))

  def test_inputs_of_different_dtypes(self):
    # x1 and x2 that do not concatenate without promotion take a pass each.
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.7)
    x1 = random.normal(random.PRNGKey(0), (5, 7))
    x2 = random.normal(random.PRNGKey(1), (3, 7)).astype(jnp.float16)
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    _assert_close(nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)(
        x1, x2, params), _nt(apply_fn, x1, x2, params))

  def test_kwargs_go_to_nt(self):
    # With apply_fn kwargs (here an rng, as for dropout), NT's
    # implementation 1 computes the kernel, exactly as NT does.
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.5)
    x = random.normal(random.PRNGKey(0), (4, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    rng = random.PRNGKey(5)
    got = nt_prune.empirical_ntk_fn(apply_fn)(x, None, params, rng=rng)
    want = nt.empirical_ntk_fn(apply_fn, implementation=_NT1)(
        x, None, params, rng=rng)
    _assert_close(got, want)


class CapacityTest(parameterized.TestCase):

  def test_one_compilation_serves_many_masks(self):
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.9, out_dim=1)
    x = random.normal(random.PRNGKey(0), (4, 7))
    traces = []
    ntk_fn = nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)

    @jax.jit
    def ntk(key):
      traces.append(1)  # Runs once per compilation.
      _, params = init_fn(key, x.shape)
      return ntk_fn(x, None, params), _nt(apply_fn, x, None, params)

    counts = set()
    for i in range(5):
      got, want = ntk(random.PRNGKey(i))
      _assert_close(got, want)
      _, params = init_fn(random.PRNGKey(i), x.shape)
      counts.add(int(jnp.sum(params[2][0] != 0)))
    self.assertLen(traces, 1)
    self.assertGreater(len(counts), 1)  # The kept counts did differ.

  @parameterized.parameters('kept', 'pairs')
  def test_a_mask_over_capacity_drops_nothing(self, dense_path):
    # Parameters of a sparsity-0.1 layer given to a sparsity-0.9 network:
    # far more kept entries than its capacity. The guard takes them all, and
    # the pairs path (a dense mask) needs no capacity.
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.9, out_dim=1)
    init_dense, _, _ = models.mlp(32, sparsity=0.1, out_dim=1)
    x = random.normal(random.PRNGKey(0), (4, 7))
    _, params = init_dense(random.PRNGKey(1), x.shape)
    kept = int(jnp.sum(params[2][0] != 0))
    self.assertGreater(kept, compaction.capacity(32 * 32, 0.1))
    got = jax.jit(nt_prune.empirical_ntk_fn(
        apply_fn, vmap_axes=0, _options=_forced(dense_path)))(x, None, params)
    _assert_close(got, _nt(apply_fn, x, None, params))

  @parameterized.product(sparsity=[0.05, 0.3], x2=[False, True])
  def test_most_weights_kept_gathers_the_dropped_ones(self, sparsity, x2):
    # Where a layer keeps most weights, all with its recipe's one multiplier,
    # its kernel is their Kronecker term less the dropped entries' sum, the
    # fewer entries to gather: taken wherever their capacity is the smaller.
    init_fn, apply_fn, _ = models.mlp(32, sparsity=sparsity, out_dim=2)
    x1 = random.normal(random.PRNGKey(0), (4, 7))
    x2 = random.normal(random.PRNGKey(2), (3, 7)) if x2 else None
    _, params = init_fn(random.PRNGKey(1), x1.shape)
    pruned = [w.size for w, _ in params[2::2]]
    dropped_path = sum(compaction.capacity(n, sparsity) <
                       compaction.capacity(n, 1. - sparsity) for n in pruned)
    self.assertGreater(dropped_path, 0)
    want = _nt(apply_fn, x1, x2, params, trace_axes=())
    # Forced, and as the engine chooses (the cost model's pick among the
    # dropped entries and pairs).
    for options in (Options(path=Path.DROPPED, step_elements=64), None):
      got = jax.jit(nt_prune.empirical_ntk_fn(
          apply_fn, trace_axes=(), vmap_axes=0, _options=options))(
              x1, x2, params)
      _assert_close(got, want)

  def test_dropped_entries_over_capacity_are_all_subtracted(self):
    # Parameters of a sparsity-0.6 network given to a sparsity-0.1 one: far
    # more dropped entries than their capacity. The guard subtracts them all.
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.1, out_dim=1)
    init_sparse, _, _ = models.mlp(32, sparsity=0.6, out_dim=1)
    x = random.normal(random.PRNGKey(0), (4, 7))
    _, params = init_sparse(random.PRNGKey(1), x.shape)
    dropped = int(jnp.sum(params[2][0] == 0))
    self.assertGreater(dropped, compaction.capacity(32 * 32, 0.1))
    got = jax.jit(nt_prune.empirical_ntk_fn(
        apply_fn, vmap_axes=0, _options=Options(path=Path.DROPPED)))(
            x, None, params)
    _assert_close(got, _nt(apply_fn, x, None, params))

  def test_the_cost_model_chooses_as_measured(self):
    # The benchmark's dense layers (16 x 32 examples, scalar output): the
    # pairs path where it measured faster (half the weights kept), the kept
    # path where it measured faster (a tenth at width 1024, a hundredth).
    def prefers_pairs(width, keep_prob, n1, n2):
      rows1, rows2 = (factors.Rows(jnp.zeros((width, n, 1, 1)),
                                   jnp.zeros((width, n, 1, 1)), None,
                                   (width, width), (0,), (1,), True)
                      for n in (n1, n2))
      return cost_model.COST_MODELS['cpu'].prefer_pairs(
          rows1, rows2, width**2,
          compaction.capacity(width**2, keep_prob), n1 * n2)
    self.assertTrue(prefers_pairs(1024, 0.5, 16, 32))
    self.assertTrue(prefers_pairs(2048, 0.5, 16, 32))
    self.assertFalse(prefers_pairs(1024, 0.1, 16, 32))
    self.assertFalse(prefers_pairs(1024, 0.01, 16, 32))
    self.assertFalse(prefers_pairs(2048, 0.1, 128, 128))

  @parameterized.product(size=[1, 31, 32, 33, 1000], density=[0., 0.1, 0.9, 1.],
                         start=[0, 5, 40])
  def test_true_entries_is_a_stream_compaction(self, size, density, start):
    # Against numpy, with sizes that are not whole words, empty and full
    # masks, and a start past the first words.
    rng = np.random.default_rng(size + int(10 * density) + start)
    mask = rng.random(size) < density
    want = np.flatnonzero(mask)[start:start + 50]
    indices, count = jax.jit(compaction.true_entries, static_argnums=1)(
        jnp.asarray(mask), 50, start)
    self.assertEqual(int(count), int(mask.sum()))
    np.testing.assert_array_equal(np.asarray(indices)[:len(want)], want)
    self.assertTrue(np.all((0 <= np.asarray(indices)) &
                           (np.asarray(indices) < size)))

  def test_capacity(self):
    self.assertEqual(compaction.capacity(1000, None), 1000)
    self.assertEqual(compaction.capacity(1000, 1.), 1000)
    # q n + 7 sqrt(n q (1 - q)) + 16, rounded up.
    self.assertEqual(compaction.capacity(10**6, 0.1), 100000 + 2100 + 16)
    self.assertEqual(compaction.capacity(10000, 0.5), 5000 + 350 + 16)
    self.assertEqual(compaction.capacity(100, 0.5), 100)  # Capped at n.

  @parameterized.named_parameters(
      ('nhwc', None, (1, 1), 'SAME'),
      ('strided_valid', None, (2, 1), 'VALID'),
      ('nchw', ('NCHW', 'OIHW', 'NCHW'), (1, 2), 'CIRCULAR'),
      ('channels_first_kernel', ('NHWC', 'OHWI', 'NHWC'), (2, 2), 'SAME'))
  def test_convolutions_take_the_kept_path_exactly(self, dimension_numbers,
                                                   strides, padding):
    # Every kernel layout, stride and padding: the kernels are recognized
    # (their patches make them `dot_general`s) and the kernel is exact.
    init_fn, apply_fn, _ = stax.serial(
        stax.Conv(6, (3, 2), strides, padding,
                  dimension_numbers=dimension_numbers), stax.Relu(),
        nt_prune.PrunedConv(5, (2, 3), strides, padding, sparsity=0.6,
                            dimension_numbers=dimension_numbers),
        stax.Relu(), stax.Flatten(), nt_prune.PrunedDense(3, sparsity=0.5))
    shape = (3, 2, 7, 6) if dimension_numbers == ('NCHW', 'OIHW',
                                                  'NCHW') else (3, 7, 6, 2)
    x = random.normal(random.PRNGKey(0), shape)
    _, params = init_fn(random.PRNGKey(1), x.shape)
    leaves, closed = _traced(apply_fn, params, x)
    uses = analysis.analyse(closed.jaxpr, len(leaves))
    kernels = [i for i, leaf in enumerate(leaves) if leaf.ndim > 1]
    self.assertEqual(sorted(uses), kernels)
    x2 = random.normal(random.PRNGKey(2), (2,) + shape[1:])
    for vmap_axes in (None, 0):
      for trace_axes in ((-1,), ()):
        ntk_fn = nt_prune.empirical_ntk_fn(apply_fn, trace_axes=trace_axes,
                                           vmap_axes=vmap_axes)
        _assert_close(jax.jit(ntk_fn)(x, x2, params),
                      _nt(apply_fn, x, x2, params, trace_axes=trace_axes))

  def test_the_kept_path_is_taken(self):
    # The pruned leaves are recognized (not left to full Jacobians), with the
    # keep probability their layers declare.
    init_fn, apply_fn, _ = models.mlp(16, sparsity=0.75, out_dim=2)
    x = random.normal(random.PRNGKey(0), (4, 7))
    _, params = init_fn(random.PRNGKey(1), x.shape)
    leaves, closed = _traced(apply_fn, params, x)
    uses = analysis.analyse(closed.jaxpr, len(leaves))
    weights = [i for i, leaf in enumerate(leaves) if leaf.shape[0] > 1]
    self.assertEqual(sorted(uses), weights)
    self.assertEqual([uses[i].keep_prob for i in weights],
                     [None] + [0.25] * (len(weights) - 1))
    # The unpruned first layer's multiplier is one number (its Kronecker
    # factorization applies); a pruned layer's is its mask.
    self.assertEqual([uses[i].uniform for i in weights],
                     [True] + [False] * (len(weights) - 1))
    # Each use reads its leaf as is: the dense layer's directly, a pruned
    # layer's masked (which changes no value) and scaled (`forward`
    # rescaling: by 1 / sqrt(q)).
    self.assertEqual([uses[i].recipe for i in weights],
                     [()] + [(analysis.SELF_MASK, 2.)] * (len(weights) - 1))

  @parameterized.named_parameters(
      ('own_mask_then_scale', lambda w, v: w * (w != 0) * 2.,
       (analysis.SELF_MASK, 2.)),
      ('scale_then_own_mask', lambda w, v: (2. * w) * ((2. * w) != 0), None),
      ('scaled_then_its_own_mask',
       lambda w, v: (lambda u: u * (u != 0))(3. * w),
       (3., analysis.SELF_MASK)),
      ('positive_part', lambda w, v: w * (w > 0), None),
      ('another_arrays_mask', lambda w, v: w * (v != 0), None),
      ('not_zero_but_one', lambda w, v: w * (w != 1.), None),
      ('array_scale', lambda w, v: w * v, None))
  def test_weights_read_from_the_leaf(self, weight, recipe):
    # Only a mask by the weight's own `!= 0` (which changes no value) and
    # literal scalars let a use read its leaf in place; anything else is
    # computed as written. Either way the kernel is exact, on both dense
    # paths, with a capacity far below the kept count (the guard rebuilds
    # the multiplier from the leaf).
    v = jnp.where(random.bernoulli(random.PRNGKey(5), 0.5, (6, 40)),
                  random.normal(random.PRNGKey(6), (6, 40)), 0.)

    def apply_fn(params, x):
      w1, w2 = params
      # The scope `remask(w, keep_prob)` declares (see `masking.py`), around
      # a weight made from the leaf in other ways.
      with jax.named_scope('nt_prune_keep_0.01'):
        w2 = weight(w2, v)
      return jax.nn.relu(x @ w1) @ w2

    w2 = jnp.where(random.bernoulli(random.PRNGKey(7), 0.5, (6, 40)),
                   random.normal(random.PRNGKey(2), (6, 40)), 0.)
    params = [random.normal(random.PRNGKey(1), (5, 6)), w2]
    closed = jax.make_jaxpr(apply_fn)(params, jnp.zeros((1, 5)))
    use = analysis.analyse(closed.jaxpr, 2)[1]
    self.assertEqual(use.recipe, recipe)
    self.assertLess(compaction.capacity(w2.size, use.keep_prob),
                    int(jnp.sum(w2 != 0)))
    x1 = random.normal(random.PRNGKey(0), (4, 5))
    x2 = random.normal(random.PRNGKey(4), (3, 5))
    for pairs in (False, True):
      got = jax.jit(nt_prune.empirical_ntk_fn(
          apply_fn, trace_axes=(), vmap_axes=0,
          _options=_forced('pairs' if pairs else 'kept')))(x1, x2, params)
      _assert_close(got, _nt(apply_fn, x1, x2, params, trace_axes=()))


def _hand_written(keep_prob):
  """A pruned dense layer written with `nt_prune.remask` only."""
  def init_fn(key, input_shape):
    w = random.normal(key, (input_shape[-1], 64))
    return input_shape[:-1] + (64,), w * random.bernoulli(key, keep_prob,
                                                          w.shape)

  def apply_fn(w, x, **kwargs):
    del kwargs  # Unused.
    return x @ nt_prune.remask(w, keep_prob) / x.shape[-1]**0.5

  return init_fn, apply_fn, None


def _flax(*layers):
  """`init_fn`, `apply_fn` of an `nn.Sequential` in NT's convention."""
  model = nn.Sequential(list(layers))
  return (lambda key, shape: (None, model.init(key, jnp.zeros(shape))),
          lambda variables, x: model.apply(variables, x), None)


class KeepProbabilityTest(parameterized.TestCase):
  """Every way of writing a pruned layer declares its keep probability."""

  @parameterized.named_parameters(
      ('stax', lambda: stax.serial(
          stax.Dense(64), stax.Relu(), nt_prune.PrunedDense(64, sparsity=0.75),
          stax.Relu(), stax.Dense(2))),
      ('pruned_of_an_nt_layer', lambda: stax.serial(
          stax.Dense(64), stax.Relu(),
          nt_prune.pruned(stax.Dense, sparsity=0.75)(64), stax.Relu(),
          stax.Dense(2))),
      ('hand_written_with_remask', lambda: stax.serial(
          stax.Dense(64), stax.Relu(), _hand_written(0.25), stax.Relu(),
          stax.Dense(2))),
      ('flax', lambda: _flax(
          npf.PrunedDense(64, sparsity=0.), nn.relu,
          npf.PrunedDense(64, sparsity=0.75), nn.relu,
          npf.PrunedDense(2, sparsity=0.))))
  def test_declared_and_exact(self, build):
    # The 64 x 64 pruned weight's use declares q = 0.25, so its capacity is
    # below its size (its kept entries are searched); the kernel is exact.
    init_fn, apply_fn, _ = build()
    x1 = random.normal(random.PRNGKey(0), (4, 5))
    x2 = random.normal(random.PRNGKey(1), (3, 5))
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    leaves, closed = _traced(apply_fn, params, x1)
    uses = analysis.analyse(closed.jaxpr, len(leaves))
    square = [i for i, leaf in enumerate(leaves) if leaf.shape == (64, 64)]
    self.assertLen(square, 1)
    self.assertEqual(uses[square[0]].keep_prob, 0.25)
    self.assertLess(compaction.capacity(64 * 64, 0.25), 64 * 64)
    for vmap_axes in (None, 0):
      got = nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=vmap_axes,
                                      _options=_forced('kept'))(
                                          x1, x2, params)
      _assert_close(got, _nt(apply_fn, x1, x2, params))

  def test_remask_declares_nothing_without_keep_prob(self):
    def apply_fn(w, x):
      return x @ nt_prune.remask(w)

    w = random.normal(random.PRNGKey(0), (5, 64))
    closed = jax.make_jaxpr(apply_fn)(w, jnp.zeros((2, 5)))
    self.assertIsNone(analysis.analyse(closed.jaxpr, 1)[0].keep_prob)


class CompilationTest(absltest.TestCase):

  def test_unjitted_calls_on_fresh_masks_compile_once(self):
    # As in a notebook: no `jax.jit` around the call. Fresh masks keep
    # different numbers of weights, and one compilation serves them all.
    init_fn, apply_fn, _ = models.mlp(32, sparsity=0.9, out_dim=1)
    x = random.normal(random.PRNGKey(0), (4, 7))
    ntk_fn = nt_prune.empirical_ntk_fn(apply_fn, vmap_axes=0)
    networks = [init_fn(random.PRNGKey(i), x.shape)[1] for i in range(4)]
    counts = {int(jnp.sum(params[2][0] != 0)) for params in networks}
    ntk_fn(x, None, networks[0])  # Warm-up: compiles.
    with jax.log_compiles(), self.assertLogs(level='WARNING') as logs:
      logging.warning('Calls on fresh masks.')  # At least one record.
      got = [ntk_fn(x, None, params) for params in networks[1:]]
    # jax logs each compilation (and each trace, which costs little).
    self.assertEqual([m for m in logs.output if 'compil' in m.lower()], [])
    for ntk, params in zip(got, networks[1:]):
      _assert_close(ntk, _nt(apply_fn, x, None, params))
    self.assertGreater(len(counts), 1)


def _proven_independent(apply_fn, x, params) -> bool:
  leaves, closed = _traced(apply_fn, params, x)
  return independence.examples_independent(closed, len(leaves))


class DefaultCallTest(parameterized.TestCase):
  """`vmap_axes=None`: examples proven independent from the jaxpr, or not."""

  @parameterized.named_parameters(
      ('mlp', lambda: models.mlp(8, sparsity=0.5), (3, 7)),
      ('cnn', lambda: models.cnn(8, sparsity=0.5), (3, 6, 6, 2)),
      ('layer_norm_gelu_pooling', lambda: stax.serial(
          stax.Conv(4, (2, 2)), stax.LayerNorm(), stax.Gelu(),
          stax.AvgPool((2, 2)), stax.Flatten(),
          nt_prune.PrunedDense(3, sparsity=0.5), stax.Erf(), stax.Dense(2)),
       (3, 6, 6, 2)),
      ('global_pooling', lambda: stax.serial(
          stax.Conv(4, (2, 2)), stax.Relu(), stax.GlobalAvgPool(),
          stax.Dense(2)), (3, 6, 6, 2)),
      ('flax_mlp', lambda: _flax(*models.flax_mlp(8, sparsity=0.5).layers),
       (3, 7)),
      ('flax_cnn', lambda: _flax(*models.flax_cnn(8, sparsity=0.5).layers),
       (3, 5, 5, 2)))
  def test_layers_keep_examples_apart(self, build, shape):
    init_fn, apply_fn, _ = build()
    x1 = random.normal(random.PRNGKey(0), shape)
    x2 = random.normal(random.PRNGKey(1), (2,) + shape[1:])
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    self.assertTrue(_proven_independent(apply_fn, x1, params))
    got = nt_prune.empirical_ntk_fn(apply_fn)(x1, x2, params)
    _assert_close(got, _nt(apply_fn, x1, x2, params))

  @parameterized.named_parameters(
      ('centred_over_the_batch', lambda x: x - jnp.mean(x, 0, keepdims=True)),
      ('row_dependent_shift', lambda x: x + jnp.arange(x.shape[0])[:, None]),
      ('reversed', lambda x: x[::-1]),
      ('rolled', lambda x: jnp.roll(x, 1, axis=0)),
      ('batch_gram', lambda x: (x @ x.T) @ x / x.shape[0]),
      ('batch_softmax', lambda x: jax.nn.softmax(x, axis=0)))
  def test_examples_that_meet_are_not_assumed_apart(self, mix):
    # Each makes rows meet (or depend on their index); assumed apart, the
    # kernel would be wrong. Not proven, it is computed without the
    # assumption, exactly.
    init_fn, apply_fn, _ = models.mlp(8, sparsity=0.5, out_dim=2)

    def mixed(params, x):
      return apply_fn(params, mix(x))

    x1 = random.normal(random.PRNGKey(0), (4, 7))
    x2 = random.normal(random.PRNGKey(1), (4, 7))
    _, params = init_fn(random.PRNGKey(2), x1.shape)
    self.assertFalse(_proven_independent(mixed, x1, params))
    got = nt_prune.empirical_ntk_fn(mixed, trace_axes=())(x1, x2, params)
    _assert_close(got, _nt(mixed, x1, x2, params, trace_axes=()))


class JaxprAccessTest(absltest.TestCase):
  """The engine's reads of jaxprs, on the jax of the stack under test."""

  def test_equations_rebind_to_the_same_values(self):
    def f(w, x):
      with jax.named_scope('outer'):
        y = jnp.tanh(x @ w) * 2.
      return jnp.sum(y, axis=0), lax.cumsum(y, axis=1)

    w = random.normal(random.PRNGKey(0), (3, 4))
    x = random.normal(random.PRNGKey(1), (2, 3))
    closed = jax.make_jaxpr(f)(w, x)
    env = dict(zip(closed.jaxpr.constvars, closed.consts))
    env.update(zip(closed.jaxpr.invars, (w, x)))
    for eqn in closed.jaxpr.eqns:
      subfuns, params = jaxpr_access.bind_params(eqn)
      out = eqn.primitive.bind(
          *subfuns, *[jaxpr_access.read(env, v) for v in eqn.invars],
          **params)
      env.update(zip(eqn.outvars,
                     out if eqn.primitive.multiple_results else [out]))
    for got, want in zip([env[v] for v in closed.jaxpr.outvars], f(w, x)):
      np.testing.assert_array_equal(got, want)
    self.assertTrue(any(jaxpr_access.is_literal(v)
                        for eqn in closed.jaxpr.eqns for v in eqn.invars))
    stacks = [jaxpr_access.name_stack(eqn) for eqn in closed.jaxpr.eqns]
    self.assertIn('outer', stacks[0])
    self.assertNotIn('outer', stacks[-1])


class ArgumentsTest(absltest.TestCase):

  def test_bad_options(self):
    with self.assertRaisesRegex(TypeError, r'empirical_ntk_fn: `_options` '
                                r"must be None or .*Options, got 'kept'"):
      nt_prune.empirical_ntk_fn(len, _options='kept')
    with self.assertRaisesRegex(TypeError, r"Options: `path` must be a Path "
                                r"or None, got 'kept'"):
      Options(path='kept')
    with self.assertRaisesRegex(ValueError, r'Options: `step_elements` must '
                                r'be an integer of at least 1, got 0'):
      Options(step_elements=0)

  def test_bad_arguments(self):
    with self.assertRaisesRegex(TypeError, r'empirical_ntk_fn: `f` must be a '
                                r'function'):
      nt_prune.empirical_ntk_fn(3)
    with self.assertRaisesRegex(TypeError, r'empirical_ntk_fn: `trace_axes` '
                                r'must be an integer or a sequence'):
      nt_prune.empirical_ntk_fn(len, trace_axes='a')


if __name__ == '__main__':
  absltest.main()
