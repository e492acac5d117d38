//! The conformance suite as a library: the vectors shipped inside the crate ([`Suite::bundled`])
//! or those of a folder ([`Suite::load`]), cases picked by name ([`Filter`]), and run against any
//! [`Subject`] ([`run_vectors`]), which returns the same report `review-spec vectors` prints. An
//! implementer's Rust test:
//!
//! ```
//! use review_spec::{Filter, Limits, Reducer, Suite, VectorOptions, run_vectors};
//!
//! let suite = Suite::bundled()?;
//! // Any `Subject` goes here: your reducer behind the trait, or a process (`ProcessSubject`).
//! let mut subject = Reducer::new(Limits::default());
//! let options = VectorOptions { filter: Filter::parse(Some("grant")), ..VectorOptions::default() };
//! let report = run_vectors(&mut subject, &suite, &options, &mut |_| {})?;
//! assert!(report.failures.is_empty(), "{}", report.to_text());
//! # Ok::<(), review_spec::SuiteError>(())
//! ```
//!
//! The files and the filter are shared by `review-spec vectors`, the test suite and the fuzz
//! seed corpus.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pretty_assertions::StrComparison;

use crate::event::{Emitted, OutputKinds};
use crate::model;
use crate::profile::{Base, Profile, first_inexpressible};
use crate::report::{Failure, RuleTally, Summary};
use crate::subject::{Subject, SubjectError};
use crate::trace::{
    Expectation, TraceError, VectorCase, VectorFile, parse_vector_file, read_vector_file_limited,
};

/// Every `*.json` file under `dir`, recursively and sorted, with its name relative to `dir`
/// without `.json` (`grant/grant-1-empty-grant-denied`); `dir` itself, named by its stem, when it
/// is a file. Symlinks to files are read; symlinks to folders are not followed (a link to `..`
/// would loop): each one is returned in `skipped`.
pub fn vector_files(dir: &Path) -> std::io::Result<VectorFiles> {
    let mut found = VectorFiles::default();
    if dir.is_file() {
        let name = dir.file_stem().unwrap_or(dir.as_os_str());
        found
            .files
            .push((name.to_string_lossy().into_owned(), dir.to_path_buf()));
        return Ok(found);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(path);
            } else if file_type.is_symlink() && path.is_dir() {
                found.skipped.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .with_extension("")
                    .display()
                    .to_string();
                found.files.push((name, path));
            }
        }
    }
    found.files.sort();
    found.skipped.sort();
    Ok(found)
}

/// What [`vector_files`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VectorFiles {
    /// Each file's name (relative, without `.json`) and path, sorted.
    pub files: Vec<(String, PathBuf)>,
    /// Symlinks to folders, not followed.
    pub skipped: Vec<PathBuf>,
}

/// Which cases run, by full name `family/file/case`: comma-separated terms, a case runs when its
/// name contains a positive term (or there is none) and no negative (`-`) one. The syntax of
/// `review-spec vectors --filter` and of `REVIEW_SPEC_FILTER` in the test suite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    positive: Vec<String>,
    negative: Vec<String>,
}

impl Filter {
    /// Parses `grant,-grant-2`; `None` or an empty text selects every case.
    pub fn parse(text: Option<&str>) -> Filter {
        let mut filter = Filter::default();
        for term in text.unwrap_or_default().split(',').map(str::trim) {
            match term.strip_prefix('-') {
                Some(negative) if !negative.is_empty() => filter.negative.push(negative.to_owned()),
                Some(_) => {}
                None if !term.is_empty() => filter.positive.push(term.to_owned()),
                None => {}
            }
        }
        filter
    }

    /// Whether the case named `full_name` runs.
    pub fn selects(&self, full_name: &str) -> bool {
        let included = self.positive.is_empty()
            || self
                .positive
                .iter()
                .any(|term| full_name.contains(term.as_str()));
        included
            && !self
                .negative
                .iter()
                .any(|term| full_name.contains(term.as_str()))
    }
}

