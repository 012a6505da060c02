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

"""Every code block of README.md runs as written and prints what it shows.

A ```python block runs in a fresh interpreter, outside the checkout (so the
installed package is what runs), and must be followed by a ```text block,
its output: words must match exactly, numbers to 1% (plus one unit of the
last digit shown), since float32 arithmetic may differ in its last digits
from one CPU to another. The random draws of the blocks are jax 0.12's (jax
0.5 changed jax's default random streams), so the oldest stack does not run
this file; CI runs the quick start there without comparing its output.

Every ```sh block is a command that `.ci/run` runs (named by its marker);
```bibtex is the citation. Any other block fails the test.
"""

import os
import pathlib
import re
import subprocess
import sys
import tempfile
from typing import NamedTuple, Optional

from absl.testing import absltest
from absl.testing import parameterized

_ROOT = pathlib.Path(__file__).resolve().parent.parent
_README = _ROOT / 'README.md'
_CI = _ROOT / '.ci' / 'run'
_MARKER = re.compile(r'<!-- ([\w-]+) -->')
_NUMBER = re.compile(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$')


class Block(NamedTuple):
  language: str
  text: str
  line: int
  marker: Optional[str]  # The <!-- name --> it sits in, if any.


def blocks(markdown: str) -> list[Block]:
  """The fenced code blocks of `markdown`, in order."""
  found, open_markers = [], []
  lines = markdown.splitlines()
  i = 0
  while i < len(lines):
    line = lines[i].strip()
    marker = _MARKER.fullmatch(line)
    if marker:
      open_markers.append(marker.group(1))
    elif re.fullmatch(r'<!-- /[\w-]+ -->', line):
      open_markers.pop()
    elif line.startswith('```'):
      start, body = i, []
      i += 1
      while not lines[i].strip().startswith('```'):
        body.append(lines[i])
        i += 1
      indent = len(lines[start]) - len(lines[start].lstrip())
      text = '\n'.join(b[indent:] for b in body) + '\n'
      found.append(Block(line[3:].strip(), text, start + 1,
                         open_markers[-1] if open_markers else None))
    i += 1
  return found


def _tokens(text: str) -> list[str]:
  return re.sub(r'[\[\](),|:]', ' ', text).split()


def _decimals(token: str) -> int:
  mantissa = re.split('[eE]', token)[0]
  return len(mantissa.split('.')[1]) if '.' in mantissa else 0


def mismatch(shown: str, printed: str) -> Optional[str]:
  """Why `printed` is not the `shown` output, or None if it is."""
  expected, got = _tokens(shown), _tokens(printed)
  if len(expected) != len(got):
    return f'{len(got)} tokens printed, {len(expected)} shown'
  for e, g in zip(expected, got):
    if _NUMBER.match(e) and _NUMBER.match(g):
      tolerance = 0.01 * abs(float(e)) + 10.**-_decimals(e)
      if '.' not in e:  # Integers (counts) are exact.
        tolerance = 0
      if abs(float(e) - float(g)) > tolerance:
        return f'printed {g}, shown {e}'
    elif e != g:
      return f'printed {g!r}, shown {e!r}'
  return None


def _python_blocks():
  all_blocks = blocks(_README.read_text())
  for i, block in enumerate(all_blocks):
    if block.language == 'python':
      yield dict(testcase_name=f'line_{block.line}', index=i)


class ReadmeTest(parameterized.TestCase):

  @parameterized.named_parameters(*_python_blocks())
  def test_python_block_prints_its_shown_output(self, index):
    all_blocks = blocks(_README.read_text())
    block = all_blocks[index]
    output = all_blocks[index + 1] if index + 1 < len(all_blocks) else None
    self.assertTrue(output and output.language == 'text',
                    f'README line {block.line}: a python block must be '
                    'followed by a ```text block with its output')
    with tempfile.TemporaryDirectory() as directory:
      script = pathlib.Path(directory) / 'block.py'
      script.write_text(block.text)
      env = dict(os.environ, JAX_PLATFORMS='cpu')
      run = subprocess.run([sys.executable, str(script)], cwd=directory,
                           capture_output=True, text=True, env=env,
                           timeout=600)
    self.assertEqual(run.returncode, 0,
                     f'README line {block.line} failed:\n{run.stderr}')
    why = mismatch(output.text, run.stdout)
    self.assertIsNone(why, f'README line {block.line} printed\n{run.stdout}'
                      f'\nwhich is not the output shown at line '
                      f'{output.line}: {why}')

  def test_every_block_is_run_or_cited(self):
    ci = _CI.read_text()
    all_blocks = blocks(_README.read_text())
    for i, block in enumerate(all_blocks):
      where = f'README line {block.line}'
      if block.language == 'text':
        self.assertEqual(all_blocks[i - 1].language, 'python',
                         f'{where}: output of no python block')
      elif block.language == 'sh':
        self.assertIsNotNone(block.marker, f'{where}: a command outside a '
                             'marker, which .ci/run cannot run')
        if block.marker != 'install-command':
          self.assertTrue(f'README.md {block.marker}' in ci,
                          f'{where}: .ci/run does not run {block.marker}')
      elif block.language != 'python' and block.language != 'bibtex':
        self.fail(f'{where}: a ```{block.language} block, neither run nor '
                  'the citation')

  def test_install_command_is_the_one_ci_runs(self):
    by_marker = {b.marker: b.text for b in blocks(_README.read_text())}
    for step in by_marker['install-command'].strip().split(' && '):
      for command in ('demo-command', 'test-command'):
        self.assertRegex(by_marker[command].replace("'.[test]'", '.'),
                         re.escape('.venv/bin/' + step))

  def test_mismatch_finds_wrong_numbers_and_words(self):
    self.assertIsNone(mismatch('loss: 4.81 -> 2.584', 'loss: 4.812 -> 2.58'))
    self.assertIsNone(mismatch('[[ 8.34  2.5 ]]', '[[8.35 2.5]]'))
    self.assertIn('shown 4.81', mismatch('loss: 4.81', 'loss: 4.9'))
    self.assertIn("shown 'True'", mismatch('kept: True', 'kept: False'))
    self.assertIn('shown 236071', mismatch('(236071, 1)', '(236072, 1)'))
    self.assertIn('tokens', mismatch('a b', 'a b c'))


if __name__ == '__main__':
  absltest.main()
