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

"""Which of NT's empirical NTK implementations the installed stack can run.

With neural-tangents 0.6.5 on jax >= 0.4.26, two of NT's implementations fail
inside NT, whatever the network:

* 3, structured derivatives: `module 'jax.interpreters.ad' has no attribute
  'source_info_util'`;
* 0, `AUTO` (which times the others by XLA's cost analysis): `KeyError: 0`,
  since newer jax returns the cost analysis as a dict, not a list of dicts.

Tests of an implementation are skipped, with NT's own error as the reason,
only where NT itself fails on a one-layer network with exactly that error;
any other error is raised, so a failure of ours is never hidden as a skip.
"""

import functools
from typing import Optional

import jax
from jax import numpy as jnp
import neural_tangents as nt
from neural_tangents import stax

STRUCTURED_DERIVATIVES = nt.NtkImplementation.STRUCTURED_DERIVATIVES

# NT's known failures on newer jax: (exception type, text in its message).
_KNOWN_FAILURES = {
    nt.NtkImplementation.STRUCTURED_DERIVATIVES: (AttributeError,
                                                  'source_info_util'),
    nt.NtkImplementation.AUTO: (KeyError, '0'),
}


@functools.lru_cache(maxsize=None)
def nt_failure(implementation: nt.NtkImplementation) -> Optional[str]:
  """Why NT cannot run `implementation` here, or `None` if it can."""
  init_fn, apply_fn, _ = stax.Dense(2)
  x = jnp.ones((2, 3))
  _, params = init_fn(jax.random.PRNGKey(0), x.shape)
  try:
    nt.empirical_ntk_fn(apply_fn, implementation=implementation)(
        x, None, params)
  except Exception as e:  # pylint: disable=broad-except
    error_type, text = _KNOWN_FAILURES.get(implementation, (None, None))
    if error_type is None or not isinstance(e, error_type) or text not in str(
        e):
      raise
    return (f'neural-tangents 0.6.5 cannot run its empirical NTK '
            f'implementation {implementation.name} with jax '
            f'{jax.__version__}: {type(e).__name__}: {e}')
  return None


def skip_unless_nt_runs(test, implementation) -> None:
  """Skips `test` if NT itself cannot run `implementation` on this stack."""
  reason = nt_failure(nt.NtkImplementation(implementation))
  if reason is not None:
    test.skipTest(reason)



def implementations_nt_runs() -> list[nt.NtkImplementation]:
  """NT's empirical NTK implementations that work on the installed stack."""
  return [i for i in nt.NtkImplementation if nt_failure(i) is None]
