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

r"""`PrunedDense` and `PrunedConv`: thin instances of `nt_prune.pruned`."""

from typing import Optional, Sequence

from neural_tangents import stax

from nt_prune._src import mask_laws
from nt_prune._src.pruned import Layer
from nt_prune._src.pruned import pruned


def PrunedDense(
    out_dim: int,
    W_std: float = 1.,
    b_std: Optional[float] = None,
    batch_axis: int = 0,
    channel_axis: int = -1,
    parameterization: str = 'ntk',
    s: tuple[int, int] = (1, 1),
    *,
    sparsity: Optional[float] = None,
    rescale: Optional[str] = 'forward',
    approximate_input_layer: bool = False,
    mask: mask_laws.MaskLaw = 'bernoulli',
) -> Layer:
  r"""Randomly pruned `stax.Dense` [1].

  Finite-width layer (NTK parameterization), with :math:`q = 1 - s_p` for
  sparsity :math:`s_p`, mask :math:`M_{ij} \sim \mathrm{Bernoulli}(q)`,
  :math:`W_{ij} \sim \mathcal{N}(0, c_0^2)`, :math:`b_i \sim \mathcal{N}(0,
  1)` and fan-in :math:`N`:

  .. math::

    z_i = c_f \frac{\sigma_W}{\sqrt{N}} \sum_j M_{ij} W_{ij} x_j
          + \sigma_b b_i

  (standard parameterization: :math:`W_{ij} \sim \mathcal{N}(0, c_0^2
  \sigma_W^2 / N)`, :math:`z_i = c_f \sum_j M_{ij} W_{ij} x_j + b_i`), where
  `rescale='forward'` sets :math:`c_f = 1/\sqrt{q}, c_0 = 1`, `'init'` sets
  :math:`c_f = 1, c_0 = 1/\sqrt{q}`, and `None` sets both to 1.

  Infinite-width kernel rule, with :math:`f_v = q c_f^2 c_0^2` and
  :math:`f_g = q c_f^2`:

  .. math::

    K_z = f_v \sigma_W^2 K_x + \sigma_b^2, \qquad
    \Theta_z = f_g G + B + f_v \sigma_W^2 \Theta_x,

  where :math:`G` is the dense layer's weight-gradient term
  (:math:`\sigma_W^2 K_x` in NTK, :math:`(N / s_0) K_x` in standard
  parameterization, with NT's `s` argument) and :math:`B` its bias-gradient
  term. So `'forward'` is the dense kernel exactly, `'init'` has the dense
  NNGP and the weight-gradient term times :math:`q`, and `None` multiplies
  every weight term by :math:`q` (in NTK parameterization this is
  `stax.Dense(W_std=W_std * sqrt(q))`).

  The rule is exact where the fan-in grows with width; on the raw network
  inputs `kernel_fn` raises unless `approximate_input_layer=True`.

  Args:
    out_dim: as in `stax.Dense`.
    W_std: as in `stax.Dense`.
    b_std: as in `stax.Dense`; biases are never pruned.
    batch_axis: as in `stax.Dense`.
    channel_axis: as in `stax.Dense`.
    parameterization: `'ntk'` or `'standard'`, as in `stax.Dense`.
    s: as in `stax.Dense`.
    sparsity: fraction in `[0, 1)` of weight entries pruned (required but
      for `mask=NByM(n, m)`).
    rescale: `'forward'`, `'init'` or `None`.
    approximate_input_layer: accept the Gaussian approximation on raw inputs.
    mask: the mask law, `'bernoulli'`, `'exact'`, `'fan_in'` or
      `nt_prune.NByM(n, m)`; see `nt_prune.pruned`.

  Returns:
    `(init_fn, apply_fn, kernel_fn)`; parameters are `(W, b)` as in
    `stax.Dense`, with pruned entries of `W` exactly zero.

  Example:

    >>> from jax import random
    >>> from neural_tangents import stax
    >>> import nt_prune
    >>> init_fn, apply_fn, kernel_fn = stax.serial(
    ...     stax.Dense(512), stax.Relu(),
    ...     nt_prune.PrunedDense(512, sparsity=0.9, rescale=None), stax.Relu(),
    ...     nt_prune.PrunedDense(1, sparsity=0.9, rescale=None))
    >>> x = random.normal(random.PRNGKey(0), (3, 8))
    >>> _, (_, _, (W, b), _, _) = init_fn(random.PRNGKey(1), x.shape)
    >>> print(f'{float((W != 0).mean()):.2f}')  # q = 0.1 of W is kept.
    0.10
    >>> kernel_fn(x, None, 'ntk').shape
    (3, 3)

  References:
    [1] `On the Neural Tangent Kernel Analysis of Randomly Pruned Neural
    Networks <https://arxiv.org/abs/2203.14328>`_, Hongru Yang and Zhangyang
    Wang, AISTATS 2023.
  """
  return pruned(stax.Dense, sparsity=sparsity, rescale=rescale,
                approximate_input_layer=approximate_input_layer, mask=mask)(
                    out_dim, W_std, b_std, batch_axis, channel_axis,
                    parameterization, s)


