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

"""nt_prune: randomly pruned layers for neural-tangents.

Pruned layers are ordinary `neural_tangents.stax` layers whose `init_fn` draws
weights and a random mask, whose `apply_fn` runs the finite pruned network, and
whose `kernel_fn` gives the exact infinite-width NNGP and NTK.

The flax.linen twins live in `nt_prune.flax`, imported on its own
(`from nt_prune import flax as npf`), so that flax is loaded only when used.
"""

__version__ = '0.1.0'

# Before anything imports neural-tangents: refuse a stack known (or not
# known) to break with one clear message instead of a traceback, then make
# every import of NT 0.6.5 load its source with the upstream patch applied.
# pylint: disable=g-import-not-at-top,g-bad-import-order
from nt_prune._src import _version_check
from nt_prune._src import nt_patch
_VERSIONS = _version_check.installed_versions()
_version_check.check_stack(_VERSIONS)
_version_check.check_nt_module(_VERSIONS)
nt_patch.install()

# pylint: disable=g-importing-member
# Layers.
from nt_prune._src.layers import PrunedConv
from nt_prune._src.layers import PrunedDense
from nt_prune._src.pruned import pruned
from nt_prune._src.pruned import SUPPORTED_CONSTRUCTORS

# Networks pruned in every layer: the exact kernel of a pruned input layer.
from nt_prune._src.input_mixture import MaskSamples
from nt_prune._src.input_mixture import MAX_ENUMERATED_MASKS
from nt_prune._src.input_mixture import serial

# Pruning: rule, mask laws, per-layer sparsities.
from nt_prune._src.mask_laws import MASK_LAWS
from nt_prune._src.mask_laws import NByM
from nt_prune._src.rule import PruningRule
from nt_prune._src.sparsity_distributions import global_sparsity
from nt_prune._src.sparsity_distributions import layer_sparsities
from nt_prune._src.validation import RESCALE_MODES

# Masks in training.
from nt_prune._src.mask_keeping import keep_masks
from nt_prune._src.mask_keeping import pruning_masks
from nt_prune._src.masking import kept
from nt_prune._src.masking import remask

# Finite width.
from nt_prune import diagnostics
from nt_prune._src.empirical import empirical_ntk_fn

__all__ = [
    'MASK_LAWS',
    'MAX_ENUMERATED_MASKS',
    'NByM',
    'PrunedConv',
    'PrunedDense',
    'PruningRule',
    'RESCALE_MODES',
    'SUPPORTED_CONSTRUCTORS',
    'diagnostics',
    'empirical_ntk_fn',
    'global_sparsity',
    'keep_masks',
    'kept',
    'layer_sparsities',
    'MaskSamples',
    'pruned',
    'pruning_masks',
    'remask',
    'serial',
]
