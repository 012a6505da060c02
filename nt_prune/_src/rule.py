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

"""The pruning rule: sparsity, rescale mode, and the factors they imply.

Every weight entry is kept independently with probability `q = 1 - sparsity`
(mask `M_ij ~ Bernoulli(q)`); biases are never pruned. A rescale mode says
where the factor `1/sqrt(q)` that restores the dense forward variance goes:

===========  ===========  ==============  ===================  ==============
`rescale`    `init_fn`    `apply_fn`      forward variance,    weights' own
             multiplies   multiplies      carried NTK term     gradient term
             kept W by    kept W by
===========  ===========  ==============  ===================  ==============
`'forward'`  1            1/sqrt(q)       x 1 (dense)          x 1 (dense)
`'init'`     1/sqrt(q)    1               x 1 (dense)          x q
`None`       1            1               x q                  x q
===========  ===========  ==============  ===================  ==============

The last two columns follow from the first two: `q * forward_scale**2 *
init_scale**2` and `q * forward_scale**2` (see the properties below, and
`tests/kernel_rule_test.py`, which computes them from the scales), and are
the infinite-width kernel rule derived in `kernel_rule.py`. The properties
write the exact values (1 or `q`) so that the dense case is exact in floating
point.
"""

import dataclasses
from typing import Optional

from nt_prune._src.validation import check_rescale
from nt_prune._src.validation import check_sparsity


@dataclasses.dataclass(frozen=True)
class PruningRule:
  """A validated `(sparsity, rescale)` pair and the factors it implies.

  Attributes:
    sparsity: probability `p` that a weight entry is pruned, in `[0, 1)`.
    rescale: `'forward'`, `'init'` or `None`; see the module docstring.
  """
  sparsity: float
  rescale: Optional[str] = 'forward'

  def __post_init__(self):
    object.__setattr__(self, 'sparsity',
                       check_sparsity('PruningRule', self.sparsity))
    check_rescale('PruningRule', self.rescale)

  @property
  def keep_prob(self) -> float:
    """`q = 1 - sparsity`, the probability that a weight entry is kept."""
    return 1. - self.sparsity

  @property
  def init_scale(self) -> float:
    """Factor applied to kept weights once, in `init_fn`."""
    return self.keep_prob**-0.5 if self.rescale == 'init' else 1.

  @property
  def forward_scale(self) -> float:
    """Factor applied to kept weights in every `apply_fn` call."""
    return self.keep_prob**-0.5 if self.rescale == 'forward' else 1.

  @property
  def kept_variance_factor(self) -> float:
    """Variance of a kept weight's contribution, relative to the dense one.

    `forward_scale**2 * init_scale**2`: `1/q` with either rescale, 1 without.
    Given the mask, a layer's kernel is the dense kernel of its kept inputs
    with this factor on the forward variance (`nt_prune.serial` uses it on the
    raw inputs, where the mask does not average out).
    """
    return 1. / self.keep_prob if self.rescale is not None else 1.

  @property
  def kept_gradient_factor(self) -> float:
    """Factor on a kept weight's own gradient term, `forward_scale**2`."""
    return 1. / self.keep_prob if self.rescale == 'forward' else 1.

  @property
  def forward_variance_factor(self) -> float:
    """Factor on the weight part of the NNGP and on the carried NTK term.

    A kept weight enters the output as `forward_scale * init_scale * W` and is
    kept with probability `q`, so its variance is scaled by
    `q * forward_scale**2 * init_scale**2`: 1 with either rescale, `q`
    without (written out so that the dense case is exact in floating point).
    """
    return 1. if self.rescale is not None else self.keep_prob

  @property
  def weight_gradient_factor(self) -> float:
    """Factor on the NTK term of the layer's own weight gradients.

    The derivative of the output by a kept weight is `forward_scale` times the
    dense one, and only the kept fraction `q` of weights has a gradient:
    `q * forward_scale**2`, i.e. 1 for `'forward'` and `q` otherwise.
    """
    return 1. if self.rescale == 'forward' else self.keep_prob
