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

r"""Finite-width diagnostics: how far finite pruned networks are from the limit.

The paper's finite-width result [1]: to keep the empirical NTK of a randomly
pruned network within a given distance of its infinite-width limit, the width
must grow linearly in :math:`1/q` (:math:`q = 1 - s_p` for sparsity
:math:`s_p`), i.e. what matters is the effective width :math:`n q`.
`kernel_convergence` measures the distance on any architecture; `loglog_slope`
and `width_multiplier` summarize it.

References:
  [1] `On the Neural Tangent Kernel Analysis of Randomly Pruned Neural
  Networks <https://arxiv.org/abs/2203.14328>`_, Hongru Yang and Zhangyang
  Wang, AISTATS 2023.
"""

import csv
import dataclasses
import io
import math
import time
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import jax
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
import numpy as np

from nt_prune._src import empirical
from nt_prune._src import mask_laws
from nt_prune._src import validation

CSV_COLUMNS = ('width', 'sparsity', 'rescale', 'n_networks',
               'ntk_rel_err_mean', 'ntk_rel_err_std', 'ntk_rel_err_sem',
               'nngp_rel_err_mean', 'nngp_rel_err_std', 'nngp_rel_err_sem',
               'mask')


def mask_label(mask: mask_laws.MaskLaw) -> str:
  """A law's name in results and CSV: `'exact'`, ..., `'n:m=1:4'`."""
  if isinstance(mask, mask_laws.NByM):
    return f'n:m={mask.n}:{mask.m}'
  return mask


