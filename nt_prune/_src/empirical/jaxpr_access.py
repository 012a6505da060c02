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

"""The engine's one access to jaxpr structures whose home moved between jax
versions.

The engine reads a network's jaxpr (from the public `jax.make_jaxpr`): its
equations, their primitives and parameters, their literals and name stacks.
Three of those accesses differ between the jax versions the install supports
(0.4.25 to 0.12), and are written here only, each with the versions it
covers (`tests/empirical_test.py`, `JaxprAccessTest`, runs them on every
stack in CI).
"""

from typing import Any, Optional, Sequence

# pylint: disable=g-import-not-at-top
try:  # `jax.extend.core` has the jaxpr types from jax 0.4.36 on;
  from jax.extend.core import Literal
except ImportError:  # `jax.core` had them up to jax 0.5.
  from jax.core import Literal
# pylint: enable=g-import-not-at-top

__all__ = ['bind_params', 'is_literal', 'name_stack', 'read', 'sub_jaxpr']


def is_literal(var: Any) -> bool:
  """Whether a jaxpr equation's input is a literal (a constant in place)."""
  return isinstance(var, Literal)


def read(env: dict[Any, Any], var: Any) -> Any:
  """The value of a jaxpr variable in `env`, or a literal's own value."""
  return var.val if is_literal(var) else env[var]


def bind_params(eqn) -> tuple[Sequence[Any], dict[str, Any]]:
  """`(subfuns, params)` with which to bind `eqn`'s primitive again.

  `Primitive.get_bind_params` returns that pair up to jax 0.6 and the params
  alone from jax 0.7 on (no primitive takes sub-functions there).
  """
  bind = eqn.primitive.get_bind_params(eqn.params)
  return bind if isinstance(bind, tuple) else ((), bind)


def name_stack(eqn) -> str:
  """The name scopes (`jax.named_scope`) an equation was traced in."""
  return str(eqn.source_info.name_stack)


# Primitives that call a jaxpr on their inputs, with the parameter that holds
# it: `pjit` (named `jit` from jax 0.7 on), the custom-derivative calls and
# `checkpoint`.
_CALLS = {'pjit': 'jaxpr', 'jit': 'jaxpr', 'closed_call': 'call_jaxpr',
          'custom_jvp_call': 'call_jaxpr', 'custom_vjp_call': 'call_jaxpr',
          'custom_vjp_call_jaxpr': 'fun_jaxpr', 'checkpoint': 'jaxpr',
          'remat': 'jaxpr'}


def sub_jaxpr(eqn) -> Optional[Any]:
  """The jaxpr an equation calls on its inputs (one input each), or `None`.

  Returns a `Jaxpr` (its `constvars` empty) or a `ClosedJaxpr`, whose
  invars are the equation's invars, in order.
  """
  name = _CALLS.get(eqn.primitive.name)
  jaxpr = None if name is None else eqn.params.get(name)
  if jaxpr is None:
    return None
  inner = getattr(jaxpr, 'jaxpr', jaxpr)
  if len(inner.invars) != len(eqn.invars) or len(inner.outvars) != len(
      eqn.outvars):
    return None
  return jaxpr
