#!/usr/bin/env bash
# Applies `is_input.patch` to NT 0.6.5's source distribution and runs, against
# the patched NT: `is_input_test.py` (NT-style, in NT's `tests/stax/`) and
# NT's own tests that touch `Dropout` or the input kernel.
#
#   bash upstream/apply_and_test.sh [PYTHON]
#
# PYTHON (default `python3`) needs NT 0.6.5's dependencies and pytest, e.g.
# the venv of the README's test command; the script adds NT's one other test
# dependency, more-itertools, to it. The patched tree is put first on
# `PYTHONPATH`, so it shadows the installed neural-tangents, which is not
# modified. Needs network access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip download -q --no-deps --no-binary :all: \
  neural-tangents==0.6.5 -d "$work"
"$python" -m pip install -q more-itertools
tar xzf "$work"/neural-tangents-0.6.5.tar.gz -C "$work"
nt="$work/neural-tangents-0.6.5"
patch -d "$nt" -p1 < "$here/is_input.patch"
cp "$here/is_input_test.py" "$nt/tests/stax/is_input_test.py"

cd "$nt"
export PYTHONPATH="$nt"
"$python" -c 'import neural_tangents, sys; assert neural_tangents.__file__.startswith(sys.argv[1]), neural_tangents.__file__' "$nt"
"$python" -m pytest -q -p no:cacheprovider tests/stax/is_input_test.py
# NT's own tests of the input kernel's requirements and of `Dropout`
# (`ConvNDTest` and `StaxTest.test_dropout` put it inside networks; NT skips
# them on CPU for speed).
"$python" -m pytest -q -p no:cacheprovider tests/stax/requirements_test.py \
  -k 'InputReq or Diagonal'
"$python" -m pytest -q -p no:cacheprovider tests/stax/linear_test.py \
  -k 'ConvND'
"$python" -m pytest -q -p no:cacheprovider tests/stax/stax_test.py \
  -k 'test_dropout'
