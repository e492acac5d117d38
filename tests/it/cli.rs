//! The `review-spec` binary, run as a user runs it: exit codes 0/1/2, the `--json` summary,
//! `explain` output pinned in `tests/it/expect/` (`UPDATE_EXPECT=1` rewrites it), `schema` equal to
//! `spec/schema/`, the vectors against the example Python subject, and `check` catching the
//! broken one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in the crate's root with `args`.
fn review_spec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review-spec"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run review-spec")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn check_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    crate::support::scratch(&format!("cli-{name}"))
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON value ({error}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

const PYTHON_SUBJECT: &str = "python3 examples/python/subject.py";
const BROKEN_SUBJECT: &str = "python3 examples/python/broken_subject.py";

#[test]
fn check_against_the_reducer_prints_the_seed_first_and_exits_0() {
    let output = review_spec(&["check", "--cases", "40", "--seed", "1"]);
    check_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.starts_with("seed: 1 (replay: review-spec check --seed 1"),
        "{text}"
    );
    assert!(text.contains("summary: 40 cases,"), "{text}");
    assert!(text.contains("rule coverage"), "{text}");
    assert!(
        text.contains(
            "departure reach (cases whose model outputs change with one departure switched, of 40;"
        ),
        "{text}"
    );
}

#[test]
fn the_json_summary_parses_and_has_the_coverage_of_every_rule() {
    let output = review_spec(&["check", "--cases", "20", "--seed", "2", "--json"]);
    check_exit(&output, 0);
    let summary = json(&output);
    assert_eq!(summary["command"], "check");
    assert_eq!(summary["cases"], 20);
    assert_eq!(summary["failure_count"], 0);
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["seed"], "2");
    let coverage = summary["rule_coverage"].as_array().expect("rule_coverage");
    let spec = std::fs::read_to_string(root().join("spec/rules.md")).expect("read the spec");
    // Under the default `spec` profile: every rule, and no departure (`### UP-...`).
    let rules = spec
        .lines()
        .filter(|line| line.starts_with("### ") && !line.starts_with("### UP-"))
        .count();
    assert_eq!(coverage.len(), rules, "{coverage:?}");
    assert_eq!(summary["profile"]["base"], "spec", "{summary}");
    assert_eq!(summary["not_compared"], serde_json::json!([]), "{summary}");
    assert!(summary["rules_not_reached"].is_array(), "{summary}");
    // The departure reach: every departure, by its `--depart` spelling, and the cases.
    let reach = &summary["departure_reach"];
    assert_eq!(reach["cases"], 20, "{summary}");
    let any = reach["any_departure"].as_u64().expect("any_departure");
    for departure in review_spec_vocab::profile::Departure::ALL {
        assert!(
            reach["discriminating"][departure.rule()]
                .as_u64()
                .is_some_and(|count| count <= any),
            "{}: {summary}",
            departure.rule()
        );
    }
    assert_eq!(
        reach["discriminating"]
            .as_object()
            .map(serde_json::Map::len),
        Some(review_spec_vocab::profile::Departure::ALL.len()),
        "{summary}"
    );
}

#[test]
fn usage_and_input_errors_exit_2_and_say_where() {
    check_exit(&review_spec(&["frobnicate"]), 2);
    check_exit(&review_spec(&["check", "--cases", "many"]), 2);
    check_exit(&review_spec(&["check", "--seed", "not a seed"]), 2);
    let missing = review_spec(&["replay", "no/such/trace.jsonl"]);
    check_exit(&missing, 2);
    assert!(
        stderr(&missing).contains("no/such/trace.jsonl"),
        "{}",
        stderr(&missing)
    );

    let dir = scratch("bad-trace");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"review_spec_trace\": 1}\n{\"type\": \"request_aborted\", \"connection_id\": 1, \"request_id\": 7, \"completed_at_ms\": \"soon\"}\n",
    )
    .expect("write the trace");
    let output = review_spec(&["replay", &bad.display().to_string(), "--json"]);
    check_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains("bad.jsonl:2:") && message.contains("(fact 0)"),
        "{message}"
    );
    assert_eq!(json(&output)["exit_code"], 2);

    let not_a_subject = review_spec(&["check", "--subject-cmd", "python3 -c 'print(1)'"]);
    check_exit(&not_a_subject, 2);
    assert!(
        stderr(&not_a_subject).contains("at the protocol header"),
        "{}",
        stderr(&not_a_subject)
    );
}

#[test]
fn explain_output_is_pinned() {
    let output = review_spec(&[
        "explain",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
    ]);
    check_exit(&output, 0);
    let expect_path = root().join("tests/it/expect/explain-grant-1.txt");
    let actual = stdout(&output);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expect_path, &actual).expect("rewrite the expectation");
        return;
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
    pretty_assertions::assert_eq!(
        expected,
        actual,
        "explain output changed; if intended: UPDATE_EXPECT=1 cargo test --test it cli"
    );
}

