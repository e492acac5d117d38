//! Subjects that differ from the example one: of protocol version 2, hanging, emitting no
//! diagnostics, failing only after earlier traces, flaky, crashing after many traces.

use std::path::PathBuf;

use super::runner::{PYTHON_SUBJECT, run, scratch};

/// A subject of protocol version 2 keeps working: it is never sent a fact of trace format 3
/// (it exits 3 on one), `vectors` skips the cases that have one and says why, and `check` draws
/// cases without them.
#[test]
fn a_protocol_two_subject_is_sent_no_fact_of_trace_format_three() {
    let subject = "python3 tests/subjects/protocol_two.py";
    let summary = run(&["vectors", "--subject-cmd", subject, "--json"])
        .exits(0)
        .json();
    assert_eq!(summary["failure_count"], 0, "{summary}");
    let skipped = summary["skipped"].as_array().cloned().unwrap_or_default();
    let too_new: Vec<_> = skipped
        .iter()
        .filter(|skip| {
            skip["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains("protocol version 2"))
        })
        .collect();
    assert!(
        too_new.iter().any(|skip| skip["name"]
            .as_str()
            .is_some_and(|name| name.contains("ctx-5"))),
        "{summary}"
    );
    // Every other case ran: the sub-agent and originator cases are the only ones skipped.
    assert!(
        too_new.iter().all(|skip| skip["name"]
            .as_str()
            .is_some_and(|name| name.contains("ctx-4")
                || name.contains("ctx-5")
                || name.contains("originator")
                || name.contains("subagent"))),
        "{summary}"
    );
    // One that refuses a version 3 header is started again with a version 2 one.
    let strict = "python3 tests/subjects/protocol_two.py --strict";
    let output = run(&["vectors", "--subject-cmd", strict, "--json"]).exits(0);
    assert_eq!(output.json()["skipped"], summary["skipped"]);
    run(&[
        "check",
        "--cases",
        "100",
        "--seed",
        "5",
        "--subject-cmd",
        strict,
    ])
    .exits(0);
    run(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "5",
        "--subject-cmd",
        subject,
    ])
    .exits(0);
    // The same subject at protocol 3 is sent them, and refuses: so the check above did withhold.
    let dir = scratch("protocol-two");
    let output = run(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "5",
        "--out",
        &dir.display().to_string(),
        "--subject-cmd",
        "python3 tests/subjects/protocol_two.py --claim-three",
    ])
    .exits(1);
    assert!(output.stderr.contains("trace format 3") || output.stdout.contains("trace format 3"));
}

#[test]
fn a_hanging_subject_is_killed_after_the_timeout_and_named_with_its_fact() {
    let output = run(&[
        "replay",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
        "--timeout-ms",
        "500",
        "--subject-cmd",
        "python3 tests/subjects/misbehaving.py hang 0",
    ])
    .exits(1);
    let text = &output.stdout;
    assert!(text.contains("timed out at fact 0"), "{text}");
    assert!(text.contains("3 failures"), "{text}");
}

#[test]
fn a_subject_that_emits_no_diagnostics_is_compared_on_events_and_the_summary_says_so() {
    let subject = format!("{PYTHON_SUBJECT} --events-only");
    let summary = run(&[
        "vectors",
        "--profile",
        "upstream",
        "--json",
        "--subject-cmd",
        &subject,
    ])
    .exits(0)
    .json();
    assert_eq!(
        summary["not_compared"],
        serde_json::json!(["diagnostic"]),
        "{summary}"
    );
    assert_eq!(
        summary["compared"],
        serde_json::json!(["review", "tool_item"]),
        "{summary}"
    );
    let text = run(&[
        "check",
        "--cases",
        "30",
        "--seed",
        "3",
        "--profile",
        "upstream",
        "--subject-cmd",
        &subject,
    ])
    .stdout;
    assert!(
        text.contains("not compared (the subject does not emit them): diagnostic"),
        "{text}"
    );
}

