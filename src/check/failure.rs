//! What a run does with its first failing case: confirm it in fresh subject processes, shrink
//! it, describe it, and save it as a vector. A failure that does not reproduce from a clean start
//! is reported as history-dependent (saved with the traces before it, when they reproduce it) or
//! flaky (with its reproduction rate), never as a minimal counterexample.

use std::path::Path;

use crate::diff::{self, Divergence, REPLAYS};
use crate::event::Limits;
use crate::fact::Fact;
use crate::generators::GeneratedCase;
use crate::model;
use crate::profile::Profile;
use crate::regression;
use crate::report::Failure;
use crate::subject::{Fresh, Subject, SubjectError};
use crate::trace::{HistoryTrace, VectorCase};

/// How a failure is described and where it goes.
pub(super) struct Reporting<'a> {
    pub(super) profile: Profile,
    /// The command that found it (a vector's `see`).
    pub(super) found_by: String,
    /// Appended to `review-spec replay FILE` in the replay command (the subject's flag).
    pub(super) replay_flags: &'a str,
    /// Where the counterexample is saved; not saved when None.
    pub(super) out: Option<&'a Path>,
    /// Receives the report's lines as they are decided.
    pub(super) say: &'a mut dyn FnMut(&str),
}

impl Reporting<'_> {
    fn line(&mut self, text: impl std::fmt::Display) {
        (self.say)(&text.to_string());
    }
}

/// The failing case as a worker found it.
pub(super) struct Found {
    pub(super) case: GeneratedCase,
    /// The traces the worker's subject ran before the case, oldest first.
    pub(super) history: Vec<HistoryTrace>,
    /// Whether `subject` (the subject the report runs on) is the one that found the case, with
    /// its process's history intact; else the history is replayed in a fresh process first.
    pub(super) found_by_this_subject: bool,
}

/// Confirms, minimizes (every step in a fresh process), describes and saves the failing case.
pub(super) fn report_failure(
    subject: &mut dyn Subject,
    found: &Found,
    cases_run: usize,
    reporting: &mut Reporting<'_>,
) -> Failure {
    let profile = reporting.profile;
    let case = &found.case;
    reporting.line(format_args!(
        "FAIL after {cases_run} case{}; shrunk by deleting facts\n{}",
        if cases_run == 1 { "" } else { "s" },
        case.swarm
    ));
    let outcome = if found.found_by_this_subject {
        diff::first_divergence(subject, &case.facts, &case.limits, &profile)
    } else {
        diff::first_divergence_after(subject, &found.history, &case.facts, &case.limits, &profile)
    };
    let (failure, vector) = match outcome {
        Ok(Some(divergence)) => {
            let fresh = diff::reproductions(subject, &[], &case.facts, &case.limits, &profile);
            if fresh == 0 {
                return report_history_dependent(subject, found, reporting);
            }
            if fresh < REPLAYS {
                return flaky(fresh, reporting);
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
                return flaky(replayed, reporting);
            }
            reporting.line(&divergence);
            divergence_failure(&divergence, &reporting.found_by)
        }
        Err(error @ SubjectError::TimedOut { .. }) => {
            reporting.line(format_args!(
                "{error}\n(a hang is not shrunk: every step would cost a timeout)\n"
            ));
            error_failure(
                &error,
                &case.facts,
                &case.limits,
                &profile,
                &reporting.found_by,
            )
        }
        Err(error) => {
            // Every candidate in a fresh process: a crash after the process's Nth fact must
            // not make every shorter sequence look like it crashes too.
            let error = minimize_error(
                &mut Fresh(subject),
                &case.facts,
                &case.limits,
                &profile,
                error,
            );
            reporting.line(format_args!("{}\n", error.0));
            error_failure(
                &error.0,
                &error.1,
                &case.limits,
                &profile,
                &reporting.found_by,
            )
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
            reporting.line(&failure.message);
            return failure;
        }
    };
    save_and_announce(&vector, reporting, failure)
}

/// A failure that reproduces only sometimes from a clean start: reported with its rate, not
/// saved as a counterexample.
fn flaky(reproduced: usize, reporting: &mut Reporting<'_>) -> Failure {
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
    reporting.line(&failure.message);
    failure
}

/// A failure that does not reproduce in a fresh process: the traces the process ran before
/// matter. Saved with the shortest run of earlier traces that reproduces it every time, as a
/// vector case with a `history`.
fn report_history_dependent(
    subject: &mut dyn Subject,
    found: &Found,
    reporting: &mut Reporting<'_>,
) -> Failure {
    let profile = reporting.profile;
    let case = &found.case;
    let reproducing =
        diff::reproducing_history(subject, &found.history, &case.facts, &case.limits, &profile);
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
            found.history.len()
        );
        reporting.line(&failure.message);
        return failure;
    };
    let divergence =
        diff::first_divergence_after(subject, &before, &case.facts, &case.limits, &profile)
            .ok()
            .flatten();
    let Some(divergence) = divergence else {
        failure.message = "history-dependent: the failure did not reproduce again".to_owned();
        reporting.line(&failure.message);
        return failure;
    };
    let mut vector = divergence.to_vector_case(&failure.name, &reporting.found_by);
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
    reporting.line(&failure.message);
    save_and_announce(&vector, reporting, failure)
}

/// Saves a counterexample as a vector and says where, with the command that replays it, into
/// `failure`. A counterexample that cannot be saved is still a failure: the error is reported
/// (`save_error`), and the trace printed above reproduces it.
fn save_and_announce(
    vector: &VectorCase,
    reporting: &mut Reporting<'_>,
    failure: Failure,
) -> Failure {
    let Some(dir) = reporting.out else {
        return failure;
    };
    match regression::save_vector_case(dir, vector) {
        Ok(path) => {
            let replay = format!(
                "review-spec replay {}{}",
                crate::regression::shell_quote(&path.display().to_string()),
                reporting.replay_flags
            );
            reporting.line(format_args!(
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
            let error = format!("{}: {error}", dir.display());
            reporting.line(format_args!(
                "could not save the counterexample ({error}); the trace above reproduces it\n"
            ));
            Failure {
                save_error: Some(error),
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
