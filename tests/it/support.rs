//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use proptest::test_runner::Config;
use review_spec_vocab::event::{Emitted, Output};

/// How often shrinking may redraw a case after simplifying its swarm configuration (proptest's
/// `prop_flat_map`). Its default, a million, let one shrink take minutes redrawing cases on the
/// larger pools, for counterexamples no smaller.
pub const FLAT_MAP_REGENS_MAX: u32 = 100;

/// A proptest configuration with `default_cases` cases unless `PROPTEST_CASES` says otherwise,
/// no failure-persistence files (failures are saved as vectors instead), and at most
/// [`FLAT_MAP_REGENS_MAX`] redraws while shrinking.
pub fn proptest_config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        max_flat_map_regens: FLAT_MAP_REGENS_MAX,
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
        other => other.as_tool_item().map(|event| &*event.thread_id),
    }
}

/// A fresh, empty folder for one test's files, under Cargo's temporary folder for tests.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    // A test may leave a file (or a symlink) where the folder goes.
    let _ = std::fs::remove_file(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}
