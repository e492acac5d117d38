//! `check`: the model against a subject on random generated scenarios.
//!
//! Prints the seed first (the run replays from it), draws `--cases` cases one after another, each
//! from an RNG forked off the previous case's as proptest's runner does, from per-case seeds (`generators::seeded_case`: the same coherent scenarios as the property
//! tests, drawn without proptest's value trees, several times faster), and runs each through the
//! model and the subject. The first failing case (a divergence, or a subject that crashes, hangs
//! or prints garbage) is shrunk by [`diff::minimize`] (deleting facts while it still fails),
//! printed with its diff and rule IDs, and saved as a vector file. A
//! subject failure is shrunk the same way (deleting facts while it fails alike), except a hang:
//! each step would cost a timeout, so it is reported on the case as drawn.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, TestRunner};

use super::seed::Seed;
use super::{
    CliError, Outcome, Printer, ProfileArgs, SubjectArgs, make_subject, profile_flags, progress,
    shell_quote,
};
use crate::diff::{self, Divergence, REPLAYS};
use crate::event::Limits;
use crate::fact::Fact;
use crate::generators::{self, GeneratedCase};
use crate::model;
use crate::profile::Profile;
use crate::regression;
use crate::report::{Failure, Summary};
use crate::subject::{Fresh, Subject, SubjectError};
use crate::trace::{HistoryTrace, VectorCase};

#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// How many random cases to run.
    #[arg(long, default_value_t = 1000)]
    pub cases: u32,

    /// The seed (a decimal u64, or up to 64 hex digits such as a git commit hash); printed first.
    /// Default: a random seed.
    #[arg(long)]
    pub seed: Option<String>,

    /// Where to write the counterexample as a vector file. Default: spec/vectors/regressions/ if
    /// it exists, else the current directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// How many earlier traces a run remembers for a history-dependent failure.
const HISTORY_MAX: usize = 64;

pub(super) fn run(args: CheckArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let seed = Seed::from_arg(args.seed.as_deref())?;
    let profile = args.profile.profile()?;
    let subject_flag = super::subject_flag(&args.subject);
    printer.line(format_args!(
        "seed: {} (replay: review-spec check --seed {} --cases {}{}{subject_flag})",
        seed.text,
        shell_quote(&seed.text),
        args.cases,
        profile_flags(&profile)
    ));
    let mut subject = make_subject(&args.subject, &profile)?;
    let mut summary = Summary::new("check", profile);
    summary.subject = Some(subject.name());
    summary.seed = Some(seed.text.clone());
    summary.set_compared(subject.emits());
    // Cases are drawn one after another from the seed's RNG (each from a seed of its own, see
    // `generators::seeded_case`); the first failure ends the run and is shrunk by deleting facts.
    // Each case's RNG is forked off the previous case's, as proptest's own runner does, so a seed
    // replays the cases it always did.
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = seed.runner(config.clone());
    let strategy = generators::seeded_case(profile);
    let bar = progress::bar(u64::from(args.cases), json);
    // The last traces the subject ran before the current case, oldest first (at most
    // HISTORY_MAX): what a history-dependent failure is reproduced with. The process's first
    // trace is the empty one `make_subject` opened it with, to learn what it emits.
    let mut history = VecDeque::from([HistoryTrace {
        limits: Limits::default(),
        facts: Vec::new(),
    }]);
    let mut failed = None;
    for _ in 0..args.cases {
        runner = TestRunner::new_with_rng(config.clone(), runner.new_rng());
        let case = strategy
            .new_tree(&mut runner)
            .map_err(|reason| CliError::Usage(format!("the generator gave up: {reason}")))?
            .current();
        // One model run per case gives both the comparison and the rule coverage.
        let compared = diff::compare(subject.as_mut(), &case.facts, &case.limits, &profile);
        summary.cases += 1;
        summary.facts += case.facts.len();
        match &compared {
            Ok(comparison) => summary.add_hits(&comparison.rule_hits),
            Err(_) => {
                summary.add_hits(&model::reduce_with_hits(&case.facts, &case.limits, &profile).1)
            }
        }
        bar.inc(1);
        match compared.map(|comparison| comparison.divergence) {
            Ok(None) => {}
            Ok(Some(_)) => {
                failed = Some(case);
                break;
            }
            Err(error @ SubjectError::Spawn { .. }) => {
                bar.finish_and_clear();
                return Err(CliError::Subject(error));
            }
            Err(_) => {
                failed = Some(case);
                break;
            }
        }
        if history.len() == HISTORY_MAX {
            history.pop_front();
        }
        history.push_back(HistoryTrace {
            limits: case.limits,
            facts: case.facts,
        });
    }
    bar.finish_and_clear();
    if let Some(case) = failed {
        let failure = report_failure(
            &args,
            &seed,
            subject.as_mut(),
            &case,
            &history,
            summary.cases,
            &printer,
        )?;
        summary.failures.push(failure);
    }
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.to_text());
    }
    Ok(outcome)
}

