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


"""The cost model that chooses between the `PAIRS` and `KEPT` paths.

A path's time is modelled as a sum of operation counts times seconds per
operation, the constants fitted per backend to timings of both paths. Only
the CPU's are measured: on the benchmark's machine (2 x86_64 cores, jax
0.4.25), 18 timings of both paths (widths 512 to 2048, keep probabilities
0.5 to 0.01, 16 x 32 and 128 x 128 examples, `benchmarks/empirical_ntk.py`),
where the model picks the faster path, or one within 5% of it, in all 18.
No accelerator has been measured: there the CPU's constants are used, and
`Options.path` forces a path.
"""

import dataclasses
import math

import jax

from nt_prune._src.empirical import factors


@dataclasses.dataclass(frozen=True)
class CostModel:
  """Seconds per operation of the `PAIRS` and `KEPT` paths.

  Attributes:
    pairs_multiply_add: a multiply-add of the squared mask's product.
    pairs_factor_entry: an entry of the products of factors, per row.
    pairs_mask_entry: squaring a mask entry.
    kept_gathered_value: a gathered value of the factors.
    kept_multiply_add: a multiply-add of the gathered columns' product.
    kept_mask_entry: a mask entry, to find the kept ones.
  """
  pairs_multiply_add: float
  pairs_factor_entry: float
  pairs_mask_entry: float
  kept_gathered_value: float
  kept_multiply_add: float
  kept_mask_entry: float

  def prefer_pairs(self, rows1: factors.Rows, rows2: factors.Rows, size: int,
                   capacity: int, out_size: int) -> bool:
    """Whether `PAIRS` is faster than `KEPT` at `capacity` entries.

    Args:
      rows1: `x1`'s factors of a dense layer.
      rows2: `x2`'s.
      size: the number of the weight's entries.
      capacity: the entries `KEPT` gathers (`size`: no search).
      out_size: the number of the kernel's entries.
    """
    gathered = sum(math.prod(a.shape[1:-1]) for r in (rows1, rows2)
                   for a in (r.x, r.g))
    search = self.kept_mask_entry * size * (capacity < size)
    kept = capacity * (self.kept_gathered_value * gathered +
                       self.kept_multiply_add * out_size) + search
    n_rows = rows1.x.shape[0] + rows1.g.shape[0]
    pairs = (out_size * (self.pairs_multiply_add * size +
                         self.pairs_factor_entry * n_rows) +
             self.pairs_mask_entry * size)
    return pairs < kept


_CPU = CostModel(
    pairs_multiply_add=6.5e-12,
    pairs_factor_entry=1.3e-9,
    pairs_mask_entry=1e-9,
    kept_gathered_value=0.37e-9,
    kept_multiply_add=3.9e-12,
    kept_mask_entry=1e-9)

# Per `jax.default_backend()`; a backend not listed (not measured) uses the
# CPU's constants.
COST_MODELS = {'cpu': _CPU}


def cost_model() -> CostModel:
  """The cost model of the default backend."""
  return COST_MODELS.get(jax.default_backend(), _CPU)
