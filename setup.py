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

`pip install -e .` on a fresh Python 3.11 machine gives a working stack:
neural-tangents 0.6.5 (its last release) imports TensorFlow, and its default
empirical NTK breaks from jax 0.4.26 on, while jax <= 0.4.25 needs numpy < 2.
The pins below are a set measured to work together.
"""

import os
import re

import setuptools


def _version() -> str:
  path = os.path.join(os.path.dirname(__file__), 'nt_prune', '__init__.py')
  with open(path) as f:
    return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


INSTALL_REQUIRES = [
    'jax==0.4.25',
    'jaxlib==0.4.25',
    'numpy>=1.26,<2',
    'neural-tangents==0.6.5',
    # Imported by neural-tangents at import time; pinned so that a future
    # release that needs numpy >= 2 cannot break the stack.
    'tensorflow==2.21.0',
    'tf2jax==0.3.6',
    'ml_dtypes==0.5.4',
    'frozendict>=2.3.8',
    # nt_prune.flax: flax.linen twins of the pruned layers.
    'flax==0.8.4',
    'optax==0.2.2',
    'chex==0.1.86',
    'orbax-checkpoint==0.5.18',
]

EXTRAS_REQUIRE = {
    'test': ['pytest>=7', 'absl-py>=1.4', 'scikit-learn>=1.3',
             'matplotlib>=3.7'],
    'examples': ['scikit-learn>=1.3', 'matplotlib>=3.7', 'absl-py>=1.4'],
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
    python_requires='>=3.11,<3.12',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    classifiers=[
        'Programming Language :: Python :: 3.11',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
