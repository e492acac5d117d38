//! Raw bytes → trace loader → model: malformed input is an error, never a panic, and a trace that
//! loads reduces without panicking.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| review_spec::fuzzing::trace_json(data));
