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

"""Loading neural-tangents 0.6.5 with the upstream patch applied to its source.

neural-tangents (NT) 0.6.5, its last release, fails at import from jax 0.6 on,
its structured-derivatives empirical NTK fails from jax 0.4.26 on, and it
imports TensorFlow at import although only `nt.experimental` uses it. The
fix is a patch against NT's own source, `neural_tangents-0.6.5.patch` beside
this file (the same file NT's maintainers get in `upstream/`, with its
tests). Nothing in jax is changed: other libraries see jax as it is.

How it is applied: `install()` puts an import finder first on
`sys.meta_path`. When a module the patch changes is imported, the finder
reads NT's installed source, applies the patch's hunks to it (exactly, at the
lines the patch names; any difference means the source is not NT 0.6.5, and
the import is refused, naming the file and line), and executes the patched
text. Modules the patch adds (`neural_tangents/_src/utils/jaxpr.py`) come
from the patch alone. A source that already has the patch (an NT checkout
with it applied, as `upstream/apply_and_test.sh` makes) is loaded as it is.
NT's files on disk are never written.

When it is installed:

* `import nt_prune` installs it before importing NT.
* A non-editable install of nt_prune (a wheel, `pip install .`) also puts
  `nt_prune-nt-patch.pth` in site-packages, which installs it when Python
  starts, so `import neural_tangents` works in any order. An editable install
  (`pip install -e .`) has no such file: import nt_prune first, or copy the
  file into site-packages (CONTRIBUTING.md, "Set up").
  `import nt_prune` refuses an NT imported unpatched before it where that NT
  is broken (`_version_check.py`).

This module imports only the standard library, so that the `.pth` file can
load it at startup without importing jax, NT or the rest of nt_prune.
"""

import dataclasses
import importlib.abc
import importlib.machinery
import importlib.util
from importlib import metadata
import linecache
import os
import re
import sys
import types
from typing import Optional, Sequence

# The NT release the patch is written against.
NT_VERSION = '0.6.5'
PATCH_FILE = os.path.join(os.path.dirname(__file__),
                          f'neural_tangents-{NT_VERSION}.patch')
# What marks a finder and a loader as this module's, across copies of it
# (the `.pth` file loads one copy, `import nt_prune` another).
_MARK = 'nt_prune'


@dataclasses.dataclass(frozen=True)
class Hunk:
  """One hunk of a unified diff: `old` lines at `start` become `new` lines.

  `new_start` is where the new lines are in the patched file.
  """
  start: int  # 0-based index of the first old line.
  new_start: int  # 0-based index of the first new line.
  old: tuple[str, ...]
  new: tuple[str, ...]


_HUNK_HEADER = re.compile(r'@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@')


def parse_patch(text: str) -> dict[str, tuple[Hunk, ...]]:
  """The hunks of a unified diff (as `git diff` writes it), by target path."""
  hunks: dict[str, list[Hunk]] = {}
  lines = text.splitlines(keepends=True)
  i, path = 0, None
  while i < len(lines):
    line = lines[i]
    i += 1
    if line.startswith('+++ '):
      path = line[4:].strip()
      path = path[2:] if path.startswith('b/') else path
      hunks[path] = []
    elif line.startswith('@@ '):
      match = _HUNK_HEADER.match(line)
      if match is None or path is None:
        raise ValueError(f'{PATCH_FILE}: bad hunk header {line!r}')
      start, old_count, new_start, new_count = (
          int(g or 1) for g in match.groups())
      old, new = [], []
      while len(old) < old_count or len(new) < new_count:
        tag, body = lines[i][0], lines[i][1:]
        i += 1
        if tag in ' -':
          old.append(body)
        if tag in ' +':
          new.append(body)
      # `-N,0` inserts after line N; otherwise the hunk starts at line N.
      hunks[path].append(Hunk(start - (old_count > 0),
                              new_start - (new_count > 0), tuple(old),
                              tuple(new)))
  return {path: tuple(h) for path, h in hunks.items()}


def apply_hunks(source: str, hunks: Sequence[Hunk], path: str) -> str:
  """`source` with `hunks` applied exactly where they say; else `ImportError`.

  Args:
    source: the text of the file the hunks were made against.
    hunks: in order, as `parse_patch` returns them.
    path: the file's path, for the message.

  Returns:
    The patched text.

  Raises:
    ImportError: a hunk's old lines are not at the line it names: the file is
      not the neural-tangents 0.6.5 source the patch is written against.
  """
  lines = source.splitlines(keepends=True)
  out, done = [], 0
  for hunk in hunks:
    found = lines[hunk.start:hunk.start + len(hunk.old)] + ['<end of file>']
    differ = [k for k, line in enumerate(hunk.old) if found[k] != line]
    if differ:
      k = differ[0]
      raise ImportError(
          f'nt_prune cannot patch {path}: line {hunk.start + k + 1} is not as '
          f'in neural-tangents {NT_VERSION}, the only release nt_prune patches '
          f'(expected {hunk.old[k]!r}, found {found[k]!r}). Fix: pip install '
          f'--force-reinstall --no-deps neural-tangents=={NT_VERSION}')
    out += lines[done:hunk.start] + list(hunk.new)
    done = hunk.start + len(hunk.old)
  return ''.join(out + lines[done:])


