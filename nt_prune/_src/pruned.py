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

"""`pruned`: the combinator that turns an NT weight layer into a pruned one.

`pruned(stax.Dense, sparsity=0.9)(512, W_std=1.5)` is an ordinary NT layer
`(init_fn, apply_fn, kernel_fn)`:

* `init_fn` calls the dense layer's `init_fn` with the same `rng` (so with
  `sparsity=0` it returns the very parameters of the `stax` layer) and zeroes
  each weight entry independently with probability `sparsity`, drawing the
  mask from `rng` as well, so each call (and each `monte_carlo_kernel_fn`
  sample) gets a fresh mask. Biases are never pruned.
* `apply_fn` re-applies the mask stored in the zero pattern of `W`
  (`masking.remask`), applies the forward rescale, and calls the dense
  layer's `apply_fn`.
* `kernel_fn` applies the rule of `kernel_rule.py` to NT's own dense kernel.

Like `stax.serial`, the combinator is decorated with `stax.layer` and
`stax.requires` (it declares the wrapped layer's requirements); masking
(`mask_constant`) is handled by the wrapped layer, which is
`stax.supports_masking`, so it is not wrapped a second time.
"""

import dataclasses
import functools
import inspect
from typing import Any, Callable, Mapping, Optional
import weakref

import jax
from jax import random
from neural_tangents import Kernel
from neural_tangents import stax

from nt_prune._src import _nt_internals
from nt_prune._src import mask_laws
from nt_prune._src import masking
from nt_prune._src import validation
from nt_prune._src.input_layer import check_not_on_inputs
from nt_prune._src.kernel_rule import pruned_kernel
from nt_prune._src.rule import PruningRule

# NT's weight layers that the kernel rule covers, with the names of the
# pruned layers built from them.
SUPPORTED_CONSTRUCTORS = {
    stax.Dense: 'PrunedDense',
    stax.Conv: 'PrunedConv',
    stax.ConvTranspose: 'PrunedConvTranspose',
    stax.ConvLocal: 'PrunedConvLocal',
}

# An NT layer `(init_fn, apply_fn, kernel_fn)` (NT's own alias is private).
Layer = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]


@dataclasses.dataclass(frozen=True)
class PrunedLayerSpec:
  """What a built pruned layer is: read by `nt_prune.serial`.

  Attributes:
    name: the layer's name (`'PrunedDense'`, ...).
    constructor: the NT weight layer it prunes.
    arguments: the constructor's arguments, by name, defaults applied.
    rule: sparsity and rescale mode.
    law: the mask law.
    approximate_input_layer: whether the Gaussian rule was accepted on raw
      inputs.
  """
  name: str
  constructor: Callable[..., Layer]
  arguments: Mapping[str, Any]
  rule: PruningRule
  law: mask_laws.MaskLaw
  approximate_input_layer: bool


# Built pruned layers, by their `apply_fn` (which `stax.layer` returns as
# is); weak, so that a layer's description goes with the layer.
_SPECS = weakref.WeakKeyDictionary()


def spec_of(layer: Any) -> Optional[PrunedLayerSpec]:
  """The description of a layer built by `pruned`, or `None` for others."""
  if not isinstance(layer, tuple) or len(layer) != 3:
    return None
  try:
    return _SPECS.get(layer[1])
  except TypeError:  # Not weakly referenceable: not ours.
    return None


def _check_params(layer_name: str, params: Any, expected: Any,
                  input_shape: tuple[int, ...]) -> None:
  """Refuses parameters whose structure or shapes are not the layer's."""
  W_expected, b_expected = expected
  allowed = (f'the layer\'s (W, b) pair for inputs of shape {input_shape}: '
             f'W of shape {W_expected.shape} and b '
             + ('None' if b_expected is None else
                f'of shape {b_expected.shape}'))
  if not isinstance(params, (tuple, list)) or len(params) != 2:
    validation.refuse(TypeError, layer_name, 'params', params, allowed)
  W, b = params
  shapes = (getattr(W, 'shape', None),
            None if b is None else getattr(b, 'shape', None))
  if (shapes[0] != W_expected.shape or (b is None) != (b_expected is None) or
      (b is not None and shapes[1] != b_expected.shape)):
    validation.refuse(ValueError, layer_name, 'params',
                      f'(W of shape {shapes[0]}, b '
                      f'{"None" if b is None else f"of shape {shapes[1]}"})',
                      allowed)