/// Why a suite cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The folder or a file in it cannot be read.
    #[error("{path}: {what}")]
    Unreadable {
        /// The folder or file.
        path: String,
        /// The operating system's error.
        what: String,
    },
    /// A vector file is malformed (file, line, column, fact index).
    #[error(transparent)]
    Input(#[from] TraceError),
    /// Nothing to run: no vector file, no case, or no case the filter selects.
    #[error("{0}")]
    Empty(String),
    /// The subject could not be started, or does not speak the protocol.
    #[error(transparent)]
    Subject(#[from] SubjectError),
}

/// The vector files of a folder (or one file), loaded.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Where they were loaded from.
    pub dir: PathBuf,
    /// Each file's name (relative, without `.json`) and contents, sorted by name.
    pub files: Vec<(String, VectorFile)>,
    /// Symlinks to folders that were not followed.
    pub skipped: Vec<PathBuf>,
}

/// The vector files shipped inside the crate (`spec/vectors` when it was built): each file's
/// name, relative and without `.json`, and its text. Written by `build.rs`.
const BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_vectors.rs"));

/// Where the bundled vectors came from, as a [`Suite::dir`].
pub const BUNDLED_DIR: &str = "<bundled spec/vectors>";

impl Suite {
    /// The conformance vectors shipped inside the crate: every file of `spec/vectors` as it was
    /// when the crate was built, so that a git or registry dependency, and `review-spec vectors`
    /// from any folder, need no checkout path. The files are read as [`Suite::load`] reads them
    /// (errors name the file as `spec/vectors/<name>.json`).
    pub fn bundled() -> Result<Suite, SuiteError> {
        let mut files = Vec::with_capacity(BUNDLED.len());
        for (name, text) in BUNDLED {
            let source = format!("spec/vectors/{name}.json");
            files.push((name.to_string(), parse_vector_file(text, &source)?));
        }
        Ok(Suite {
            dir: PathBuf::from(BUNDLED_DIR),
            files,
            skipped: Vec::new(),
        })
    }

    /// Loads every vector file under `dir` (see [`vector_files`]), each of at most
    /// [`crate::trace::DEFAULT_MAX_FILE_BYTES`].
    pub fn load(dir: &Path) -> Result<Suite, SuiteError> {
        Suite::load_limited(dir, crate::trace::DEFAULT_MAX_FILE_BYTES)
    }

    /// Loads every vector file under `dir`, refusing a file larger than `max_file_bytes`.
    pub fn load_limited(dir: &Path, max_file_bytes: u64) -> Result<Suite, SuiteError> {
        let found = vector_files(dir).map_err(|error| SuiteError::Unreadable {
            path: dir.display().to_string(),
            what: error.to_string(),
        })?;
        if found.files.is_empty() {
            return Err(SuiteError::Empty(format!(
                "{}: no vector files (*.json) found",
                dir.display()
            )));
        }
        let mut files = Vec::new();
        for (name, path) in found.files {
            files.push((name, read_vector_file_limited(&path, max_file_bytes)?));
        }
        Ok(Suite {
            dir: dir.to_path_buf(),
            files,
            skipped: found.skipped,
        })
    }

    /// Every case with its full name `family/file/case`, in order, that `filter` selects.
    pub fn cases<'s>(&'s self, filter: &Filter) -> Vec<(String, &'s VectorCase)> {
        self.files
            .iter()
            .flat_map(|(file_name, file)| {
                file.cases
                    .iter()
                    .map(move |case| (format!("{file_name}/{}", case.name), case))
            })
            .filter(|(full_name, _)| filter.selects(full_name))
            .collect()
    }
}

/// How [`run_vectors`] runs.
#[derive(Clone, Debug)]
pub struct VectorOptions {
    /// What the model follows (the cases' expectations under this profile).
    pub profile: Profile,
    /// Which cases run.
    pub filter: Filter,
    /// Stop after this many failing cases (0: never).
    pub max_failures: usize,
    /// Go on after a case in which the subject timed out (by default the run stops there).
    pub keep_going_after_timeout: bool,
}

impl Default for VectorOptions {
    /// The spec profile, every case, at most 10 failures, stop at the first timeout.
    fn default() -> VectorOptions {
        VectorOptions {
            profile: Profile::SPEC,
            filter: Filter::default(),
            max_failures: 10,
            keep_going_after_timeout: false,
        }
    }
}

/// What [`run_vectors`] reports while it runs (for a progress bar, or failures as they come).
#[derive(Debug)]
pub enum Progress<'a> {
    /// The run starts with this many selected cases.
    Started {
        /// The cases the filter selected.
        cases: usize,
    },
    /// A case is about to run.
    Case {
        /// The case's full name.
        name: &'a str,
    },
    /// A case failed.
    Failed(&'a Failure),
}

