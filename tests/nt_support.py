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

NT 0.6.5's implementation 3 (structured derivatives) fails on every jax from
0.4.26 on (`module 'jax.interpreters.ad' has no attribute
'source_info_util'`). Tests of it are skipped, with NT's own error as the
reason, only where NT itself fails on a one-layer network; any other error is
raised, so a failure of ours is never hidden as a skip.
"""

import functools
from typing import Optional

import jax
from jax import numpy as jnp
import neural_tangents as nt
from neural_tangents import stax

STRUCTURED_DERIVATIVES = nt.NtkImplementation.STRUCTURED_DERIVATIVES


@functools.lru_cache(maxsize=None)
def structured_derivatives_failure() -> Optional[str]:
  """Why NT cannot run implementation 3 here, or `None` if it can."""
  init_fn, apply_fn, _ = stax.Dense(2)
  x = jnp.ones((2, 3))
  _, params = init_fn(jax.random.PRNGKey(0), x.shape)
  try:
    nt.empirical_ntk_fn(apply_fn, implementation=STRUCTURED_DERIVATIVES)(
        x, None, params)
  except AttributeError as e:
    if 'source_info_util' not in str(e):
      raise
    return (f'neural-tangents 0.6.5 cannot run its implementation 3 '
            f'(structured derivatives) with jax {jax.__version__}: {e}')
  return None


def skip_unless_nt_runs(test, implementation) -> None:
  """Skips `test` if NT itself cannot run `implementation` on this stack."""
  if nt.NtkImplementation(implementation) == STRUCTURED_DERIVATIVES:
    reason = structured_derivatives_failure()
    if reason is not None:
      test.skipTest(reason)


def implementations_nt_runs() -> list[nt.NtkImplementation]:
  """NT's empirical NTK implementations that work on the installed stack."""
  return [i for i in nt.NtkImplementation
          if i != STRUCTURED_DERIVATIVES or
          structured_derivatives_failure() is None]
