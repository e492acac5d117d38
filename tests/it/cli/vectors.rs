//! `vectors`: every vector against the Python subject, the vectors bundled in the binary run
//! from any folder, `--max-failures` and the first timeout, and symlinked folders not followed.

use review_spec::conformance::{Filter, Suite};

use super::runner::{BROKEN_SUBJECT, PYTHON_SUBJECT, review_spec, root, run, scratch};

#[test]
fn every_vector_passes_against_the_python_subject() {
    let summary = run(&["vectors", "--subject-cmd", PYTHON_SUBJECT, "--json"])
        .exits(0)
        .json();
    assert_eq!(summary["failure_count"], 0, "{summary}");
    assert!(
        summary["cases"].as_u64().is_some_and(|cases| cases >= 60),
        "{summary}"
    );
    assert_eq!(summary["by_rule"]["GRANT-1"]["failed"], 0, "{summary}");
}

/// Without DIR, `vectors` runs the vectors built into the binary, whatever the current folder:
/// from an empty folder outside the checkout (no `spec/` to find), every case of the checkout's
/// `spec/vectors` runs and passes, with the same summary as `vectors spec/vectors` in the
/// checkout.
#[test]
fn vectors_without_a_folder_run_the_bundled_vectors_from_any_folder() {
    let dir = std::env::temp_dir().join(format!("review-spec-bundled-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let dir = dir.canonicalize().expect("the temporary folder");
    assert!(
        !dir.starts_with(root().canonicalize().expect("the root")),
        "{} is inside the checkout",
        dir.display()
    );
    assert!(!dir.join("spec").exists(), "{}", dir.display());
    let on_disk = Suite::load(&root().join("spec/vectors")).expect("the checkout's vectors");
    let cases = on_disk.cases(&Filter::parse(None)).len();
    let bundled = Suite::bundled().expect("the bundled vectors");
    assert_eq!(bundled.cases(&Filter::parse(None)).len(), cases);
    assert!(cases >= 60, "{cases} cases in spec/vectors");

    let summary = review_spec(&["vectors", "--json"])
        .current_dir(&dir)
        .run()
        .exits(0)
        .json();
    assert_eq!(summary["cases"], cases, "{summary}");
    assert_eq!(summary["failure_count"], 0, "{summary}");
    assert!(
        summary["by_rule"]["GRANT-1"]["passed"]
            .as_u64()
            .is_some_and(|passed| passed > 0),
        "{summary}"
    );
    let checkout = run(&["vectors", "spec/vectors", "--json"]).exits(0).json();
    pretty_assertions::assert_eq!(summary, checkout);
    let text = review_spec(&["vectors"])
        .current_dir(&dir)
        .run()
        .exits(0)
        .stdout;
    assert!(
        text.starts_with(&format!("summary: {cases} cases, ")) && text.contains(" 0 failures,"),
        "{text}"
    );
    assert!(text.contains("GRANT-1"), "{text}");
    std::fs::remove_dir_all(&dir).expect("remove the temporary folder");
}

#[test]
fn vectors_stop_after_max_failures_and_at_the_first_timeout() {
    let summary = run(&[
        "vectors",
        "--json",
        "--max-failures",
        "2",
        "--subject-cmd",
        BROKEN_SUBJECT,
    ])
    .exits(1)
    .json();
    assert_eq!(summary["failure_count"], 2, "{summary}");
    assert!(summary["not_run"].as_u64().unwrap_or(0) > 0, "{summary}");
    assert!(
        summary["stopped"]
            .as_str()
            .is_some_and(|reason| reason.contains("--max-failures 2")),
        "{summary}"
    );
    // --max-failures 0 runs every case: the broken subject fails more than two.
    let summary = run(&[
        "vectors",
        "--json",
        "--max-failures",
        "0",
        "--subject-cmd",
        BROKEN_SUBJECT,
    ])
    .json();
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
    let summary = run(&[
        "vectors",
        "--json",
        "--timeout-ms",
        "300",
        "--subject-cmd",
        &hanging,
    ])
    .exits(1)
    .json();
    assert_eq!(summary["failure_count"], 1, "{summary}");
    assert_eq!(summary["failures"][0]["kind"], "timed_out", "{summary}");
    assert!(
        summary["stopped"]
            .as_str()
            .is_some_and(|reason| reason.contains("timed out")),
        "{summary}"
    );
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
    let output = run(&["vectors", &dir_text, "--json"]).exits(0);
    let file =
        review_spec_vocab::trace::read_vector_file(&dir.join("inner/grant-3-emptiness.json"))
            .expect("vector file");
    assert_eq!(output.json()["cases"], file.cases.len(), "each case once");
    let text = &output.stderr;
    assert!(
        text.contains("a symlink to a folder (not followed)"),
        "{text}"
    );
}
