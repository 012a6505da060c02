#!/usr/bin/env bash
# Applies the two patches in this folder to NT 0.6.5's source distribution and
# runs NT's own tests against the patched tree:
#
#   bash upstream/apply_and_test.sh PYTHON [selection|full]
#
# * `jax_compat.patch` (the file nt_prune applies at import,
#   `nt_prune/_src/neural_tangents-0.6.5.patch`): jax 0.4.25 to 0.12 without
#   TensorFlow; it adds `tests/jax_compat_test.py`.
# * `is_input.patch`, with its test `is_input_test.py`.
#
# `selection` (the default, what CI runs on the newest stack, a few minutes):
# the new tests, and NT's tests of what the patches change (the structured
# derivatives, their rules, `predict`, batching, the input kernel, `Dropout`).
# `full`: NT's whole suite but the files that need TensorFlow (its TF interop
# in `tests/experimental/` and the examples' tests, which load data with
# tensorflow-datasets), unless TensorFlow is installed.
#
# PYTHON needs jax, NT's dependencies and pytest, e.g. the venv of the README's
# test command; the script adds NT's one other test dependency, more-itertools.
# The patched tree is put first on `PYTHONPATH`, so it shadows the installed
# neural-tangents, which is not modified (nt_prune's import hook sees the
# patch already applied and loads the tree as it is). Needs PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-python3}"
# The script changes directory: a relative PYTHON (`.venv/bin/python`) is
# made absolute without resolving the venv's link to its base interpreter.
case "$python" in
  */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;;
esac
scope="${2:-selection}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip download -q --no-deps --no-binary :all: \
  neural-tangents==0.6.5 -d "$work"
"$python" -m pip install -q more-itertools
tar xzf "$work"/neural-tangents-0.6.5.tar.gz -C "$work"
nt="$work/neural-tangents-0.6.5"
patch -s -d "$nt" -p1 < "$here/jax_compat.patch"
patch -s -d "$nt" -p1 < "$here/is_input.patch"
cp "$here/is_input_test.py" "$nt/tests/stax/is_input_test.py"

cd "$nt"
export PYTHONPATH="$nt"
"$python" -c 'import neural_tangents, sys; assert neural_tangents.__file__.startswith(sys.argv[1]), neural_tangents.__file__' "$nt"
pytest=("$python" -m pytest -q -p no:cacheprovider -n 2)
if [ "$scope" = full ]; then
  ignore=()
  if ! "$python" -c 'import tensorflow' 2>/dev/null; then
    ignore=(--ignore=tests/experimental --ignore=tests/function_space_test.py
            --ignore=tests/imdb_test.py --ignore=tests/infinite_fcn_test.py
            --ignore=tests/weight_space_test.py)
  fi
  "${pytest[@]}" -rs tests "${ignore[@]}"
  exit
fi
# One run (one collection, one start of the workers); each file's tests are
# chosen by its name and theirs.
selection='jax_compat_test or is_input_test or rules_test'
selection+=' or (empirical_test and not vmap_axes)'
selection+=' or (predict_test and (MaxLearningRate or NTKMeanCovPrediction))'
selection+=' or (batching_test and AnalyticKernelCompose)'
selection+=' or (requirements_test and (InputReq or Diagonal))'
selection+=' or (stax_test and test_dropout)'
"${pytest[@]}" tests/jax_compat_test.py tests/stax/is_input_test.py \
  tests/rules_test.py tests/empirical_test.py tests/predict_test.py \
  tests/batching_test.py tests/stax/requirements_test.py \
  tests/stax/stax_test.py -k "$selection"
