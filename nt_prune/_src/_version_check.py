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

"""Refusing, at `import nt_prune`, the jax/numpy combinations known to break.

neural-tangents 0.6.5, NT's last release, was measured in fresh environments
(README, "Compatibility"):

* from jax 0.6.0 on it fails at import (`cannot import name 'Jaxpr' from
  'jax.core'`);
* jax 0.4.25 with numpy 2 imports, then fails at the first array (`Unable to
  avoid copy while creating an array as requested`);
* jax 0.4.25 to 0.5.3 with numpy 1.26, and jax >= 0.4.26 with numpy 1.26 or
  2, work.

`check_stack` runs before neural-tangents is imported and replaces those
tracebacks with one message that names the installed versions and the fix.
Versions are read from the installed distributions' metadata, so nothing is
imported to check them.
"""

from importlib import metadata
import re
from typing import Mapping, Optional

# The first jax release with which neural-tangents 0.6.5 fails at import.
FIRST_BROKEN_JAX = (0, 6, 0)
# The first jax release that works with numpy 2.
FIRST_JAX_WITH_NUMPY_2 = (0, 4, 26)

_FIX_NEWEST = "pip install 'jax>=0.4.26,<0.6' 'jaxlib>=0.4.26,<0.6'"
_FIX_OLDEST = "pip install 'nt-prune[structured-derivatives]'"


def release(version: str) -> tuple[int, ...]:
  """The numeric release of a version string: `'0.4.25.dev1'` -> (0, 4, 25)."""
  match = re.match(r'\d+(\.\d+)*', version.strip())
  if match is None:
    raise ValueError(f'`version` must start with a release number such as '
                     f'0.4.25, got {version!r}.')
  return tuple(int(part) for part in match.group(0).split('.'))


def installed_versions() -> dict[str, Optional[str]]:
  """Installed versions of jax, jaxlib and numpy (`None` if not installed)."""
  versions = {}
  for name in ('jax', 'jaxlib', 'numpy'):
    try:
      versions[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
      versions[name] = None
  return versions


def check_stack(versions: Mapping[str, Optional[str]]) -> None:
  """Raises `ImportError` for a jax/numpy combination known to be broken.

  Args:
    versions: installed versions by distribution name (`'jax'`, `'jaxlib'`,
      `'numpy'`), as `installed_versions` returns them.

  Raises:
    ImportError: jax >= 0.6.0, or jax 0.4.25 (or older) with numpy >= 2; the
      message names the installed versions and the command that fixes it.
  """
  jax_version, numpy_version = versions.get('jax'), versions.get('numpy')
  if jax_version is None or numpy_version is None:
    return  # pip installs both with nt_prune; the import itself will say.
  installed = ', '.join(f'{name} {v}' for name, v in versions.items()
                        if v is not None)
  if release(jax_version) >= FIRST_BROKEN_JAX:
    raise ImportError(
        f'nt_prune needs jax < 0.6: neural-tangents 0.6.5, its last release, '
        f'fails at import from jax 0.6.0 on. Installed: {installed}. Fix: '
        f'{_FIX_NEWEST} (or, for NT\'s structured-derivatives empirical NTK, '
        f'{_FIX_OLDEST} on Python <= 3.12).')
  if (release(jax_version) < FIRST_JAX_WITH_NUMPY_2 and
      release(numpy_version) >= (2,)):
    raise ImportError(
        f'jax {jax_version} does not work with numpy 2 (it fails at the first '
        f'array: "Unable to avoid copy while creating an array as '
        f'requested"). Installed: {installed}. Fix: either {_FIX_OLDEST} '
        f'(jax 0.4.25 with numpy 1.26, where NT\'s empirical NTK '
        f'implementation 3 works) or {_FIX_NEWEST} (numpy 2).')
