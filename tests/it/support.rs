//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use proptest::test_runner::Config;
use review_spec::event::{Emitted, Output};

/// A proptest configuration with `default_cases` cases unless `PROPTEST_CASES` says otherwise,
/// and no failure-persistence files (failures are saved as vectors instead).
pub fn proptest_config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The events (review and tool-item events, not diagnostics) among outputs.
pub fn events(outputs: &[Emitted]) -> Vec<&Output> {
    outputs
        .iter()
        .map(|emitted| &emitted.output)
        .filter(|output| !matches!(output, Output::Diagnostic(_)))
        .collect()
}

/// The thread an output belongs to, if any.
pub fn thread_of(output: &Output) -> Option<&str> {
    match output {
        Output::Review(event) => Some(&event.thread_id),
        Output::Diagnostic(diagnostic) => diagnostic.thread_id.as_deref(),
        other => other.as_tool_item().map(|event| event.thread_id.as_str()),
    }
}

/// A fresh, empty folder for one test's files, under Cargo's temporary folder for tests.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}
