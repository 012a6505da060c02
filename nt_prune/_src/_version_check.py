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

"""Refusing, at `import nt_prune`, the stacks known or not known to work.

nt_prune runs neural-tangents 0.6.5 (NT's last release) with the upstream
patch applied at import (`nt_patch.py`), which makes it work on every jax
from 0.4.25 to the newest release tested, without TensorFlow. Measured in
fresh environments (docs/compatibility.md):

* jax 0.4.25 with numpy 2 imports, then fails at the first array (`Unable to
  avoid copy while creating an array as requested`);
* a jax newer than the newest tested has not been tried: it is refused,
  rather than risking a wrong number;
* an NT other than 0.6.5 is not the source the patch is written against;
* an NT imported before nt_prune runs unpatched, which is broken from jax
  0.4.26 on (NT's empirical NTK implementations 3 and AUTO; its import from
  jax 0.6.0 on).

`check_stack` runs before neural-tangents is imported and replaces those
tracebacks with one message that names the installed versions and the fix.
Versions are read from the installed distributions' metadata, so nothing is
imported to check them.
"""

import re
import sys
from typing import Mapping, Optional

from nt_prune._src import nt_patch

# The newest jax release nt_prune and patched NT are tested with (CI's
# newest stack); a later one is refused until it is tested.
NEWEST_TESTED_JAX = (0, 12)
# The first jax release that works with numpy 2.
FIRST_JAX_WITH_NUMPY_2 = (0, 4, 26)
# The first jax release with which unpatched NT 0.6.5 is broken.
FIRST_JAX_NEEDING_PATCH = (0, 4, 26)

_FIX_NEWEST = "pip install -U 'jax<0.13' 'jaxlib<0.13'"
_FIX_OLDEST = "pip install 'nt-prune[oldest]'"
_FIX_NT = f'pip install --no-deps neural-tangents=={nt_patch.NT_VERSION}'


def release(version: str) -> tuple[int, ...]:
  """The numeric release of a version string: `'0.4.25.dev1'` -> (0, 4, 25)."""
  match = re.match(r'\d+(\.\d+)*', version.strip())
  if match is None:
    raise ValueError(f'`version` must start with a release number such as '
                     f'0.4.25, got {version!r}.')
  return tuple(int(part) for part in match.group(0).split('.'))


def installed_versions() -> dict[str, Optional[str]]:
  """Installed versions of jax, jaxlib, numpy and neural-tangents.

  `None` for a distribution that is not installed.
  """
  return {name: nt_patch.installed_version(name)
          for name in ('jax', 'jaxlib', 'numpy', 'neural-tangents')}


def check_stack(versions: Mapping[str, Optional[str]]) -> None:
  """Raises `ImportError` for a stack that is known or not known to work.

  Args:
    versions: installed versions by distribution name (`'jax'`, `'jaxlib'`,
      `'numpy'`, `'neural-tangents'`), as `installed_versions` returns them.

  Raises:
    ImportError: neural-tangents missing or not 0.6.5; jax newer than the
      newest tested; jax 0.4.25 (or older) with numpy >= 2. The message names
      the installed versions and the command that fixes it.
  """
  jax_version, numpy_version = versions.get('jax'), versions.get('numpy')
  nt_version = versions.get('neural-tangents')
  installed = ', '.join(f'{name} {v}' for name, v in versions.items()
                        if v is not None)
  if nt_version != nt_patch.NT_VERSION:
    raise ImportError(
        f'nt_prune needs neural-tangents {nt_patch.NT_VERSION} (its last '
        f'release, which nt_prune patches for current jax), got '
        f'{nt_version or "none"}. Installed: {installed}. Fix: {_FIX_NT} '
        f'(--no-deps keeps out TensorFlow, which NT declares but uses only in '
        f'nt.experimental).')
  if jax_version is None or numpy_version is None:
    return  # pip installs both with nt_prune; the import itself will say.
  newest = '.'.join(map(str, NEWEST_TESTED_JAX))
  if release(jax_version)[:len(NEWEST_TESTED_JAX)] > NEWEST_TESTED_JAX:
    raise ImportError(
        f'nt_prune is tested with jax up to {newest}.x, and jax '
        f'{jax_version} is newer: nt_prune refuses it rather than risk a '
        f'wrong kernel. Installed: {installed}. Fix: {_FIX_NEWEST}.')
  if (release(jax_version) < FIRST_JAX_WITH_NUMPY_2 and
      release(numpy_version) >= (2,)):
    raise ImportError(
        f'jax {jax_version} does not work with numpy 2 (it fails at the first '
        f'array: "Unable to avoid copy while creating an array as '
        f'requested"). Installed: {installed}. Fix: either {_FIX_OLDEST} '
        f'(jax 0.4.25 with numpy 1.26) or {_FIX_NEWEST} (numpy 2).')


def check_nt_module(versions: Mapping[str, Optional[str]]) -> None:
  """Raises `ImportError` if NT was imported unpatched where that is broken.

  Args:
    versions: as for `check_stack`.

  Raises:
    ImportError: `neural_tangents` was imported before nt_prune without the
      patch (an editable install of nt_prune has no startup hook), and jax is
      0.4.26 or newer, where unpatched NT 0.6.5 is broken.
  """
  module = sys.modules.get('neural_tangents')
  jax_version = versions.get('jax')
  if (module is None or nt_patch.is_patched(module) or jax_version is None or
      release(jax_version) < FIRST_JAX_NEEDING_PATCH):
    return
  raise ImportError(
      f'neural_tangents was imported before nt_prune and runs unpatched, '
      f'which breaks its empirical NTK on jax {jax_version} (unpatched '
      f'neural-tangents {nt_patch.NT_VERSION} works only up to jax 0.4.25). '
      f'Fix: import nt_prune before neural_tangents, or install nt_prune '
      f'without -e (pip install .): its startup hook patches NT in any '
      f'import order.')
