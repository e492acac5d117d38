//! Raw bytes → trace loader → model vs reducer: malformed input is an error that points into
//! it, never a panic, and a trace that loads reduces alike in the model and the reducer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| review_spec::fuzzing::trace_json(data));