@dataclasses.dataclass(frozen=True)
class ConvergencePoint:
  """Relative Frobenius distances to the limit at one (width, sparsity).

  `*_mean`, `*_std` and `*_sem` are the mean, standard deviation and standard
  error (`std / sqrt(n_networks)`) over independently initialized networks.
  The NNGP of one network is its output covariance `f(x) f(x)^T`, averaged
  over output channels. `mask` is the mask law's label (`mask_label`), or
  `'default'` where the builder was not given one.
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
  mask: str = 'default'


def _non_empty_list(where: str, name: str, values: Any) -> list[Any]:
  """`values` (any iterable, read once) as a list; refuses an empty one."""
  if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
    validation.refuse(TypeError, where, name, values,
                      'a non-empty sequence (or iterable)')
  values = list(values)
  if not values:
    validation.refuse(ValueError, where, name, values,
                      'a non-empty sequence (an iterator is read once: pass '
                      'a fresh one or a list)')
  return values


def _positive_floats(where: str, name: str, values: Any) -> np.ndarray:
  values = _non_empty_list(where, name, values)
  try:
    array = np.asarray(values, np.float64)
  except (TypeError, ValueError):
    validation.refuse(TypeError, where, name, values,
                      'a sequence of positive real numbers')
  if array.ndim != 1 or not np.all(np.isfinite(array)) or np.any(array <= 0):
    validation.refuse(ValueError, where, name, values,
                      'a sequence of positive finite real numbers')
  return array


def relative_error(a: jax.typing.ArrayLike,
                   b: jax.typing.ArrayLike) -> jax.Array:
  r"""Relative Frobenius distance :math:`\|a - b\|_F / \|b\|_F`.

  Example:

    >>> from nt_prune import diagnostics
    >>> float(diagnostics.relative_error([3., 4.], [0., 5.]))
    0.6324555...
  """
  a, b = jnp.asarray(a), jnp.asarray(b)
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
    masks: Optional[Iterable[mask_laws.MaskLaw]] = None,
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
    implementation: `None` for `nt_prune.empirical_ntk_fn` (exact, at the
      cost of the kept weights), or one of NT's empirical NTK implementations
      (1, 2, 3, or 0 for NT's `AUTO`).
    progress: called with a line of text after each point; `None` is silent.
    masks: mask laws to evaluate (`'bernoulli'`, `'exact'`, `'fan_in'`,
      `nt_prune.NByM(n, m)`), passed to `build` as the keyword `mask`; `None`
      if `build` takes none.

  Returns:
    One `ConvergencePoint` per (mask, rescale, sparsity, width). Networks are
    evaluated one at a time, so memory is that of a single network's
    empirical NTK.
  """
  where = 'kernel_convergence'
  if not callable(build):
    validation.refuse(TypeError, where, 'build', build,
                      'a function (width, sparsity[, rescale]) -> layer')
  widths = _non_empty_list(where, 'widths', widths)
  for i, width in enumerate(widths):
    validation.check_positive_int(where, f'widths[{i}]', width)
  sparsities = [validation.check_sparsity(where, s, f'sparsities[{i}]')
                for i, s in enumerate(_non_empty_list(where, 'sparsities',
                                                      sparsities))]
  if rescales is None:
    modes = ['default']
  else:
    modes = [validation.check_rescale(where, r, f'rescales[{i}]') for i, r
             in enumerate(_non_empty_list(where, 'rescales', rescales))]
  validation.check_positive_int(where, 'n_networks', n_networks)
  if n_networks < 2:
    validation.refuse(ValueError, where, 'n_networks', n_networks,
                      'an integer >= 2 (for a standard deviation)')
  if masks is None:
    laws = [None]
  else:
    laws = _non_empty_list(where, 'masks', masks)
    for law in laws:
      mask_laws.check_mask(where, law, None if isinstance(
          law, mask_laws.NByM) else 0.)
  if progress is not None and not callable(progress):
    validation.refuse(TypeError, where, 'progress', progress,
                      'None or a function of one str')
  kwargs = {}
  if implementation is not None:
    try:
      kwargs['implementation'] = nt.NtkImplementation(implementation)
    except ValueError:
      validation.refuse(ValueError, where, 'implementation', implementation,
                        f'None or one of NT\'s '
                        f'{[int(i) for i in nt.NtkImplementation]}')
  points = []
  start = time.time()
  grid = [(law, rescale, sparsity, width) for law in laws for rescale in modes
          for sparsity in sparsities for width in widths]
  for law, rescale, sparsity, width in grid:
    args = (width, sparsity) if rescales is None else (width, sparsity,
                                                       rescale)
    init_fn, apply_fn, kernel_fn = (build(*args) if law is None else
                                    build(*args, mask=law))
    limit = kernel_fn(x, None, ('nngp', 'ntk'))
    ntk_fn = (empirical.empirical_ntk_fn(apply_fn) if not kwargs else
              nt.empirical_ntk_fn(apply_fn, **kwargs))

    @jax.jit
    def errors(k, init_fn=init_fn, apply_fn=apply_fn, ntk_fn=ntk_fn,
               limit=limit):
      _, params = init_fn(k, x.shape)
      f = apply_fn(params, x)
      f = f.reshape((f.shape[0], -1))
      nngp = f @ f.T / f.shape[1]
      return (relative_error(ntk_fn(x, None, params), limit.ntk),
              relative_error(nngp, limit.nngp))

    ntk_errs, nngp_errs = zip(*(
        map(float, errors(random.fold_in(key, i)))
        for i in range(n_networks)))
    label = 'default' if law is None else mask_label(law)
    point = ConvergencePoint(width, float(sparsity), rescale, n_networks,
                             *_stats(ntk_errs), *_stats(nngp_errs), label)
    points.append(point)
    if progress is not None:
      progress(f'[{time.time() - start:7.1f}s] width={width} '
               f'sparsity={sparsity} rescale={rescale!r} mask={label}: NTK '
               f'error {point.ntk_rel_err_mean:.4f} +- '
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


def _check_error_value(where: str, name: str, value: float) -> float:
  # The std and sem are NaN for a single network; errors are never negative.
  if math.isinf(value) or not (math.isnan(value) or value >= 0):
    validation.refuse(ValueError, where, name, value,
                      'a finite real number >= 0 (or nan)')
  return value


def _check_csv_rescale(where: str, name: str, value: str) -> Optional[str]:
  if value == 'default':
    return value
  return validation.check_rescale(where, None if value == 'none' else value,
                                  name)


# Column -> (how to parse a cell, what it must be, how to check the value).
_CSV_CELLS = {
    'width': (int, 'an integer', validation.check_positive_int),
    'sparsity': (float, 'a real number',
                 lambda where, name, v: validation.check_sparsity(where, v,
                                                                  name)),
    'rescale': (str, 'text', _check_csv_rescale),
    'n_networks': (int, 'an integer', validation.check_positive_int),
    'mask': (str, 'text', lambda where, name, value: value),
}
_CSV_ERROR_CELL = (float, 'a real number', _check_error_value)


def from_csv(text: str) -> list[ConvergencePoint]:
  """Inverse of `to_csv`; refuses malformed text, naming column and row.

  Args:
    text: CSV text with a header row of exactly `CSV_COLUMNS`.

  Returns:
    The points, in the order of the rows (none for a header alone).

  Raises:
    TypeError: `text` is not a `str`.
    ValueError: a missing or different header, a row with too few or too
      many cells, or a cell that does not parse or is out of range; the
      message names the row (counting the header as row 1) and the column.
  """
  if not isinstance(text, str):
    validation.refuse(TypeError, 'from_csv', 'text', text, 'a str')
  reader = csv.reader(io.StringIO(text))
  header = next(reader, None)
  if header != list(CSV_COLUMNS):
    validation.refuse(ValueError, 'from_csv', 'text', text[:200],
                      f'CSV text whose first row is the header '
                      f'{",".join(CSV_COLUMNS)}')
  points = []
  for row_number, row in enumerate(reader, start=2):
    if len(row) != len(CSV_COLUMNS):
      validation.refuse(ValueError, f'from_csv (row {row_number})', 'row',
                        ','.join(row), f'{len(CSV_COLUMNS)} cells')
    values = {}
    for column, cell in zip(CSV_COLUMNS, row):
      parse, kind, check = _CSV_CELLS.get(column, _CSV_ERROR_CELL)
      where = f'from_csv (row {row_number})'
      try:
        value = parse(cell)
      except ValueError:
        validation.refuse(ValueError, where, column, cell, kind)
      try:
        values[column] = check(where, column, value)
      except TypeError as e:  # Only ValueError for malformed text.
        raise ValueError(str(e)) from None
    points.append(ConvergencePoint(**values))
  return points


def _same_lengths(where: str, first: str, arrays: dict[str, np.ndarray]):
  for name, array in arrays.items():
    if len(array) != len(arrays[first]):
      validation.refuse(ValueError, where, name, array.tolist(),
                        f'of the length of `{first}` ({len(arrays[first])})')


def loglog_slope(widths: Sequence[float], errors: Sequence[float]) -> float:
  r"""Least-squares slope of :math:`\log(\mathrm{error})` against
  :math:`\log(\mathrm{width})`: -1/2 for the :math:`n^{-1/2}` decay of a
  Monte Carlo average.

  Args:
    widths: at least two distinct positive widths.
    errors: positive errors, one per width.

  Returns:
    The slope.

  Example:

    >>> from nt_prune import diagnostics
    >>> round(diagnostics.loglog_slope([64, 256, 1024], [0.4, 0.2, 0.1]), 6)
    -0.5
  """
  where = 'loglog_slope'
  arrays = {'widths': _positive_floats(where, 'widths', widths),
            'errors': _positive_floats(where, 'errors', errors)}
  _same_lengths(where, 'widths', arrays)
  if len(np.unique(arrays['widths'])) < 2:
    validation.refuse(ValueError, where, 'widths', arrays['widths'].tolist(),
                      'at least two distinct widths (a slope needs two '
                      'points)')
  slope, _ = np.polyfit(np.log(arrays['widths']), np.log(arrays['errors']), 1)
  return float(slope)


def width_multiplier(widths: Sequence[float], dense_errors: Sequence[float],
                     pruned_errors: Sequence[float]) -> float:
  r"""Width factor a pruned network needs to match the dense error.

  For each width :math:`w`, finds the width :math:`w'` at which the pruned
  curve reaches the dense error at :math:`w`, by linear interpolation in
  log-log, and returns the geometric mean of :math:`w' / w` over the widths
  where the dense error lies within the pruned curve's range. The paper's
  bound on the width needed grows as :math:`1/q`.

  Args:
    widths: widths, shared by both curves.
    dense_errors: errors of the dense network (sparsity 0).
    pruned_errors: errors of the pruned network.

  Returns:
    The multiplier, or NaN if no dense error lies within the pruned range.
  """
  where = 'width_multiplier'
  arrays = {'widths': _positive_floats(where, 'widths', widths),
            'dense_errors': _positive_floats(where, 'dense_errors',
                                             dense_errors),
            'pruned_errors': _positive_floats(where, 'pruned_errors',
                                              pruned_errors)}
  _same_lengths(where, 'widths', arrays)
  log_w, log_d, log_p = (np.log(a) for a in arrays.values())
  order = np.argsort(log_p)  # np.interp needs increasing abscissae.
  ratios = []
  for lw, ld in zip(log_w, log_d):
    if log_p.min() <= ld <= log_p.max():
      ratios.append(np.interp(ld, log_p[order], log_w[order]) - lw)
  return float(np.exp(np.mean(ratios))) if ratios else float('nan')