/// Confirms the failing case in fresh subject processes, minimizes it (every step in a fresh
/// process), prints it, saves it as a vector, and describes it. A failure that does not
/// reproduce from a clean start is reported as history-dependent (saved with the traces before
/// it, when they reproduce it) or flaky (with its reproduction rate), never as a minimal
/// counterexample.
#[allow(clippy::too_many_arguments)]
fn report_failure(
    args: &CheckArgs,
    seed: &Seed,
    subject: &mut dyn Subject,
    case: &GeneratedCase,
    history: &VecDeque<HistoryTrace>,
    cases_run: usize,
    printer: &Printer,
) -> Result<Failure, CliError> {
    let profile = &args.profile.profile()?;
    let found_by = format!(
        "review-spec check --seed {} --cases {}{}{}",
        shell_quote(&seed.text),
        args.cases,
        profile_flags(profile),
        super::subject_flag(&args.subject)
    );
    printer.line(format_args!(
        "FAIL after {cases_run} case{}; shrunk by deleting facts\n{}",
        if cases_run == 1 { "" } else { "s" },
        case.swarm
    ));
    let outcome = diff::first_divergence(subject, &case.facts, &case.limits, profile);
    let (failure, vector) = match outcome {
        Ok(Some(divergence)) => {
            let fresh = diff::reproductions(subject, &[], &case.facts, &case.limits, profile);
            if fresh == 0 {
                return report_history_dependent(
                    args, subject, case, history, profile, &found_by, printer,
                );
            }
            if fresh < REPLAYS {
                return Ok(flaky(fresh, printer));
            }
            let mut fresh_subject = Fresh(subject);
            let divergence =
                diff::minimize(&mut fresh_subject, divergence.clone()).unwrap_or(divergence);
            let replayed = diff::reproductions(
                subject,
                &[],
                &divergence.facts,
                &divergence.limits,
                &divergence.profile,
            );
            if replayed < REPLAYS {
                return Ok(flaky(replayed, printer));
            }
            printer.line(&divergence);
            divergence_failure(&divergence, &found_by)
        }
        Err(error @ SubjectError::TimedOut { .. }) => {
            printer.line(format_args!(
                "{error}\n(a hang is not shrunk: every step would cost a timeout)\n"
            ));
            error_failure(&error, &case.facts, &case.limits, profile, &found_by)
        }
        Err(error) => {
            // Every candidate in a fresh process: a crash after the process's Nth fact must
            // not make every shorter sequence look like it crashes too.
            let error = minimize_error(
                &mut Fresh(subject),
                &case.facts,
                &case.limits,
                profile,
                error,
            );
            printer.line(format_args!("{}\n", error.0));
            error_failure(&error.0, &error.1, &case.limits, profile, &found_by)
        }
        Ok(None) => {
            let failure = Failure {
                name: "generated case".to_owned(),
                kind: "flaky".to_owned(),
                fact_index: None,
                rules: Vec::new(),
                message: "the subject failed on this case once, then agreed on it: it is not deterministic".to_owned(),
                saved: None,
                replay: None,
                save_error: None,
            };
            printer.line(&failure.message);
            return Ok(failure);
        }
    };
    Ok(save_and_announce(args, &vector, printer, failure))
}

