//! `check` as a library: the model against any [`Subject`] on generated cases, on as many
//! threads as asked, over the whole run or one shard of it. `review-spec check` is a thin wrapper
//! over [`run_check`]; an implementer's Rust test calls it directly:
//!
//! ```
//! use review_spec::{CheckOptions, Limits, Reducer, Seed, Subject, run_check};
//!
//! let seed = Seed::parse("7").expect("a decimal seed");
//! let mut options = CheckOptions::new(seed, 50);
//! options.jobs = 2;
//! // One subject per worker thread: your reducer behind the `Subject` trait, or a process.
//! let make = || Ok(Box::new(Reducer::new(Limits::default())) as Box<dyn Subject>);
//! let summary = run_check(&make, &options, &mut |_| {})?;
//! assert!(summary.failures.is_empty(), "{}", summary.to_text());
//! assert_eq!(summary.cases, 50);
//! # Ok::<(), review_spec::SubjectError>(())
//! ```
//!
//! A run is a sequence of cases, each drawn from its own seed ([`CaseSeeds`]): case `i` is the
//! same whoever draws it. Workers take the next case from a shared counter and send their
//! results back; the calling thread counts them in case order, so the cases counted, the rule
//! coverage and the first failure are those of the run in order, whatever the number of jobs.
//! A worker that finds a failing case stops the run after that case: cases before it still run
//! (an earlier one may fail too), cases after it are not counted. The first failing case is then
//! confirmed, shrunk and saved on the calling thread (`failure.rs`).
//!
//! [`Shard`] `K/N` runs the K-th of N contiguous slices of the run's cases;
//! [`merge`](merge::merge) combines the shards' summaries into the summary of the whole run.

mod failure;
pub mod merge;
mod reach;
mod seed;
mod worker;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

pub use reach::discriminated;
pub use seed::{CaseSeeds, Seed, SeedError};

use crate::event::Limits;
use crate::profile::Profile;
use crate::regression::shell_quote;
use crate::report::{DepartureReach, ShardRange, Summary};
use crate::subject::{Subject, SubjectError};

use failure::{Found, Reporting};
use worker::{CaseResult, Message, Shared, work};

/// The K-th of N contiguous, disjoint slices of a run's cases (1-based, `1/1` is the whole run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K: which slice, from 1.
    pub index: u64,
    /// N: how many slices the run is cut into.
    pub count: u64,
}

impl Shard {
    /// The whole run.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let invalid =
            || format!("invalid shard {text:?}: expected K/N with 1 <= K <= N, such as 2/8");
        let (index, count) = text.trim().split_once('/').ok_or_else(invalid)?;
        let index: u64 = index.trim().parse().map_err(|_| invalid())?;
        let count: u64 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || index > count {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }

    /// The cases of this shard, out of a run of `cases`: shards are contiguous, cover the run
    /// exactly, and differ in size by at most one case.
    pub fn cases(&self, cases: u64) -> Range<u64> {
        let bound = |k: u64| {
            u64::try_from(u128::from(cases) * u128::from(k) / u128::from(self.count))
                .unwrap_or(cases)
        };
        bound(self.index - 1)..bound(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The run's seed: case `i` is drawn from a seed derived from it.
    pub seed: Seed,
    /// The cases of the whole run (all shards).
    pub cases: u64,
    /// The slice of the run this process runs.
    pub shard: Shard,
    /// Worker threads, each with its own subject (0 counts as 1).
    pub jobs: usize,
    /// What the model follows (and the subject is told to follow).
    pub profile: Profile,
    /// Where the counterexample is saved as a vector file; not saved when None.
    pub out: Option<PathBuf>,
    /// Flags that select the subject (` --subject-cmd '...'`), for the replay commands printed.
    pub subject_flags: String,
}

impl CheckOptions {
    /// `cases` cases of `seed`'s run: the whole run, one job, the `spec` profile, nothing saved.
    pub fn new(seed: Seed, cases: u64) -> CheckOptions {
        CheckOptions {
            seed,
            cases,
            shard: Shard::WHOLE,
            jobs: 1,
            profile: Profile::SPEC,
            out: None,
            subject_flags: String::new(),
        }
    }

    /// The `review-spec check` command line that replays this run (any `--jobs` gives the same).
    pub fn command(&self) -> String {
        let shard = if self.shard == Shard::WHOLE {
            String::new()
        } else {
            format!(" --shard {}", self.shard)
        };
        format!(
            "review-spec check --seed {} --cases {}{shard}{}{}",
            shell_quote(&self.seed.text),
            self.cases,
            self.profile.flags(),
            self.subject_flags
        )
    }
}

/// What a run reports as it goes.
#[derive(Clone, Copy, Debug)]
pub enum CheckEvent<'a> {
    /// `done` of the shard's `of` cases are counted.
    Progress {
        /// Cases counted so far.
        done: u64,
        /// Cases of the shard.
        of: u64,
    },
    /// A line of the failure's report (the CLI prints it as it comes).
    Line(&'a str),
}

/// Makes one subject: called once on the calling thread, then once per further worker thread.
pub type MakeSubject<'a> = dyn Fn() -> Result<Box<dyn Subject>, SubjectError> + Sync + 'a;

/// Runs `options`' cases through the model and subjects made by `make_subject`, and returns the
/// summary: cases, facts, rule coverage, and the first failing case, shrunk (and saved under
/// `options.out`). Fails only when a subject cannot be started ([`SubjectError::Spawn`]); a
/// subject that crashes, hangs or prints garbage on a case is that case's failure.
pub fn run_check(
    make_subject: &MakeSubject<'_>,
    options: &CheckOptions,
    on_event: &mut dyn FnMut(CheckEvent<'_>),
) -> Result<Summary, SubjectError> {
    let started = Instant::now();
    let mut subject = make_subject()?;
    let profile = options.profile;
    let range = options.shard.cases(options.cases);
    let mut summary = Summary::new("check", profile);
    summary.subject = Some(subject.name());
    summary.seed = Some(options.seed.text.clone());
    // What a process subject emits is known once it has started: reset it first (an error here
    // shows again, reported, on the first case).
    let _ = subject.reset(Limits::default(), &profile);
    let start_up = started.elapsed();
    summary.set_compared(subject.emits());
    if options.shard != Shard::WHOLE {
        summary.shard = Some(ShardRange {
            index: options.shard.index,
            count: options.shard.count,
            cases_total: options.cases,
            first_case: range.start,
            end_case: range.end,
        });
    }
    let shared = Shared {
        seeds: Mutex::new(CaseSeeds::new(&options.seed, range.start)),
        end: range.end,
        stop_after: AtomicU64::new(u64::MAX),
        aborted: AtomicBool::new(false),
        profile,
    };
    let workers = Workers {
        make_subject,
        jobs: options.jobs,
        start_up,
    };
    let tally = workers.run(&shared, subject.as_mut(), range.clone(), on_event);
    if let Some(error) = tally.fatal {
        return Err(error);
    }
    summary.cases = usize::try_from(tally.counted).unwrap_or(usize::MAX);
    summary.facts = tally.facts;
    summary.add_hits(&tally.hits);
    summary.departure_reach = Some(tally.reach);
    if let Some(found) = tally.failure {
        let mut say = |line: &str| on_event(CheckEvent::Line(line));
        let mut reporting = Reporting {
            profile,
            found_by: options.command(),
            replay_flags: &options.subject_flags,
            out: options.out.as_deref(),
            say: &mut say,
            make_subject,
        };
        let failure =
            failure::report_failure(subject.as_mut(), &found, summary.cases, &mut reporting);
        summary.failures.push(failure);
    }
    Ok(summary)
}

/// The workers of a run: `jobs` of them, this thread's and others with a subject each, made by
/// `make_subject` once this thread's has agreed on cases for `start_up` (the time it took to
/// start).
struct Workers<'m> {
    make_subject: &'m MakeSubject<'m>,
    jobs: usize,
    start_up: std::time::Duration,
}

impl Workers<'_> {
    /// Runs the `cases` of `shared` on `subject` (on this thread, the one a failure is reported
    /// on) and on the other workers; the results, counted in case order.
    fn run(
        &self,
        shared: &Shared,
        subject: &mut dyn Subject,
        cases: Range<u64>,
        on_event: &mut dyn FnMut(CheckEvent<'_>),
    ) -> Tally {
        let (make_subject, start_up) = (self.make_subject, self.start_up);
        let of = cases.end - cases.start;
        let mut tally = Tally::new(cases.start);
        let (sender, receiver) = mpsc::channel::<Message>();
        let others_start: OnceLock<bool> = OnceLock::new();
        std::thread::scope(|scope| {
            // No more workers than cases: a subject with nothing to do is not started.
            let workers = self
                .jobs
                .clamp(1, usize::try_from(of).unwrap_or(usize::MAX).max(1));
            // The other workers start their subjects once this thread's has agreed on cases for as
            // long as it took to start (at once for a subject in process): more subjects pay once
            // the run is longer than their start-up, and a subject that fails at once is shrunk and
            // confirmed without processes that would only compete for the cores and be waited for.
            for _ in 1..workers {
                let sender = sender.clone();
                let others_start = &others_start;
                scope.spawn(move || match others_start.wait().then(make_subject) {
                    None => {}
                    Some(Ok(mut subject)) => {
                        work(shared, subject.as_mut(), false, &mut |message| {
                            // The receiver lives until every worker is done.
                            let _ = sender.send(message);
                        })
                    }
                    Some(Err(error)) => {
                        shared.abort();
                        let _ = sender.send(Message::Fatal(error));
                    }
                });
            }
            drop(sender);
            let working = Instant::now();
            work(shared, subject, true, &mut |message| {
                if let Message::Case(case) = &message {
                    if case.failure.is_some() {
                        let _ = others_start.set(false);
                    } else if working.elapsed() >= start_up {
                        let _ = others_start.set(true);
                    }
                }
                tally.accept(message);
                while let Ok(message) = receiver.try_recv() {
                    tally.accept(message);
                }
                on_event(CheckEvent::Progress {
                    done: tally.counted,
                    of,
                });
            });
            // This thread's cases are over (the run ended, or failed): nobody else starts.
            let _ = others_start.set(false);
            for message in receiver {
                tally.accept(message);
                on_event(CheckEvent::Progress {
                    done: tally.counted,
                    of,
                });
            }
        });
        tally
    }
}

/// The results counted in case order, up to and including the first failing case.
struct Tally {
    /// The next case to count.
    next: u64,
    /// Results that arrived before an earlier case's.
    pending: BTreeMap<u64, CaseResult>,
    counted: u64,
    facts: usize,
    hits: BTreeMap<&'static str, usize>,
    reach: DepartureReach,
    failure: Option<Found>,
    fatal: Option<SubjectError>,
}

impl Tally {
    fn new(first: u64) -> Tally {
        Tally {
            next: first,
            pending: BTreeMap::new(),
            counted: 0,
            facts: 0,
            hits: BTreeMap::new(),
            reach: DepartureReach::default(),
            failure: None,
            fatal: None,
        }
    }

    fn accept(&mut self, message: Message) {
        let result = match message {
            Message::Fatal(error) => {
                self.fatal.get_or_insert(error);
                return;
            }
            Message::Case(result) => result,
        };
        if self.failure.is_some() {
            return;
        }
        self.pending.insert(result.index, result);
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
            self.counted += 1;
            self.facts += result.facts;
            for (rule, count) in result.hits {
                *self.hits.entry(rule).or_insert(0) += count;
            }
            self.reach.count(&result.discriminated);
            if result.failure.is_some() {
                self.failure = result.failure;
                self.pending.clear();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::generators;
    use crate::profile::Departure;

    #[test]
    fn shards_are_contiguous_and_cover_the_run_exactly() {
        for (cases, count) in [(0, 1), (10, 3), (1000, 7), (5, 8), (u64::MAX, 3)] {
            let mut next = 0;
            for index in 1..=count {
                let range = Shard { index, count }.cases(cases);
                assert_eq!(range.start, next, "{index}/{count} of {cases}");
                assert!(range.end - range.start <= cases / count + 1);
                next = range.end;
            }
            assert_eq!(next, cases);
        }
    }

    #[test]
    fn each_shard_draws_the_whole_run_s_cases_for_its_slice() {
        let Ok(seed) = Seed::parse("0xa858ae5") else {
            panic!("a hex seed parses");
        };
        let whole: Vec<(u64, u64)> = CaseSeeds::new(&seed, 0).take(100).collect();
        let mut joined = Vec::new();
        for index in 1..=3 {
            let range = Shard { index, count: 3 }.cases(100);
            let len = usize::try_from(range.end - range.start).unwrap_or(0);
            joined.extend(CaseSeeds::new(&seed, range.start).take(len));
        }
        assert_eq!(joined, whole);
    }

    #[test]
    fn shard_flags_parse_and_nonsense_does_not() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert_eq!(Shard::parse(" 1/1 "), Ok(Shard::WHOLE));
        for bad in ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// The calling thread counts results in case order: a later case's result waits for the
    /// earlier ones, and nothing after the first failure is counted.
    #[test]
    fn results_are_counted_in_case_order_up_to_the_first_failure() {
        let case = |index: u64, failing: bool| {
            Message::Case(CaseResult {
                index,
                facts: 10 + usize::try_from(index).unwrap_or(0),
                hits: BTreeMap::from([("GRANT-1", 1)]),
                discriminated: vec![Departure::Turn1],
                failure: failing.then(|| Found {
                    case: generators::case_from_seed(index),
                    history: Vec::new(),
                    found_by_this_subject: false,
                }),
            })
        };
        let mut tally = Tally::new(5);
        tally.accept(case(7, false));
        tally.accept(case(6, true));
        assert_eq!(tally.counted, 0, "case 5 has not arrived");
        tally.accept(case(8, true));
        tally.accept(case(5, false));
        assert_eq!((tally.counted, tally.facts), (2, 15 + 16));
        assert_eq!(tally.hits.get("GRANT-1"), Some(&2));
        assert_eq!(
            (tally.reach.cases, tally.reach.of(Departure::Turn1)),
            (2, 2)
        );
        assert!(tally.failure.is_some());
        tally.accept(case(9, false));
        assert_eq!(
            tally.counted, 2,
            "a case after the first failure was counted"
        );
    }
}
