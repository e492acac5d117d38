#!/usr/bin/env bash
# The example Python subjects under the review-spec tool, as an implementer's CI would run them:
# against examples/python/subject.py, the conformance vectors and short random checks must pass
# under the `spec` profile, under the `upstream` profile (spec/rules.md, "Departures from
# upstream"), under upstream with two departures switched back to the spec, and with
# `--events-only` under both profiles (the subject declares it emits no diagnostics, as upstream's
# reducer does, and is compared on events alone); and check against
# examples/python/broken_subject.py must FAIL with exit code 1, naming GRANT-1 (the harness has
# teeth). Needs cargo and python3. Run from
# anywhere: bash examples/ci.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --bin review-spec
bin="${CARGO_TARGET_DIR:-target}/debug/review-spec"
subject="python3 examples/python/subject.py"
events_only="python3 examples/python/subject.py --events-only"
broken="python3 examples/python/broken_subject.py"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0

# Counterexamples go to "$out" (--out), never into spec/vectors/regressions/.
step() {
    echo "== $1"
    shift
    "$bin" "$@"
    passed=$((passed + 1))
}

step "vectors against the Python subject" \
    vectors --subject-cmd "$subject"
step "check, 300 random cases, against the Python subject" \
    check --cases 300 --out "$out" --subject-cmd "$subject"

step "vectors, profile upstream, against the Python subject" \
    vectors --profile upstream --subject-cmd "$subject"
for seed in 1 2 3; do
    step "check, profile upstream, 1000 cases, seed $seed, against the Python subject" \
        check --profile upstream --cases 1000 --seed "$seed" --out "$out" --subject-cmd "$subject"
done

step "check, 300 random cases, against the Python subject with --events-only" \
    check --cases 300 --seed 6 --out "$out" --subject-cmd "$events_only"
step "vectors, profile upstream, against the Python subject with --events-only" \
    vectors --profile upstream --subject-cmd "$events_only"
for seed in 4 5; do
    step "check, profile upstream, 1000 cases, seed $seed, against the Python subject with --events-only" \
        check --profile upstream --cases 1000 --seed "$seed" --out "$out" --subject-cmd "$events_only"
done

step "check, profile upstream with DEDUP-1 and TURN-1 from the spec, 300 cases, against the Python subject" \
    check --profile upstream --depart DEDUP-1 --depart TURN-1 --cases 300 --seed 5 --out "$out" \
    --subject-cmd "$subject"

echo "== check against the broken subject: must fail with exit code 1 and name GRANT-1"
status=0
"$bin" check --cases 300 --out "$out" --subject-cmd "$broken" >"$out/broken.txt" || status=$?
cat "$out/broken.txt"
if [ "$status" -ne 1 ]; then
    echo "examples/ci.sh: check against the broken subject exited with $status, expected 1" >&2
    exit 1
fi
if ! grep -q '^decided by: GRANT-1' "$out/broken.txt"; then
    echo "examples/ci.sh: check against the broken subject did not name GRANT-1 first" >&2
    exit 1
fi
passed=$((passed + 1))

echo "examples/ci.sh: $passed passed, 0 failed"