def is_applied(source: str, hunks: Sequence[Hunk]) -> bool:
  """Whether `source` is already patched (NT's tree with the patch applied)."""
  lines = source.splitlines(keepends=True)
  return all(tuple(lines[h.new_start:h.new_start + len(h.new)]) == h.new
             for h in hunks)


def _module_name(path: str) -> str:
  """`neural_tangents/_src/x.py` -> `neural_tangents._src.x`."""
  name = path[:-len('.py')].replace('/', '.')
  return name[:-len('.__init__')] if name.endswith('.__init__') else name


def installed_version(distribution: str) -> Optional[str]:
  """The installed version of `distribution`, or `None` if not installed."""
  try:
    return metadata.version(distribution)
  except metadata.PackageNotFoundError:
    return None


class _PatchedSourceLoader(importlib.abc.Loader):
  """Executes a module's patched source in place of the file's."""

  patched_by = _MARK

  def __init__(self, path: str, source: str):
    self.path = path
    self.source = source

  def create_module(self, spec):
    return None  # The default module.

  def exec_module(self, module: types.ModuleType) -> None:
    # Tracebacks and `inspect` read lines through `linecache`, which would
    # otherwise read the unpatched file; `None` for mtime keeps the entry.
    linecache.cache[self.path] = (len(self.source), None,
                                  self.source.splitlines(keepends=True),
                                  self.path)
    exec(compile(self.source, self.path, 'exec', dont_inherit=True),  # pylint: disable=exec-used
         module.__dict__)

  def get_source(self, fullname: str) -> str:
    del fullname
    return self.source


class _NtSourcePatcher(importlib.abc.MetaPathFinder):
  """Finds the modules the patch changes or adds, and patches their source."""

  patched_by = _MARK

  def __init__(self):
    self._hunks = None  # Module name -> (path in NT, hunks); read lazily.

  def _hunks_by_module(self) -> dict[str, tuple[str, tuple[Hunk, ...]]]:
    if self._hunks is None:
      with open(PATCH_FILE, encoding='utf-8') as f:
        patch = parse_patch(f.read())
      self._hunks = {_module_name(p): (p, h) for p, h in patch.items()
                     if p.startswith('neural_tangents/')}
    return self._hunks

  def find_spec(self, fullname, path=None, target=None):
    del target
    if not fullname.startswith('neural_tangents'):
      return None
    if fullname == 'neural_tangents' and installed_version('neural-tangents') != NT_VERSION:
      return None  # Not ours to patch; `import nt_prune` says so.
    if fullname not in self._hunks_by_module():
      return None
    nt_path, hunks = self._hunks_by_module()[fullname]
    spec = importlib.machinery.PathFinder.find_spec(fullname, path)
    if spec is not None and spec.origin is not None:
      origin = spec.origin
      with open(origin, encoding='utf-8') as f:
        source = f.read()
      if is_applied(source, hunks):
        return None  # An NT tree with the patch applied: load it as it is.
    elif path and hunks and not hunks[0].old:  # A file the patch adds.
      origin = os.path.join(list(path)[0], os.path.basename(nt_path))
      source = ''
    else:
      return None
    loader = _PatchedSourceLoader(origin, apply_hunks(source, hunks, origin))
    return importlib.util.spec_from_file_location(
        fullname, origin, loader=loader,
        submodule_search_locations=(spec.submodule_search_locations
                                    if spec is not None else None))


def is_patched(module: types.ModuleType) -> bool:
  """Whether `module` was loaded through the patch."""
  spec = getattr(module, '__spec__', None)
  return getattr(getattr(spec, 'loader', None), 'patched_by', None) == _MARK


def _forget_failed_import() -> None:
  """Drops what a failed `import neural_tangents` left in `sys.modules`.

  No one holds the package then, so its parts are imported again, patched.
  """
  if 'neural_tangents' not in sys.modules:
    for name in [n for n in sys.modules if n.startswith('neural_tangents.')]:
      del sys.modules[name]


def install() -> None:
  """Makes every later import of NT 0.6.5 load the patched source.

  Idempotent, also across copies of this module. An NT already imported
  stays as it was (`_version_check.check_nt_module` refuses it where that is
  wrong).
  """
  if any(getattr(f, 'patched_by', None) == _MARK for f in sys.meta_path):
    return
  _forget_failed_import()
  sys.meta_path.insert(0, _NtSourcePatcher())
