//! `generate` then `replay`, `replay` streaming a trace and explaining a divergence near its
//! start or past the explained prefix, and a vector file's expected outputs held to.

use super::runner::{BROKEN_SUBJECT, grant_1_trace, root, run, scratch};

#[test]
fn generated_traces_replay_and_agree() {
    let dir = scratch("generate");
    run(&[
        "generate",
        "--cases",
        "3",
        "--seed",
        "9",
        "--out",
        &dir.display().to_string(),
    ])
    .exits(0);
    let trace = dir.join("case-00002.jsonl");
    review_spec_vocab::trace::read_trace(&trace).expect("a generated trace loads");
    let replay = run(&["replay", &trace.display().to_string()]).exits(0);
    assert!(replay.stdout.contains("agrees"), "{}", replay.stdout);
}

#[test]
fn replay_streams_a_trace_and_explains_a_divergence_near_its_start() {
    let dir = scratch("replay-stream-near");
    let trace = grant_1_trace(&dir, 0);
    let output = run(&[
        "replay",
        &trace.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ])
    .exits(1);
    let text = &output.stdout;
    assert!(text.contains("decided by: GRANT-1"), "{text}");
    assert!(text.contains("sequence (4 facts) as a trace"), "{text}");
}

#[test]
fn replay_reports_a_divergence_past_the_explained_prefix_without_the_prefix() {
    let dir = scratch("replay-stream-far");
    let filler = review_spec::diff::EXPLAIN_PREFIX_MAX;
    let trace = grant_1_trace(&dir, filler);
    let summary = run(&[
        "--json",
        "replay",
        &trace.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ])
    .exits(1)
    .json();
    let failure = &summary["failures"][0];
    assert_eq!(failure["fact_index"], filler + 3, "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("past the first {filler} facts")),
        "{message}"
    );
    assert!(message.contains("rules at this fact: "), "{message}");
    assert!(message.contains("GRANT-1"), "{message}");
    assert!(!message.contains("as a trace"), "{message}");
    assert!(
        message.matches("\"type\":\"initialize\"").count() <= review_spec::diff::STREAM_WINDOW,
        "{message}"
    );
}

#[test]
fn replay_of_a_vector_file_holds_the_subject_to_its_expected_outputs() {
    let dir = scratch("stale-vector");
    let source = root().join("spec/vectors/grant/grant-1-empty-grant-denied.json");
    let text = std::fs::read_to_string(&source).expect("vector");
    assert!(text.contains("\"status\":\"denied\""));
    // The file now expects what the GRANT-1 bug produces: replay must not call that agreement.
    let stale = dir.join("stale.json");
    std::fs::write(
        &stale,
        text.replace("\"status\":\"denied\"", "\"status\":\"approved\""),
    )
    .expect("write");
    let stale_text = stale.display().to_string();
    let output = run(&["replay", &stale_text]).exits(1);
    assert!(
        output
            .stdout
            .contains("the vector's expected outputs differ from the model's"),
        "{}",
        output.stdout
    );
    let intact = source.display().to_string();
    run(&["replay", &intact]).exits(0);
}