#[test]
fn explain_json_gives_rules_and_facts_per_output() {
    let output = review_spec(&[
        "--json",
        "explain",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
    ]);
    check_exit(&output, 0);
    let summary = json(&output);
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
fn schema_output_equals_the_checked_in_schemas() {
    let dir = scratch("schema");
    let output = review_spec(&["schema", "--out", &dir.display().to_string()]);
    check_exit(&output, 0);
    let printed = json(&review_spec(&["schema", "--json"]));
    for (name, text) in review_spec::schema::schemas() {
        let checked_in = std::fs::read_to_string(root().join("spec/schema").join(name))
            .expect("read a checked-in schema");
        let written = std::fs::read_to_string(dir.join(name)).expect("read a written schema");
        assert_eq!(written, checked_in, "{name}");
        assert_eq!(text, checked_in, "{name}");
        let value: serde_json::Value = serde_json::from_str(&checked_in).expect("JSON");
        assert_eq!(printed[name], value, "{name}");
    }
}

#[test]
fn generated_traces_replay_and_agree() {
    let dir = scratch("generate");
    let output = review_spec(&[
        "generate",
        "--cases",
        "3",
        "--seed",
        "9",
        "--out",
        &dir.display().to_string(),
    ]);
    check_exit(&output, 0);
    let trace = dir.join("case-00002.jsonl");
    review_spec_vocab::trace::read_trace(&trace).expect("a generated trace loads");
    let replay = review_spec(&["replay", &trace.display().to_string()]);
    check_exit(&replay, 0);
    assert!(stdout(&replay).contains("agrees"), "{}", stdout(&replay));
}

#[test]
fn every_vector_passes_against_the_python_subject() {
    let output = review_spec(&["vectors", "--subject-cmd", PYTHON_SUBJECT, "--json"]);
    check_exit(&output, 0);
    let summary = json(&output);
    assert_eq!(summary["failure_count"], 0, "{summary}");
    assert!(
        summary["cases"].as_u64().is_some_and(|cases| cases >= 60),
        "{summary}"
    );
    assert_eq!(summary["by_rule"]["GRANT-1"]["failed"], 0, "{summary}");
}

/// A subject of protocol version 2 keeps working: it is never sent a fact of trace format 3
/// (it exits 3 on one), `vectors` skips the cases that have one and says why, and `check` draws
/// cases without them.
#[test]
fn a_protocol_two_subject_is_sent_no_fact_of_trace_format_three() {
    let subject = "python3 tests/subjects/protocol_two.py";
    let output = review_spec(&["vectors", "--subject-cmd", subject, "--json"]);
    check_exit(&output, 0);
    let summary = json(&output);
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
    let output = review_spec(&["vectors", "--subject-cmd", strict, "--json"]);
    check_exit(&output, 0);
    assert_eq!(json(&output)["skipped"], summary["skipped"]);
    let output = review_spec(&[
        "check",
        "--cases",
        "100",
        "--seed",
        "5",
        "--subject-cmd",
        strict,
    ]);
    check_exit(&output, 0);
    let output = review_spec(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "5",
        "--subject-cmd",
        subject,
    ]);
    check_exit(&output, 0);
    // The same subject at protocol 3 is sent them, and refuses: so the check above did withhold.
    let dir = scratch("protocol-two");
    let output = review_spec(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "5",
        "--out",
        &dir.display().to_string(),
        "--subject-cmd",
        "python3 tests/subjects/protocol_two.py --claim-three",
    ]);
    check_exit(&output, 1);
    assert!(
        stderr(&output).contains("trace format 3") || stdout(&output).contains("trace format 3")
    );
}

#[test]
fn check_agrees_with_the_python_subject() {
    let output = review_spec(&[
        "check",
        "--cases",
        "100",
        "--seed",
        "3",
        "--subject-cmd",
        PYTHON_SUBJECT,
    ]);
    check_exit(&output, 0);
}

#[test]
fn check_catches_the_broken_subject_names_grant_1_and_saves_a_replayable_vector() {
    let dir = scratch("broken");
    let output = review_spec(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "1",
        "--out",
        &dir.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]);
    check_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("decided by: GRANT-1"), "{text}");
    assert!(text.contains("1 failure"), "{text}");
    let saved: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the output folder")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let vector = saved[0].display().to_string();
    assert!(vector.contains("grant-1-"), "{vector}");
    let file = review_spec_vocab::trace::read_vector_file(&saved[0]).expect("the vector loads");
    assert!(file.cases[0].facts.len() <= 8, "not shrunk: {file:?}");
    check_exit(
        &review_spec(&["replay", &vector, "--subject-cmd", BROKEN_SUBJECT]),
        1,
    );
    check_exit(
        &review_spec(&["replay", &vector, "--subject-cmd", PYTHON_SUBJECT]),
        0,
    );
    check_exit(&review_spec(&["replay", &vector]), 0);
}

