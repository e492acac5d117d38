//! `check`: the seed first, the `--json` summary with its rule coverage and departure reach,
//! the Python subjects (agreeing, broken, crashing), every rule applied by a default run, and the
//! same run whatever `--jobs` or `--shard`.

use std::path::{Path, PathBuf};

use super::runner::{BROKEN_SUBJECT, PYTHON_SUBJECT, check, root, run, scratch};

#[test]
fn check_against_the_reducer_prints_the_seed_first_and_exits_0() {
    let output = run(&["check", "--cases", "40", "--seed", "1"]).exits(0);
    let text = &output.stdout;
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
    let summary = run(&["check", "--cases", "20", "--seed", "2", "--json"])
        .exits(0)
        .json();
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
fn check_agrees_with_the_python_subject() {
    run(&[
        "check",
        "--cases",
        "100",
        "--seed",
        "3",
        "--subject-cmd",
        PYTHON_SUBJECT,
    ])
    .exits(0);
}

#[test]
fn check_catches_the_broken_subject_names_grant_1_and_saves_a_replayable_vector() {
    let dir = scratch("broken");
    let output = check("300", "1", &dir, BROKEN_SUBJECT, &[]).exits(1);
    let text = &output.stdout;
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
    run(&["replay", &vector, "--subject-cmd", BROKEN_SUBJECT]).exits(1);
    run(&["replay", &vector, "--subject-cmd", PYTHON_SUBJECT]).exits(0);
    run(&["replay", &vector]).exits(0);
}

#[test]
fn a_crashing_subject_fails_check_with_a_shrunk_case_and_the_fact_index() {
    let dir = scratch("crash");
    let summary = run(&[
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
    ])
    .exits(1)
    .json();
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

/// A default `check` run (1000 generated cases) applies every rule of spec/rules.md under the
/// `spec` profile, and every rule upstream keeps and every departure under `upstream`: a rule
/// the generators never make decide anything is untested by `check`. The summary says which.
#[test]
fn a_default_check_applies_every_rule_and_every_departure() {
    for profile in ["spec", "upstream"] {
        let summary = run(&["check", "--seed", "1", "--profile", profile, "--json"])
            .exits(0)
            .json();
        let not_applied = &summary["rules_not_reached"];
        assert_eq!(
            not_applied,
            &serde_json::json!([]),
            "under {profile}, a default check applied no case of these rules"
        );
        let text = run(&["check", "--seed", "1", "--profile", profile]);
        assert!(
            text.stdout.contains(
                "every rule of spec/rules.md (and every departure the profile follows) was applied"
            ),
            "{}",
            text.stdout
        );
    }
    let upstream = run(&["check", "--seed", "1", "--profile", "upstream", "--json"]).json();
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

/// `check --jobs 1` and `--jobs 2` with the same seed run the same cases: the same summary, and
/// the same first failure shrunk to the same counterexample.
#[test]
fn check_gives_the_same_run_whatever_the_number_of_jobs() {
    for subject in [None, Some(BROKEN_SUBJECT)] {
        let dir = scratch(&format!("jobs-{}", subject.is_some()));
        let out = dir.display().to_string();
        let with_jobs = |jobs: &str| {
            let mut args = vec!["--json", "check", "--seed", "11", "--cases", "300"];
            args.extend(["--jobs", jobs, "--out", &out]);
            if let Some(subject) = subject {
                args.extend(["--subject-cmd", subject]);
            }
            run(&args).exits(i32::from(subject.is_some())).json()
        };
        let one = with_jobs("1");
        let two = with_jobs("2");
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
        let sharded = |shard: Option<String>| {
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
            run(&args).exits(i32::from(subject.is_some()))
        };
        let whole: serde_json::Value =
            serde_json::from_slice(sharded(None).stdout_bytes()).expect("the summary is JSON");
        let mut files = Vec::new();
        let mut next_case = 0;
        for index in (1..=shards).rev() {
            let summary = sharded(Some(format!("{index}/{shards}")));
            let parsed: serde_json::Value =
                serde_json::from_slice(summary.stdout_bytes()).expect("JSON");
            assert_eq!(parsed["shard"]["index"], index);
            let file = dir.join(format!("shard-{index}.json"));
            std::fs::write(&file, summary.stdout_bytes()).expect("write a shard's summary");
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
        let merged = run(&args).exits(i32::from(subject.is_some()));
        pretty_assertions::assert_eq!(merged.json(), whole);

        // Summaries that do not make one run are refused, saying which and why.
        let missing = run(&["merge", &files[0]]).exits(2);
        assert!(missing.stderr.contains("shard"), "{}", missing.stderr);
        run(&["merge", &files[0], &files[0]]).exits(2);
    }
    let not_a_shard = scratch("shards-whole").join("whole.json");
    let whole = run(&["--json", "check", "--seed", "5", "--cases", "10"]);
    std::fs::write(&not_a_shard, whole.stdout_bytes()).expect("write");
    let refused = run(&["merge", &not_a_shard.display().to_string()]).exits(2);
    assert!(
        refused.stderr.contains("not a shard's summary"),
        "{}",
        refused.stderr
    );
}
