#!/usr/bin/env bash
# CI fuzz smoke run: every cargo-fuzz target for FUZZ_SECONDS (default 45) on one core, from the
# seed corpus, failing on any crash. Called by .ci/run; runnable by hand from anywhere:
#
#   bash fuzz/ci.sh                      # all targets, 45 s each
#   FUZZ_SECONDS=300 bash fuzz/ci.sh differential
#
# The build is release with debug assertions and overflow checks (the reducer's debug_assert!
# invariants are checked) and, by default, no sanitizer: the crate is safe Rust, and without
# AddressSanitizer the targets build faster and run 3-8x more inputs in the same time. The nightly
# workflow fuzzes without one too; ClusterFuzzLite runs with AddressSanitizer; FUZZ_SANITIZER=address
# does it here.
#
# Needs the nightly toolchain (cargo-fuzz builds with sanitizer flags only nightly has). Without
# it this script FAILS, loudly, unless REVIEW_SPEC_ALLOW_NO_NIGHTLY=1 says skipping is accepted;
# even then it says it did not fuzz. It never pretends to have run.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-45}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-none}"
ALL_TARGETS=(differential trace_json facts_arbitrary)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

loud() {
    echo "################################################################################" >&2
    for line in "$@"; do echo "### $line" >&2; done
    echo "################################################################################" >&2
}

echo "== fuzz: toolchain"
if ! cargo +nightly --version >/dev/null 2>&1; then
    if [ "${REVIEW_SPEC_ALLOW_NO_NIGHTLY:-}" = "1" ]; then
        loud "FUZZING SKIPPED: no nightly toolchain (rustup toolchain install nightly)." \
             "REVIEW_SPEC_ALLOW_NO_NIGHTLY=1 accepts this. NOTHING WAS FUZZED."
        exit 0
    fi
    loud "FUZZING CANNOT RUN: the nightly toolchain is missing." \
         "Install it:  rustup toolchain install nightly" \
         "or accept skipping explicitly with REVIEW_SPEC_ALLOW_NO_NIGHTLY=1."
    exit 1
fi
cargo +nightly --version
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

echo "== fuzz: seed corpus and dictionary (cargo run --example fuzz_seed_corpus)"
# --all-features reuses the library `cargo test --all-features` built before this step.
cargo run --quiet --all-features --example fuzz_seed_corpus

echo "== fuzz: build (release, debug assertions, sanitizer: $FUZZ_SANITIZER)"
cargo +nightly fuzz build --sanitizer "$FUZZ_SANITIZER"

started="$(mktemp)"
trap 'rm -f "$started"' EXIT
failed=()
for target in "${TARGETS[@]}"; do
    echo "== fuzz: $target for ${FUZZ_SECONDS}s"
    dict=()
    if [ -f "fuzz/dict/$target.dict" ]; then
        dict=("-dict=fuzz/dict/$target.dict")
    fi
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    # One process on one core; a slow input (10 s) or 2 GB of memory is a finding too.
    if ! cargo +nightly fuzz run --sanitizer "$FUZZ_SANITIZER" "$target" "fuzz/corpus/$target" -- \
        "${dict[@]}" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$target/"; then
        failed+=("$target")
    fi
done

crashes="$(find fuzz/artifacts -type f -newer "$started" 2>/dev/null | sort || true)"
if [ "${#failed[@]}" -gt 0 ] || [ -n "$crashes" ]; then
    loud "FUZZING FOUND A PROBLEM in: ${failed[*]:-(see artifacts)}" \
         "Turn each crash into a minimized regression vector and commit it:"
    for crash in $crashes; do
        target="$(basename "$(dirname "$crash")")"
        echo "  cargo run --example fuzz_crash_to_vector -- $target $crash" >&2
        echo "  (reproduce: cargo +nightly fuzz run --sanitizer $FUZZ_SANITIZER $target $crash)" >&2
    done
    exit 1
fi
echo "== fuzz: ${TARGETS[*]}: no crash in ${FUZZ_SECONDS}s each"
