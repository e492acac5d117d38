//! What a failing `check` costs and what it gives, whatever the speed settings: the same first
//! failure and the same saved counterexample for any `--window` and any `--jobs`; a
//! counterexample shrunk inside one subject process and confirmed in a few fresh ones; no more
//! subject processes than cases.

use std::path::{Path, PathBuf};

use super::runner::{BROKEN_SUBJECT, PYTHON_SUBJECT, check, run, scratch};
use review_spec::diff::CONFIRMATIONS;

/// A subject command that appends a line to `log` each time a process of `subject` starts.
fn counted(log: &Path, subject: &str) -> String {
    format!("sh -c 'echo started >> {}; exec {subject}'", log.display())
}

fn starts(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |text| text.lines().count())
}

/// The one vector file a failing run saved in `dir`.
fn saved_vector(dir: &Path) -> (String, review_spec_vocab::trace::VectorFile) {
    let saved: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the output folder")
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0]
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let file = review_spec_vocab::trace::read_vector_file(&saved[0]).expect("the vector loads");
    (name, file)
}

#[test]
fn the_same_counterexample_whatever_the_window_and_the_jobs() {
    let mut found = Vec::new();
    for (window, jobs) in [("1", "1"), ("64", "1"), ("10000", "2"), ("3", "2")] {
        let dir = scratch(&format!("same-cex-{window}-{jobs}"));
        let extra = ["--window", window, "--jobs", jobs];
        let output = check("300", "2", &dir, BROKEN_SUBJECT, &extra).exits(1);
        let first = output
            .stdout
            .lines()
            .find(|line| line.starts_with("FAIL after"))
            .expect("a FAIL line")
            .to_owned();
        let (name, file) = saved_vector(&dir);
        let cases: Vec<_> = file
            .cases
            .iter()
            .map(|case| (case.facts.clone(), case.expected.clone()))
            .collect();
        found.push(((window, jobs), first, name, cases));
    }
    for other in &found[1..] {
        assert_eq!(
            other.1, found[0].1,
            "first failure, {:?} vs {:?}",
            other.0, found[0].0
        );
        assert_eq!(
            other.2, found[0].2,
            "saved file, {:?} vs {:?}",
            other.0, found[0].0
        );
        assert!(
            other.3 == found[0].3,
            "saved case, {:?} vs {:?}",
            other.0,
            found[0].0
        );
    }
}

#[test]
fn a_counterexample_costs_one_process_to_shrink_and_a_few_to_confirm() {
    for jobs in ["1", "2"] {
        let dir = scratch(&format!("processes-per-counterexample-{jobs}"));
        let log = dir.join("starts.log");
        let subject = counted(&log, BROKEN_SUBJECT);
        let output = check("300", "1", &dir.join("out"), &subject, &["--jobs", jobs]).exits(1);
        assert!(
            output.stdout.contains("decided by: GRANT-1"),
            "{}",
            output.stdout
        );
        assert!(
            output.stdout.contains(&format!(
                "in one subject process, a reset between candidates; confirmed in \
                 {CONFIRMATIONS} fresh processes"
            )),
            "{}",
            output.stdout
        );
        // The run's process, which finds the failure and shrinks it (a reset between
        // candidates), and the confirmations; a second worker does not start for a run that
        // fails before it would pay.
        assert_eq!(
            starts(&log),
            1 + CONFIRMATIONS,
            "--jobs {jobs}: {}",
            output.stdout
        );
    }
}

#[test]
fn no_more_subject_processes_than_cases() {
    let dir = scratch("no-idle-subjects");
    let log = dir.join("starts.log");
    run(&[
        "check",
        "--cases",
        "2",
        "--seed",
        "3",
        "--jobs",
        "20",
        "--subject-cmd",
        &counted(&log, PYTHON_SUBJECT),
    ])
    .exits(0);
    assert!(
        starts(&log) <= 2,
        "{} subject processes for 2 cases",
        starts(&log)
    );
}
