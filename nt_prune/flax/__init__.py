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

"""flax.linen twins of nt_prune's pruned layers, and the bridge to stax."""

from nt_prune._src.flax.bridge import count_pruned
from nt_prune._src.flax.bridge import to_flax_variables
from nt_prune._src.flax.bridge import to_stax
from nt_prune._src.flax.bridge import to_stax_params
from nt_prune._src.flax.layers import PrunedConv
from nt_prune._src.flax.layers import PrunedDense
from nt_prune._src.flax.parameter_free import AvgPool
from nt_prune._src.flax.parameter_free import Flatten
from nt_prune._src.flax.parameter_free import GlobalAvgPool

__all__ = [
    'AvgPool',
    'Flatten',
    'GlobalAvgPool',
    'PrunedConv',
    'PrunedDense',
    'count_pruned',
    'to_flax_variables',
    'to_stax',
    'to_stax_params',
]
