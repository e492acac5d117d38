//! `vectors`: the conformance vectors against a subject, compared with their `expected` outputs
//! exactly as `spec/vectors/README.md` says (the whole ordered list, each output with its `at`).
//! Reports pass/fail per rule ID, and each failing case by full name (with its diff when
//! `--verbose`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use pretty_assertions::StrComparison;

use super::summary::{Failure, RuleTally, Summary};
use super::{CliError, Outcome, Printer, ProfileArgs, SubjectArgs, make_subject, progress};
use crate::event::{Emitted, Output, OutputKinds};
use crate::model;
use crate::profile::{Base, Profile, first_inexpressible};
use crate::subject::{Subject, SubjectError};
use crate::trace::{Expectation, VectorCase, read_vector_file};

#[derive(Clone, Debug, Args)]
pub struct VectorsArgs {
    /// The folder of vector files (searched recursively for `*.json`, without following symlinks
    /// to folders), or one vector file. Default: spec/vectors.
    pub dir: Option<PathBuf>,

    /// Comma-separated terms matched against full names `family/file/case`: a case runs when it
    /// contains a positive term (or there is none) and no term prefixed with `-`.
    #[arg(long)]
    pub filter: Option<String>,

    /// Show the diff of each failing case.
    #[arg(long, short)]
    pub verbose: bool,

    /// Stop after this many failing cases (0: run every case whatever fails).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_failures: usize,

    /// Go on after a case in which the subject timed out. By default the run stops there: a
    /// subject that hangs usually hangs on every case, and each would cost a timeout.
    #[arg(long)]
    pub keep_going_after_timeout: bool,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub(super) fn run(args: VectorsArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let dir = args.dir.clone().unwrap_or_else(super::default_vector_dir);
    let files = super::files::vector_files(&dir)?;
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no vector files (*.json) found",
            dir.display()
        )));
    }
    let mut loaded = Vec::new();
    for (name, path) in files {
        loaded.push((name, read_vector_file(&path)?));
    }
    let profile = args.profile.profile()?;
    let mut subject = make_subject(&args.subject, &profile)?;
    let mut summary = Summary::new("vectors", profile);
    summary.subject = Some(subject.name());
    summary.set_compared(subject.emits());
    let mut by_rule: BTreeMap<String, RuleTally> = BTreeMap::new();
    let selected: Vec<(String, &VectorCase)> = loaded
        .iter()
        .flat_map(|(file_name, file)| {
            file.cases
                .iter()
                .map(move |case| (format!("{file_name}/{}", case.name), case))
        })
        .filter(|(full_name, _)| filter_matches(args.filter.as_deref(), full_name))
        .collect();
    if selected.is_empty() {
        let cases: usize = loaded.iter().map(|(_, file)| file.cases.len()).sum();
        return Err(CliError::Usage(match &args.filter {
            Some(filter) if cases > 0 => format!(
                "no vector case under {} matches the filter {filter:?} ({cases} cases in {} files)",
                dir.display(),
                loaded.len()
            ),
            _ if dir.is_file() => format!("{}: the vector file holds no case", dir.display()),
            _ => format!(
                "no vector case under {}: its {} vector files hold no case",
                dir.display(),
                loaded.len()
            ),
        }));
    }
    let bar = progress::bar(selected.len() as u64, json);
    for (done, (full_name, case)) in selected.iter().enumerate() {
        if let Some(reason) = stop_reason(&args, &summary) {
            summary.stop(reason, selected.len() - done);
            break;
        }
        bar.inc(1);
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
        let failure = match run_case(subject.as_mut(), case, &profile) {
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
            if args.verbose {
                bar.suspend(|| printer.line(format_args!("{}\n", failure.message)));
            }
            summary.failures.push(failure);
        }
    }
    bar.finish_and_clear();
    summary.by_rule = Some(by_rule);
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.to_text());
        if !summary.failures.is_empty() && !args.verbose {
            printer.line("(--verbose shows the diff of each failing case)");
        }
    }
    Ok(outcome)
}

/// What a case expects under `profile` (with the model's rule hits on it), or why it does not
/// apply: the file's expectation for a base profile, the model's for a profile with departures
/// switched (the base expectations pin the model, `tests/it/vectors.rs`).
/// Why the run stops before the next case, if it does: too many failures, or a subject that
/// timed out (each further case would likely cost a timeout too).
fn stop_reason(args: &VectorsArgs, summary: &Summary) -> Option<String> {
    let failures = summary.failures.len();
    if args.max_failures > 0 && failures >= args.max_failures {
        return Some(format!(
            "{failures} failing cases (--max-failures {})",
            args.max_failures
        ));
    }
    let timed_out = summary
        .failures
        .iter()
        .any(|failure| failure.kind == "timed_out");
    (timed_out && !args.keep_going_after_timeout).then(|| {
        "the subject timed out (--keep-going-after-timeout runs the other cases)".to_owned()
    })
}

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
    let mut outputs: Vec<Output> = Vec::new();
    let mut actual = Vec::new();
    for (at, fact) in case.facts.iter().enumerate() {
        outputs.clear();
        subject.ingest(at, fact, &mut outputs)?;
        actual.extend(outputs.drain(..).map(|output| Emitted { at, output }));
    }
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
        StrComparison::new(&pretty(expected), &pretty(actual))
    );
    Failure {
        name: full_name.to_owned(),
        kind: "mismatch".to_owned(),
        fact_index,
        rules: case.rules.clone(),
        message,
        saved: None,
        replay: None,
        save_error: None,
    }
}

fn subject_failure(full_name: &str, case: &VectorCase, error: &SubjectError) -> Failure {
    Failure {
        name: full_name.to_owned(),
        kind: error.kind().to_owned(),
        fact_index: error.fact_index(),
        rules: case.rules.clone(),
        message: format!("FAIL {full_name}: {}\n{error}", case.rules.join(", ")),
        saved: None,
        replay: None,
        save_error: None,
    }
}

/// The index of the first fact whose outputs differ.
fn first_differing_fact(expected: &[Emitted], actual: &[Emitted]) -> Option<usize> {
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

fn pretty(outputs: &[Emitted]) -> String {
    let mut text = String::new();
    for emitted in outputs {
        text.push_str(&serde_json::to_string_pretty(emitted).unwrap_or_default());
        text.push('\n');
    }
    if text.is_empty() {
        text.push_str("(no outputs)\n");
    }
    text
}

/// The filter of `--filter` (the same syntax as `REVIEW_SPEC_FILTER` in the test suite).
fn filter_matches(filter: Option<&str>, full_name: &str) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let terms: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .collect();
    let (negative, positive): (Vec<&str>, Vec<&str>) =
        terms.iter().partition(|term| term.starts_with('-'));
    let included = positive.is_empty() || positive.iter().any(|term| full_name.contains(term));
    included
        && !negative
            .iter()
            .any(|term| full_name.contains(term.trim_start_matches('-')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_positive_and_negative_terms() {
        let name = "grant/grant-2-non-empty/x";
        assert!(filter_matches(None, name));
        assert!(filter_matches(Some("grant"), name));
        assert!(!filter_matches(Some("grant,-grant-2"), name));
        assert!(!filter_matches(Some("dedup"), name));
    }
}
