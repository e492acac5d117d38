//! Loading malformed traces and vector files: a clear error naming line, column, fact index and
//! what was expected; never a panic, never a half-loaded result.

use std::io::{BufReader, Read as _};

use proptest::prelude::*;
use review_spec_vocab::trace::{
    DEFAULT_MAX_LINE_BYTES, TraceError, TraceReader, parse_trace, parse_trace_bytes,
    parse_vector_bytes, parse_vector_file,
};

const HEADER: &str = r#"{"review_spec_trace": 1}"#;
const ABORT: &str =
    r#"{"type": "request_aborted", "connection_id": 1, "request_id": 7, "completed_at_ms": 5}"#;

#[track_caller]
fn check_error(text: &str, line: usize, column: usize, fact_index: Option<usize>, what: &str) {
    check_bytes_error(text.as_bytes(), line, column, fact_index, what);
}

#[track_caller]
fn check_bytes_error(
    bytes: &[u8],
    line: usize,
    column: usize,
    fact_index: Option<usize>,
    what: &str,
) {
    let error = parse_trace_bytes(bytes, "t.jsonl").expect_err("the trace is malformed");
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
        r#"{"review_spec_trace": 4}"#,
        1,
        1,
        None,
        "unsupported trace format version 4: expected 1 to 3",
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

/// An abort fact with `request_id` as written.
fn abort_with_request_id(request_id: &str) -> String {
    format!(
        r#"{{"type": "request_aborted", "connection_id": 1, "request_id": {request_id}, "completed_at_ms": 5}}"#
    )
}

#[test]
fn invalid_utf8_is_positioned() {
    let mut bytes = format!("{HEADER}\n{ABORT}\n").into_bytes();
    bytes.extend_from_slice(b"{\"type\": \"request_\xFFaborted\"}\n");
    check_bytes_error(&bytes, 3, 19, Some(1), "invalid UTF-8");
    let mut header = b"{\"review_spec_trace\": 1, \"x\": \"\xC3\"}\n".to_vec();
    header.extend_from_slice(ABORT.as_bytes());
    check_bytes_error(&header, 1, 32, None, "invalid UTF-8");
}

#[test]
fn a_byte_order_mark_is_named() {
    check_error(
        &format!("\u{FEFF}{HEADER}\n{ABORT}\n"),
        1,
        1,
        None,
        "byte order mark at the start of the file: remove it",
    );
    let error = parse_vector_file("\u{FEFF}{\"cases\": []}", "v.json").expect_err("a BOM");
    assert!(
        error.to_string().starts_with("v.json:1:1: byte order mark"),
        "{error}"
    );
}

#[test]
fn numbers_that_do_not_fit_are_named_as_written_where_they_start() {
    let column = ABORT.find('7').expect("the request id") + 1;
    check_error(
        &format!(
            "{HEADER}\n{}\n",
            abort_with_request_id("18446744073709551616")
        ),
        2,
        column,
        Some(0),
        "request_id 18446744073709551616 does not fit in an unsigned 64-bit integer",
    );
    check_error(
        &format!("{HEADER}\n{}\n", abort_with_request_id("1e3")),
        2,
        column,
        Some(0),
        "request_id 1e3 is not an integer",
    );
    let low = ABORT.replace(
        "\"completed_at_ms\": 5",
        "\"completed_at_ms\": -9223372036854775809",
    );
    check_error(
        &format!("{HEADER}\n{ABORT}\n{low}\n"),
        3,
        low.find("-9").expect("the timestamp") + 1,
        Some(1),
        "completed_at_ms -9223372036854775809 does not fit in a signed 64-bit integer",
    );
    check_error(
        r#"{"review_spec_trace": 1, "limits": {"table_entries_max": 18446744073709551616}}"#,
        1,
        58,
        None,
        "table_entries_max 18446744073709551616 does not fit in an unsigned 64-bit integer",
    );
    // The largest values that fit still load.
    let max = abort_with_request_id("18446744073709551615").replace(
        "\"completed_at_ms\": 5",
        "\"completed_at_ms\": -9223372036854775808",
    );
    parse_trace(&format!("{HEADER}\n{max}\n")).expect("u64::MAX and i64::MIN fit");
    for error in [
        parse_trace(&format!(
            "{HEADER}\n{}\n",
            abort_with_request_id("18446744073709551616")
        )),
        parse_trace(&format!("{HEADER}\n{}\n", abort_with_request_id("1e3"))),
    ] {
        let text = error.expect_err("malformed").to_string();
        assert!(!text.contains("floating point"), "{text}");
        assert!(!text.contains("18446744073709552000"), "{text}");
    }
}

#[test]
fn crlf_line_endings_load_and_errors_keep_their_lines() {
    let text = format!("{HEADER}\r\n{ABORT}\r\n\r\n{ABORT}\r\n");
    assert_eq!(parse_trace(&text).expect("CRLF loads").facts.len(), 2);
    check_error(
        &format!("{HEADER}\r\n{ABORT}\r\n\r\n{{\"type\": \"nope\"}}\r\n"),
        4,
        15,
        Some(1),
        "unknown variant `nope`",
    );
}

#[test]
fn duplicate_keys_are_rejected() {
    let twice = ABORT.replace("\"request_id\": 7", "\"request_id\": 7, \"request_id\": 8");
    let error = parse_trace(&format!("{HEADER}\n{twice}\n")).expect_err("a duplicate key");
    assert!(
        error.to_string().contains("duplicate field `request_id`"),
        "{error}"
    );
    assert_eq!(
        (error.line(), error.fact_index()),
        (Some(2), Some(0)),
        "{error}"
    );
    let header = r#"{"review_spec_trace": 1, "review_spec_trace": 2}"#;
    let error = parse_trace(header).expect_err("a duplicate key");
    assert!(
        error
            .to_string()
            .contains("duplicate field `review_spec_trace`"),
        "{error}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(100_000);
    let nested_field = ABORT.replace("\"request_id\": 7", &format!("\"x\": {deep}"));
    let error = parse_trace(&format!("{HEADER}\n{nested_field}\n")).expect_err("too deep");
    assert!(
        error.to_string().contains("recursion limit exceeded"),
        "{error}"
    );
    assert_eq!(error.fact_index(), Some(0), "{error}");
    assert!(parse_trace(&format!("{HEADER}\n{deep}\n")).is_err());
    assert!(parse_trace(&format!("{{\"review_spec_trace\": {deep}\n")).is_err());
    let vectors = format!("{{\"cases\": [{{\"name\": \"a\", \"facts\": [{nested_field}]}}]}}");
    let error = parse_vector_file(&vectors, "v.json").expect_err("too deep");
    assert!(
        error.to_string().contains("recursion limit exceeded"),
        "{error}"
    );
}

#[test]
fn nul_bytes_are_a_positioned_error() {
    let with_nul = ABORT.replace("\"request_id\"", "\0\"request_id\"");
    let error = parse_trace(&format!("{HEADER}\n{with_nul}\n")).expect_err("a NUL byte");
    assert_eq!(
        (error.line(), error.fact_index()),
        (Some(2), Some(0)),
        "{error}"
    );
    check_bytes_error(b"\0\0\0\n", 1, 1, None, "invalid trace header");
}

#[test]
fn an_endless_line_is_refused_at_the_line_limit() {
    let started = std::time::Instant::now();
    let zeros = BufReader::new(std::io::repeat(0));
    let error = TraceReader::new(zeros, "/dev/zero", DEFAULT_MAX_LINE_BYTES)
        .err()
        .expect("refused");
    assert!(
        error
            .to_string()
            .starts_with("/dev/zero:1:1048577: line longer than 1048576 bytes"),
        "{error}"
    );
    assert!(error.to_string().contains("--max-line-bytes"), "{error}");
    // After a valid header, the same: the fact index is named, and nothing is held but the line.
    let start = format!("{HEADER}\n{ABORT}\n");
    let endless = start.as_bytes().chain(std::io::repeat(b'x'));
    let mut reader = TraceReader::new(BufReader::new(endless), "t", 1000).expect("header");
    assert!(reader.next_fact().expect("one fact").is_some());
    let error = reader.next_fact().expect_err("refused");
    assert_eq!(
        (error.line(), error.fact_index()),
        (Some(3), Some(1)),
        "{error}"
    );
    assert!(reader.next_fact().expect("stopped").is_none());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_huge_bad_token_gives_a_short_error() {
    let token = "x".repeat(50 << 20);
    let text = format!("{HEADER}\n{{\"type\": \"{token}\"}}\n");
    // Under the default line limit, the line is refused unread.
    let error = parse_trace(&text).expect_err("too long").to_string();
    assert!(error.len() < 300, "{}", &error[..300.min(error.len())]);
    // Under a limit that lets it through, serde's message quotes an excerpt, once.
    let reader = TraceReader::new(text.as_bytes(), "t", 64 << 20).expect("header");
    let error = reader.into_trace().expect_err("unknown type").to_string();
    assert!(error.len() < 1000, "{}", &error[..1000.min(error.len())]);
    assert_eq!(error.matches(&"x".repeat(80)).count(), 1, "{error}");
    assert!(error.contains("x…"), "{error}");
    // The same in a vector file.
    let vectors = format!("{{\"cases\": [{{\"name\": 1, \"x\": \"{token}\"}}]}}");
    let error = parse_vector_file(&vectors, "v.json")
        .expect_err("bad")
        .to_string();
    assert!(error.len() < 1000, "{}", &error[..1000.min(error.len())]);
    let vectors = format!("{{\"{token}\": 1}}");
    let error = parse_vector_file(&vectors, "v.json")
        .expect_err("bad")
        .to_string();
    assert!(error.len() < 1000, "{}", &error[..1000.min(error.len())]);
}

#[test]
fn vector_files_report_invalid_utf8_with_its_position() {
    let error = parse_vector_bytes(b"{\n  \"cases\": [\xFF]}", "v.json").expect_err("bad");
    assert!(
        error.to_string().starts_with("v.json:2:13: invalid UTF-8"),
        "{error}"
    );
}

/// A case on one line, named `name`, with an expected output at fact `at` of its one fact.
fn compact_case(name: &str, at: usize) -> String {
    format!(
        r#"{{"name":"{name}","description":"d","rules":[],"facts":[{ABORT}],"expected":[{{"at":{at},"event_type":"review_spec_diagnostic","event_params":{{"reason":"orphan_response","connection_id":1,"request_id":7}}}}]}}"#
    )
}

#[test]
fn case_errors_in_compact_vector_files_point_at_the_case() {
    // One case per line.
    let text = format!(
        "{{\"cases\": [\n{},\n{},\n{}\n]}}\n",
        compact_case("a", 0),
        compact_case("b", 0),
        compact_case("a", 0)
    );
    let error = parse_vector_file(&text, "v.json").expect_err("duplicate");
    assert!(
        error
            .to_string()
            .starts_with("v.json:4:2: case \"a\": duplicate case name"),
        "{error}"
    );
    let text = format!(
        "{{\"cases\": [\n{},\n{}\n]}}\n",
        compact_case("a", 0),
        compact_case("b", 5)
    );
    let error = parse_vector_file(&text, "v.json").expect_err("output past the facts");
    assert!(
        error.to_string().starts_with("v.json:3:2: case \"b\""),
        "{error}"
    );
    // Minified: one line, the column of the case.
    let text = format!(
        "{{\"cases\":[{},{}]}}",
        compact_case("a", 0),
        compact_case("b", 5)
    );
    let column = text.rfind("\"name\":\"b\"").expect("case b") + 1;
    let error = parse_vector_file(&text, "v.json").expect_err("output past the facts");
    assert!(
        error
            .to_string()
            .starts_with(&format!("v.json:1:{column}: case \"b\"")),
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

    /// Any bytes, UTF-8 or not: Ok or a positioned error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Err(error) = parse_trace_bytes(&bytes, "t") {
            prop_assert!(error.line().is_some(), "{error}");
        }
        let _ = parse_vector_bytes(&bytes, "v.json");
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

/// One validation of limits wherever limits are read: a history trace's too (the subject would
/// be started with a limit of 0, which spec/protocol.md forbids).
#[test]
fn zero_table_entries_in_a_history_trace_is_rejected() {
    let text = format!(
        "{{\"review_spec_vectors\": 3, \"cases\": [\n{{\"name\": \"h\", \"description\": \"d\", \"rules\": [], \"history\": [{{\"limits\": {{\"table_entries_max\": 0}}, \"facts\": [{ABORT}]}}], \"facts\": [{ABORT}], \"expected\": []}}\n]}}\n"
    );
    let error = parse_vector_file(&text, "v.json").expect_err("the history's limits are invalid");
    let message = error.to_string();
    assert!(
        message.starts_with("v.json:2:2: case \"h\": history trace 0: invalid limits: table_entries_max must be at least 1"),
        "{message}"
    );
}

/// Objects only: an array where a format wants an object is an error, at any depth (serde reads
/// a struct from an array of its fields in order).
#[test]
fn arrays_in_place_of_objects_are_rejected() {
    check_error("[2]", 1, 1, None, "an array where an object is expected");
    check_error(
        r#"[2, {"table_entries_max": 1}, {"base": "upstream"}]"#,
        1,
        1,
        None,
        "an array where an object is expected",
    );
    check_error(
        r#"{"review_spec_trace": 2, "limits": [1]}"#,
        1,
        36,
        None,
        "an array where an object is expected (at limits)",
    );
    check_error(
        r#"{"review_spec_trace": 2, "profile": ["upstream", []]}"#,
        1,
        37,
        None,
        "(at profile)",
    );
    check_error(
        &format!("{HEADER}\n[\"request_aborted\", 1, 7, 5]\n"),
        2,
        1,
        Some(0),
        "an array where an object is expected",
    );
    check_error(
        &format!(
            "{HEADER}\n{{\"type\": \"initialize\", \"connection_id\": 1, \"app_server_client\": [null, \"c\", \"1\", null, null], \"runtime\": {{\"runtime_os\": \"linux\"}}}}\n"
        ),
        2,
        65,
        Some(0),
        "(at app_server_client)",
    );
    let array_form = format!("[3, [[\"a\", \"d\", [], {{}}, [{ABORT}], []]]]");
    let error = parse_vector_file(&array_form, "v.json").expect_err("an array-form vector file");
    assert!(
        error
            .to_string()
            .starts_with("v.json:1:1: invalid vector file: an array where an object is expected"),
        "{error}"
    );
    // Arrays where the formats have lists still load.
    let valid = format!(
        "{{\"cases\": [{{\"name\": \"a\", \"description\": \"d\", \"rules\": [\"LIFE-4\"], \"facts\": [{ABORT}], \"expected\": [{{\"at\": 0, \"event_type\": \"review_spec_diagnostic\", \"event_params\": {{\"reason\": \"orphan_response\", \"connection_id\": 1, \"request_id\": 7}}}}]}}]}}"
    );
    parse_vector_file(&valid, "v.json").expect("a valid vector file");
    parse_trace(&format!(
        "{{\"review_spec_trace\": 2, \"profile\": {{\"base\": \"upstream\", \"depart\": [\"DEDUP-1\"]}}}}\n{ABORT}\n"
    ))
    .expect("a valid trace");
}

/// A value of the wrong type inside a fact is positioned at the value, also an object where a
/// string goes (serde gives no position inside a fact; before: column 1).
#[test]
fn an_object_in_a_string_field_is_positioned_at_the_object() {
    let text = format!(
        "{HEADER}\n{{\"type\": \"turn_completed\", \"thread_id\": {{\"id\": 1}}, \"turn_id\": \"u\", \"completed_at_ms\": 1}}\n"
    );
    check_error(
        &text,
        2,
        41,
        Some(0),
        "invalid type: map, expected a string",
    );
}
