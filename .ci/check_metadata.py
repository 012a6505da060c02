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

"""Checks the sdist and wheel that `python -m build` made: complete metadata.

  python .ci/check_metadata.py DIST_DIR

The wheel's METADATA must name a summary, the README as a Markdown
description, the licence and its file, project URLs, a Python range whose
versions are each a classifier, and a bounded range for every tested core
dependency; both archives must carry the NT patch and the startup hook, the
sdist the files that rebuild the wheel. Exits 1, naming every gap.
"""

import email
import pathlib
import re
import sys
import tarfile
import zipfile

_BOUNDED = ('jax', 'jaxlib', 'numpy', 'flax', 'optax')
_PATCH = 'nt_prune/_src/neural_tangents-0.6.5.patch'
_HOOK = 'nt_prune-nt-patch.pth'


def wheel_gaps(path: pathlib.Path) -> list[str]:
  with zipfile.ZipFile(path) as wheel:
    names = wheel.namelist()
    info = next(n for n in names if n.endswith('.dist-info/METADATA'))
    meta = email.message_from_string(wheel.read(info).decode())
  gaps = []
  for field in ('Summary', 'Author', 'Requires-Python', 'Project-URL',
                'Keywords'):
    if not meta.get(field):
      gaps.append(f'no {field}')
  if meta.get('Description-Content-Type') != 'text/markdown':
    gaps.append('description is not the Markdown README')
  if '## Quick start' not in (meta.get_payload() or ''):
    gaps.append('description lacks the README')
  if meta.get('License') != 'Apache-2.0' and meta.get(
      'License-Expression') != 'Apache-2.0':
    gaps.append('licence is not Apache-2.0')
  if not any(n.endswith('licenses/LICENSE') or n.endswith('/LICENSE')
             for n in names):
    gaps.append('no LICENSE file')
  classifiers = meta.get_all('Classifier') or []
  low, high = re.fullmatch(r'>=3\.(\d+),<3\.(\d+)',
                           meta.get('Requires-Python', '')).groups()
  for minor in range(int(low), int(high)):
    if f'Programming Language :: Python :: 3.{minor}' not in classifiers:
      gaps.append(f'Python 3.{minor} allowed but not a classifier')
  requirements = {re.split(r'[<>=!~; ]', r)[0]: r
                  for r in meta.get_all('Requires-Dist') or []
                  if 'extra ==' not in r}
  for name in _BOUNDED:
    if not re.search(r'<', requirements.get(name, '')):
      gaps.append(f'{name} has no upper bound: {requirements.get(name)}')
  for needed in (_PATCH, _HOOK):
    if needed not in names:
      gaps.append(f'wheel lacks {needed}')
  return gaps


def sdist_gaps(path: pathlib.Path) -> list[str]:
  with tarfile.open(path) as sdist:
    names = {n.split('/', 1)[1] for n in sdist.getnames() if '/' in n}
  return [f'sdist lacks {needed}'
          for needed in ('README.md', 'LICENSE', 'setup.py', 'pyproject.toml',
                         _PATCH, f'nt_prune/_src/{_HOOK}')
          if needed not in names]


def main(directory: str) -> int:
  dist = pathlib.Path(directory)
  wheels, sdists = list(dist.glob('*.whl')), list(dist.glob('*.tar.gz'))
  if len(wheels) != 1 or len(sdists) != 1:
    print(f'{dist}: expected one wheel and one sdist, found '
          f'{[p.name for p in dist.iterdir()]}')
    return 1
  gaps = wheel_gaps(wheels[0]) + sdist_gaps(sdists[0])
  for gap in gaps:
    print(f'metadata: {gap}')
  if not gaps:
    print(f'metadata complete: {wheels[0].name}, {sdists[0].name}')
  return 1 if gaps else 0


if __name__ == '__main__':
  sys.exit(main(sys.argv[1]))