/// A failure that reproduces only sometimes from a clean start: reported with its rate, not
/// saved as a counterexample.
fn flaky(reproduced: usize, printer: &Printer) -> Failure {
    let failure = Failure {
        name: "generated case".to_owned(),
        kind: "flaky".to_owned(),
        fact_index: None,
        rules: Vec::new(),
        message: format!(
            "flaky: the failing case failed again in {reproduced} of {REPLAYS} fresh subject \
             processes ({}%): the subject is not deterministic; nothing is saved, since a \
             counterexample that does not fail every time is not one",
            reproduced * 100 / REPLAYS
        ),
        saved: None,
        replay: None,
        save_error: None,
    };
    printer.line(&failure.message);
    failure
}

/// A failure that does not reproduce in a fresh process: the traces the process ran before
/// matter. Saved with the shortest run of earlier traces that reproduces it every time, as a
/// vector case with a `history`.
fn report_history_dependent(
    args: &CheckArgs,
    subject: &mut dyn Subject,
    case: &GeneratedCase,
    history: &VecDeque<HistoryTrace>,
    profile: &Profile,
    found_by: &str,
    printer: &Printer,
) -> Result<Failure, CliError> {
    let history: Vec<HistoryTrace> = history.iter().cloned().collect();
    let reproducing =
        diff::reproducing_history(subject, &history, &case.facts, &case.limits, profile);
    let mut failure = Failure {
        name: regression::name("history-dependent", &case.facts),
        kind: "history_dependent".to_owned(),
        fact_index: None,
        rules: Vec::new(),
        message: String::new(),
        saved: None,
        replay: None,
        save_error: None,
    };
    let Some(before) = reproducing else {
        failure.message = format!(
            "history-dependent: the failing case agrees in a fresh subject process, and the last \
             {} traces before it do not make it fail again: the subject's verdict depends on \
             what its process saw earlier in the run; nothing is saved",
            history.len()
        );
        printer.line(&failure.message);
        return Ok(failure);
    };
    let divergence =
        diff::first_divergence_after(subject, &before, &case.facts, &case.limits, profile)
            .ok()
            .flatten();
    let Some(divergence) = divergence else {
        failure.message = "history-dependent: the failure did not reproduce again".to_owned();
        printer.line(&failure.message);
        return Ok(failure);
    };
    let mut vector = divergence.to_vector_case(&failure.name, found_by);
    vector.description = format!(
        "History-dependent: {} diverges from the model at fact {} only after the {} traces of \
         `history` ran in the same process.",
        divergence.subject,
        divergence.fact_index,
        before.len()
    );
    vector.history = before;
    failure.fact_index = Some(divergence.fact_index);
    failure.rules = divergence.rules.iter().map(|r| (*r).to_owned()).collect();
    failure.message = format!(
        "history-dependent: the failing case agrees in a fresh subject process, and fails there \
         after the {} traces before it ({REPLAYS} of {REPLAYS} times); saved with them as its \
         history, unshrunk\n{divergence}",
        vector.history.len()
    );
    printer.line(&failure.message);
    Ok(save_and_announce(args, &vector, printer, failure))
}

/// Saves a counterexample as a vector and prints where, with the command that replays it, into
/// `failure`. A counterexample that cannot be saved is still a failure (exit 1): the error is
/// reported, and the trace printed above reproduces it.
fn save_and_announce(
    args: &CheckArgs,
    vector: &VectorCase,
    printer: &Printer,
    failure: Failure,
) -> Failure {
    match save(vector, args.out.as_deref()) {
        Ok(path) => {
            let replay = format!(
                "review-spec replay {}{}",
                shell_quote(&path.display().to_string()),
                super::subject_flag(&args.subject)
            );
            printer.line(format_args!(
                "saved the counterexample as {}\nreplay: {replay}\n",
                path.display()
            ));
            Failure {
                saved: Some(path.display().to_string()),
                replay: Some(replay),
                ..failure
            }
        }
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "review-spec: error: cannot save the counterexample: {error}"
            );
            printer.line(format_args!(
                "could not save the counterexample ({error}); the trace above reproduces it\n"
            ));
            Failure {
                save_error: Some(error.to_string()),
                ..failure
            }
        }
    }
}

