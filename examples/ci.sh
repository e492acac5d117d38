#!/usr/bin/env bash
# The example Python subjects under the review-spec tool, as an implementer's CI would run them:
# the conformance vectors and a short random check against examples/python/subject.py must pass,
# and check against examples/python/broken_subject.py must FAIL with exit code 1, naming GRANT-1
# (the harness has teeth). Needs cargo and python3. Run from anywhere: bash examples/ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --bin review-spec
bin="${CARGO_TARGET_DIR:-target}/debug/review-spec"
subject="python3 examples/python/subject.py"
broken="python3 examples/python/broken_subject.py"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0

echo "== vectors against the Python subject"
"$bin" vectors --subject-cmd "$subject"
passed=$((passed + 1))

echo "== check, 300 random cases, against the Python subject"
"$bin" check --cases 300 --out "$out" --subject-cmd "$subject"
passed=$((passed + 1))

echo "== check against the broken subject: must fail with exit code 1 and name GRANT-1"
status=0
"$bin" check --cases 300 --out "$out" --subject-cmd "$broken" >"$out/broken.txt" || status=$?
cat "$out/broken.txt"
if [ "$status" -ne 1 ]; then
    echo "examples/ci.sh: check against the broken subject exited with $status, expected 1" >&2
    exit 1
fi
if ! grep -q '^rules: GRANT-1' "$out/broken.txt"; then
    echo "examples/ci.sh: check against the broken subject did not name GRANT-1 first" >&2
    exit 1
fi
passed=$((passed + 1))

echo "examples/ci.sh: $passed passed, 0 failed"
