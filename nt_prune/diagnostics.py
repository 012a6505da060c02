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

"""Finite pruned networks against their infinite-width limit.

`kernel_convergence` measures, for any architecture builder, how far the
empirical NNGP and NTK of finite networks are from `kernel_fn`, over widths,
sparsities, rescale modes and mask laws; the rest fits and stores the result.
"""

# pylint: disable=g-importing-member
from nt_prune._src.diagnostics import ConvergencePoint
from nt_prune._src.diagnostics import CSV_COLUMNS
from nt_prune._src.diagnostics import from_csv
from nt_prune._src.diagnostics import kernel_convergence
from nt_prune._src.diagnostics import loglog_slope
from nt_prune._src.diagnostics import mask_label
from nt_prune._src.diagnostics import relative_error
from nt_prune._src.diagnostics import to_csv
from nt_prune._src.diagnostics import width_multiplier

__all__ = [
    'CSV_COLUMNS',
    'ConvergencePoint',
    'from_csv',
    'kernel_convergence',
    'loglog_slope',
    'mask_label',
    'relative_error',
    'to_csv',
    'width_multiplier',
]
