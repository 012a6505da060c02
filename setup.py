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

nt_prune runs neural-tangents (NT) 0.6.5, NT's last release, with the
upstream patch `nt_prune/_src/neural_tangents-0.6.5.patch` applied to NT's
source at import, so NT works on every jax from 0.4.25 to 0.12.x, all of its
empirical NTK implementations included, and without TensorFlow.

NT is deliberately not in `install_requires`: NT 0.6.5 declares TensorFlow
(1.9 GB, no Python 3.14 wheels) as a dependency although only its TensorFlow
interop `nt.experimental` uses it, and pip always installs a requirement's
declared dependencies. So the install is (README, "Install"):

    pip install . && pip install --no-deps neural-tangents==0.6.5

and `import nt_prune` names that command if NT is missing. NT's one other
dependency, frozendict, is ours. For `nt.experimental`, the `tensorflow`
extra installs NT with its dependencies, TensorFlow among them.

`pip install .` also installs `nt_prune-nt-patch.pth`, which patches NT when
Python starts, so `import neural_tangents` works before `import nt_prune`;
an editable install (`pip install -e .`) does not, so import nt_prune first.
"""

import os
import re

import setuptools
from setuptools.command import build_py

_PTH = 'nt_prune-nt-patch.pth'


def _version() -> str:
  path = os.path.join(os.path.dirname(__file__), 'nt_prune', '__init__.py')
  with open(path) as f:
    return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


class BuildPyWithPth(build_py.build_py):
  """Puts the startup hook `nt_prune-nt-patch.pth` at site-packages' top."""

  def run(self):
    super().run()
    self.copy_file(os.path.join('nt_prune', '_src', _PTH),
                   os.path.join(self.build_lib, _PTH))

  def get_outputs(self, include_bytecode=True):
    return (super().get_outputs(include_bytecode) +
            [os.path.join(self.build_lib, _PTH)])


INSTALL_REQUIRES = [
    # Tested from 0.4.25 to 0.12.x; `import nt_prune` refuses a newer jax.
    'jax>=0.4.25,<0.13',
    'jaxlib>=0.4.25,<0.13',
    # numpy 2 needs jax >= 0.4.26; `import nt_prune` refuses jax 0.4.25 with
    # numpy 2 with a clear message (`nt_prune/_src/_version_check.py`).
    'numpy>=1.26,<3',
    # neural-tangents 0.6.5's dependency other than TensorFlow (see above).
    'frozendict>=2.3.8',
    # nt_prune.flax: flax.linen twins of the pruned layers.
    'flax>=0.8.4,<0.13',
    'optax>=0.2.2,<0.3',
    # The examples and benchmarks are absl apps, as NT's (the README's demo).
    'absl-py>=1.4',
]

# The oldest stack: jax 0.4.25 needs numpy < 2; jaxlib 0.4.25 has wheels for
# Python 3.9 to 3.12 only.
OLDEST = ['jax==0.4.25', 'jaxlib==0.4.25', 'numpy>=1.26,<2']

# NT with its declared dependencies, for its TensorFlow interop
# (`nt.experimental`), where TensorFlow has wheels.
TENSORFLOW = ['neural-tangents==0.6.5', 'tensorflow>=2.15', 'tf2jax>=0.3.5']

# pytest-xdist: the test commands (README, CONTRIBUTING) run on two workers.
TEST = [
    'pytest>=7', 'pytest-xdist>=3', 'scikit-learn>=1.3', 'matplotlib>=3.7'
]

EXAMPLES = ['scikit-learn>=1.3', 'matplotlib>=3.7']

# The API documentation (Sphinx, Markdown pages through MyST) and the
# notebook, executed by `jupyter execute` (nbclient) in CI.
DOCS = ['sphinx>=7', 'myst-parser>=2', 'nbclient>=0.7', 'nbformat>=5',
        'ipykernel>=6'] + EXAMPLES

EXTRAS_REQUIRE = {
    'test': TEST,
    'examples': EXAMPLES,
    'docs': DOCS,
    'oldest': OLDEST,
    'tensorflow': TENSORFLOW,
}

setuptools.setup(
    name='nt-prune',
    version=_version(),
    description=('Randomly pruned layers for neural-tangents with exact '
                 'infinite-width NNGP and NTK.'),
    long_description=open(
        os.path.join(os.path.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    author='The nt_prune Authors',
    license='Apache-2.0',
    license_files=['LICENSE'],
    keywords=('neural tangent kernel, NTK, NNGP, pruning, sparsity, '
              'infinite width, jax, neural-tangents'),
    # The project's own repository is not yet public: to be added with it.
    project_urls={
        'Paper (Yang & Wang, AISTATS 2023)':
            'https://arxiv.org/abs/2203.14328',
        'neural-tangents': 'https://github.com/google/neural-tangents',
        'Paper authors\' code':
            'https://github.com/VITA-Group/Random-Pruning-NTK',
    },
    packages=setuptools.find_packages(exclude=('tests', 'examples',
                                               'benchmarks')),
    package_data={'nt_prune': ['_src/*.patch', f'_src/{_PTH}']},
    cmdclass={'build_py': BuildPyWithPth},
    python_requires='>=3.10,<3.14',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Science/Research',
        'Operating System :: POSIX :: Linux',
        'Operating System :: MacOS',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Mathematics',
    ],
)
