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

"""Sphinx configuration of nt_prune's API documentation.

Build (README, "Documentation"), warnings as errors, broken references
included (`-n`):

  sphinx-build -W --keep-going -n -q docs docs/_build/html

Besides Sphinx's own warnings, `_check_public_api` warns (so fails the
build) where a public name of a facade is not documented, or is documented
with an empty docstring.
"""

import importlib

import nt_prune

project = 'nt_prune'
author = 'The nt_prune Authors'
copyright = '2026, The nt_prune Authors'  # pylint: disable=redefined-builtin
release = nt_prune.__version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.mathjax',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
]
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
exclude_patterns = ['_build']
myst_heading_anchors = 3

# Docstrings are Google style (NT's) with reStructuredText math; single
# backticks mark code, as in NT's docstrings.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
default_role = 'code'
autodoc_member_order = 'bysource'
autodoc_typehints = 'signature'
autodoc_preserve_defaults = True

# Types from other libraries in signatures: no cross-reference target
# without network access to their inventories.
nitpick_ignore_regex = [
    (r'py:.*', r'(jax|jaxlib|jnp|np|numpy|nt|neural_tangents|stax|flax|nn|'
     r'optax|typing|collections|enum)(\..*)?'),
    (r'py:.*', r'(Any|Callable|Optional|Union|Sequence|Iterable|Mapping|'
     r'NamedTuple|Layer|Kernel|MaskLaw|PyTree|ArrayLike|Array|'
     r'Params|InternalLayer|ApplyFn|KernelFn|InitFn)'),
    (r'py:class', r'(int|float|str|bool|tuple|list|dict|NoneType|'
     r'function|object)'),
    # Sphinx 9 reads the flax `PrunedDense` field annotation `tuple[int, int]`
    # as a class named `tuple[int` (not so for the same field of `PrunedConv`).
    (r'py:class', r'tuple\[int'),
    # `empirical_ntk_fn`'s private `_options` (forcing a path, for tests).
    (r'py:class', r'nt_prune\._src\.empirical\.options\.Options'),
]

html_theme = 'alabaster'
html_title = f'nt_prune {release}'
html_static_path = []

FACADES = ('nt_prune', 'nt_prune.diagnostics', 'nt_prune.flax')


def _public_names(facade: str) -> list[str]:
  module = importlib.import_module(facade)
  return [f'{facade}.{name}' for name in module.__all__]


def _check_public_api(app, env):
  """Warns for every public name that the documentation does not describe."""
  documented = set(env.get_domain('py').objects)
  for facade in FACADES:
    for name in _public_names(facade):
      if name not in documented:
        _logger.warning('public name %s is not documented (docs/api.rst)',
                        name)


def _check_docstring(app, what, name, obj, options, lines):
  if what in ('function', 'class', 'method') and not any(
      line.strip() for line in lines):
    _logger.warning('%s %s has no docstring', what, name)


def setup(app):
  app.connect('env-check-consistency', _check_public_api)
  app.connect('autodoc-process-docstring', _check_docstring)


from sphinx.util import logging as _sphinx_logging  # pylint: disable=g-import-not-at-top

_logger = _sphinx_logging.getLogger('nt_prune.docs')
