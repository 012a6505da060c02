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

"""Every public layer's docstring `Example` runs, and prints what it says."""

import doctest

from absl.testing import absltest
from absl.testing import parameterized
import jax

import nt_prune
from nt_prune import flax as npf

jax.config.update('jax_numpy_rank_promotion', 'raise')

# Public layers and functions whose docstrings carry an `Example`.
_DOCUMENTED = {
    'PrunedDense': nt_prune.PrunedDense,
    'PrunedConv': nt_prune.PrunedConv,
    'pruned': nt_prune.pruned,
    'empirical_ntk_fn': nt_prune.empirical_ntk_fn,
    'remask': nt_prune.remask,
    'serial': nt_prune.serial,
    'layer_sparsities': nt_prune.layer_sparsities,
    'relative_error': nt_prune.diagnostics.relative_error,
    'loglog_slope': nt_prune.diagnostics.loglog_slope,
    'flax_PrunedDense': npf.PrunedDense,
    'flax_PrunedConv': npf.PrunedConv,
    'flax_Flatten': npf.Flatten,
    'flax_AvgPool': npf.AvgPool,
    'flax_GlobalAvgPool': npf.GlobalAvgPool,
}


class DoctestTest(parameterized.TestCase):

  @parameterized.named_parameters(*_DOCUMENTED.items())
  def test_example_runs(self, obj):
    tests = doctest.DocTestFinder(recurse=False).find(obj, globs={})
    examples = sum(len(t.examples) for t in tests)
    self.assertGreater(examples, 0, f'{obj.__name__} has no Example.')
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
      runner.run(test)
    result = runner.summarize(verbose=False)
    self.assertEqual(result.failed, 0, f'{obj.__name__}: see the output.')

  def test_a_wrong_example_fails(self):
    # Negative control: the runner reports a docstring whose output differs.
    def wrong():
      """>>> 1 + 1
      3
      """
    test = doctest.DocTestFinder().find(wrong, globs={})[0]
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda _: None)
    self.assertEqual(runner.summarize(verbose=False).failed, 1)


if __name__ == '__main__':
  absltest.main()
