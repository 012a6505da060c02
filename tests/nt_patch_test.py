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

"""NT 0.6.5 loads patched: without TensorFlow, in either import order.

Each case runs in a fresh interpreter, as a user's program would, since what
it checks is the state of `import` itself.
"""

import os
import pathlib
import shutil
import site
import subprocess
import sys
import tempfile
import textwrap

from absl.testing import absltest
from importlib import metadata
import jax

jax.config.update('jax_numpy_rank_promotion', 'raise')

# NT's structured derivatives (implementation 3) against its Jacobian
# contraction (1) on a small network: what the patch restores on new jax.
_CHECK_NT = """
import sys
from jax import numpy as jnp
from jax import random
import neural_tangents as nt
from neural_tangents import stax
init_fn, apply_fn, _ = stax.serial(stax.Dense(16), stax.Relu(), stax.Dense(2))
x = random.normal(random.PRNGKey(0), (3, 4))
_, params = init_fn(random.PRNGKey(1), x.shape)
ntks = [nt.empirical_ntk_fn(apply_fn, implementation=i)(x, None, params)
        for i in (1, 3)]
print('agree:', bool(jnp.allclose(*ntks, rtol=1e-5, atol=1e-5)))
print('tensorflow imported:', 'tensorflow' in sys.modules)
"""


def _run(code: str, **env) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-c', code],
                        capture_output=True, text=True, timeout=600,
                        env={**os.environ, **env})


def _startup_hook_installed() -> bool:
  """Whether this environment has the `.pth` of a non-editable install."""
  return any(os.path.exists(os.path.join(d, 'nt_prune-nt-patch.pth'))
             for d in site.getsitepackages())


class ImportOrderTest(absltest.TestCase):

  def test_nt_after_nt_prune(self):
    out = _run('import nt_prune\n' + _CHECK_NT)
    self.assertEqual(out.returncode, 0, out.stderr)
    self.assertIn('agree: True', out.stdout)
    self.assertIn('tensorflow imported: False', out.stdout)

  def test_nt_before_nt_prune(self):
    out = _run(_CHECK_NT + 'import nt_prune\n')
    if _startup_hook_installed():
      self.assertEqual(out.returncode, 0, out.stderr)
      self.assertIn('agree: True', out.stdout)
    else:  # Editable install: NT's own failure, or nt_prune's refusal.
      self.assertNotEqual(out.returncode, 0)
      self.assertRegex(out.stderr, r'ImportError|ModuleNotFoundError')

  def test_nt_prune_after_a_failed_import_of_nt(self):
    # Without the startup hook, `import neural_tangents` fails on new jax (or
    # without TensorFlow); `import nt_prune` then imports it patched.
    out = _run(textwrap.dedent("""
        try:
          import neural_tangents
        except ImportError:
          pass
        import nt_prune
    """) + _CHECK_NT)
    self.assertEqual(out.returncode, 0, out.stderr)
    self.assertIn('agree: True', out.stdout)


class SourceCheckTest(absltest.TestCase):

  def test_an_nt_source_other_than_0_6_5_is_refused(self):
    installed = pathlib.Path(metadata.distribution('neural-tangents')
                             .locate_file('neural_tangents'))
    with tempfile.TemporaryDirectory() as tmp:
      copy = pathlib.Path(tmp, 'neural_tangents')
      shutil.copytree(installed, copy,
                      ignore=shutil.ignore_patterns('__pycache__'))
      empirical = copy / '_src' / 'empirical.py'
      lines = empirical.read_text().splitlines(keepends=True)
      line = lines.index('from jax.core import Jaxpr\n')
      lines[line] = 'from jax.core import Jaxpr  # Edited.\n'
      empirical.write_text(''.join(lines))
      out = _run('import nt_prune', PYTHONPATH=tmp)
    self.assertNotEqual(out.returncode, 0)
    self.assertIn(f'ImportError: nt_prune cannot patch {empirical}: line '
                  f'{line + 1} is not as in neural-tangents 0.6.5', out.stderr)
    self.assertIn('pip install --force-reinstall --no-deps '
                  'neural-tangents==0.6.5', out.stderr)


if __name__ == '__main__':
  absltest.main()