#[test]
fn a_hanging_subject_is_killed_after_the_timeout_and_named_with_its_fact() {
    let output = review_spec(&[
        "replay",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
        "--timeout-ms",
        "500",
        "--subject-cmd",
        "python3 tests/subjects/misbehaving.py hang 0",
    ]);
    check_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("timed out at fact 0"), "{text}");
    assert!(text.contains("3 failures"), "{text}");
}

#[test]
fn a_crashing_subject_fails_check_with_a_shrunk_case_and_the_fact_index() {
    let dir = scratch("crash");
    let output = review_spec(&[
        "check",
        "--cases",
        "5",
        "--seed",
        "4",
        "--json",
        "--out",
        &dir.display().to_string(),
        "--subject-cmd",
        "python3 tests/subjects/misbehaving.py crash 0",
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
    let failure = &summary["failures"][0];
    assert_eq!(failure["kind"], "crashed", "{summary}");
    assert_eq!(failure["fact_index"], 0, "{summary}");
    let saved = failure["saved"].as_str().expect("saved");
    let file = review_spec_vocab::trace::read_vector_file(Path::new(saved)).expect("loads");
    assert_eq!(
        file.cases[0].facts.len(),
        1,
        "shrunk to the one fact: {file:?}"
    );
}

#[test]
fn vectors_under_upstream_skip_what_upstream_cannot_express_and_say_why() {
    let output = review_spec(&["vectors", "--profile", "upstream", "--json"]);
    check_exit(&output, 0);
    let summary = json(&output);
    assert_eq!(summary["profile"]["base"], "upstream", "{summary}");
    let skipped = summary["skipped"].as_array().expect("skipped cases");
    assert!(!skipped.is_empty(), "{summary}");
    for case in skipped {
        let reason = case["reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("not applicable to upstream: fact "),
            "{case}"
        );
    }
    let text = stdout(&review_spec(&["vectors", "--profile", "upstream"]));
    assert!(
        text.contains(&format!(
            "skipped {} cases that do not apply under this profile",
            skipped.len()
        )),
        "{text}"
    );
    // Under the default profile nothing is skipped.
    let summary = json(&review_spec(&["vectors", "--json"]));
    assert!(summary.get("skipped").is_none(), "{summary}");
}

#[test]
fn a_subject_that_emits_no_diagnostics_is_compared_on_events_and_the_summary_says_so() {
    let subject = format!("{PYTHON_SUBJECT} --events-only");
    let output = review_spec(&[
        "vectors",
        "--profile",
        "upstream",
        "--json",
        "--subject-cmd",
        &subject,
    ]);
    check_exit(&output, 0);
    let summary = json(&output);
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
    let text = stdout(&review_spec(&[
        "check",
        "--cases",
        "30",
        "--seed",
        "3",
        "--profile",
        "upstream",
        "--subject-cmd",
        &subject,
    ]));
    assert!(
        text.contains("not compared (the subject does not emit them): diagnostic"),
        "{text}"
    );
}

#[test]
fn a_counterexample_found_under_upstream_records_its_profile_and_replays_under_it() {
    let dir = scratch("upstream-counterexample");
    let output = review_spec(&[
        "check",
        "--cases",
        "300",
        "--seed",
        "3",
        "--profile",
        "upstream",
        "--depart",
        "DEDUP-1",
        "--out",
        &dir.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]);
    check_exit(&output, 1);
    let text = stdout(&output);
    assert!(
        text.contains("profile: upstream --depart DEDUP-1"),
        "{text}"
    );
    let saved = std::fs::read_dir(&dir)
        .expect("the counterexample's folder")
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "json"))
        .expect("a saved counterexample");
    let file = review_spec_vocab::trace::read_vector_file(&saved).unwrap_or_else(|e| panic!("{e}"));
    let profile = review_spec_vocab::profile::Profile::UPSTREAM
        .departing(review_spec_vocab::profile::Departure::Dedup1);
    assert_eq!(file.cases[0].profile, Some(profile));
    let saved = saved.display().to_string();
    let replay = review_spec(&["replay", &saved, "--json", "--subject-cmd", BROKEN_SUBJECT]);
    check_exit(&replay, 1);
    assert_eq!(
        json(&replay)["profile"]["depart"],
        serde_json::json!(["DEDUP-1"])
    );
    // The real reducer agrees with the model on it, under the recorded profile.
    check_exit(&review_spec(&["replay", &saved]), 0);
}

#[test]
fn an_unknown_profile_or_departure_is_a_usage_error() {
    usage_error_says(
        &["check", "--cases", "1", "--profile", "nightly"],
        "unknown profile",
    );
    usage_error_says(
        &["vectors", "--depart", "ITEM-9"],
        "unknown departure \"ITEM-9\": expected one of CAP-1",
    );
}

