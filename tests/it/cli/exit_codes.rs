//! Usage and input errors exit 2 and say where; a check that cannot save still exits 1.

use super::runner::{BROKEN_SUBJECT, run, scratch, usage_error_says};

#[test]
fn usage_and_input_errors_exit_2_and_say_where() {
    run(&["frobnicate"]).exits(2);
    run(&["check", "--cases", "many"]).exits(2);
    run(&["check", "--seed", "not a seed"]).exits(2);
    let missing = run(&["replay", "no/such/trace.jsonl"]).exits(2);
    assert!(
        missing.stderr.contains("no/such/trace.jsonl"),
        "{}",
        missing.stderr
    );

    let dir = scratch("bad-trace");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"review_spec_trace\": 1}\n{\"type\": \"request_aborted\", \"connection_id\": 1, \"request_id\": 7, \"completed_at_ms\": \"soon\"}\n",
    )
    .expect("write the trace");
    let output = run(&["replay", &bad.display().to_string(), "--json"]).exits(2);
    let message = &output.stderr;
    assert!(
        message.contains("bad.jsonl:2:") && message.contains("(fact 0)"),
        "{message}"
    );
    assert_eq!(output.json()["exit_code"], 2);

    let not_a_subject = run(&["check", "--subject-cmd", "python3 -c 'print(1)'"]).exits(2);
    assert!(
        not_a_subject.stderr.contains("at the protocol header"),
        "{}",
        not_a_subject.stderr
    );
}

#[test]
fn small_usage_mistakes_are_refused_with_plain_words() {
    usage_error_says(
        &["check", "--timeout-ms", "0", "--cases", "1"],
        "0 is not in 1..",
    );
    usage_error_says(
        &["check", "--seed", "18446744073709551616", "--cases", "1"],
        "must fit in an unsigned 64-bit integer",
    );
    let dir = scratch("no-cases");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("empty.json");
    std::fs::write(&file, "{\"review_spec_vectors\": 3, \"cases\": []}\n").expect("file");
    let file_text = file.display().to_string();
    usage_error_says(&["vectors", &file_text], "the vector file holds no case");
    usage_error_says(
        &["vectors", "spec/vectors/grant", "--max-file-bytes", "100"],
        "larger than 100 bytes",
    );
    let dir_text = dir.display().to_string();
    let output = run(&["vectors", &dir_text]).exits(2);
    assert!(!output.stderr.contains("filter"), "{}", output.stderr);
}

#[test]
fn check_that_cannot_save_its_counterexample_still_exits_1_and_says_why() {
    let blocker = scratch("not-a-folder");
    std::fs::remove_dir(&blocker).expect("scratch");
    std::fs::write(&blocker, "a file where --out wants a folder\n").expect("file");
    let out = blocker.join("out").display().to_string();
    let output = run(&[
        "check",
        "--seed",
        "7",
        "--cases",
        "200",
        "--subject-cmd",
        BROKEN_SUBJECT,
        "--out",
        &out,
        "--json",
    ])
    .exits(1);
    let summary = output.json();
    let failure = &summary["failures"][0];
    assert!(
        failure["save_error"]
            .as_str()
            .is_some_and(|why| why.contains("not-a-folder")),
        "{summary}"
    );
    assert!(output.stderr.contains("cannot save the counterexample"));
}
