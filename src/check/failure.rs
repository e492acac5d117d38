//! What a run does with its first failing case: confirm it in fresh subject processes, shrink
//! it, describe it, and save it as a vector. A failure that does not reproduce from a clean start
//! is reported as history-dependent or flaky, with everything known about it (kind, fact, diff or
//! error, rules, the rate at which it repeated) and saved with the traces before it as its
//! history, never as a minimal counterexample.

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diff::{self, CONFIRMATIONS, Divergence, REPLAYS};
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
    /// Makes the fresh subjects that confirm a counterexample.
    pub(super) make_subject: &'a super::MakeSubject<'a>,
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

/// What the first run of a failing case showed: a divergence or a subject error.
#[derive(Clone)]
enum Outcome {
    Divergence(Box<Divergence>),
    Error(SubjectError),
}

/// Minimizes the failing case in the subject that found it (a reset between candidates) while
/// fresh processes start, and confirms there that the result fails every time; else checks in a
/// fresh process that the case as found fails from a clean start and minimizes again, every step
/// in a fresh process. Then describes the result and saves it.
pub(super) fn report_failure(
    subject: &mut dyn Subject,
    found: &Found,
    cases_run: usize,
    reporting: &mut Reporting<'_>,
) -> Failure {
    let profile = reporting.profile;
    let case = &found.case;
    reporting.line(format_args!(
        "FAIL after {cases_run} case{}\n{}",
        if cases_run == 1 { "" } else { "s" },
        case.swarm
    ));
    let outcome = if found.found_by_this_subject {
        diff::first_divergence(subject, &case.facts, &case.limits, &profile)
    } else {
        diff::first_divergence_after(subject, &found.history, &case.facts, &case.limits, &profile)
    };
    let outcome = match outcome {
        Ok(Some(divergence)) => Outcome::Divergence(Box::new(divergence)),
        Err(error) => Outcome::Error(error),
        // The process that found it saw other traces before: what it saw may matter.
        Ok(None) => return report_unrepeated(subject, found, None, reporting),
    };
    if let Outcome::Error(error @ SubjectError::TimedOut { .. }) = &outcome {
        reporting.line(format_args!(
            "not shrunk: a hang is not shrunk, every step would cost a timeout\n{error}\n"
        ));
        let (failure, vector) = error_failure(
            error,
            &case.facts,
            &case.limits,
            &profile,
            &reporting.found_by,
        );
        return save_and_announce(&vector, reporting, failure);
    }
    let Some((shrunk, how)) = shrink_confirmed(subject, &outcome, case, reporting) else {
        return report_unrepeated(subject, found, Some(outcome), reporting);
    };
    reporting.line(format_args!(
        "shrunk by deleting facts: {} to {} ({how}; confirmed in {CONFIRMATIONS} fresh processes)",
        case.facts.len(),
        shrunk.facts.len()
    ));
    let (failure, vector) = match &shrunk.outcome {
        Outcome::Divergence(divergence) => {
            reporting.line(divergence);
            divergence_failure(divergence, &reporting.found_by)
        }
        Outcome::Error(error) => {
            reporting.line(format_args!("{error}\n"));
            error_failure(
                error,
                &shrunk.facts,
                &case.limits,
                &profile,
                &reporting.found_by,
            )
        }
    };
    save_and_announce(&vector, reporting, failure)
}

/// The failing case shrunk in the process that found it, a reset between candidates, while fresh
/// processes start to confirm the result, and how it was shrunk; None when it does not fail
/// every time from a clean start.
fn shrink_confirmed(
    subject: &mut dyn Subject,
    outcome: &Outcome,
    case: &GeneratedCase,
    reporting: &Reporting<'_>,
) -> Option<(Shrunk, &'static str)> {
    let profile = reporting.profile;
    // Shrunk in the process that found it, a reset between candidates, while fresh processes
    // start to confirm the result.
    let (mut shrunk, confirmed) = shrink_while_starting_fresh(reporting, &case.limits, || {
        shrink(subject, outcome, case, &profile)
    });
    let mut how = "in one subject process, a reset between candidates";
    if !confirmed {
        // The subject carries something across resets, or is not deterministic. In a fresh
        // process, the case as found fails from a clean start, or what the process saw before
        // matters; if it fails, it is shrunk again with a fresh process for every candidate.
        subject.restart();
        if matches!(
            diff::first_divergence(subject, &case.facts, &case.limits, &profile),
            Ok(None)
        ) {
            return None;
        }
        let again = shrink_while_starting_fresh(reporting, &case.limits, || {
            shrink(&mut Fresh(subject), outcome, case, &profile)
        });
        shrunk = again.0;
        how = "each step in a fresh process, as shrinking in one process gave a case that did \
               not fail in fresh ones";
        if !again.1 {
            return None;
        }
    }
    Some((shrunk, how))
}