/// Runs the binary with `args` and checks that it is a usage error (exit 2) whose message on
/// stderr contains `text`.
#[track_caller]
fn usage_error_says(args: &[&str], text: &str) {
    let output = review_spec(args);
    check_exit(&output, 2);
    assert!(stderr(&output).contains(text), "{}", stderr(&output));
}

#[test]
fn replay_under_upstream_skips_a_trace_upstream_cannot_express() {
    let dir = scratch("replay-not-applicable");
    let path = dir.join("web-search-failed.jsonl");
    std::fs::write(
        &path,
        "{\"review_spec_trace\": 2, \"profile\": {\"base\": \"upstream\"}}\n\
         {\"type\":\"item_completed\",\"connection_id\":1,\"thread_id\":\"t1\",\"turn_id\":\"u1\",\"item_id\":\"i1\",\"kind\":\"web_search\",\"status\":\"failed\",\"completed_at_ms\":5}\n",
    )
    .expect("write the trace");
    let path = path.display().to_string();
    let output = review_spec(&["replay", &path]);
    check_exit(&output, 0);
    assert!(
        stdout(&output).contains("not applicable to upstream: fact 0: upstream's web search"),
        "{}",
        stdout(&output)
    );
    // Under the spec the same trace runs (and agrees).
    let output = review_spec(&["replay", &path, "--profile", "spec"]);
    check_exit(&output, 0);
    assert!(
        stdout(&output).contains("agrees (1 fact)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn vectors_stop_after_max_failures_and_at_the_first_timeout() {
    let output = review_spec(&[
        "vectors",
        "--json",
        "--max-failures",
        "2",
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
    assert_eq!(summary["failure_count"], 2, "{summary}");
    assert!(summary["not_run"].as_u64().unwrap_or(0) > 0, "{summary}");
    assert!(
        summary["stopped"]
            .as_str()
            .is_some_and(|reason| reason.contains("--max-failures 2")),
        "{summary}"
    );
    // --max-failures 0 runs every case: the broken subject fails more than two.
    let summary = json(&review_spec(&[
        "vectors",
        "--json",
        "--max-failures",
        "0",
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]));
    assert!(
        summary["failure_count"].as_u64().unwrap_or(0) > 2,
        "{summary}"
    );
    assert!(summary.get("stopped").is_none(), "{summary}");
    // A subject that hangs on every trace costs one timeout, not one per case.
    let hanging = format!(
        "python3 '{}' hang 0",
        root().join("tests/subjects/misbehaving.py").display()
    );
    let output = review_spec(&[
        "vectors",
        "--json",
        "--timeout-ms",
        "300",
        "--subject-cmd",
        &hanging,
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
    assert_eq!(summary["failure_count"], 1, "{summary}");
    assert_eq!(summary["failures"][0]["kind"], "timed_out", "{summary}");
    assert!(
        summary["stopped"]
            .as_str()
            .is_some_and(|reason| reason.contains("timed out")),
        "{summary}"
    );
}

/// A subject whose bug needs earlier traces in the same process: `check` finds it, sees that
/// the failing case agrees in a fresh process, and saves it with the traces before it as its
/// history; `replay` of that vector fails in a fresh process.
#[test]
fn check_reports_a_history_dependent_failure_and_saves_a_vector_that_reproduces() {
    let dir = scratch("history");
    let subject = "python3 tests/subjects/history_dependent.py";
    let output = review_spec(&[
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
    ]);
    check_exit(&output, 1);
    let text = stdout(&output);
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
    let replayed = review_spec(&[
        "replay",
        &saved[0].display().to_string(),
        "--subject-cmd",
        subject,
    ]);
    check_exit(&replayed, 1);
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
    let output = review_spec(&[
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
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
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
    let output = review_spec(&[
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
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
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
    let replayed = review_spec(&[
        "replay",
        saved,
        "--subject-cmd",
        "python3 tests/subjects/crash_every.py 40",
    ]);
    check_exit(&replayed, 1);
}

/// A default `check` run (1000 generated cases) applies every rule of spec/rules.md under the
/// `spec` profile, and every rule upstream keeps and every departure under `upstream`: a rule
/// the generators never make decide anything is untested by `check`. The summary says which.
#[test]
fn a_default_check_applies_every_rule_and_every_departure() {
    for profile in ["spec", "upstream"] {
        let output = review_spec(&["check", "--seed", "1", "--profile", profile, "--json"]);
        check_exit(&output, 0);
        let summary = json(&output);
        let not_applied = &summary["rules_not_reached"];
        assert_eq!(
            not_applied,
            &serde_json::json!([]),
            "under {profile}, a default check applied no case of these rules"
        );
        let text = review_spec(&["check", "--seed", "1", "--profile", profile]);
        assert!(
            stdout(&text).contains(
                "every rule of spec/rules.md (and every departure the profile follows) was applied"
            ),
            "{}",
            stdout(&text)
        );
    }
    let upstream = json(&review_spec(&[
        "check",
        "--seed",
        "1",
        "--profile",
        "upstream",
        "--json",
    ]));
    let applied: Vec<&str> = upstream["rule_coverage"]
        .as_array()
        .expect("rule coverage rows")
        .iter()
        .filter(|row| row["hits"].as_u64() > Some(0))
        .filter_map(|row| row["rule"].as_str())
        .collect();
    for departure in review_spec_vocab::profile::Departure::ALL {
        assert!(
            applied.contains(&departure.id()),
            "a default check under upstream never applied {}",
            departure.id()
        );
    }
}

#[test]
fn a_closed_or_full_stdout_ends_the_run_quietly_and_never_panics() {
    use std::io::Read as _;
    use std::process::Stdio;
    // `schema --json` writes more than a pipe holds (64 KiB): the reader closes after one byte.
    let mut child = Command::new(env!("CARGO_BIN_EXE_review-spec"))
        .args(["schema", "--json"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run review-spec");
    let mut pipe = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    pipe.read_exact(&mut first).expect("one byte");
    drop(pipe);
    let closed = child.wait_with_output().expect("wait");
    check_exit(&closed, 141);
    assert_eq!(stderr(&closed), "", "a closed pipe ends the run quietly");
    // A full device: the run says so and exits 2, on the success path and on the error path.
    for args in [
        &["vectors", "spec/vectors/grant", "--json"][..],
        &["schema"],
        &["replay", "no-such-trace.jsonl", "--json"],
        &["explain", "spec/vectors/grant/grant-3-emptiness.json"],
        &[
            "explain",
            "spec/vectors/grant/grant-3-emptiness.json",
            "--json",
        ],
    ] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let output = Command::new(env!("CARGO_BIN_EXE_review-spec"))
            .args(args)
            .current_dir(root())
            .stdout(full)
            .output()
            .expect("run review-spec");
        check_exit(&output, 2);
        let text = stderr(&output);
        assert!(!text.contains("panicked"), "{args:?}: {text}");
        assert!(
            text.contains("cannot write to standard output: No space left on device"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn written_files_replace_a_symlink_instead_of_writing_through_it_and_leave_no_temporary() {
    let out = scratch("atomic-out");
    let outside = scratch("atomic-outside");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::create_dir_all(&outside).expect("outside");
    let target = outside.join("precious.jsonl");
    std::fs::write(&target, "precious\n").expect("target");
    std::os::unix::fs::symlink(&target, out.join("case-00000.jsonl")).expect("symlink");
    let out_text = out.display().to_string();
    let output = review_spec(&[
        "generate", "--cases", "3", "--seed", "1", "--out", &out_text,
    ]);
    check_exit(&output, 0);
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "precious\n",
        "the symlink's target is untouched"
    );
    let written = out.join("case-00000.jsonl");
    assert!(!written.is_symlink(), "the symlink is replaced by the file");
    review_spec_vocab::trace::read_trace(&written).expect("a whole trace");
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names.len(), 3, "three traces and nothing else: {names:?}");
}

#[test]
fn an_interrupted_generate_leaves_only_whole_traces() {
    let out = scratch("interrupted");
    let out_text = out.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_review-spec"))
        .args([
            "generate", "--cases", "100000", "--seed", "2", "--out", &out_text,
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run review-spec");
    // Interrupt once some traces are written (at most one more entry is a temporary).
    let started = std::time::Instant::now();
    while std::fs::read_dir(&out).map_or(0, Iterator::count) < 21
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(interrupted.success());
    child.wait().expect("wait");
    let mut traces = 0;
    for entry in std::fs::read_dir(&out).expect("out") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with(".review-spec-") {
            continue; // a temporary, never a trace's name
        }
        let trace = review_spec_vocab::trace::read_trace(&path);
        assert!(trace.is_ok(), "{name} is a partial trace: {trace:?}");
        traces += 1;
    }
    assert!(traces >= 20, "{traces} traces before the interrupt");
}

#[test]
fn vectors_do_not_follow_symlinked_folders_so_a_loop_ends_and_counts_each_case_once() {
    let dir = scratch("symlink-loop");
    std::fs::create_dir_all(dir.join("inner")).expect("dir");
    std::fs::copy(
        root().join("spec/vectors/grant/grant-3-emptiness.json"),
        dir.join("inner/grant-3-emptiness.json"),
    )
    .expect("copy");
    std::os::unix::fs::symlink("..", dir.join("inner/up")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.join("inner/here")).expect("symlink");
    let dir_text = dir.display().to_string();
    let output = review_spec(&["vectors", &dir_text, "--json"]);
    check_exit(&output, 0);
    let file =
        review_spec_vocab::trace::read_vector_file(&dir.join("inner/grant-3-emptiness.json"))
            .expect("vector file");
    assert_eq!(json(&output)["cases"], file.cases.len(), "each case once");
    let text = stderr(&output);
    assert!(
        text.contains("a symlink to a folder (not followed)"),
        "{text}"
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
    let output = review_spec(&["vectors", &dir_text]);
    check_exit(&output, 2);
    assert!(!stderr(&output).contains("filter"), "{}", stderr(&output));
}

#[test]
fn check_that_cannot_save_its_counterexample_still_exits_1_and_says_why() {
    let blocker = scratch("not-a-folder");
    std::fs::remove_dir(&blocker).expect("scratch");
    std::fs::write(&blocker, "a file where --out wants a folder\n").expect("file");
    let out = blocker.join("out").display().to_string();
    let output = review_spec(&[
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
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
    let failure = &summary["failures"][0];
    assert!(
        failure["save_error"]
            .as_str()
            .is_some_and(|why| why.contains("not-a-folder")),
        "{summary}"
    );
    assert!(stderr(&output).contains("cannot save the counterexample"));
}

/// The GRANT-1 vector's first case as a trace, its first fact (an `initialize`, which changes
/// nothing when repeated) repeated `filler` more times first.
fn grant_1_trace(dir: &Path, filler: usize) -> PathBuf {
    let file = review_spec_vocab::trace::read_vector_file(
        &root().join("spec/vectors/grant/grant-1-empty-grant-denied.json"),
    )
    .expect("the vector loads");
    let case = &file.cases[0];
    let mut facts = vec![case.facts[0].clone(); filler];
    facts.extend(case.facts.iter().cloned());
    let trace = review_spec_vocab::trace::Trace {
        limits: case.limits,
        profile: review_spec_vocab::profile::Profile::SPEC,
        facts,
    };
    let path = dir.join(format!("grant-1-{filler}.jsonl"));
    std::fs::write(&path, review_spec_vocab::trace::write_trace(&trace)).expect("write the trace");
    path
}

#[test]
fn replay_streams_a_trace_and_explains_a_divergence_near_its_start() {
    let dir = scratch("replay-stream-near");
    let trace = grant_1_trace(&dir, 0);
    let output = review_spec(&[
        "replay",
        &trace.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]);
    check_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("decided by: GRANT-1"), "{text}");
    assert!(text.contains("sequence (4 facts) as a trace"), "{text}");
}

#[test]
fn replay_reports_a_divergence_past_the_explained_prefix_without_the_prefix() {
    let dir = scratch("replay-stream-far");
    let filler = review_spec::diff::EXPLAIN_PREFIX_MAX;
    let trace = grant_1_trace(&dir, filler);
    let output = review_spec(&[
        "--json",
        "replay",
        &trace.display().to_string(),
        "--subject-cmd",
        BROKEN_SUBJECT,
    ]);
    check_exit(&output, 1);
    let summary = json(&output);
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
fn a_malformed_line_mid_trace_is_an_input_error_and_explain_json_stays_one_object() {
    let dir = scratch("explain-stream-error");
    let trace = grant_1_trace(&dir, 0);
    let mut text = std::fs::read_to_string(&trace).expect("read");
    text.push_str("{\"type\": \"request_aborted\", \"request_id\": 1e3}\n");
    std::fs::write(&trace, text).expect("write");
    let path = trace.display().to_string();
    let output = review_spec(&["--json", "explain", &path]);
    check_exit(&output, 2);
    let value = json(&output);
    assert_eq!(value["exit_code"], 2, "{value}");
    let error = value["error"].as_str().unwrap_or_default();
    assert!(
        error.ends_with(":6:43: invalid fact: request_id 1e3 is not an integer: every number here is a whole number, without fraction or exponent (fact 4)"),
        "{error}"
    );
    assert_eq!(value["explained"][0]["facts"][3]["index"], 3, "{value}");
    let output = review_spec(&["replay", &path]);
    check_exit(&output, 2);
    assert!(
        stderr(&output).contains(":6:43: invalid fact"),
        "{}",
        stderr(&output)
    );
    // A line over the limit.
    let output = review_spec(&["explain", &path, "--max-line-bytes", "100"]);
    check_exit(&output, 2);
    assert!(
        stderr(&output).contains(":2:101: line longer than 100 bytes"),
        "{}",
        stderr(&output)
    );
    let output = review_spec(&[
        "replay",
        "spec/vectors/grant/grant-1-empty-grant-denied.json",
        "--max-file-bytes",
        "100",
    ]);
    check_exit(&output, 2);
    assert!(
        stderr(&output).contains("larger than 100 bytes"),
        "{}",
        stderr(&output)
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
    let output = review_spec(&["replay", &stale_text]);
    check_exit(&output, 1);
    assert!(
        stdout(&output).contains("the vector's expected outputs differ from the model's"),
        "{}",
        stdout(&output)
    );
    let intact = source.display().to_string();
    check_exit(&review_spec(&["replay", &intact]), 0);
}

/// `check --jobs 1` and `--jobs 2` with the same seed run the same cases: the same summary, and
/// the same first failure shrunk to the same counterexample.
#[test]
fn check_gives_the_same_run_whatever_the_number_of_jobs() {
    for subject in [None, Some(BROKEN_SUBJECT)] {
        let dir = scratch(&format!("jobs-{}", subject.is_some()));
        let out = dir.display().to_string();
        let run = |jobs: &str| {
            let mut args = vec!["--json", "check", "--seed", "11", "--cases", "300"];
            args.extend(["--jobs", jobs, "--out", &out]);
            if let Some(subject) = subject {
                args.extend(["--subject-cmd", subject]);
            }
            let output = review_spec(&args);
            check_exit(&output, i32::from(subject.is_some()));
            json(&output)
        };
        let one = run("1");
        let two = run("2");
        pretty_assertions::assert_eq!(one, two);
        if subject.is_some() {
            assert_eq!(one["failure_count"], 1, "{one}");
            assert!(
                one["cases"].as_u64().is_some_and(|cases| cases < 300),
                "{one}"
            );
        }
    }
}

/// `check --shard K/N` runs disjoint slices that together are the unsharded run's cases, and
/// `merge` combines the shards' summaries into the unsharded run's summary, failing or not.
#[test]
fn shards_merge_into_the_unsharded_run_s_summary() {
    for (subject, shards) in [(None, 2), (Some(BROKEN_SUBJECT), 3)] {
        let dir = scratch(&format!("shards-{shards}"));
        let out = dir.join("out").display().to_string();
        let run = |shard: Option<String>| {
            let mut args = vec![
                "--json", "check", "--seed", "5", "--cases", "240", "--out", &out,
            ];
            if let Some(subject) = subject {
                args.extend(["--subject-cmd", subject]);
            }
            let shard_flag;
            if let Some(shard) = shard {
                shard_flag = shard;
                args.extend(["--shard", &shard_flag]);
            }
            let output = review_spec(&args);
            check_exit(&output, i32::from(subject.is_some()));
            output.stdout
        };
        let whole: serde_json::Value =
            serde_json::from_slice(&run(None)).expect("the summary is JSON");
        let mut files = Vec::new();
        let mut next_case = 0;
        for index in (1..=shards).rev() {
            let summary = run(Some(format!("{index}/{shards}")));
            let parsed: serde_json::Value = serde_json::from_slice(&summary).expect("JSON");
            assert_eq!(parsed["shard"]["index"], index);
            let file = dir.join(format!("shard-{index}.json"));
            std::fs::write(&file, summary).expect("write a shard's summary");
            files.push(file.display().to_string());
            next_case += parsed["shard"]["end_case"].as_u64().unwrap_or(0)
                - parsed["shard"]["first_case"].as_u64().unwrap_or(0);
        }
        assert_eq!(
            next_case, 240,
            "the shards' slices do not add up to the run"
        );
        let mut args = vec!["--json", "merge"];
        args.extend(files.iter().map(String::as_str));
        let merged = review_spec(&args);
        check_exit(&merged, i32::from(subject.is_some()));
        pretty_assertions::assert_eq!(json(&merged), whole);

        // Summaries that do not make one run are refused, saying which and why.
        let missing = review_spec(&["merge", &files[0]]);
        check_exit(&missing, 2);
        assert!(stderr(&missing).contains("shard"), "{}", stderr(&missing));
        let twice = review_spec(&["merge", &files[0], &files[0]]);
        check_exit(&twice, 2);
    }
    let not_a_shard = scratch("shards-whole").join("whole.json");
    let whole = review_spec(&["--json", "check", "--seed", "5", "--cases", "10"]);
    std::fs::write(&not_a_shard, &whole.stdout).expect("write");
    let refused = review_spec(&["merge", &not_a_shard.display().to_string()]);
    check_exit(&refused, 2);
    assert!(
        stderr(&refused).contains("not a shard's summary"),
        "{}",
        stderr(&refused)
    );
}

/// Runs the binary with `args` and stdin closed, killed (and failed) after 10 s: an input that
/// blocks it forever fails the test instead of hanging it.
fn review_spec_within_10s(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_review-spec"))
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run review-spec");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("review-spec {args:?} still runs after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("the output")
}

/// A FIFO at `path` that no process writes to.
fn fifo(path: &Path) -> String {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
    path.display().to_string()
}

/// Every input file is read through one bounded reader: a FIFO with no writer is an error at
/// once, not a run that blocks forever (`replay`, `explain`, `vectors`, `merge`).
#[test]
fn a_fifo_with_no_writer_never_blocks_a_command() {
    let dir = scratch("fifo");
    let trace = fifo(&dir.join("trace.jsonl"));
    let vectors_dir = dir.join("vectors");
    std::fs::create_dir_all(&vectors_dir).expect("a folder");
    let vector = fifo(&vectors_dir.join("v.json"));
    let summary = fifo(&dir.join("shard.json"));
    let vectors_dir = vectors_dir.display().to_string();
    for args in [
        vec!["replay", trace.as_str()],
        vec!["explain", trace.as_str()],
        vec!["replay", vector.as_str()],
        vec!["vectors", vectors_dir.as_str()],
        vec!["merge", summary.as_str()],
    ] {
        let output = review_spec_within_10s(&args);
        check_exit(&output, 2);
        assert!(
            stderr(&output).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

/// `merge` reads a summary through the bounded reader: `/dev/zero` is refused at the limit, not
/// read until memory runs out (the run is capped at 4 GB, so the old behaviour fails, not
/// swaps).
#[test]
fn merge_of_an_endless_input_is_refused_at_the_file_limit() {
    let output = Command::new("sh")
        .args([
            "-c",
            "ulimit -v 4000000; exec \"$0\" merge /dev/zero",
            env!("CARGO_BIN_EXE_review-spec"),
        ])
        .current_dir(root())
        .output()
        .expect("run review-spec");
    check_exit(&output, 2);
    assert!(
        stderr(&output).contains("/dev/zero: not a regular file")
            || stderr(&output).contains("larger than"),
        "{}",
        stderr(&output)
    );
}

/// A departure is spelled one way on the command line and in a trace header: its rule ID.
#[test]
fn a_departure_is_spelled_as_in_a_trace_header() {
    for spelling in ["dedup-1", "UP-DEDUP-1"] {
        let output = review_spec(&[
            "check",
            "--cases",
            "1",
            "--profile",
            "upstream",
            "--depart",
            spelling,
        ]);
        check_exit(&output, 2);
        assert!(
            stderr(&output).contains(&format!("unknown departure {spelling:?}")),
            "{}",
            stderr(&output)
        );
    }
    let output = review_spec(&[
        "check",
        "--cases",
        "1",
        "--seed",
        "1",
        "--profile",
        "upstream",
        "--depart",
        "DEDUP-1",
    ]);
    check_exit(&output, 0);
}

/// `--help` and `--version` written to a full disk are an error (exit 2), as every other write
/// to stdout is.
#[test]
fn help_to_a_full_device_is_an_error() {
    for flag in ["--help", "--version"] {
        let output = Command::new(env!("CARGO_BIN_EXE_review-spec"))
            .arg(flag)
            .stdout(std::fs::File::create("/dev/full").expect("open /dev/full"))
            .output()
            .expect("run review-spec");
        check_exit(&output, 2);
        assert!(
            stderr(&output).contains("cannot write to standard output"),
            "{}",
            stderr(&output)
        );
    }
}

/// The README's "about N bytes per entry" that a huge `table_entries_max` holds, measured: the
/// peak resident memory of `replay` on 40 k and 120 k never-answered requests in a turn that
/// never ends, per request of the difference, is within a fifth of the figure.
#[test]
fn the_readme_s_bytes_per_held_entry_are_measured() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("the README");
    let stated: f64 = readme
        .split("is held, about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .expect("the README states the bytes per entry");
    let dir = scratch("bytes-per-entry");
    let peak = |requests: usize| {
        let trace = dir.join(format!("never-{requests}.jsonl"));
        let mut text = String::from(
            "{\"review_spec_trace\": 2, \"limits\": {\"table_entries_max\": 18446744073709551615}}\n\
             {\"type\": \"thread_bound\", \"connection_id\": 1, \"thread_id\": \"t1\", \"binding\": \"started\"}\n",
        );
        for id in 0..requests {
            text.push_str(&format!(
                "{{\"type\": \"permissions_request\", \"connection_id\": 1, \"request_id\": {id}, \"thread_id\": \"t1\", \"turn_id\": \"u1\", \"item_id\": \"i{id}\", \"started_at_ms\": 1000, \"permissions\": {{\"network\": {{\"enabled\": true}}, \"file_system\": null}}}}\n"
            ));
        }
        std::fs::write(&trace, text).expect("write the trace");
        let mut child = Command::new(env!("CARGO_BIN_EXE_review-spec"))
            .args(["replay", &trace.display().to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run review-spec");
        // The state only grows: the last reading before the exit is the peak.
        let mut peak_kb = 0u64;
        while child.try_wait().expect("wait").is_none() {
            let status =
                std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
            if let Some(kb) = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kb = kb;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        peak_kb as f64 * 1024.0
    };
    let measured = (peak(120_000) - peak(40_000)) / 80_000.0;
    assert!(
        (measured - stated).abs() <= stated / 5.0,
        "the README says about {stated} bytes per entry; measured {measured:.0}"
    );
}
