//! Runs every conformance vector of `spec/vectors/` through the reference model.
//!
//! `UPDATE_VECTORS=1` rewrites each file's `expected` from the model (review the git diff).
//! `REVIEW_SPEC_FILTER=grant,-grant-2` runs only cases whose full name `family/file/case`
//! contains a positive term and no negative one.

use review_spec::profile::Profile;
use std::path::{Path, PathBuf};

use pretty_assertions::Comparison;
use review_spec::event::Emitted;
use review_spec::model;
use review_spec::trace::{VectorFile, read_vector_file, write_vector_file};

pub fn vector_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

/// Every vector file under `spec/vectors/`, sorted, with its path relative to that folder.
pub fn vector_files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let root = vector_root();
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .with_extension("")
                .display()
                .to_string();
            (relative, path)
        })
        .collect()
}

/// Loads every vector file, failing with the positioned error of the first malformed one.
pub fn load_all() -> Vec<(String, PathBuf, VectorFile)> {
    vector_files()
        .into_iter()
        .map(|(name, path)| {
            let file = read_vector_file(&path).unwrap_or_else(|error| panic!("{error}"));
            (name, path, file)
        })
        .collect()
}

fn filter_matches(full_name: &str) -> bool {
    let Ok(filter) = std::env::var("REVIEW_SPEC_FILTER") else {
        return true;
    };
    let terms: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let (negative, positive): (Vec<&str>, Vec<&str>) =
        terms.iter().partition(|t| t.starts_with('-'));
    let included = positive.is_empty() || positive.iter().any(|t| full_name.contains(t));
    included && !negative.iter().any(|t| full_name.contains(&t[1..]))
}

#[test]
fn every_vector_matches_the_model() {
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for (file_name, path, mut file) in load_all() {
        let mut changed = false;
        for case in &mut file.cases {
            let full_name = format!("{file_name}/{}", case.name);
            if !filter_matches(&full_name) {
                continue;
            }
            cases_run += 1;
            let actual: Vec<Emitted> = model::reduce(&case.facts, &case.limits, &Profile::SPEC);
            if actual != case.expected {
                if update {
                    case.expected = actual;
                    changed = true;
                } else {
                    failures.push(format!(
                        "FAIL {full_name}: {}\n{}\nreplay: REVIEW_SPEC_FILTER={full_name} cargo test --test it vectors",
                        case.rules.join(", "),
                        Comparison::new(&case.expected, &actual)
                    ));
                }
            }
        }
        if changed {
            std::fs::write(&path, write_vector_file(&file))
                .unwrap_or_else(|error| panic!("cannot rewrite {}: {error}", path.display()));
        }
    }
    assert!(
        cases_run > 0 || std::env::var("REVIEW_SPEC_FILTER").is_ok(),
        "no vectors found under {}",
        vector_root().display()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases_run} vector cases differ from the model:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_vector_matches_the_reducer() {
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for (file_name, _, file) in load_all() {
        for case in &file.cases {
            let full_name = format!("{file_name}/{}", case.name);
            if !filter_matches(&full_name) {
                continue;
            }
            cases_run += 1;
            let actual = review_spec::reducer::reduce_all(&case.facts, &case.limits, &Profile::SPEC);
            if actual != case.expected {
                failures.push(format!(
                    "FAIL {full_name}: {}\n{}\nreplay: REVIEW_SPEC_FILTER={full_name} cargo test --test it vectors",
                    case.rules.join(", "),
                    Comparison::new(&case.expected, &actual)
                ));
            }
        }
    }
    assert!(
        cases_run > 0 || std::env::var("REVIEW_SPEC_FILTER").is_ok(),
        "no vectors found"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases_run} vector cases differ from the reducer:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