def PrunedConv(
    out_chan: int,
    filter_shape: Sequence[int],
    strides: Optional[Sequence[int]] = None,
    padding: str = 'VALID',
    W_std: float = 1.,
    b_std: Optional[float] = None,
    dimension_numbers: Optional[tuple[str, str, str]] = None,
    parameterization: str = 'ntk',
    s: tuple[int, int] = (1, 1),
    *,
    sparsity: Optional[float] = None,
    rescale: Optional[str] = 'forward',
    approximate_input_layer: bool = False,
    mask: mask_laws.MaskLaw = 'bernoulli',
) -> Layer:
  r"""Randomly pruned `stax.Conv` (any number of spatial dimensions) [1].

  Finite-width layer (NTK parameterization), for output location :math:`a`,
  filter offsets :math:`r`, input channels :math:`j`, fan-in :math:`N =
  |\mathrm{filter}| \cdot \mathrm{channels}`:

  .. math::

    z_{a,i} = c_f \frac{\sigma_W}{\sqrt{N}} \sum_{r,j} M_{rji} W_{rji}
              x_{a+r,j} + \sigma_b b_i,

  with the mask :math:`M` drawn once per filter entry (shared across
  locations, like the weight) and :math:`c_f`, :math:`c_0` as in
  `PrunedDense`. The kernel rule is that of `PrunedDense` with :math:`K_x`,
  :math:`\Theta_x` replaced by their patch sums, i.e. NT's `stax.Conv`
  kernel with :math:`f_v`, :math:`f_g` on its weight terms.

  Args:
    out_chan: as in `stax.Conv`.
    filter_shape: as in `stax.Conv`.
    strides: as in `stax.Conv`.
    padding: `'VALID'`, `'SAME'` or `'CIRCULAR'`, as in `stax.Conv`.
    W_std: as in `stax.Conv`.
    b_std: as in `stax.Conv`; biases are never pruned.
    dimension_numbers: as in `stax.Conv`.
    parameterization: `'ntk'` or `'standard'`, as in `stax.Conv`.
    s: as in `stax.Conv`.
    sparsity: as in `PrunedDense`.
    rescale: as in `PrunedDense`.
    approximate_input_layer: as in `PrunedDense`.
    mask: as in `PrunedDense`.

  Returns:
    `(init_fn, apply_fn, kernel_fn)` with `stax.Conv`'s parameters `(W, b)`,
    pruned entries of `W` exactly zero.

  Example:

    >>> from jax import random
    >>> from neural_tangents import stax
    >>> import nt_prune
    >>> init_fn, apply_fn, kernel_fn = stax.serial(
    ...     stax.Conv(64, (3, 3), padding='SAME'), stax.Relu(),
    ...     nt_prune.PrunedConv(64, (3, 3), padding='SAME', sparsity=0.9),
    ...     stax.Relu(), stax.Flatten(), stax.Dense(1))
    >>> x = random.normal(random.PRNGKey(0), (2, 6, 6, 3))
    >>> _, params = init_fn(random.PRNGKey(1), x.shape)
    >>> params[2][0].shape  # HWIO, 90% of it exactly zero.
    (3, 3, 64, 64)
    >>> apply_fn(params, x).shape, kernel_fn(x, None, 'ntk').shape
    ((2, 1), (2, 2))

  References:
    [1] `On the Neural Tangent Kernel Analysis of Randomly Pruned Neural
    Networks <https://arxiv.org/abs/2203.14328>`_, Hongru Yang and Zhangyang
    Wang, AISTATS 2023.
  """
  return pruned(stax.Conv, sparsity=sparsity, rescale=rescale,
                approximate_input_layer=approximate_input_layer, mask=mask)(
                    out_chan, filter_shape, strides, padding, W_std, b_std,
                    dimension_numbers, parameterization, s)
