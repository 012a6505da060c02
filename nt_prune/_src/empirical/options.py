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


"""Options of the empirical NTK engine, for tests and measurements.

`nt_prune.empirical_ntk_fn(..., _options=Options(...))` forces choices that
the engine otherwise makes by itself. The kernel is exact with any options;
they change only how it is computed (and so its speed), which is what the
tests use them for: every path on every network, and loops of many small
steps. The argument is private (its name starts with `_`) but documented:
it may change between releases.
"""

import dataclasses
import enum
from typing import Optional

from nt_prune._src import validation


class Path(enum.Enum):
  """How a weight leaf's term of the kernel is contracted (`paths.py`).

  `KEPT` applies to every leaf that reaches one product; the others to a
  dense layer's weight where examples are independent (`vmap_axes`) and
  their axis is neither traced nor diagonal: `PAIRS` always, `KRONECKER`
  where its multiplier is one number (no mask), `DROPPED` where every kept
  entry has one multiplier and the mask declares its keep probability.
  """
  KEPT = 'kept'  # Gathered columns at the kept entries.
  DROPPED = 'dropped'  # The unpruned term less the dropped entries' columns.
  PAIRS = 'pairs'  # One matrix product of the squared mask, per example pair.
  KRONECKER = 'kronecker'  # NT's factorization of an unpruned layer.


@dataclasses.dataclass(frozen=True)
class Options:
  """Choices the engine makes by itself unless told.

  Attributes:
    path: the path of every leaf where it applies (see `Path`); elsewhere, and
      where `None`, the engine's choice (by its cost model).
    step_elements: values gathered per step of the loop over kept entries:
      memory stays bounded whatever the number of kept entries.
    gradient_elements: the largest summed per-example gradient formed for a
      convolution, in elements (`factors.rows`); above it, the columns are
      gathered from the factors.
  """
  path: Optional[Path] = None
  step_elements: int = 2**20
  gradient_elements: int = 2**23

  def __post_init__(self):
    if self.path is not None and not isinstance(self.path, Path):
      validation.refuse(TypeError, 'Options', 'path', self.path,
                        'a Path or None')
    for name, least in (('step_elements', 1), ('gradient_elements', 0)):
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or (
          value < least):
        validation.refuse(ValueError, 'Options', name, value,
                          f'an integer of at least {least}')