/// A subject whose bug needs earlier traces in the same process: `check` finds it, sees that
/// the failing case agrees in a fresh process, and saves it with the traces before it as its
/// history; `replay` of that vector fails in a fresh process.
#[test]
fn check_reports_a_history_dependent_failure_and_saves_a_vector_that_reproduces() {
    let dir = scratch("history");
    let subject = "python3 tests/subjects/history_dependent.py";
    let output = run(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "1",
        "--out",
        &dir.display().to_string(),
        "--jobs",
        "1",
        "--subject-cmd",
        subject,
    ])
    .exits(1);
    let text = &output.stdout;
    assert!(
        text.contains("history-dependent: the failing case agrees in a fresh subject process"),
        "{text}"
    );
    let saved: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the output folder")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let file =
        review_spec_vocab::trace::read_vector_file(&saved[0]).expect("the saved vector loads");
    assert!(
        !file.cases[0].history.is_empty(),
        "saved without its history"
    );
    run(&[
        "replay",
        &saved[0].display().to_string(),
        "--subject-cmd",
        subject,
    ])
    .exits(1);
}

/// A subject that fails in every other process: the failure is reported as flaky with its
/// reproduction rate, its divergence and rules, and saved with the traces before it as its
/// history (nothing is dropped), labelled as not shrunk.
#[test]
fn check_reports_a_flaky_failure_with_its_rate_and_everything_known() {
    let dir = scratch("flaky");
    let counter = dir.join("counter");
    let subject = format!("python3 tests/subjects/flaky.py {}", counter.display());
    let out = dir.join("out");
    let summary = run(&[
        "--json",
        "check",
        "--cases",
        "300",
        "--seed",
        "1",
        "--out",
        &out.display().to_string(),
        "--jobs",
        "1",
        "--subject-cmd",
        &subject,
    ])
    .exits(1)
    .json();
    let failure = &summary["failures"][0];
    assert_eq!(failure["kind"], "flaky", "{failure}");
    // Every other process is broken: two or three of five, by the parity of the count so far.
    let rate = failure["repeated_in"].as_str().unwrap_or_default();
    assert!(rate == "2/5" || rate == "3/5", "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "flaky: the failing case failed again in {} of 5 fresh subject processes",
            &rate[..1]
        )) && message.contains("not shrunk")
            && message.contains("diverges from the model at fact"),
        "{message}"
    );
    assert!(
        failure["rules"]
            .as_array()
            .is_some_and(|rules| !rules.is_empty()),
        "{failure}"
    );
    let saved = failure["saved"].as_str().unwrap_or_default();
    let vector = std::fs::read_to_string(saved).unwrap_or_default();
    assert!(
        vector.contains("\"history\""),
        "saved without its history: {vector}"
    );
}

/// A subject that crashes on the 40th trace its process runs: the failure is history-dependent
/// (saved with the traces before it, which make it crash every time), not "not deterministic".
#[test]
fn check_reports_a_crash_after_many_traces_as_history_dependent() {
    let dir = scratch("crash-every");
    let out = dir.join("out");
    let summary = run(&[
        "--json",
        "check",
        "--cases",
        "60",
        "--seed",
        "1",
        "--out",
        &out.display().to_string(),
        "--jobs",
        "1",
        "--subject-cmd",
        "python3 tests/subjects/crash_every.py 40",
    ])
    .exits(1)
    .json();
    let failure = &summary["failures"][0];
    assert_eq!(failure["kind"], "history_dependent", "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    let saved = failure["saved"].as_str().unwrap_or_default();
    // The process's 40th trace crashes: the 39 or 40 traces before it are its history (the
    // empty trace the process opened with, then the cases; a first case with the opening
    // trace's limits runs in it).
    let file = review_spec_vocab::trace::read_vector_file(std::path::Path::new(saved))
        .expect("the saved counterexample loads");
    let before = file.cases[0].history.len();
    assert!((39..=40).contains(&before), "{before} traces of history");
    assert!(
        message.contains(&format!("fails there after the {before} traces before it"))
            && message.contains("crash"),
        "{message}"
    );
    run(&[
        "replay",
        saved,
        "--subject-cmd",
        "python3 tests/subjects/crash_every.py 40",
    ])
    .exits(1);
}
