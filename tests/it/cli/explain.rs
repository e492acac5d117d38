//! `explain`: its text pinned in `tests/it/expect/` (`UPDATE_EXPECT=1` rewrites it), its
//! `--json` rules and facts per output, and a malformed line mid-trace as an input error.

use super::runner::{grant_1_trace, root, run, scratch};

#[test]
fn explain_output_is_pinned() {
    let output = run(&[
        "explain",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
    ])
    .exits(0);
    let expect_path = root().join("tests/it/expect/explain-grant-1.txt");
    let actual = &output.stdout;
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expect_path, actual).expect("rewrite the expectation");
        return;
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
    pretty_assertions::assert_eq!(
        &expected,
        actual,
        "explain output changed; if intended: UPDATE_EXPECT=1 cargo test --test it cli"
    );
}

#[test]
fn explain_json_gives_rules_and_facts_per_output() {
    let summary = run(&[
        "--json",
        "explain",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
    ])
    .exits(0)
    .json();
    let case = &summary["explained"][0];
    assert_eq!(
        (&case["fact_count"], &case["output_count"]),
        (&4.into(), &1.into())
    );
    let fact = &case["facts"][3];
    assert_eq!(fact["type"], "effective_permissions_response", "{fact}");
    assert!(
        fact["rules"]
            .as_array()
            .is_some_and(|rules| rules.iter().any(|rule| rule == "GRANT-1")),
        "{fact}"
    );
    let first = &fact["outputs"][0];
    assert_eq!(first["at"], 3, "{first}");
    assert!(
        first["rules"]
            .as_array()
            .is_some_and(|rules| rules.iter().any(|rule| rule == "GRANT-1")),
        "{first}"
    );
    assert_eq!(first["facts"], serde_json::json!([0, 1, 2, 3]));
    // The decisions behind each field: the grant's status decided by GRANT-1 at fact 3.
    let status = first["decided"]
        .as_array()
        .and_then(|decided| decided.iter().find(|d| d["aspect"] == "status"))
        .unwrap_or_else(|| panic!("no status in {first}"));
    assert_eq!(
        status["by"][0],
        serde_json::json!({"rule": "GRANT-1", "fact": 3, "exception": false})
    );
}

#[test]
fn a_malformed_line_mid_trace_is_an_input_error_and_explain_json_stays_one_object() {
    let dir = scratch("explain-stream-error");
    let trace = grant_1_trace(&dir, 0);
    let mut text = std::fs::read_to_string(&trace).expect("read");
    text.push_str("{\"type\": \"request_aborted\", \"request_id\": 1e3}\n");
    std::fs::write(&trace, text).expect("write");
    let path = trace.display().to_string();
    let value = run(&["--json", "explain", &path]).exits(2).json();
    assert_eq!(value["exit_code"], 2, "{value}");
    let error = value["error"].as_str().unwrap_or_default();
    assert!(
        error.ends_with(":6:43: invalid fact: request_id 1e3 is not an integer: every number here is a whole number, without fraction or exponent (fact 4)"),
        "{error}"
    );
    assert_eq!(value["explained"][0]["facts"][3]["index"], 3, "{value}");
    let output = run(&["replay", &path]).exits(2);
    assert!(
        output.stderr.contains(":6:43: invalid fact"),
        "{}",
        output.stderr
    );
    // A line over the limit.
    let output = run(&["explain", &path, "--max-line-bytes", "100"]).exits(2);
    assert!(
        output.stderr.contains(":2:101: line longer than 100 bytes"),
        "{}",
        output.stderr
    );
    let output = run(&[
        "replay",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
        "--max-file-bytes",
        "100",
    ])
    .exits(2);
    assert!(
        output.stderr.contains("larger than 100 bytes"),
        "{}",
        output.stderr
    );
}
