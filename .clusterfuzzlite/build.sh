#!/bin/bash -eu
# ClusterFuzzLite build: the cargo-fuzz targets of fuzz/, each with its seed corpus (from
# spec/vectors/ and fixed pseudo-random inputs) and, for trace_json, the format's dictionary.
cd "$SRC/review-spec"

# The seed generator is an ordinary program: build it without the fuzzing flags of the image.
RUSTFLAGS="" CARGO_TARGET_DIR="$WORK/seed-target" \
    cargo run --quiet --example fuzz_seed_corpus -- --out "$WORK/seeds"

# Release with debug assertions, so the reducer's debug_assert! invariants are checked too.
cargo fuzz build -O --debug-assertions

FUZZ_TARGET_OUTPUT_DIR=fuzz/target/x86_64-unknown-linux-gnu/release
for target in differential trace_json facts_arbitrary; do
    cp "$FUZZ_TARGET_OUTPUT_DIR/$target" "$OUT/"
    (cd "$WORK/seeds/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    if [ -f "fuzz/dict/$target.dict" ]; then
        cp "fuzz/dict/$target.dict" "$OUT/$target.dict"
    fi
done