/// Shrinks a sequence on which the subject fails (rather than diverges) by deleting facts for as
/// long as it still fails the same way.
fn minimize_error(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    error: SubjectError,
) -> (SubjectError, Vec<Fact>) {
    let fails = |subject: &mut dyn Subject, facts: &[Fact], kind: &str| match diff::first_divergence(
        subject, facts, limits, profile,
    ) {
        Err(error) if error.kind() == kind => Some(error),
        _ => None,
    };
    let kind = error.kind();
    let mut best = (error, facts.to_vec());
    if let Some(index) = best.0.fact_index().filter(|index| *index < best.1.len()) {
        let truncated = best.1[..=index].to_vec();
        if let Some(error) = fails(subject, &truncated, kind) {
            best = (error, truncated);
        }
    }
    let (error, facts) = best;
    match crate::shrink::delete_facts(facts, error, |candidate| {
        Ok::<_, std::convert::Infallible>(fails(subject, candidate, kind))
    }) {
        Ok((facts, error)) => (error, facts),
        Err(never) => match never {},
    }
}

fn divergence_failure(divergence: &Divergence, found_by: &str) -> (Failure, VectorCase) {
    let name = regression::divergence_name(divergence);
    let vector = divergence.to_vector_case(&name, found_by);
    let failure = Failure {
        name,
        kind: "divergence".to_owned(),
        fact_index: Some(divergence.fact_index),
        rules: divergence.rules.iter().map(|r| (*r).to_owned()).collect(),
        message: divergence.to_string(),
        saved: None,
        replay: None,
        save_error: None,
    };
    (failure, vector)
}

fn error_failure(
    error: &SubjectError,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    found_by: &str,
) -> (Failure, VectorCase) {
    let explained = model::reduce_explained(facts, limits, profile);
    let (expected, upstream) = diff::expectations(facts, limits);
    let rules: Vec<String> = error
        .fact_index()
        .and_then(|index| explained.fact_rules.get(index))
        .map(|rules| {
            rules
                .iter()
                .filter(|rule| !matches!(**rule, "FATE-2" | "ORDER-1"))
                .map(|rule| (*rule).to_owned())
                .collect()
        })
        .unwrap_or_default();
    let name = regression::name(error.kind(), facts);
    let vector = VectorCase {
        history: Vec::new(),
        name: name.clone(),
        description: format!(
            "Regression: the subject failed ({}) {}.",
            error.kind(),
            error
                .fact_index()
                .map_or("at start".to_owned(), |index| format!("at fact {index}"))
        ),
        rules: if rules.is_empty() {
            vec!["FATE-2".to_owned()]
        } else {
            rules.clone()
        },
        limits: *limits,
        facts: facts.to_vec(),
        expected,
        upstream,
        profile: diff::found_under(profile),
        see: Some(found_by.to_owned()),
    };
    let failure = Failure {
        name,
        kind: error.kind().to_owned(),
        fact_index: error.fact_index(),
        rules,
        message: error.to_string(),
        saved: None,
        replay: None,
        save_error: None,
    };
    (failure, vector)
}

/// Writes a one-case vector file under `out` (or the default folder) and returns its path.
fn save(case: &VectorCase, out: Option<&Path>) -> Result<PathBuf, CliError> {
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => {
            let regressions = super::default_vector_dir().join("regressions");
            if regressions.is_dir() {
                regressions
            } else {
                PathBuf::from(".")
            }
        }
    };
    regression::save_vector_case(&dir, case).map_err(|error| CliError::io(&dir, error))
}
