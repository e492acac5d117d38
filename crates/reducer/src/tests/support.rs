//! What the example tests share: a trace body and its expected outputs written as JSON, as in
//! `spec/vectors/`, so that a case reads like the spec (absent optional fields are null), and the
//! connection and thread most examples start from.

use crate::profile::Profile;
use pretty_assertions::assert_eq;

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::trace::parse_trace;

use crate::reduce_all;

/// Facts of a trace body, one JSON object a line (blank lines allowed).
#[track_caller]
fn facts(lines: &str) -> Vec<Fact> {
    let text = format!("{{\"review_spec_trace\": 1}}\n{lines}");
    match parse_trace(&text) {
        Ok(trace) => trace.facts,
        Err(error) => panic!("bad test trace: {error}"),
    }
}

/// Expected outputs, one `Emitted` JSON object a line.
#[track_caller]
fn emitted(lines: &str) -> Vec<Emitted> {
    lines
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match serde_json::from_str(line) {
            Ok(emitted) => emitted,
            Err(error) => panic!("bad expected output {line}: {error}"),
        })
        .collect()
}

#[track_caller]
pub(super) fn check_with(limits: Limits, input: &str, expected: &str) {
    assert_eq!(
        reduce_all(&facts(input), &limits, &Profile::SPEC),
        emitted(expected)
    );
}

#[track_caller]
pub(super) fn check(input: &str, expected: &str) {
    check_with(Limits::default(), input, expected);
}

/// Connection 1 initialized, thread t1 bound to it: reviews of t1 are emitted.
const CONTEXT: &str = r#"
{"type": "initialize", "connection_id": 1, "app_server_client": {"client_name": "tui"}, "runtime": {}}
{"type": "thread_bound", "connection_id": 1, "thread_id": "t1", "binding": "started", "thread_source": "user"}
"#;

pub(super) fn with_context(lines: &str) -> String {
    format!("{CONTEXT}{lines}")
}
