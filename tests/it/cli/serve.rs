//! `serve`: the built-in reducer as a subject process (`spec/protocol.md`). Through the
//! protocol it passes every vector and agrees with the model on generated cases, whatever the
//! window; a seeded defect served through it is caught and blamed as in process; input that is
//! not the protocol exits 2 and says where.

use super::runner::{review_spec, run, scratch};

/// The command that runs the built binary's `serve`, for `--subject-cmd`.
pub fn serve_command(extra: &str) -> String {
    format!("'{}' serve{extra}", env!("CARGO_BIN_EXE_review-spec"))
}

#[test]
fn every_vector_passes_through_serve_under_both_profiles() {
    let serve = serve_command("");
    for profile in ["spec", "upstream"] {
        let output = run(&["vectors", "--profile", profile, "--subject-cmd", &serve]).exits(0);
        assert!(output.stdout.contains("0 failures"), "{}", output.stdout);
    }
}

#[test]
fn generated_cases_agree_through_serve_whatever_the_window() {
    let serve = serve_command("");
    let mut summaries = Vec::new();
    for window in ["1", "7", "4096"] {
        let output = run(&[
            "--json",
            "check",
            "--cases",
            "150",
            "--seed",
            "11",
            "--window",
            window,
            "--subject-cmd",
            &serve,
        ])
        .exits(0);
        let summary: serde_json::Value =
            serde_json::from_str(&output.stdout).expect("a JSON summary");
        assert_eq!(summary["cases"], 150, "{summary}");
        summaries.push(summary["rules"].clone());
    }
    // The same cases, the same model: the same rule coverage whatever the window.
    assert!(
        summaries.windows(2).all(|pair| pair[0] == pair[1]),
        "{summaries:?}"
    );
}

#[cfg(feature = "seeded-defects")]
#[test]
fn a_seeded_defect_served_is_caught_and_blamed() {
    use super::runner::check;
    let dir = scratch("serve-defect");
    let defect = serve_command(" --defect empty_grant_approved");
    let output = check("300", "1", &dir, &defect, &[]).exits(1);
    assert!(
        output.stdout.contains("decided by: GRANT-1"),
        "{}",
        output.stdout
    );
    let unknown = run(&["serve", "--defect", "no_such_defect"]).exits(2);
    assert!(
        unknown.stderr.contains("empty_grant_approved"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn input_that_is_not_the_protocol_exits_2_and_says_where() {
    let dir = scratch("serve-bad-input");
    let header = r#"{"review_spec_protocol":4,"limits":{"table_entries_max":4096},"profile":{"base":"spec"}}"#;
    let fact =
        r#"{"type":"turn_completed","thread_id":"t2","turn_id":"u1","completed_at_ms":1780}"#;
    for (input, wanted) in [
        (
            format!("{header}\n{fact}\n{{\"type\": 7}}\n"),
            "input line 3, column",
        ),
        (
            "not json\n".to_owned(),
            "input line 1, column 2: invalid header",
        ),
        (String::new(), "the input ended before the header"),
    ] {
        let path = dir.join("input.jsonl");
        std::fs::write(&path, &input).expect("the input");
        let output = review_spec(&["serve"]).stdin_file(&path).run().exits(2);
        assert!(
            output.stderr.contains(wanted),
            "{input:?}: {}",
            output.stderr
        );
    }
    // What was answered before the bad line is written in full.
    let path = dir.join("input.jsonl");
    std::fs::write(&path, format!("{header}\n{fact}\n{{\"type\": 7}}\n")).expect("the input");
    let output = review_spec(&["serve"]).stdin_file(&path).run().exits(2);
    assert!(
        output.stdout.ends_with("{\"done\":0}\n"),
        "{}",
        output.stdout
    );
}
