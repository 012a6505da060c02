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

"""Empirical NTK timings: nt_prune.empirical_ntk_fn and NT's, in one process.

For each network (`examples/networks.py`: the paper's ReLU MLP, a dense first
layer and three pruned layers, and the examples' CNN with a pruned readout),
width, sparsity and batch, times, with `jax.jit`
and `block_until_ready`, the median of `--repeats` runs (up to 25 where
they take under a second in all) after a warm-up to the steady state a loop
of calls runs at (the first call compiles; then up to 10 calls or a second):

* `nt_prune.empirical_ntk_fn` on the pruned network, with `vmap_axes=0`
  (`nt_prune`) and called as NT's users call it, with the default
  `vmap_axes=None` (`nt_prune_default`); for the MLP, also on the flax twin
  of the network (`nt_prune_flax`, `flax_over_stax` its ratio to the stax
  twin's time, with the same weights);
* each of NT's implementations (1 Jacobian contraction, NT's default;
  2 NTK-vector products; 3 structured derivatives, NT's fastest) that the
  installed jax can run, on the pruned network and on the dense network of
  the same width (`sparsity=0`, plain stax layers).

NT's implementations get `vmap_axes=0` (examples are independent), NT's
recommended setting. A case whose warm-up takes over a minute is timed once.
Ratios are against NT's fastest implementation on the dense network
(`vs_dense_best`) and on the pruned network (`vs_pruned_best`); they are
printed and written to `--out` as CSV, with the machine and device, and the
README's
table is printed last (its last column is `1 / vs_pruned_best`: how many
times faster nt_prune is). NT's implementations all run on every supported
jax (nt_prune patches NT 0.6.5 at import); one that fails is reported with
its error and left out.

  python benchmarks/empirical_ntk.py [--quick] [--out results.csv]
      [--batches 16x32,128x128]
"""

import csv
import os
import platform
import statistics
import sys
import time

from absl import app
from absl import flags
import jax
from jax import random
import neural_tangents as nt

import nt_prune
from nt_prune import flax as npf

sys.path.insert(0, os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'examples'))
# pylint: disable=g-import-not-at-top,wrong-import-position
import networks
# pylint: enable=g-import-not-at-top,wrong-import-position

_QUICK = flags.DEFINE_bool('quick', False, 'One small case per network.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed runs per case, at least.')
_OUT = flags.DEFINE_string('out', 'benchmarks/empirical_ntk.csv',
                           'Where to write the CSV.')
_BATCHES = flags.DEFINE_list(
    'batches', ['16x32', '128x128'],
    'The MLP\'s batches `n1xn2` to time (the CNN is always timed).')

_WARM_UP_CALLS = 10
_WARM_UP_SECONDS = 1.
_MAX_REPEATS = 25

_NT = {1: nt.NtkImplementation.JACOBIAN_CONTRACTION,
       2: nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
       3: nt.NtkImplementation.STRUCTURED_DERIVATIVES}


def _build(arch: str, width: int, sparsity: float):
  """The network (plain stax layers where `sparsity` is 0)."""
  pruning = None if sparsity == 0 else sparsity
  if arch == 'mlp':
    return networks.paper_mlp(width, pruning)
  return networks.cnn(width, sparsity=pruning, b_std=None, out_dim=1)


def network(arch: str, width: int, sparsity: float, n1: int, n2: int):
  """`x1, x2, params, apply_fn` of a case."""
  shape = (32,) if arch == 'mlp' else (8, 8, 3)
  x1 = random.normal(random.PRNGKey(0), (n1,) + shape)
  x2 = random.normal(random.PRNGKey(1), (n2,) + shape)
  init_fn, apply_fn, _ = _build(arch, width, sparsity)
  _, params = init_fn(random.PRNGKey(2), x1.shape)
  return x1, x2, params, apply_fn


