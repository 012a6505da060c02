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

"""Randomly pruned layers for neural-tangents with exact infinite-width kernels.

neural-tangents 0.6.5 (its last release) imports TensorFlow at import and runs
with jax 0.4.25 up to 0.5.x on Python 3.10 to 3.13; it fails at import from
jax 0.6.0 on. The ranges below are those measured to work (README,
"Compatibility"); CI tests the newest set a plain install resolves to and the
oldest one (`.ci/run`).

Two one-command installs:

* `pip install nt-prune`: the newest stack (jax 0.5.x, numpy 2), any Python
  3.10 to 3.13. NT's empirical NTK implementations 1 and 2 and
  `nt_prune.empirical_ntk_fn` work; NT's implementation 3 (structured
  derivatives) does not, since NT 0.6.5's needs jax <= 0.4.25.
* `pip install 'nt-prune[structured-derivatives]'`: jax 0.4.25 with numpy
  1.26, Python 3.10 to 3.12 (jaxlib 0.4.25 has no Python 3.13 wheels), where
  all three NT implementations work.
"""

import os
import re

import setuptools


def _version() -> str:
  path = os.path.join(os.path.dirname(__file__), 'nt_prune', '__init__.py')
  with open(path) as f:
    return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


INSTALL_REQUIRES = [
    # neural-tangents 0.6.5 fails at import from jax 0.6.0 on.
    'jax>=0.4.25,<0.6',
    'jaxlib>=0.4.25,<0.6',
    # numpy 2 needs jax >= 0.4.26; `import nt_prune` refuses jax 0.4.25 with
    # numpy 2 with a clear message (`nt_prune/_src/_version_check.py`).
    'numpy>=1.26,<3',
    'neural-tangents==0.6.5',
    # Imported by neural-tangents at import time; 2.18 is the first release
    # that supports numpy 2, 2.20 the first with Python 3.13 wheels.
    'tensorflow>=2.18,<2.22',
    'tf2jax>=0.3.6',
    # nt_prune.flax: flax.linen twins of the pruned layers. flax 0.11 needs
    # jax >= 0.6; the upper bound on optax guards against the same.
    'flax>=0.8.4,<0.11',
    'optax>=0.2.2,<0.3',
    # The examples and benchmarks are absl apps, as NT's (the README's demo).
    'absl-py>=1.4',
]

# The oldest stack, where NT's empirical NTK implementation 3 (structured
# derivatives) still works: it fails from jax 0.4.26 on, and jax 0.4.25 needs
# numpy < 2. jaxlib 0.4.25 has wheels for Python 3.9 to 3.12 only.
STRUCTURED_DERIVATIVES = ['jax==0.4.25', 'jaxlib==0.4.25', 'numpy>=1.26,<2']

# pytest-xdist: the README's test commands run the suite on two workers.
TEST = [
    'pytest>=7', 'pytest-xdist>=3', 'scikit-learn>=1.3', 'matplotlib>=3.7'
]

EXTRAS_REQUIRE = {
    'test': TEST,
    'examples': ['scikit-learn>=1.3', 'matplotlib>=3.7'],
    'structured-derivatives': STRUCTURED_DERIVATIVES,
}

setuptools.setup(
    name='nt-prune',
    version=_version(),
    description=('Randomly pruned layers for neural-tangents with exact '
                 'infinite-width NNGP and NTK.'),
    long_description=open(
        os.path.join(os.path.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache 2.0',
    packages=setuptools.find_packages(exclude=('tests', 'examples',
                                               'benchmarks')),
    python_requires='>=3.10,<3.14',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    classifiers=[
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