/// A failure that does not repeat every time in a fresh process. The traces the process ran
/// before may matter: when a run of them (the shortest, trying the last 1, 2, 4, ...) makes it
/// fail every time, it is saved with them as its `history`, unshrunk. Otherwise nothing is
/// dropped either: it is reported with its kind, fact, diff or error, rules and the rate at
/// which it repeated after all the traces before it, and saved with them as its history.
fn report_unrepeated(
    subject: &mut dyn Subject,
    found: &Found,
    first: Option<Outcome>,
    reporting: &mut Reporting<'_>,
) -> Failure {
    let profile = reporting.profile;
    let case = &found.case;
    let alone = diff::reproductions(subject, &[], &case.facts, &case.limits, &profile);
    let reproducing =
        diff::reproducing_history(subject, &found.history, &case.facts, &case.limits, &profile);
    let (history, rate_note) = match &reproducing {
        Some(before) => (
            before.clone(),
            format!(
                "history-dependent: the failing case agrees in a fresh subject process, and \
                 fails there after the {} traces before it ({REPLAYS} of {REPLAYS} times); \
                 saved with them as its history, not shrunk",
                before.len()
            ),
        ),
        None => {
            let after =
                diff::reproductions(subject, &found.history, &case.facts, &case.limits, &profile);
            let what = if alone == 0 {
                "history-dependent".to_owned()
            } else {
                "flaky".to_owned()
            };
            (
                found.history.clone(),
                format!(
                    "{what}: the failing case failed again in {alone} of {REPLAYS} fresh subject \
                     processes ({}%), and in {after} of {REPLAYS} after the {} traces before it: \
                     the subject is not deterministic; saved with those traces as its history, \
                     not shrunk, and not a counterexample that fails every time",
                    alone * 100 / REPLAYS,
                    found.history.len()
                ),
            )
        }
    };
    // The failure as it shows after its history (or as it first showed).
    let outcome = match diff::first_divergence_after(
        subject,
        &history,
        &case.facts,
        &case.limits,
        &profile,
    ) {
        Ok(Some(divergence)) => Some(Outcome::Divergence(Box::new(divergence))),
        Err(error) => Some(Outcome::Error(error)),
        Ok(None) => first,
    };
    let kind = if reproducing.is_some() || alone == 0 {
        "history_dependent"
    } else {
        "flaky"
    };
    let (mut failure, mut vector) = match &outcome {
        Some(Outcome::Divergence(divergence)) => {
            divergence_failure(divergence, &reporting.found_by)
        }
        Some(Outcome::Error(error)) => error_failure(
            error,
            &case.facts,
            &case.limits,
            &profile,
            &reporting.found_by,
        ),
        None => {
            let (failure, vector) = no_outcome_failure(case, &profile, &reporting.found_by);
            (failure, vector)
        }
    };
    let detail = std::mem::take(&mut failure.message_colored);
    failure.name = regression::name(kind, &case.facts);
    failure.kind = kind.to_owned();
    failure.repeated_in = Some(format!("{alone}/{REPLAYS}"));
    failure.set_message(format!("{rate_note}\n{detail}"));
    vector.name = failure.name.clone();
    vector.description = format!("{} {}", vector.description, rate_note);
    vector.history = history;
    reporting.line(failure.colored());
    save_and_announce(&vector, reporting, failure)
}

