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

  z_i = s_f W_std / sqrt(n) \sum_j M_ij W_ij x_j + b_std b_i,

with `M_ij ~ Bernoulli(q)` i.i.d., `W_ij ~ N(0, s_0^2)`, `b_i ~ N(0, 1)`,
where `s_0 = PruningRule.init_scale` and `s_f = PruningRule.forward_scale`.
(Standard parameterization: `W_ij ~ N(0, s_0^2 W_std^2 / n)`,
`z_i = s_f \sum_j M_ij W_ij x_j + b_i`.) As the fan-in `n` grows, the masks
average out (law of large numbers), independently of `W`, so

  NNGP:  K_z = f_v * W_std^2 K_x  +  b_std^2,
  NTK:   T_z = f_g * G(K_x)  +  B  +  f_v * W_std^2 T_x,

where `G(K_x)` is the dense layer's weight-gradient term (`W_std^2 K_x` in NTK,
`n K_x` in standard parameterization), `B` its bias-gradient term, and

  f_v = q s_f^2 s_0^2   (forward variance and the term carried from below),
  f_g = q s_f^2         (the layer's own weight gradients).

Rescale 'forward' gives f_v = f_g = 1 (the dense kernel), 'init' gives f_v = 1,
f_g = q, and no rescale f_v = f_g = q.

Since the dense layer's kernel map is affine in its input kernel, we compute
the rule from NT's own dense layer `D` and its bias-free twin `W` (same
arguments, `b_std=None`), so that one implementation serves every weight layer
NT has (`Dense`, `Conv`, `ConvTranspose`, `ConvLocal`):

  K_z = D(K).nngp - (1 - f_v) W(K).nngp                      (also cov1, cov2)
  T_z = D(K).ntk  - (1 - f_v) W(K).ntk - (f_v - f_g) W(K; T_x = 0).ntk

`W(K).ntk` is the carried term plus `G`, and `W(K; T_x = 0).ntk` is `G` alone.
"""

from typing import Any, Callable

from jax import numpy as jnp
from neural_tangents import Kernel

from nt_prune.rule import PruningRule


def _minus(a, coef: float, b):
  return None if a is None else a - coef * b


def pruned_kernel(
    k: Kernel,
    dense_kernel_fn: Callable[..., Kernel],
    weights_kernel_fn: Callable[..., Kernel],
    rule: PruningRule,
    **kwargs: Any,
) -> Kernel:
  """Applies the pruned layer's kernel rule to the input kernel `k`.

  Args:
    k: input `Kernel`.
    dense_kernel_fn: `kernel_fn` of the dense layer with the same arguments.
    weights_kernel_fn: `kernel_fn` of the same layer without bias.
    rule: sparsity and rescale mode.
    **kwargs: passed on to both `kernel_fn`s, as NT's combinators do.

  Returns:
    The output `Kernel` of the pruned layer.
  """
  out = dense_kernel_fn(k, **kwargs)
  f_v, f_g = rule.forward_variance_factor, rule.weight_gradient_factor
  nngp, cov1, cov2, ntk = out.nngp, out.cov1, out.cov2, out.ntk

  if f_v != 1.:
    w = weights_kernel_fn(k, **kwargs)
    nngp = _minus(nngp, 1. - f_v, w.nngp)
    cov1 = _minus(cov1, 1. - f_v, w.cov1)
    cov2 = _minus(cov2, 1. - f_v, w.cov2)
    ntk = _minus(ntk, 1. - f_v, w.ntk)

  if f_g != f_v and ntk is not None:
    g = weights_kernel_fn(k.replace(ntk=jnp.zeros_like(k.ntk)), **kwargs).ntk
    ntk = _minus(ntk, f_v - f_g, g)

  return out.replace(nngp=nngp, cov1=cov1, cov2=cov2, ntk=ntk)