def _weight_axes(constructor, arguments: dict[str, Any]) -> tuple[int, int]:
  """The input-channel and output axes of the layer's weight `W`."""
  if constructor is stax.Dense:
    return 0, 1  # W is (input features, out_dim).
  dimension_numbers = arguments.get('dimension_numbers')
  rhs_spec = (dimension_numbers[1] if dimension_numbers is not None else
              'HWDEFG'[:len(arguments['filter_shape'])] + 'IO')
  return rhs_spec.index('I'), rhs_spec.index('O')


# The laws whose draw needs the weight's fan-in: for these layers we know it.
_FAN_IN_LAYERS = (stax.Dense, stax.Conv)


def pruned(
    constructor: Callable[..., Layer],
    *,
    sparsity: Optional[float] = None,
    rescale: Optional[str] = 'forward',
    approximate_input_layer: bool = False,
    mask: mask_laws.MaskLaw = 'bernoulli',
) -> Callable[..., Layer]:
  """Returns a constructor of randomly pruned versions of an NT weight layer.

  `pruned(stax.Dense, sparsity=0.9)(512, W_std=1.5)` builds the same layer as
  `PrunedDense(512, W_std=1.5, sparsity=0.9)`. The returned constructor takes
  exactly the arguments of `constructor`, and the layer's parameters have the
  structure of `constructor`'s, `(W, b)`, with pruned entries of `W` exactly 0.

  Args:
    constructor: one of `stax.Dense`, `stax.Conv`, `stax.ConvTranspose`,
      `stax.ConvLocal`.
    sparsity: fraction `p` in `[0, 1)` of weight entries pruned (for
      `mask='bernoulli'`, the probability that each is pruned, independently);
      `q = 1 - p` is the keep probability. `0` gives exactly the dense layer.
      Required, except with `mask=NByM(n, m)`, whose sparsity is `1 - n/m`.
    rescale: `'forward'` (kept weights times `1/sqrt(q)` in `apply_fn`; the
      kernels equal the dense layer's), `'init'` (kept weights divided by
      `sqrt(q)` once in `init_fn`, as the paper's training code does; the NNGP
      equals the dense one, the NTK's weight-gradient term is multiplied by
      `q`), or `None` (every weight term of the kernels is multiplied by `q`).
      See `kernel_rule.py` for the derivation.
    approximate_input_layer: the kernel of a pruned layer applied to the raw
      network inputs is not exact (see `input_layer.py`), and `kernel_fn`
      raises there unless this is `True`.
    mask: the mask law (`mask_laws.py`): `'bernoulli'` (the default),
      `'exact'` (exactly `round(q |W|)` kept), `'fan_in'` (every unit keeps
      exactly `round(q fan_in)` inputs; `stax.Dense` and `stax.Conv` only) or
      `nt_prune.NByM(n, m)` (`n` of every `m` consecutive input channels;
      `stax.Dense` and `stax.Conv` only). Every law has the same
      infinite-width kernel, that of Bernoulli masks with the same `q`.

  Returns:
    A function with `constructor`'s signature returning
    `(init_fn, apply_fn, kernel_fn)`.

  Raises:
    TypeError: if `constructor` is not a supported NT weight layer, or an
      argument (of `pruned`, of the layer, of `init_fn` or `apply_fn`) has the
      wrong type; the message names the argument, its value and what is
      allowed.
    ValueError: if an argument has the right type but a value that is not
      allowed (`sparsity` outside `[0, 1)`, an unknown `rescale` or
      `padding`, a `filter_shape` that does not fit the inputs, parameters
      of another layer's shapes, ...).

  Example:

    >>> from jax import random
    >>> from neural_tangents import stax
    >>> import nt_prune
    >>> PrunedConvTranspose = nt_prune.pruned(stax.ConvTranspose,
    ...                                       sparsity=0.75)
    >>> init_fn, apply_fn, kernel_fn = stax.serial(
    ...     stax.Conv(32, (3, 3)), stax.Relu(),
    ...     PrunedConvTranspose(32, (3, 3)), stax.Relu(),
    ...     stax.Flatten(), nt_prune.PrunedDense(1, sparsity=0.75))
    >>> x = random.normal(random.PRNGKey(0), (2, 5, 5, 3))
    >>> _, params = init_fn(random.PRNGKey(1), x.shape)
    >>> apply_fn(params, x).shape, kernel_fn(x, x, 'nngp').shape
    ((2, 1), (2, 2))

  References:
    [1] `On the Neural Tangent Kernel Analysis of Randomly Pruned Neural
    Networks <https://arxiv.org/abs/2203.14328>`_, Hongru Yang and Zhangyang
    Wang, AISTATS 2023.
  """
  # A list or dict is unhashable: looked up by identity, it is refused below.
  layer_name = next((name for c, name in SUPPORTED_CONSTRUCTORS.items()
                     if c is constructor), None)
  if layer_name is None:
    accepted = ', '.join(f'stax.{c.__name__}' for c in SUPPORTED_CONSTRUCTORS)
    hint = ''
    if (isinstance(constructor, tuple) and len(constructor) == 3 and
        all(map(callable, constructor))):
      hint = (', not a built layer (init_fn, apply_fn, kernel_fn): pass the '
              'constructor itself, as in '
              '`pruned(stax.Dense, sparsity=0.9)(512)`')
    validation.refuse(TypeError, 'pruned', 'constructor', constructor,
                      f'one of the neural-tangents weight layers {accepted}'
                      f'{hint}')
  law, sparsity = mask_laws.check_mask(layer_name, mask, sparsity)
  if law not in ('bernoulli', 'exact') and constructor not in _FAN_IN_LAYERS:
    validation.refuse(ValueError, layer_name, 'mask', mask,
                      "'bernoulli' or 'exact' (the fan-in of this layer's "
                      "weight is not one axis)")
  validation.check_rescale(layer_name, rescale)
  validation.check_bool(layer_name, 'approximate_input_layer',
                        approximate_input_layer)
  rule = PruningRule(sparsity, rescale)
  signature = inspect.signature(constructor)

  def pruned_layer(*args, **kwargs):
    try:
      bound = signature.bind(*args, **kwargs)
    except TypeError as e:
      validation.refuse(
          TypeError, layer_name, 'arguments', (args, kwargs),
          f'those of stax.{constructor.__name__}{signature} ({e})')
    bound.apply_defaults()
    arguments = validation.check_layer_arguments(layer_name, bound.arguments)
    init_dense, apply_dense, kernel_dense = constructor(**arguments)

    @functools.lru_cache(maxsize=None)
    def param_shapes(input_shape):
      return jax.eval_shape(
          lambda: init_dense(random.PRNGKey(0), input_shape))[1]

    in_axis, out_axis = _weight_axes(constructor, arguments)

    def init_fn(rng, input_shape):
      validation.check_input_shape(layer_name, input_shape, arguments)
      output_shape, (W, b) = init_dense(rng, input_shape)
      kept = mask_laws.draw(layer_name, law, rng,
                            W.shape, rule.keep_prob, in_axis, out_axis)
      return output_shape, (W * kept * rule.init_scale, b)

    def apply_fn(params, inputs, **kwargs):
      # With `mask_constant`, NT passes a `MaskedArray(masked_value, mask)`.
      input_shape = tuple(jax.tree_util.tree_leaves(inputs)[0].shape)
      validation.check_input_shape(layer_name, input_shape, arguments)
      _check_params(layer_name, params, param_shapes(input_shape),
                    input_shape)
      W, b = params
      W = masking.remask(W, rule.keep_prob) * rule.forward_scale
      return apply_dense((W, b), inputs, **kwargs)

    @stax.requires(**_nt_internals.layer_requirements(kernel_dense))
    def kernel_fn(k: Kernel, **kwargs) -> Kernel:
      check_not_on_inputs(k, rule, approximate_input_layer, layer_name)
      return pruned_kernel(k, kernel_dense, rule, **kwargs)

    _SPECS[apply_fn] = PrunedLayerSpec(layer_name, constructor, arguments,
                                       rule, law, approximate_input_layer)
    return init_fn, apply_fn, kernel_fn

  pruned_layer.__name__ = pruned_layer.__qualname__ = layer_name
  pruned_layer.__signature__ = signature
  pruned_layer.__doc__ = (
      f'`stax.{constructor.__name__}` pruned with sparsity={rule.sparsity}, '
      f'rescale={rule.rescale!r}, mask={law!r}; see `nt_prune.pruned`.')
  return stax.layer(pruned_layer)
