//! The workers of a `check` run: what they share (the case seeds, the end, where the run stops),
//! what they send (each case's result), and how each runs cases on its own subject, with the
//! model drawing and reducing cases ahead for a subject that reduces apart.

use std::collections::{BTreeMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use super::failure::Found;
use super::{CaseSeeds, discriminated};
use crate::diff;
use crate::event::Limits;
use crate::generators::{self, GeneratedCase};
use crate::model;
use crate::profile::{Departure, Profile};
use crate::subject::{Subject, SubjectError};
use crate::trace::HistoryTrace;

/// How many earlier traces a worker remembers for a history-dependent failure.
const HISTORY_MAX: usize = 64;

/// What the workers share: the case seeds, the end of the shard, and where the run stops.
pub(super) struct Shared {
    pub(super) seeds: Mutex<CaseSeeds>,
    pub(super) end: u64,
    /// The earliest failing case found so far: no later case is taken.
    pub(super) stop_after: AtomicU64,
    /// A subject could not be started: no case is taken.
    pub(super) aborted: AtomicBool,
    pub(super) profile: Profile,
}

impl Shared {
    /// The next case to run, with its seed, unless the run is over.
    pub(super) fn take(&self) -> Option<(u64, u64)> {
        if self.aborted.load(Ordering::Relaxed) {
            return None;
        }
        let mut seeds = self
            .seeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let index = seeds.next_index();
        if index >= self.end || index > self.stop_after.load(Ordering::Relaxed) {
            return None;
        }
        seeds.next()
    }

    pub(super) fn abort(&self) {
        self.aborted.store(true, Ordering::Relaxed);
    }
}

/// What a worker sends the calling thread.
pub(super) enum Message {
    Case(CaseResult),
    /// A subject could not be started: the run ends with this error.
    Fatal(SubjectError),
}

/// One case's result.
pub(super) struct CaseResult {
    pub(super) index: u64,
    pub(super) facts: usize,
    pub(super) hits: BTreeMap<&'static str, usize>,
    /// The departures the case discriminates.
    pub(super) discriminated: Vec<Departure>,
    pub(super) failure: Option<Found>,
}

/// Runs cases on `subject` until the run is over or a case fails; `calling_thread` says whether
/// `subject` is the one the failure report runs on. For a subject that reduces apart (a
/// process), the cases are drawn and reduced by the model ahead, on another thread, while the
/// subject works on the one before: the verdicts are the same, the subject waits less.
pub(super) fn work(
    shared: &Shared,
    subject: &mut dyn Subject,
    calling_thread: bool,
    send: &mut dyn FnMut(Message),
) {
    let profile = shared.profile;
    // The traces this subject ran before the current case, oldest first: the process's first is
    // the empty trace it was opened with, to learn what it emits.
    let mut worker = Worker {
        shared,
        calling_thread,
        history: VecDeque::from([HistoryTrace {
            limits: Limits::default(),
            facts: Vec::new(),
        }]),
    };
    // The process starts on that empty trace, so that what it reads is known before the first
    // case is drawn (an error here shows again, reported, on the first case).
    let _ = subject.reset(Limits::default(), &profile);
    if !subject.reduces_apart() {
        while let Some((index, seed)) = shared.take() {
            let case = draw(seed, &profile, subject.facts_version());
            if worker.run(subject, index, case, None, send).is_break() {
                return;
            }
        }
        return;
    }
    let facts_version = subject.facts_version();
    std::thread::scope(|scope| {
        let (ready, prepared) = mpsc::sync_channel::<Prepared>(CASES_AHEAD);
        scope.spawn(move || {
            while let Some((index, seed)) = shared.take() {
                let case = draw(seed, &profile, facts_version);
                let reduction = model::reduce_counting(&case.facts, &case.limits, &profile);
                let discriminated = discriminated(&case.facts, &case.limits, &profile, &reduction);
                // The worker stopped: the cases it did not take are not run.
                let prepared = Prepared {
                    index,
                    seed,
                    case,
                    reduction,
                    discriminated,
                };
                if ready.send(prepared).is_err() {
                    return;
                }
            }
        });
        // Taken by value: dropped when this loop ends, which ends the thread above.
        for prepared in prepared {
            // Drawn before a failure at an earlier case was known: not run.
            if prepared.index > shared.stop_after.load(Ordering::Relaxed) {
                return;
            }
            let (case, ahead) = if subject.facts_version() == facts_version {
                (
                    prepared.case,
                    Some((prepared.reduction, prepared.discriminated)),
                )
            } else {
                // The process restarted reading an older trace format: drawn again for it.
                (draw(prepared.seed, &profile, subject.facts_version()), None)
            };
            if worker
                .run(subject, prepared.index, case, ahead, send)
                .is_break()
            {
                return;
            }
        }
    });
}

/// How many cases the model prepares ahead of a subject that reduces apart.
const CASES_AHEAD: usize = 2;

/// A case drawn and reduced by the model ahead of the subject.
struct Prepared {
    index: u64,
    seed: u64,
    case: GeneratedCase,
    reduction: model::Reduction,
    discriminated: Vec<Departure>,
}

/// The case of `seed`, with only what `profile` can express and the subject reads.
fn draw(seed: u64, profile: &Profile, facts_version: u32) -> GeneratedCase {
    generators::case_from_seed(seed)
        .expressible_under(profile)
        .in_trace_format(facts_version)
}

/// A worker's run: what it shares with the others, and the traces its subject saw.
struct Worker<'s> {
    shared: &'s Shared,
    calling_thread: bool,
    history: VecDeque<HistoryTrace>,
}

