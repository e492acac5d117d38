//! Runs every conformance vector of `spec/vectors/` through the reference model.
//!
//! Each case's `expected` must be the model's outputs under the `spec` profile, and its
//! `upstream` member what the model gives under `upstream` when that differs (or the reason the
//! case does not apply to it); the production reducer must match both.
//! `UPDATE_VECTORS=1` rewrites both from the model (review the git diff).
//! `REVIEW_SPEC_FILTER=grant,-grant-2` runs only cases whose full name `family/file/case`
//! contains a positive term and no negative one.

use review_spec_vocab::profile::Profile;
use std::path::{Path, PathBuf};

use pretty_assertions::Comparison;
use review_spec::diff::expectations;
use review_spec_vocab::event::Emitted;
use review_spec_vocab::profile::first_inexpressible;
use review_spec_vocab::trace::{
    Expectation, UpstreamExpectation, VectorCase, VectorFile, read_vector_file, write_vector_file,
};

pub fn vector_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

/// Every vector file under `spec/vectors/`, sorted, with its path relative to that folder.
pub fn vector_files() -> Vec<(String, PathBuf)> {
    review_spec::conformance::vector_files(&vector_root())
        .unwrap_or_else(|error| panic!("spec/vectors: {error}"))
        .files
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
    let filter = std::env::var("REVIEW_SPEC_FILTER").ok();
    review_spec::conformance::Filter::parse(filter.as_deref()).selects(full_name)
}

/// The expectation of a case under a base profile, or None where the case does not apply.
fn expected_under<'c>(case: &'c VectorCase, profile: &Profile) -> Option<&'c [Emitted]> {
    match case.expectation(profile) {
        Expectation::Outputs(outputs) => Some(outputs),
        Expectation::NotApplicable(_) | Expectation::FromModel => None,
    }
}

/// Both base profiles: each case's `expected` holds under `spec`, its `upstream` member (or
/// `expected` again) under `upstream`.
const BASES: [Profile; 2] = [Profile::SPEC, Profile::UPSTREAM];

#[test]
fn every_vector_matches_the_model_under_both_profiles() {
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for (file_name, path, mut file) in load_all() {
        let mut file_cases_run = 0;
        for case in &mut file.cases {
            let full_name = format!("{file_name}/{}", case.name);
            if !filter_matches(&full_name) {
                continue;
            }
            cases_run += 1;
            file_cases_run += 1;
            if update {
                (case.expected, case.upstream) = expectations(&case.facts, &case.limits);
                continue;
            }
            let (expected, upstream) = expectations(&case.facts, &case.limits);
            let stored = (&case.expected, &case.upstream);
            if stored != (&expected, &upstream) {
                failures.push(format!(
                    "FAIL {full_name}: {}\n{}\nreplay: REVIEW_SPEC_FILTER={full_name} cargo test --test it vectors",
                    case.rules.join(", "),
                    Comparison::new(&stored, &(&expected, &upstream))
                ));
            }
        }
        // Only files with a case run are rewritten (in the current format version).
        if update && file_cases_run > 0 {
            let file = VectorFile::new(file.cases);
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
        "{} of {cases_run} vector cases differ from the model (spec and upstream expectations; \
         UPDATE_VECTORS=1 rewrites them from the model, then review the diff):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_vector_matches_the_reducer_under_both_profiles() {
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for (file_name, _, file) in load_all() {
        for case in &file.cases {
            let full_name = format!("{file_name}/{}", case.name);
            if !filter_matches(&full_name) {
                continue;
            }
            for profile in BASES {
                let Some(expected) = expected_under(case, &profile) else {
                    continue;
                };
                cases_run += 1;
                let actual = review_spec_reducer::reduce_all(&case.facts, &case.limits, &profile);
                if actual != expected {
                    failures.push(format!(
                        "FAIL {full_name} (profile {profile}): {}\n{}\nreplay: REVIEW_SPEC_FILTER={full_name} cargo test --test it vectors",
                        case.rules.join(", "),
                        Comparison::new(&expected, &actual.as_slice())
                    ));
                }
            }
        }
    }
    assert!(
        cases_run > 0 || std::env::var("REVIEW_SPEC_FILTER").is_ok(),
        "no vectors found"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases_run} vector runs differ from the reducer:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A case is marked as not applying to `upstream` exactly when one of its facts is one upstream
/// cannot express, and the mark names that fact.
#[test]
fn upstream_marks_match_what_upstream_can_express() {
    let mut wrong = Vec::new();
    for (file_name, _, file) in load_all() {
        for case in &file.cases {
            let full_name = format!("{file_name}/{}", case.name);
            let inexpressible = first_inexpressible(&case.facts);
            let marked = match &case.upstream {
                Some(UpstreamExpectation::NotApplicable(why)) => Some(why.as_str()),
                _ => None,
            };
            match (inexpressible, marked) {
                (None, None) => {}
                (Some((index, _)), Some(why)) if why.starts_with(&format!("fact {index}: ")) => {}
                (found, marked) => wrong.push(format!("{full_name}: {found:?} vs {marked:?}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong upstream marks:\n{}",
        wrong.join("\n")
    );
}

/// The vectors built into the crate are the files of `spec/vectors`, every one, as they are now
/// (a file added, removed or changed since the build would show here: `build.rs` reruns on any
/// change under the folder).
#[test]
fn the_bundled_vectors_are_the_files_of_spec_vectors() {
    let on_disk =
        review_spec::Suite::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors"))
            .expect("spec/vectors loads");
    let bundled = review_spec::Suite::bundled().expect("the bundled vectors load");
    let names = |suite: &review_spec::Suite| -> Vec<String> {
        suite.files.iter().map(|(name, _)| name.clone()).collect()
    };
    assert_eq!(names(&bundled), names(&on_disk));
    assert!(
        names(&bundled).len() > 50,
        "{} files",
        names(&bundled).len()
    );
    for ((name, bundled), (_, on_disk)) in bundled.files.iter().zip(&on_disk.files) {
        assert_eq!(bundled, on_disk, "{name}");
    }
}
