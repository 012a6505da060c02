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

"""Finite-width diagnostics: how far finite pruned networks are from the limit.

The paper's finite-width result: to keep the empirical NTK of a randomly
pruned network within a given distance of its infinite-width limit, the width
must grow linearly in `1/q` (`q = 1 - sparsity`), i.e. what matters is the
effective width `width * q`. `kernel_convergence` measures the distance on any
architecture; `loglog_slope` and `width_multiplier` summarize it.
"""

import csv
import dataclasses
import io
import math
import time
from typing import Callable, Iterable, Optional, Sequence, Union

import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np

CSV_COLUMNS = ('width', 'sparsity', 'rescale', 'n_networks',
               'ntk_rel_err_mean', 'ntk_rel_err_std', 'ntk_rel_err_sem',
               'nngp_rel_err_mean', 'nngp_rel_err_std', 'nngp_rel_err_sem')


@dataclasses.dataclass(frozen=True)
class ConvergencePoint:
  """Relative Frobenius distances to the limit at one (width, sparsity).

  `*_mean`, `*_std` and `*_sem` are the mean, standard deviation and standard
  error (`std / sqrt(n_networks)`) over independently initialized networks.
  The NNGP of one network is its output covariance `f(x) f(x)^T`, averaged
  over output channels.
  """
  width: int
  sparsity: float
  rescale: Optional[str]
  n_networks: int
  ntk_rel_err_mean: float
  ntk_rel_err_std: float
  ntk_rel_err_sem: float
  nngp_rel_err_mean: float
  nngp_rel_err_std: float
  nngp_rel_err_sem: float


def _rel_err(a: jax.Array, b: jax.Array) -> jax.Array:
  return jnp.linalg.norm(a - b) / jnp.linalg.norm(b)


def _stats(errors: Sequence[float]) -> tuple[float, float, float]:
  e = np.asarray(errors, np.float64)
  std = float(e.std(ddof=1)) if len(e) > 1 else float('nan')
  return float(e.mean()), std, std / math.sqrt(len(e))


def kernel_convergence(
    build: Callable[..., tuple],
    x: jax.Array,
    widths: Iterable[int],
    sparsities: Iterable[float],
    n_networks: int,
    key: jax.Array,
    rescales: Optional[Iterable[Optional[str]]] = None,
    implementation: Union[int, nt.NtkImplementation, None] = None,
    progress: Optional[Callable[[str], None]] = print,
) -> list[ConvergencePoint]:
  """Distances of finite networks' empirical kernels to `kernel_fn`.

  Args:
    build: `build(width, sparsity)` (or `build(width, sparsity, rescale)` when
      `rescales` is given) returning an NT layer `(init_fn, apply_fn,
      kernel_fn)`.
    x: inputs.
    widths: widths to evaluate.
    sparsities: sparsities to evaluate.
    n_networks: independently initialized networks (weights and masks) per
      point; at least 2.
    key: PRNG key; network `i` of every point uses `fold_in(key, i)`.
    rescales: rescale modes to evaluate, or `None` if `build` takes none
      (the points then record `rescale='default'`).
    implementation: NT empirical NTK implementation; `None` is NT's default.
    progress: called with a line of text after each point; `None` is silent.

  Returns:
    One `ConvergencePoint` per (rescale, sparsity, width). Networks are
    evaluated one at a time, so memory is that of a single network's
    empirical NTK.
  """
  if n_networks < 2:
    raise ValueError(f'`n_networks` must be at least 2 (for a standard '
                     f'deviation), got {n_networks}.')
  kwargs = {} if implementation is None else dict(
      implementation=implementation)
  modes = ['default'] if rescales is None else list(rescales)
  points = []
  start = time.time()
  for rescale in modes:
    for sparsity in sparsities:
      for width in widths:
        args = (width, sparsity) if rescales is None else (width, sparsity,
                                                           rescale)
        init_fn, apply_fn, kernel_fn = build(*args)
        limit = kernel_fn(x, None, ('nngp', 'ntk'))
        ntk_fn = nt.empirical_ntk_fn(apply_fn, **kwargs)

        @jax.jit
        def errors(k, init_fn=init_fn, apply_fn=apply_fn, ntk_fn=ntk_fn,
                   limit=limit):
          _, params = init_fn(k, x.shape)
          f = apply_fn(params, x)
          f = f.reshape((f.shape[0], -1))
          nngp = f @ f.T / f.shape[1]
          return (_rel_err(ntk_fn(x, None, params), limit.ntk),
                  _rel_err(nngp, limit.nngp))

        ntk_errs, nngp_errs = zip(*(
            map(float, errors(random.fold_in(key, i)))
            for i in range(n_networks)))
        point = ConvergencePoint(width, float(sparsity), rescale, n_networks,
                                 *_stats(ntk_errs), *_stats(nngp_errs))
        points.append(point)
        if progress is not None:
          progress(f'[{time.time() - start:7.1f}s] width={width} '
                   f'sparsity={sparsity} rescale={rescale!r}: NTK error '
                   f'{point.ntk_rel_err_mean:.4f} +- '
                   f'{point.ntk_rel_err_sem:.4f}')
  return points


def to_csv(points: Sequence[ConvergencePoint]) -> str:
  """CSV text with the columns `CSV_COLUMNS`."""
  out = io.StringIO()
  writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator='\n')
  writer.writeheader()
  for p in points:
    row = dataclasses.asdict(p)
    row['rescale'] = 'none' if p.rescale is None else p.rescale  # CSV-safe.
    writer.writerow(row)
  return out.getvalue()


def from_csv(text: str) -> list[ConvergencePoint]:
  """Inverse of `to_csv`."""
  points = []
  for row in csv.DictReader(io.StringIO(text)):
    points.append(ConvergencePoint(
        width=int(row['width']), sparsity=float(row['sparsity']),
        rescale=None if row['rescale'] == 'none' else row['rescale'],
        n_networks=int(row['n_networks']),
        **{c: float(row[c]) for c in CSV_COLUMNS[4:]}))
  return points


def loglog_slope(widths: Sequence[float], errors: Sequence[float]) -> float:
  """Least-squares slope of `log(error)` against `log(width)`."""
  slope, _ = np.polyfit(np.log(widths), np.log(errors), 1)
  return float(slope)


def width_multiplier(widths: Sequence[float], dense_errors: Sequence[float],
                     pruned_errors: Sequence[float]) -> float:
  """Width factor a pruned network needs to match the dense error.

  For each width `w`, finds the width `w'` at which the pruned curve reaches
  the dense error at `w`, by linear interpolation in log-log, and returns the
  geometric mean of `w' / w` over the widths where the dense error lies within
  the pruned curve's range. The paper predicts `1/q`.

  Args:
    widths: widths, shared by both curves.
    dense_errors: errors of the dense network (sparsity 0).
    pruned_errors: errors of the pruned network.

  Returns:
    The multiplier, or NaN if no dense error lies within the pruned range.
  """
  log_w = np.log(np.asarray(widths, np.float64))
  log_d = np.log(np.asarray(dense_errors, np.float64))
  log_p = np.log(np.asarray(pruned_errors, np.float64))
  order = np.argsort(log_p)  # np.interp needs increasing abscissae.
  ratios = []
  for lw, ld in zip(log_w, log_d):
    if log_p.min() <= ld <= log_p.max():
      ratios.append(np.interp(ld, log_p[order], log_w[order]) - lw)
  return float(np.exp(np.mean(ratios))) if ratios else float('nan')