def flax_twin(width: int, sparsity: float, x1):
  """The flax MLP, its variables, and its stax twin's `apply_fn` and params.

  The paper's architecture in flax (ReLU, three hidden layers, no biases;
  `W_std=1.5`, which does not change the time), and its stax twin
  (`nt_prune.flax.to_stax`) with the same weights.
  """
  model = networks.flax_mlp(width, sparsity=sparsity, b_std=None, depth=3,
                            out_dim=1)
  variables = model.init(random.PRNGKey(2), x1)
  _, stax_apply, _ = npf.to_stax(model)
  params = npf.to_stax_params(model, variables, x1.shape)
  return model, variables, stax_apply, params


def machine() -> str:
  """The machine, jax, Python and device, for the CSV."""
  device = jax.devices()[0]
  return (f'{platform.machine()}, {os.cpu_count()} cores, jax '
          f'{jax.__version__}, Python {platform.python_version()}, '
          f'{device.platform}: {device.device_kind}')


def _median_seconds(fn, *args) -> float:
  start = time.perf_counter()
  jax.block_until_ready(fn(*args))  # Warm-up: compiles.
  # A case whose warm-up (compilation included) takes over a minute is timed
  # once: its ratio to the others is large either way.
  if time.perf_counter() - start > 60:
    repeats = 1
  else:
    # Warm-up to the steady state a loop over calls runs at: the first runs
    # after compiling are measurably slower, by up to 30% over 8 calls
    # (buffers are first allocated), for every implementation alike. Up to
    # `_WARM_UP_CALLS` calls or `_WARM_UP_SECONDS`, whichever comes first.
    start, calls = time.perf_counter(), 0
    while (calls < _WARM_UP_CALLS and
           time.perf_counter() - start < _WARM_UP_SECONDS):
      jax.block_until_ready(fn(*args))
      calls += 1
    # More timed runs where they are cheap: a median of 5 moves by 10%.
    each = (time.perf_counter() - start) / calls
    repeats = max(_REPEATS.value, min(_MAX_REPEATS, int(1. / each)))
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def time_call(ntk_fn, x1, x2, params) -> float:
  """Seconds per call of `jax.jit(ntk_fn)` (a median), or NaN if it fails."""
  try:
    return _median_seconds(jax.jit(ntk_fn), x1, x2, params)
  except Exception as e:  # pylint: disable=broad-except
    print(f'    skipped: {type(e).__name__}: {str(e)[:120]}')
    return float('nan')


def alternating_medians(calls, x1, x2, rounds: int) -> dict[str, float]:
  """Median seconds of each `(ntk_fn, params)` in `calls`, timed in turns.

  Each round times every call once (`time_call`), in order, so that slow
  drifts of the machine affect all alike.
  """
  times = {name: [] for name in calls}
  for _ in range(rounds):
    for name, (ntk_fn, params) in calls.items():
      times[name].append(time_call(ntk_fn, x1, x2, params))
  return {name: statistics.median(t) for name, t in times.items()}


def cases():
  if _QUICK.value:
    return [('mlp', 256, 0.9, 16, 32), ('cnn', 16, 0.9, 4, 8)]
  cases = []
  for batch in _BATCHES.value:
    n1, n2 = _batch(batch)
    cases += [('mlp', width, sparsity, n1, n2) for width in (512, 1024, 2048)
              for sparsity in (0.1, 0.5, 0.9, 0.99)]
    if batch == _BATCHES.value[0]:
      cases += [('cnn', 64, 0.9, 8, 16)]
  return cases


def _batch(batch: str) -> tuple[int, int]:
  """`'16x32'` as `(16, 32)`; refuses anything else with the flag named."""
  n = batch.split('x')
  if len(n) != 2 or not all(v.isdigit() and int(v) > 0 for v in n):
    raise app.UsageError(
        f'--batches: {batch!r} is not a batch; allowed: n1xn2 with positive '
        'integers, such as 16x32')
  return int(n[0]), int(n[1])


