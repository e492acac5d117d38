//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs` are one-line calls into these),
//! so that `cargo test` reaches the same code on the checked-in corpus.

use crate::model;
use crate::trace::parse_trace;

/// `trace_json`: any bytes either fail to load with a positioned error, or load and reduce.
pub fn trace_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_trace(text) {
        Ok(trace) => {
            let outputs = model::reduce(&trace.facts, &trace.limits);
            assert!(
                outputs.iter().all(|emitted| emitted.at < trace.facts.len()),
                "an output names a fact that does not exist"
            );
        }
        Err(error) => {
            let line = error.line().unwrap_or(1);
            assert!(line >= 1, "error without a line: {error}");
        }
    }
}
