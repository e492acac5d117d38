#!/usr/bin/env bash
# Mutation testing of the production reducer (configuration: .cargo/mutants.toml).
# Installs cargo-mutants when missing; extra arguments go to `cargo mutants` (e.g. --shard 0/4).
# Results land in mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
# Fewer generated cases per property keep each mutant's test run short; the vectors and the
# shrunk defect regressions carry most of the killing power.
export PROPTEST_CASES="${PROPTEST_CASES:-128}"
exec cargo mutants --no-shuffle "$@"