def markdown(rows) -> str:
  """The README's table of `rows` (seconds and ratios)."""
  def times(row, label):
    return ' / '.join(f'{row[f"nt{i}_{label}"]:.4f}' for i in _NT)
  lines = [
      '| network | width | sparsity | batch | nt_prune | nt_prune, default '
      'call | NT 1 / 2 / 3 on the pruned network | NT 1 / 2 / 3 on the dense '
      'network | nt_prune / NT\'s best on dense | NT\'s best on pruned / '
      'nt_prune | flax / stax |',
      '|---|---|---|---|---|---|---|---|---|---|---|']
  for row in rows:
    lines.append(
        f'| {row["arch"]} | {row["width"]} | {row["sparsity"]} | '
        f'{row["n1"]}x{row["n2"]} | {row["nt_prune"]:.4f} | '
        f'{row["nt_prune_default"]:.4f} | {times(row, "pruned")} | '
        f'{times(row, "dense")} | {row["vs_dense_best"]:.2f} | '
        f'{1 / row["vs_pruned_best"]:.2f} | {row["flax_over_stax"]:.2f} |')
  return '\n'.join(lines)


def _nt_times(apply_fn, label, x1, x2, params) -> dict[str, float]:
  times = {}
  for i, implementation in _NT.items():
    times[f'nt{i}_{label}'] = time_call(nt.empirical_ntk_fn(
        apply_fn, vmap_axes=0, implementation=implementation), x1, x2, params)
    print(f'  NT {i} on the {label} network: '
          f'{times[f"nt{i}_{label}"]:.4f} s')
  return times


def _nt_prune_times(arch, width, sparsity, x1, x2, params, apply_fn):
  """nt_prune's times: `vmap_axes=0`, the default call, the flax twin."""
  times = {'nt_prune': time_call(nt_prune.empirical_ntk_fn(
      apply_fn, vmap_axes=0), x1, x2, params)}
  times['nt_prune_default'] = time_call(nt_prune.empirical_ntk_fn(apply_fn),
                                        x1, x2, params)
  times['nt_prune_flax'] = times['flax_over_stax'] = float('nan')
  if arch == 'mlp':
    model, variables, stax_apply, stax_params = flax_twin(width, sparsity, x1)
    twin = time_call(nt_prune.empirical_ntk_fn(stax_apply, vmap_axes=0), x1,
                     x2, stax_params)
    times['nt_prune_flax'] = time_call(nt_prune.empirical_ntk_fn(
        lambda v, x: model.apply(v, x), vmap_axes=0), x1, x2, variables)
    times['flax_over_stax'] = times['nt_prune_flax'] / twin
  for key, value in times.items():
    print(f'  {key}: {value:.4f}')
  return times


def main(argv):
  del argv
  print(f'Machine: {machine()}')
  rows = []
  for arch, width, sparsity, n1, n2 in cases():
    print(f'{arch} width={width} sparsity={sparsity} batch={n1}x{n2}')
    times = {}
    for label, s in (('pruned', sparsity), ('dense', 0.)):
      x1, x2, params, apply_fn = network(arch, width, s, n1, n2)
      times.update(_nt_times(apply_fn, label, x1, x2, params))
      if label == 'pruned':
        times.update(_nt_prune_times(arch, width, sparsity, x1, x2, params,
                                     apply_fn))
    best = {label: min((t for k, t in times.items()
                        if k.startswith('nt') and k.endswith(label) and
                        t == t), default=float('nan'))
            for label in ('dense', 'pruned')}
    row = dict(machine=machine(), arch=arch, width=width, sparsity=sparsity,
               n1=n1, n2=n2, **times,
               vs_dense_best=times['nt_prune'] / best['dense'],
               vs_pruned_best=times['nt_prune'] / best['pruned'])
    print(f'  nt_prune / NT best on dense: {row["vs_dense_best"]:.3f}; '
          f'/ NT best on pruned: {row["vs_pruned_best"]:.3f}')
    rows.append(row)
    # Written after every case, so that a long run keeps what it measured.
    os.makedirs(os.path.dirname(_OUT.value) or '.', exist_ok=True)
    with open(_OUT.value, 'w', newline='') as f:
      writer = csv.DictWriter(f, list(rows[0]))
      writer.writeheader()
      writer.writerows(rows)
  print(f'Wrote {_OUT.value}')
  print(markdown(rows))


if __name__ == '__main__':
  app.run(main)
