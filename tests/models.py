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

"""The tests' networks and data are the examples' (`examples/networks.py`).

One builder per architecture: this module only puts `examples/` on the path
and re-exports.
"""

import os
import sys

sys.path.insert(0, os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'examples'))
# pylint: disable=g-import-not-at-top,g-importing-member,wrong-import-position
from networks import cnn
from networks import digits
from networks import flax_cnn
from networks import flax_mlp
from networks import mlp

__all__ = ['cnn', 'digits', 'flax_cnn', 'flax_mlp', 'mlp']
