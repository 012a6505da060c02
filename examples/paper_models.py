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

"""The paper's NTK architecture and inputs, shared by the examples (no flags).

The authors' NTK experiment: ReLU MLP, input dimension 10 (inputs on the unit
sphere), three hidden layers, scalar output, no biases, NTK parameterization;
the first layer dense, the hidden and readout layers pruned.
"""

from jax import random
from neural_tangents import stax
import numpy as np

import nt_prune


def relu_mlp(width, sparsity, rescale='forward', mask='bernoulli'):
  """The authors' architecture: dense first layer, pruned rest, no biases."""
  pruned = nt_prune.pruned(stax.Dense, sparsity=sparsity, rescale=rescale,
                           mask=mask)
  return stax.serial(
      stax.Dense(width), stax.Relu(),
      pruned(width), stax.Relu(),
      pruned(width), stax.Relu(),
      pruned(1))


def sphere_inputs(n_inputs, dimension=10, seed=0):
  """`n_inputs` points on the unit sphere, as in the authors' notebook."""
  x = random.normal(random.PRNGKey(seed), (n_inputs, dimension))
  return x / np.linalg.norm(x, axis=1, keepdims=True)
