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


r"""The exact empirical NTK of (pruned) networks, at the cost of kept weights.

The empirical NTK is a sum over parameter leaves,

.. math::

  \Theta(x_1, x_2) = \sum_\ell J_\ell(x_1) J_\ell(x_2)^T, \qquad
  J_\ell(x) = \partial f(x) / \partial \theta_\ell,

and a weight that enters the network only through
:math:`y = x \cdot (m \odot W)` (a `dot_general`, as in `stax.Dense`,
possibly masked and scaled elementwise by :math:`m`, as in nt_prune's pruned
layers, whose :math:`m` is :math:`c_f \cdot (W \ne 0)`) has

.. math::

  J_W(x)_{o, (i, j)} = m_{ij} \sum_r x_{r i} \, g_{o r j}, \qquad
  g = \partial f / \partial y,

which vanishes wherever :math:`m_{ij} = 0`. So only the columns of kept
entries are formed, from one forward pass that records :math:`x` and one
backward pass per output unit that gives :math:`g`: the contraction costs
:math:`N_1 N_2 O^2 \, \mathrm{nnz}(m)` multiply-adds, against
:math:`N_1 N_2 O^2 |W|` for NT's Jacobian contraction. A convolution is the
`dot_general` of its input's patches with its kernel as a matrix.

The modules, in the order the pipeline uses them:

==================  =========================================================
`ntk.py`            the public entry, `empirical_ntk_fn`: the pipeline
`jaxpr_access.py`   the one access to jaxpr structures that moved between
                    jax versions
`analysis.py`       which leaves reach one product, and how (a rule per
                    primitive)
`passes.py`         the evaluating passes and their derivative rules
`patches.py`        a convolution as a product of patches with a matrix
`factors.py`        a leaf's Jacobian factors, rows first, for gathering
`compaction.py`     the kept entries of a mask, at a static capacity
`layout.py`         NT's output layout: traces, diagonals, example axis
`paths.py`          the contraction paths of a leaf's term, and the guard
`cost_model.py`     the cost model that chooses between paths, per backend
`options.py`        the options that force a path or step size (tests)
==================  =========================================================
"""

from nt_prune._src.empirical.ntk import empirical_ntk_fn
from nt_prune._src.empirical.options import Options
from nt_prune._src.empirical.options import Path

__all__ = ['Options', 'Path', 'empirical_ntk_fn']