impl Worker<'_> {
    /// Runs case `index` on `subject` (against the model's reduction and the departures it
    /// discriminates when they were computed `ahead`) and sends its result; breaks when the case
    /// failed or the subject cannot be started.
    fn run(
        &mut self,
        subject: &mut dyn Subject,
        index: u64,
        case: GeneratedCase,
        ahead: Option<(model::Reduction, Vec<Departure>)>,
        send: &mut dyn FnMut(Message),
    ) -> ControlFlow<()> {
        let profile = self.shared.profile;
        let (reduction, discriminated, failed) = match compared(subject, &case, &profile, ahead) {
            Ok(compared) => compared,
            Err(error) => {
                self.shared.abort();
                send(Message::Fatal(error));
                return ControlFlow::Break(());
            }
        };
        let hits = reduction.rule_hits;
        let facts = case.facts.len();
        if failed {
            self.shared.stop_after.fetch_min(index, Ordering::Relaxed);
            let failure = Found {
                case,
                history: std::mem::take(&mut self.history).into(),
                found_by_this_subject: self.calling_thread,
            };
            send(Message::Case(CaseResult {
                index,
                facts,
                hits,
                discriminated,
                failure: Some(failure),
            }));
            return ControlFlow::Break(());
        }
        send(Message::Case(CaseResult {
            index,
            facts,
            hits,
            discriminated,
            failure: None,
        }));
        if self.history.len() == HISTORY_MAX {
            self.history.pop_front();
        }
        self.history.push_back(HistoryTrace {
            limits: case.limits,
            facts: case.facts,
        });
        ControlFlow::Continue(())
    }
}

/// `case` run on `subject` against the model: the model's reduction, the departures the case
/// discriminates (both as computed `ahead`, when they were) and whether the subject failed on
/// it (diverged, or crashed, hung, wrote garbage). An error only when a subject cannot be
/// started.
fn compared(
    subject: &mut dyn Subject,
    case: &GeneratedCase,
    profile: &Profile,
    mut ahead: Option<(model::Reduction, Vec<Departure>)>,
) -> Result<(model::Reduction, Vec<Departure>, bool), SubjectError> {
    // One model run per case gives the comparison, the rule coverage and the departures
    // consulted; the model runs again only for those (`reach`).
    let compared = match &mut ahead {
        // The outputs serve the comparison alone: moved there, not copied.
        Some((reduction, _)) => diff::compare_with_outputs(
            subject,
            &case.facts,
            &case.limits,
            profile,
            std::mem::take(&mut reduction.outputs),
        )
        .map(|divergence| (None, divergence.is_some())),
        None => diff::compare(subject, &case.facts, &case.limits, profile).map(|comparison| {
            let failed = comparison.divergence.is_some();
            let reduction = model::Reduction {
                outputs: comparison.model_outputs,
                rule_hits: comparison.rule_hits,
                departures_consulted: comparison.departures_consulted,
            };
            (Some(reduction), failed)
        }),
    };
    let (reduction, failed) = match compared {
        Ok(compared) => compared,
        Err(error @ SubjectError::Spawn { .. }) => return Err(error),
        Err(_) => (None, true),
    };
    let (reduction, discriminated) = match (reduction, ahead) {
        (_, Some(ahead)) => ahead,
        (Some(reduction), None) => {
            let discriminated = discriminated(&case.facts, &case.limits, profile, &reduction);
            (reduction, discriminated)
        }
        (None, None) => {
            let reduction = model::reduce_counting(&case.facts, &case.limits, profile);
            let discriminated = discriminated(&case.facts, &case.limits, profile, &reduction);
            (reduction, discriminated)
        }
    };
    Ok((reduction, discriminated, failed))
}
