//! `--profile` and `--depart`: what `upstream` cannot express is skipped and said, a
//! counterexample records its profile and replays under it, and a departure is spelled as in a
//! trace header.

use super::runner::{BROKEN_SUBJECT, run, scratch, usage_error_says};

#[test]
fn vectors_under_upstream_skip_what_upstream_cannot_express_and_say_why() {
    let summary = run(&["vectors", "--profile", "upstream", "--json"])
        .exits(0)
        .json();
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
    let text = run(&["vectors", "--profile", "upstream"]).stdout;
    assert!(
        text.contains(&format!(
            "skipped {} cases that do not apply under this profile",
            skipped.len()
        )),
        "{text}"
    );
    // Under the default profile nothing is skipped.
    let summary = run(&["vectors", "--json"]).json();
    assert!(summary.get("skipped").is_none(), "{summary}");
}

#[test]
fn a_counterexample_found_under_upstream_records_its_profile_and_replays_under_it() {
    let dir = scratch("upstream-counterexample");
    let output = run(&[
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
    ])
    .exits(1);
    let text = &output.stdout;
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
    let replay = run(&["replay", &saved, "--json", "--subject-cmd", BROKEN_SUBJECT]).exits(1);
    assert_eq!(
        replay.json()["profile"]["depart"],
        serde_json::json!(["DEDUP-1"])
    );
    // The real reducer agrees with the model on it, under the recorded profile.
    run(&["replay", &saved]).exits(0);
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
    let output = run(&["replay", &path]).exits(0);
    assert!(
        output
            .stdout
            .contains("not applicable to upstream: fact 0: upstream's web search"),
        "{}",
        output.stdout
    );
    // Under the spec the same trace runs (and agrees).
    let output = run(&["replay", &path, "--profile", "spec"]).exits(0);
    assert!(
        output.stdout.contains("agrees (1 fact)"),
        "{}",
        output.stdout
    );
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

/// A departure is spelled one way on the command line and in a trace header: its rule ID.
#[test]
fn a_departure_is_spelled_as_in_a_trace_header() {
    for spelling in ["dedup-1", "UP-DEDUP-1"] {
        usage_error_says(
            &[
                "check",
                "--cases",
                "1",
                "--profile",
                "upstream",
                "--depart",
                spelling,
            ],
            &format!("unknown departure {spelling:?}"),
        );
    }
    run(&[
        "check",
        "--cases",
        "1",
        "--seed",
        "1",
        "--profile",
        "upstream",
        "--depart",
        "DEDUP-1",
    ])
    .exits(0);
}
