//! Loading malformed traces and vector files: a clear error naming line, column, fact index and
//! what was expected; never a panic, never a half-loaded result.

use proptest::prelude::*;
use review_spec::trace::{TraceError, parse_trace, parse_trace_named, parse_vector_file};

const HEADER: &str = r#"{"review_spec_trace": 1}"#;
const ABORT: &str =
    r#"{"type": "request_aborted", "connection_id": 1, "request_id": 7, "completed_at_ms": 5}"#;

#[track_caller]
fn check_error(text: &str, line: usize, column: usize, fact_index: Option<usize>, what: &str) {
    let error = parse_trace_named(text, "t.jsonl").expect_err("the trace is malformed");
    let TraceError::Invalid {
        line: l,
        column: c,
        fact_index: f,
        what: w,
        ..
    } = &error
    else {
        panic!("expected an Invalid error, got {error:?}");
    };
    assert_eq!(
        (*l, *c, *f),
        (line, column, fact_index),
        "position of {error}"
    );
    assert!(w.contains(what), "error {error:?} should mention {what:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("t.jsonl:{line}:{column}: ")),
        "{error}"
    );
}

#[test]
fn a_valid_trace_loads_with_its_limits() {
    let text = format!(
        "{{\"review_spec_trace\": 1, \"limits\": {{\"table_entries_max\": 3}}}}\n{ABORT}\n\n{ABORT}\n"
    );
    let trace = parse_trace(&text).expect("valid");
    assert_eq!(trace.limits.table_entries_max, 3);
    assert_eq!(trace.facts.len(), 2);
}

#[test]
fn an_empty_trace_asks_for_a_header() {
    check_error("", 1, 1, None, "expected a header line");
    check_error("\n  \n", 1, 1, None, "expected a header line");
}

#[test]
fn a_wrong_version_is_named() {
    check_error(
        r#"{"review_spec_trace": 3}"#,
        1,
        1,
        None,
        "unsupported trace format version 3: expected 1 to 2",
    );
}

#[test]
fn a_header_with_unknown_fields_is_rejected() {
    check_error(
        r#"{"review_spec_trace": 1, "limit": {}}"#,
        1,
        32,
        None,
        "unknown field `limit`",
    );
}

#[test]
fn zero_table_entries_is_rejected() {
    check_error(
        r#"{"review_spec_trace": 1, "limits": {"table_entries_max": 0}}"#,
        1,
        1,
        None,
        "table_entries_max must be at least 1",
    );
}

#[test]
fn an_unknown_fact_type_names_the_line_and_fact_index() {
    let text =
        format!("{HEADER}\n{ABORT}\n\n{{\"type\": \"turn_started\", \"thread_id\": \"t1\"}}\n");
    check_error(&text, 4, 23, Some(1), "unknown variant `turn_started`");
}

#[test]
fn a_missing_field_is_named() {
    let text = format!(
        "{HEADER}\n{{\"type\": \"request_aborted\", \"connection_id\": 1, \"completed_at_ms\": 5}}\n"
    );
    check_error(&text, 2, 69, Some(0), "missing field `request_id`");
}

#[test]
fn a_wrongly_typed_field_is_named() {
    let text = format!(
        "{HEADER}\n{{\"type\": \"request_aborted\", \"connection_id\": \"one\", \"request_id\": 7, \"completed_at_ms\": 5}}\n"
    );
    check_error(
        &text,
        2,
        46,
        Some(0),
        "invalid type: string \"one\", expected u64",
    );
}

#[test]
fn truncated_json_is_an_error_not_a_partial_trace() {
    let text = format!("{HEADER}\n{ABORT}\n{{\"type\": \"request_aborted\", \"conn");
    check_error(&text, 3, 33, Some(1), "EOF while parsing");
}

#[test]
fn an_unknown_decision_lists_the_expected_ones() {
    let text = format!(
        "{HEADER}\n{{\"type\": \"command_execution_response\", \"connection_id\": 1, \"request_id\": 7, \"decision\": {{\"decision\": \"approve\"}}, \"completed_at_ms\": 5}}\n"
    );
    check_error(&text, 2, 102, Some(0), "expected one of `accept`");
}

#[test]
fn a_vector_file_error_names_file_line_and_column() {
    let text = "{\n  \"cases\": [\n    {\"name\": \"a\", \"description\": \"d\", \"rules\": [], \"facts\": [], \"expected\": [], \"extra\": 1}\n  ]\n}\n";
    let error = parse_vector_file(text, "v.json").expect_err("malformed");
    assert_eq!(error.line(), Some(3), "{error}");
    assert!(
        error.to_string().contains("unknown field `extra`"),
        "{error}"
    );
}

#[test]
fn a_vector_expecting_output_past_its_facts_is_rejected() {
    let text = r#"{"cases": [{"name": "a", "description": "d", "rules": ["LIFE-4"], "facts": [],
  "expected": [{"at": 0, "event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response"}}]}]}"#;
    let error = parse_vector_file(text, "v.json").expect_err("malformed");
    assert!(
        error
            .to_string()
            .contains("expected output at fact 0 but the case has 0 facts"),
        "{error}"
    );
}

#[test]
fn duplicate_case_names_are_rejected() {
    let case =
        r#"{"name": "a", "description": "d", "rules": ["LIFE-4"], "facts": [], "expected": []}"#;
    let text = format!("{{\"cases\": [{case},\n{case}]}}");
    let error = parse_vector_file(&text, "v.json").expect_err("malformed");
    assert!(
        error.to_string().contains("duplicate case name \"a\""),
        "{error}"
    );
}

proptest! {
    /// Any bytes: the loader returns Ok or a positioned error, and never panics.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_trace(&text);
        let _ = parse_vector_file(&text, "v.json");
    }

    /// A valid trace with one byte replaced: Ok, or an error whose line is within the text.
    #[test]
    fn mutated_traces_fail_cleanly(position in 0usize..200, byte in any::<u8>()) {
        let mut bytes = format!("{HEADER}\n{ABORT}\n{ABORT}\n").into_bytes();
        let position = position % bytes.len();
        bytes[position] = byte;
        let text = String::from_utf8_lossy(&bytes);
        if let Err(error) = parse_trace(&text) {
            let line = error.line().expect("a parse error has a line");
            prop_assert!(line >= 1 && line <= text.lines().count().max(1), "{error}");
        }
    }
}
