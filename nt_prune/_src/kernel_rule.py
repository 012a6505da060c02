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

r"""The infinite-width kernel of a randomly pruned weight layer.

Finite-width layer (NTK parameterization, `Dense`; `Conv` and its relatives
are the same with sums over filter patches):

.. math::

  z_i = c_f \frac{\sigma_W}{\sqrt{n}} \sum_j M_{ij} W_{ij} x_j + \sigma_b b_i,

with :math:`M_{ij} \sim \mathrm{Bernoulli}(q)` i.i.d.,
:math:`W_{ij} \sim \mathcal{N}(0, c_0^2)`, :math:`b_i \sim \mathcal{N}(0, 1)`,
where :math:`c_0` is `PruningRule.init_scale` and :math:`c_f` is
`PruningRule.forward_scale` (named :math:`c` so as not to clash with NT's `s`
argument). (Standard parameterization: :math:`W_{ij} \sim \mathcal{N}(0,
c_0^2 \sigma_W^2 / n)`, :math:`z_i = c_f \sum_j M_{ij} W_{ij} x_j + b_i`.)
As the fan-in :math:`n` grows, the masks average out (law of large numbers),
independently of :math:`W`, so

.. math::

  K_z = f_v \sigma_W^2 K_x + \sigma_b^2, \qquad
  \Theta_z = f_g G(K_x) + B + f_v \sigma_W^2 \Theta_x,

where :math:`G(K_x)` is the dense layer's weight-gradient term
(:math:`\sigma_W^2 K_x` in NTK, :math:`(n / s_0) K_x` in standard
parameterization, as in NT's `Dense` with its `s` argument), :math:`B` its
bias-gradient term, and

.. math::

  f_v = q c_f^2 c_0^2 \quad \text{(forward variance and the term carried
  from below)}, \qquad
  f_g = q c_f^2 \quad \text{(the layer's own weight gradients)}.

Rescale `'forward'` gives :math:`f_v = f_g = 1` (the dense kernel), `'init'`
gives :math:`f_v = 1, f_g = q`, and no rescale :math:`f_v = f_g = q`.

Since the dense layer's kernel map is affine in its input kernel, with the
bias terms constant, linear in :math:`K_x` through the weight terms and
linear in :math:`\Theta_x` through the carried term, the rule is NT's own
dense layer :math:`D` (same arguments) applied to a rescaled input kernel:

.. math::

  K_z = D(f_v K_x, f_v \Theta_x).\mathrm{nngp} \quad
  \text{(also cov1, cov2)}, \qquad
  \Theta_z = D(f_g K_x, f_v \Theta_x).\mathrm{ntk},

so one implementation serves every weight layer NT has (`Dense`, `Conv`,
`ConvTranspose`, `ConvLocal`). Nothing is subtracted: every term is computed
at its own scale, so the kernel is exact to floating-point precision at every
sparsity (a difference :math:`D(K) - (1 - f_v) W(K)` would lose all
precision in float32 as :math:`q \to 0`).

References:
  [1] `On the Neural Tangent Kernel Analysis of Randomly Pruned Neural
  Networks <https://arxiv.org/abs/2203.14328>`_, Hongru Yang and Zhangyang
  Wang, AISTATS 2023.
"""

from typing import Any, Callable, Optional

from jax import numpy as jnp
from neural_tangents import Kernel

from nt_prune._src.rule import PruningRule


def _scale(a: Optional[jnp.ndarray], factor: float) -> Optional[jnp.ndarray]:
  return None if a is None else factor * a


def _scaled(k: Kernel, covariance_factor: float, ntk_factor: float) -> Kernel:
  """`k` with `nngp`, `cov1`, `cov2` and `ntk` multiplied by the factors."""
  return k.replace(nngp=_scale(k.nngp, covariance_factor),
                   cov1=_scale(k.cov1, covariance_factor),
                   cov2=_scale(k.cov2, covariance_factor),
                   ntk=_scale(k.ntk, ntk_factor))


def scaled_weight_kernel(
    k: Kernel,
    dense_kernel_fn: Callable[..., Kernel],
    covariance_factor: float,
    gradient_factor: float,
    **kwargs: Any,
) -> Kernel:
  """The dense layer's kernel with factors on its weight terms.

  Args:
    k: input `Kernel`.
    dense_kernel_fn: `kernel_fn` of the dense layer.
    covariance_factor: factor on the weight part of the NNGP (and covariances)
      and on the NTK term carried from below (:math:`f_v`).
    gradient_factor: factor on the NTK term of the layer's own weight
      gradients (:math:`f_g`).
    **kwargs: passed on to `dense_kernel_fn`, as NT's combinators do.

  Returns:
    `D(f_v K_x, f_v Theta_x)` with its NTK replaced by that of
    `D(f_g K_x, f_v Theta_x)` (see the module docstring).
  """
  f_v, f_g = covariance_factor, gradient_factor
  out = dense_kernel_fn(k if f_v == 1. else _scaled(k, f_v, f_v), **kwargs)
  if f_g != f_v and k.ntk is not None:
    ntk = dense_kernel_fn(_scaled(k, f_g, f_v), **kwargs).ntk
    out = out.replace(ntk=ntk)
  return out


def pruned_kernel(
    k: Kernel,
    dense_kernel_fn: Callable[..., Kernel],
    rule: PruningRule,
    **kwargs: Any,
) -> Kernel:
  """Applies the pruned layer's kernel rule to the input kernel `k`.

  Args:
    k: input `Kernel`.
    dense_kernel_fn: `kernel_fn` of the dense layer with the same arguments.
    rule: sparsity and rescale mode.
    **kwargs: passed on to `dense_kernel_fn`, as NT's combinators do.

  Returns:
    The output `Kernel` of the pruned layer.
  """
  return scaled_weight_kernel(k, dense_kernel_fn, rule.forward_variance_factor,
                              rule.weight_gradient_factor, **kwargs)