/// Runs the suite's cases that `options.filter` selects against `subject`, comparing each with
/// its `expected` outputs exactly as `spec/vectors/README.md` says (the whole ordered list, each
/// output with its `at`; only the output kinds the subject declares it emits). Returns the
/// report `review-spec vectors` prints, with pass/fail per rule ID.
pub fn run_vectors(
    subject: &mut dyn Subject,
    suite: &Suite,
    options: &VectorOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Summary, SuiteError> {
    let profile = options.profile;
    let selected = suite.cases(&options.filter);
    if selected.is_empty() {
        let cases: usize = suite.files.iter().map(|(_, file)| file.cases.len()).sum();
        let dir = suite.dir.display();
        return Err(SuiteError::Empty(if cases > 0 {
            format!(
                "no vector case under {dir} matches the filter ({cases} cases in {} files)",
                suite.files.len()
            )
        } else if suite.dir.is_file() {
            format!("{dir}: the vector file holds no case")
        } else {
            format!(
                "no vector case under {dir}: its {} vector files hold no case",
                suite.files.len()
            )
        }));
    }
    let mut summary = Summary::new("vectors", profile);
    summary.subject = Some(subject.name());
    // Started on an empty trace, so that what it emits and reads is known (an error here shows
    // again, reported, on the first case).
    let _ = subject.reset(crate::event::Limits::default(), &profile);
    summary.set_compared(subject.emits());
    let mut by_rule: BTreeMap<String, RuleTally> = BTreeMap::new();
    progress(Progress::Started {
        cases: selected.len(),
    });
    for (done, (full_name, case)) in selected.iter().enumerate() {
        if let Some(reason) = stop_reason(options, &summary) {
            summary.stop(reason, selected.len() - done);
            break;
        }
        progress(Progress::Case { name: full_name });
        if let Some(why) = too_new_for(case, subject.facts_version()) {
            summary.skip(full_name, why);
            continue;
        }
        let (mut expected, hits) = match expected_outputs(case, &profile) {
            Ok(expected) => expected,
            Err(why) => {
                summary.skip(full_name, why);
                continue;
            }
        };
        summary.cases += 1;
        summary.facts += case.facts.len();
        summary.add_hits(&hits);
        let failure = match run_case(subject, case, &profile) {
            Ok(actual) => {
                let compared = subject.emits();
                compared.retain(&mut expected);
                (actual != expected)
                    .then(|| mismatch(full_name, case, &expected, &actual, compared))
            }
            Err(error) => Some(subject_failure(full_name, case, &error)),
        };
        for rule in &case.rules {
            let tally = by_rule.entry(rule.clone()).or_default();
            if failure.is_some() {
                tally.failed += 1;
            } else {
                tally.passed += 1;
            }
        }
        if let Some(failure) = failure {
            progress(Progress::Failed(&failure));
            summary.failures.push(failure);
        }
    }
    summary.by_rule = Some(by_rule);
    Ok(summary)
}

/// Why the run stops before the next case, if it does: too many failures, or a subject that
/// timed out (each further case would likely cost a timeout too).
fn stop_reason(options: &VectorOptions, summary: &Summary) -> Option<String> {
    let failures = summary.failures.len();
    if options.max_failures > 0 && failures >= options.max_failures {
        return Some(format!(
            "{failures} failing cases (--max-failures {})",
            options.max_failures
        ));
    }
    let timed_out = summary
        .failures
        .iter()
        .any(|failure| failure.kind == "timed_out");
    (timed_out && !options.keep_going_after_timeout).then(|| {
        "the subject timed out (--keep-going-after-timeout runs the other cases)".to_owned()
    })
}

/// What a case expects under `profile` (with the model's rule hits on it), or why it does not
/// apply: the file's expectation for a base profile, the model's for a profile with departures
/// switched (the base expectations pin the model, `tests/it/vectors.rs`).
fn expected_outputs(
    case: &VectorCase,
    profile: &Profile,
) -> Result<(Vec<Emitted>, BTreeMap<&'static str, usize>), String> {
    let (model_outputs, hits) = model::reduce_with_hits(&case.facts, &case.limits, profile);
    match case.expectation(profile) {
        Expectation::Outputs(outputs) => Ok((outputs.to_vec(), hits)),
        Expectation::NotApplicable(why) => Err(format!("not applicable to upstream: {why}")),
        Expectation::FromModel => match first_inexpressible(&case.facts) {
            Some((index, why)) if profile.base == Base::Upstream => {
                Err(format!("not applicable to upstream: fact {index}: {why}"))
            }
            _ => Ok((model_outputs, hits)),
        },
    }
}

/// Why a case does not apply to a subject that reads facts of trace format `version` only: its
/// first newer fact.
fn too_new_for(case: &VectorCase, version: u32) -> Option<String> {
    let (index, fact) = case
        .facts
        .iter()
        .enumerate()
        .find(|(_, fact)| fact.trace_format_version() > version)?;
    Some(format!(
        "not applicable to a subject of protocol version 2: fact {index} ({}) is of trace format {}",
        fact.type_name(),
        fact.trace_format_version()
    ))
}

/// Runs one case through the subject, tagging each output with its fact index.
fn run_case(
    subject: &mut dyn Subject,
    case: &VectorCase,
    profile: &Profile,
) -> Result<Vec<Emitted>, SubjectError> {
    if !case.history.is_empty() {
        // A history-dependent case: its history first, in a fresh process.
        crate::diff::run_history(subject, &case.history, profile)?;
    }
    subject.reset(case.limits, profile)?;
    let mut actual = Vec::new();
    subject.ingest_all(&case.facts, &mut |at, outputs| {
        actual.extend(outputs.iter().map(|output| Emitted {
            at,
            output: output.clone(),
        }));
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(actual)
}

fn mismatch(
    full_name: &str,
    case: &VectorCase,
    expected: &[Emitted],
    actual: &[Emitted],
    compared: OutputKinds,
) -> Failure {
    let fact_index = first_differing_fact(expected, actual);
    let mut message = format!(
        "FAIL {full_name}: {}\n{}\n",
        case.rules.join(", "),
        case.description
    );
    if let Some(index) = fact_index {
        let fact = case.facts.get(index).map_or("?", |fact| fact.type_name());
        let _ = writeln!(message, "first difference at fact {index} ({fact})");
    }
    if compared != OutputKinds::ALL {
        let kinds: Vec<&str> = compared.kinds().iter().map(|kind| kind.name()).collect();
        let _ = writeln!(message, "compared: {} outputs only", kinds.join(", "));
    }
    let _ = write!(
        message,
        "expected (vector) vs actual (subject):\n{}",
        StrComparison::new(&crate::diff::pretty(expected), &crate::diff::pretty(actual))
    );
    Failure::new(
        full_name.to_owned(),
        "mismatch",
        fact_index,
        case.rules.clone(),
        message,
    )
}

fn subject_failure(full_name: &str, case: &VectorCase, error: &SubjectError) -> Failure {
    Failure::new(
        full_name.to_owned(),
        error.kind(),
        error.fact_index(),
        case.rules.clone(),
        format!("FAIL {full_name}: {}\n{error}", case.rules.join(", ")),
    )
}

/// The index of the first fact whose outputs differ.
pub fn first_differing_fact(expected: &[Emitted], actual: &[Emitted]) -> Option<usize> {
    let position = expected.iter().zip(actual).position(|(e, a)| e != a);
    match position {
        Some(index) => {
            let at = |outputs: &[Emitted]| outputs.get(index).map(|emitted| emitted.at);
            [at(expected), at(actual)].into_iter().flatten().min()
        }
        None => expected
            .get(actual.len())
            .or_else(|| actual.get(expected.len()))
            .map(|emitted| emitted.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_positive_and_negative_terms() {
        let name = "grant/grant-2-non-empty/x";
        assert!(Filter::parse(None).selects(name));
        assert!(Filter::parse(Some("")).selects(name));
        assert!(Filter::parse(Some("grant")).selects(name));
        assert!(!Filter::parse(Some("life")).selects(name));
        assert!(Filter::parse(Some("life, grant-2")).selects(name));
        assert!(!Filter::parse(Some("grant,-grant-2")).selects(name));
        assert!(!Filter::parse(Some("-non-empty")).selects(name));
        assert!(Filter::parse(Some("-")).selects(name));
    }

    #[test]
    fn the_spec_vectors_are_found_sorted_with_their_names() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors");
        let found = vector_files(&root).map_err(|error| error.to_string());
        let names: Vec<String> = found
            .as_ref()
            .map(|found| found.files.iter().map(|(name, _)| name.clone()).collect())
            .unwrap_or_default();
        assert!(
            names.iter().any(|name| name == "grant/grant-3-emptiness"),
            "{found:?}"
        );
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
