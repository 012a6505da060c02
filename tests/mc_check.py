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

"""Monte-Carlo-vs-analytic kernel checks with tolerances from the math.

For `S` independently initialized finite networks (fresh weights and masks),
`k_s` is network `s`'s empirical NNGP or NTK (averaged over its output
channels) and `mean = sum_s k_s / S` is what `nt.monte_carlo_kernel_fn`
returns. Its relative Frobenius distance to the analytic limit `K` has

* a statistical part: `E ||mean - E k||_F^2 = sum_entries Var(k_s) / S`,
  estimated by the sample variance of the `k_s`. In many entries the norm
  concentrates, and we allow `Z_STAT = 3` times its root mean square;
* a finite-width bias `E k - K = O(1/n)` per hidden layer. A pruned layer's
  fan-in is `q n` on average, so we allow `hidden_layers / (q_min n)`, the
  leading-order correction with unit constant per layer at the smallest
  effective width.

`tolerance = Z_STAT * sqrt(sum var / S) / ||K||_F + hidden_layers / (q_min n)`.

The same tolerance must *reject* each wrong rule (negative controls), so the
check can fail.
"""

import dataclasses

import jax
import neural_tangents as nt
import numpy as np

from nt_prune import diagnostics

Z_STAT = 3.


@dataclasses.dataclass
class McResult:
  mean: dict[str, np.ndarray]
  stat_rms: dict[str, float]  # sqrt(sum var / S), absolute.


def per_network_kernels(init_fn, apply_fn, x, key, n_networks: int,
                        implementation: int = 2) -> dict[str, np.ndarray]:
  """Empirical NNGP and NTK of `n_networks` independent finite networks."""
  kernel_fn = nt.empirical_kernel_fn(apply_fn, trace_axes=(-1,),
                                     implementation=implementation)

  def one(k):
    _, params = init_fn(k, x.shape)
    return kernel_fn(x, None, ('nngp', 'ntk'), params)

  keys = jax.random.split(key, n_networks)
  out = jax.jit(lambda ks: jax.lax.map(one, ks))(keys)
  return {'nngp': np.asarray(out.nngp, np.float64),
          'ntk': np.asarray(out.ntk, np.float64)}


def summarize(samples: dict[str, np.ndarray]) -> McResult:
  mean = {k: v.mean(0) for k, v in samples.items()}
  stat = {k: float(np.sqrt(v.var(0, ddof=1).sum() / v.shape[0]))
          for k, v in samples.items()}
  return McResult(mean, stat)


def _relative_error(a, b) -> float:
  return float(diagnostics.relative_error(a, b))


def tolerance(result: McResult, name: str, analytic, hidden_layers: int,
              width: int, q_min: float) -> float:
  norm = float(np.linalg.norm(np.asarray(analytic, np.float64)))
  return Z_STAT * result.stat_rms[name] / norm + hidden_layers / (q_min * width)


def assert_right_rule_only(test, mean: dict, result: McResult,
                           kernels: dict, rescale, hidden_layers: int,
                           width: int, q: float) -> None:
  """`mean` is within tolerance of `kernels[rescale]`, beyond it of the rest.

  Args:
    test: the `absltest.TestCase`.
    mean: Monte Carlo mean kernels by name (`'nngp'`, `'ntk'`).
    result: per-network spread, for the tolerance.
    kernels: analytic kernels (with `.nngp`, `.ntk`) for every rescale mode.
    rescale: the right mode.
    hidden_layers: hidden weight layers, for the width bias.
    width: network width.
    q: smallest keep probability in the network.
  """
  for name in ('nngp', 'ntk'):
    right = getattr(kernels[rescale], name)
    tol = tolerance(result, name, right, hidden_layers, width, q)
    err = _relative_error(mean[name], right)
    test.assertLess(err, tol, f'{name}: Monte Carlo error {err:.4f} > '
                    f'tolerance {tol:.4f}')
    for mode, kernel in kernels.items():
      wrong = getattr(kernel, name)
      if _relative_error(wrong, right) < 1e-6:
        continue  # Same kernel (e.g. the NNGP of 'forward' and 'init').
      wrong_err = _relative_error(mean[name], wrong)
      test.assertGreater(wrong_err, tol, f'{name}: negative control '
                         f'rescale={mode!r} is not rejected '
                         f'({wrong_err:.4f} <= {tol:.4f})')
