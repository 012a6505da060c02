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

"""`import nt_prune` refuses the jax/numpy combinations that break NT 0.6.5."""

import re
import subprocess
import sys
import textwrap

from absl.testing import absltest
from absl.testing import parameterized
import jax

from nt_prune._src import _version_check

jax.config.update('jax_numpy_rank_promotion', 'raise')


def _versions(jax, numpy, nt='0.6.5'):
  return {'jax': jax, 'jaxlib': jax, 'numpy': numpy, 'neural-tangents': nt}


class CheckStackTest(parameterized.TestCase):

  @parameterized.parameters(
      ('0.4.25', '1.26.4'),  # The oldest stack.
      ('0.4.26', '2.0.0'),  # The first jax that takes numpy 2.
      ('0.5.3', '2.5.5'),
      ('0.6.2', '2.2.6'),  # The newest with Python 3.10 wheels.
      ('0.12.1', '2.5.5'),  # The newest stack.
      ('0.12.9', '2.5.5'),
  )
  def test_working_stacks_pass(self, jax, numpy):
    _version_check.check_stack(_versions(jax, numpy))

  @parameterized.parameters('0.13.0', '0.13.0.dev20270101', '1.0')
  def test_a_jax_newer_than_tested_is_refused(self, jax):
    with self.assertRaisesRegex(
        ImportError, rf'nt_prune is tested with jax up to 0\.12\.x, and jax '
        rf'{re.escape(jax)} is newer.*Installed: jax {re.escape(jax)}, jaxlib '
        rf"{re.escape(jax)}, numpy 2\.1\.0, neural-tangents 0\.6\.5\. Fix: "
        rf"pip install -U 'jax<0\.13' 'jaxlib<0\.13'"):
      _version_check.check_stack(_versions(jax, '2.1.0'))

  @parameterized.parameters(('0.4.25', '2.0.0'), ('0.4.25', '2.5.5'),
                            ('0.4.24', '2.1.0'))
  def test_old_jax_with_numpy_2_is_refused(self, jax, numpy):
    with self.assertRaisesRegex(
        ImportError, rf'jax {jax} does not work with numpy 2 .*Installed: '
        rf"jax {jax}, jaxlib {jax}, numpy {numpy}.*Fix: either pip install "
        r"'nt-prune\[oldest\]'"):
      _version_check.check_stack(_versions(jax, numpy))

  @parameterized.parameters((None, 'none'), ('0.6.4', '0.6.4'),
                            ('0.6.6', '0.6.6'))
  def test_an_nt_other_than_0_6_5_is_refused(self, nt, shown):
    with self.assertRaisesRegex(
        ImportError, rf'nt_prune needs neural-tangents 0\.6\.5 .*got {shown}\. '
        r'.*Fix: pip install --no-deps neural-tangents==0\.6\.5'):
      _version_check.check_stack(_versions('0.12.1', '2.5.5', nt))

  def test_the_installed_stack_passes(self):
    versions = _version_check.installed_versions()
    self.assertIsNotNone(versions['jax'])
    _version_check.check_stack(versions)

  @parameterized.parameters(('0.4.25', (0, 4, 25)), ('0.5.3', (0, 5, 3)),
                            ('0.4.26.dev20240401', (0, 4, 26)),
                            ('2.0.0rc1', (2, 0, 0)), ('1.26', (1, 26)))
  def test_release(self, version, expected):
    self.assertEqual(_version_check.release(version), expected)

  def test_release_refuses_a_non_version(self):
    with self.assertRaisesRegex(ValueError, r"`version` must start with a "
                                r"release number such as 0\.4\.25, got 'abc'"):
      _version_check.release('abc')


class ImportTest(absltest.TestCase):

  def test_import_fails_before_neural_tangents_with_the_message(self):
    # As a user with jax 0.13 installed would see it: the metadata says so.
    code = textwrap.dedent("""
        import sys
        from importlib import metadata
        version = metadata.version
        metadata.version = lambda n: '0.13.0' if n == 'jax' else version(n)
        try:
          import nt_prune
        except ImportError as e:
          print('ImportError:', e)
        print('neural_tangents imported:', 'neural_tangents' in sys.modules)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    self.assertIn('ImportError: nt_prune is tested with jax up to 0.12.x', out)
    self.assertIn('neural_tangents imported: False', out)


if __name__ == '__main__':
  absltest.main()