/// A failure seen once and never again: only the case is known.
fn no_outcome_failure(
    case: &GeneratedCase,
    profile: &Profile,
    found_by: &str,
) -> (Failure, VectorCase) {
    let (expected, upstream) = diff::expectations(&case.facts, &case.limits);
    let failure = Failure::new(
        String::new(),
        "",
        None,
        Vec::new(),
        "(the failure did not show again: its outputs are not known)".to_owned(),
    );
    let vector = VectorCase {
        history: Vec::new(),
        name: String::new(),
        description: "Regression: the subject failed once on these facts.".to_owned(),
        rules: model::reduce_with_hits(&case.facts, &case.limits, profile)
            .1
            .keys()
            .map(|rule| (*rule).to_owned())
            .collect(),
        limits: case.limits,
        facts: case.facts.clone(),
        expected,
        upstream,
        profile: diff::found_under(profile),
        see: Some(found_by.to_owned()),
    };
    (failure, vector)
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

/// A failure shrunk: the facts left, and how the subject fails on them.
struct Shrunk {
    facts: Vec<Fact>,
    outcome: Outcome,
}

/// Shrinks the failing case by deleting facts, every candidate run in `subject` after a reset
/// (a [`Fresh`] subject: in a fresh process each). A divergence keeps its symptom, an error its
/// kind; a shrink that the subject interrupts with an error keeps the case as it is.
fn shrink(
    subject: &mut dyn Subject,
    outcome: &Outcome,
    case: &GeneratedCase,
    profile: &Profile,
) -> Shrunk {
    match outcome {
        Outcome::Divergence(divergence) => {
            let divergence = diff::minimize(subject, (**divergence).clone())
                .unwrap_or_else(|_| (**divergence).clone());
            Shrunk {
                facts: divergence.facts.clone(),
                outcome: Outcome::Divergence(Box::new(divergence)),
            }
        }
        Outcome::Error(error) => {
            let (error, facts) =
                minimize_error(subject, &case.facts, &case.limits, profile, error.clone());
            Shrunk {
                facts,
                outcome: Outcome::Error(error),
            }
        }
    }
}

/// Runs `shrink` on this thread while [`CONFIRMATIONS`] fresh subjects start on others, all at
/// once (made by the run's own maker), so that no start-up waits for the shrinking or for
/// another; then runs the shrunk case in each. Also returns whether it failed in every one: a
/// counterexample that fails every time from a clean start. A subject that cannot be made, or
/// fails, is the failure repeating (as in `diff::reproductions`).
fn shrink_while_starting_fresh(
    reporting: &Reporting<'_>,
    limits: &Limits,
    shrink: impl FnOnce() -> Shrunk,
) -> (Shrunk, bool) {
    let (profile, make_subject) = (reporting.profile, reporting.make_subject);
    // The shrunk facts, once known; None when the shrinking ended without them (it panicked).
    let plan: OnceLock<Option<Vec<Fact>>> = OnceLock::new();
    let repeated = AtomicUsize::new(0);
    let shrunk = std::thread::scope(|scope| {
        for _ in 0..CONFIRMATIONS {
            scope.spawn(|| {
                let made = make_subject();
                let Some(facts) = plan.wait() else {
                    return;
                };
                let fails = made.map_or(true, |mut fresh| {
                    let result = diff::first_divergence(fresh.as_mut(), facts, limits, &profile);
                    !matches!(result, Ok(None))
                });
                if fails {
                    repeated.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // However the shrinking ends, the threads above are given a plan and end.
        struct Planned<'p>(&'p OnceLock<Option<Vec<Fact>>>);
        impl Drop for Planned<'_> {
            fn drop(&mut self) {
                let _ = self.0.set(None);
            }
        }
        let planned = Planned(&plan);
        let shrunk = shrink();
        let _ = planned.0.set(Some(shrunk.facts.clone()));
        shrunk
    });
    let confirmed = repeated.load(Ordering::Relaxed) == CONFIRMATIONS;
    (shrunk, confirmed)
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
    let failure = Failure::new(
        name,
        "divergence",
        Some(divergence.fact_index),
        divergence.rules.iter().map(|r| (*r).to_owned()).collect(),
        divergence.to_string(),
    );
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
    // The rules that decided something at the fact the subject failed on (the model's record).
    let at = error.fact_index();
    let mut rules: Vec<String> = Vec::new();
    for decision in at
        .and_then(|index| explained.fact_decisions.get(index))
        .into_iter()
        .flatten()
    {
        if !rules.iter().any(|rule| rule == decision.rule) {
            rules.push(decision.rule.to_owned());
        }
    }
    // A fact no rule decided anything at is still accounted for by the rules applied to it.
    let applied: Vec<String> = at
        .and_then(|index| explained.fact_rules.get(index))
        .into_iter()
        .flatten()
        .map(|rule| (*rule).to_owned())
        .collect();
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
            applied
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
    let failure = Failure::new(
        name,
        error.kind(),
        error.fact_index(),
        rules,
        error.to_string(),
    );
    (failure, vector)
}
