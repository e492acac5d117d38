//! Properties of the production reducer on its own, on generated sequences. Each property is a
//! function of a reducer constructor, so that the defect catalogue (`defects.rs`) can show that
//! each one fails on a deliberately broken reducer.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use review_spec_generators::{self as generators, GeneratedCase};
use review_spec_reducer::{Hooks, NoDefects, Reducer};
use review_spec_vocab::event::{
    DiagnosticReason, Emitted, Limits, Output, Resolution, ReviewStatus, SubjectKind, Table,
};
use review_spec_vocab::fact::{Fact, PermissionProfile, RequestId};

use crate::support::{events, proptest_config, thread_of};

/// The thread a fact belongs to: its own thread id, or for a response the thread of the request
/// with its id (None when no request or several threads used the id).
fn fact_thread(
    fact: &Fact,
    request_threads: &BTreeMap<RequestId, BTreeSet<String>>,
) -> Option<String> {
    match fact {
        Fact::Initialize { .. } => None,
        Fact::TurnCompleted { thread_id, .. }
        | Fact::ThreadBound { thread_id, .. }
        | Fact::SubagentThreadStarted { thread_id, .. }
        | Fact::ItemStarted { thread_id, .. }
        | Fact::ItemCompleted { thread_id, .. }
        | Fact::FileChangeRequest { thread_id, .. }
        | Fact::PermissionsRequest { thread_id, .. }
        | Fact::CommandExecutionRequest { thread_id, .. }
        | Fact::GuardianReviewCompleted { thread_id, .. } => Some(thread_id.to_string()),
        Fact::RequestAborted { request_id, .. }
        | Fact::MalformedResponse { request_id, .. }
        | Fact::FileChangeResponse { request_id, .. }
        | Fact::CommandExecutionResponse { request_id, .. }
        | Fact::EffectivePermissionsResponse { request_id, .. } => {
            let threads = request_threads.get(request_id)?;
            (threads.len() == 1)
                .then(|| threads.iter().next().cloned())
                .flatten()
        }
    }
}

fn request_threads(facts: &[Fact]) -> BTreeMap<RequestId, BTreeSet<String>> {
    let mut map: BTreeMap<RequestId, BTreeSet<String>> = BTreeMap::new();
    for fact in facts {
        if let Fact::FileChangeRequest {
            request_id,
            thread_id,
            ..
        }
        | Fact::PermissionsRequest {
            request_id,
            thread_id,
            ..
        }
        | Fact::CommandExecutionRequest {
            request_id,
            thread_id,
            ..
        } = fact
        {
            map.entry(*request_id)
                .or_default()
                .insert(thread_id.to_string());
        }
    }
    map
}

fn is_empty_grant(permissions: &PermissionProfile) -> bool {
    permissions.network.is_none() && permissions.file_system.is_none()
}

/// Builds the reducer under test for some limits: the production one (`NoDefects`) or, in
/// `defects.rs`, one with a seeded defect.
pub type MakeReducer<'a, H = NoDefects> = &'a dyn Fn(Limits) -> Reducer<H>;

/// A property of a reducer on one generated case.
pub type Property<H = NoDefects> = fn(MakeReducer<H>, &GeneratedCase) -> Result<(), TestCaseError>;

fn reduce_with<H: Hooks>(make: MakeReducer<H>, facts: &[Fact], limits: Limits) -> Vec<Emitted> {
    make(limits).ingest_all(facts)
}

/// DEDUP-1: delivering every guardian completion on 3 connections changes no event.
pub fn dedup<H: Hooks>(make: MakeReducer<H>, case: &GeneratedCase) -> Result<(), TestCaseError> {
    let once = reduce_with(make, &case.facts, case.limits);
    let mut repeated = Vec::new();
    for fact in &case.facts {
        repeated.push(fact.clone());
        if let Fact::GuardianReviewCompleted { .. } = fact {
            for copy in 1..3u64 {
                let mut fact = fact.clone();
                if let Fact::GuardianReviewCompleted { connection_id, .. } = &mut fact {
                    *connection_id = connection_id.wrapping_add(copy * 1000);
                }
                repeated.push(fact);
            }
        }
    }
    let three_times = reduce_with(make, &repeated, case.limits);
    prop_assert_eq!(events(&once), events(&three_times));
    Ok(())
}

/// GRANT-1, GRANT-2: an empty effective grant closes its review as denied/none, with either
/// scope; a non-empty one as approved.
pub fn empty_grant_denial<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    for emitted in reduce_with(make, &case.facts, case.limits) {
        let Output::Review(review) = &emitted.output else {
            continue;
        };
        if let Some(Fact::EffectivePermissionsResponse { permissions, .. }) =
            case.facts.get(emitted.at)
        {
            if is_empty_grant(permissions) {
                prop_assert_eq!(
                    review.status,
                    ReviewStatus::Denied,
                    "fact {}: {:?}",
                    emitted.at,
                    review
                );
                prop_assert_eq!(
                    review.resolution,
                    Resolution::None,
                    "fact {}: {:?}",
                    emitted.at,
                    review
                );
            } else {
                prop_assert_eq!(
                    review.status,
                    ReviewStatus::Approved,
                    "fact {}: {:?}",
                    emitted.at,
                    review
                );
            }
        }
    }
    Ok(())
}

/// SUBJ-1, SUM-1: a request with a network approval context is reviewed as network access, and
/// removing every such request changes no tool-item event.
pub fn network_classification<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let network_ids: BTreeSet<RequestId> = case
        .facts
        .iter()
        .filter_map(|fact| match fact {
            Fact::CommandExecutionRequest {
                request_id,
                network_approval_context: Some(_),
                ..
            } => Some(*request_id),
            _ => None,
        })
        .collect();
    let shared_id = case.facts.iter().any(|fact| {
        matches!(fact,
        Fact::CommandExecutionRequest { request_id, network_approval_context: None, .. }
        | Fact::FileChangeRequest { request_id, .. }
        | Fact::PermissionsRequest { request_id, .. } if network_ids.contains(request_id))
    });
    // A network request id reused by another request cannot be told apart by id: not a case.
    prop_assume!(!shared_id);
    let outputs = reduce_with(make, &case.facts, limits);
    for emitted in &outputs {
        let Output::Review(review) = &emitted.output else {
            continue;
        };
        let id: Option<RequestId> = review
            .review_id
            .strip_prefix("user:")
            .and_then(|id| id.parse().ok());
        if id.is_some_and(|id| network_ids.contains(&id)) {
            prop_assert_eq!(
                review.subject_kind,
                SubjectKind::NetworkAccess,
                "{:?}",
                review
            );
            prop_assert_eq!(&review.subject_name, "network_access");
        }
    }
    let without: Vec<Fact> = case
        .facts
        .iter()
        .filter(|fact| {
            !matches!(fact,
        Fact::CommandExecutionRequest { request_id, .. } if network_ids.contains(request_id))
        })
        .cloned()
        .collect();
    let tool_items = |outputs: &[Emitted]| {
        outputs
            .iter()
            .filter_map(|e| e.output.as_tool_item().cloned())
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(
        tool_items(&outputs),
        tool_items(&reduce_with(make, &without, limits))
    );
    Ok(())
}

/// The threads each thread may inherit a connection from: its sub-agent starts' parents, theirs,
/// and so on (CTX-5).
fn ancestors(facts: &[Fact]) -> BTreeMap<String, BTreeSet<String>> {
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for fact in facts {
        if let Fact::SubagentThreadStarted {
            thread_id,
            parent_thread_id: Some(parent),
            ..
        } = fact
        {
            parents
                .entry(thread_id.to_string())
                .or_default()
                .insert(parent.to_string());
        }
    }
    let mut closure = parents.clone();
    loop {
        let mut grew = false;
        for (thread, known) in closure.clone() {
            for parent in known {
                for grand in parents.get(&parent).into_iter().flatten() {
                    grew |= closure
                        .entry(thread.clone())
                        .or_default()
                        .insert(grand.clone());
                }
            }
        }
        if !grew {
            return closure;
        }
    }
}

/// ISO-1: a thread's events do not change when every other thread's facts are removed (request
/// ids shared across threads excepted: they are global by ISO-2), except those of the threads
/// it may inherit a connection from (CTX-5).
pub fn thread_isolation<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let requests = request_threads(&case.facts);
    // A request id shared across threads is global (ISO-2): not a case for this property.
    prop_assume!(requests.values().all(|threads| threads.len() <= 1));
    let threads: BTreeSet<String> = case
        .facts
        .iter()
        .filter_map(|f| fact_thread(f, &requests))
        .collect();
    let all = reduce_with(make, &case.facts, limits);
    let ancestors = ancestors(&case.facts);
    let none = BTreeSet::new();
    for thread in &threads {
        let lenders = ancestors.get(thread).unwrap_or(&none);
        let alone: Vec<Fact> = case
            .facts
            .iter()
            .filter(|fact| {
                fact_thread(fact, &requests).is_none_or(|t| &t == thread || lenders.contains(&t))
            })
            .cloned()
            .collect();
        let of_thread = |outputs: &[Emitted]| {
            events(outputs)
                .into_iter()
                .filter(|output| thread_of(output) == Some(thread.as_str()))
                .cloned()
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(
            of_thread(&all),
            of_thread(&reduce_with(make, &alone, limits)),
            "thread {}",
            thread
        );
    }
    Ok(())
}

/// LIFE-1..6, TURN-1, CAP-1, CTX-3: every opened user review ends in exactly one review event or
/// one closing diagnostic, or is still pending at the end of the stream.
pub fn conservation<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    let mut reducer = make(case.limits);
    let mut opened = 0usize;
    let mut ended = 0usize;
    for fact in &case.facts {
        let mut outputs = Vec::new();
        reducer.ingest(fact, &mut outputs);
        let is_request = matches!(
            fact,
            Fact::FileChangeRequest { .. }
                | Fact::PermissionsRequest { .. }
                | Fact::CommandExecutionRequest { .. }
        );
        let refused = outputs.iter().any(|output| matches!(output, Output::Diagnostic(d)
            if matches!(d.reason, DiagnosticReason::DuplicateRequest | DiagnosticReason::ConflictingRequest | DiagnosticReason::NegativeTimestamp)));
        opened += usize::from(is_request && !refused);
        ended += outputs
            .iter()
            .filter(|output| ends_a_user_review(output))
            .count();
    }
    let pending = reducer.table_len(Table::PendingRequests);
    prop_assert_eq!(
        opened,
        ended + pending,
        "opened {} ended {} pending {}",
        opened,
        ended,
        pending
    );
    Ok(())
}

fn ends_a_user_review(output: &Output) -> bool {
    match output {
        Output::Review(review) => review.review_id.starts_with("user:"),
        Output::Diagnostic(d) => match d.reason {
            DiagnosticReason::UnansweredRequest => true,
            DiagnosticReason::Evicted => d.table == Some(Table::PendingRequests),
            DiagnosticReason::MissingThread | DiagnosticReason::MissingConnection => {
                d.dropped_event.as_deref() == Some("codex_review_event")
                    && d.review_id
                        .as_deref()
                        .is_some_and(|id| id.starts_with("user:"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// FATE-1: every closing fact, guardian completion and item completion yields an output.
pub fn closing_facts_answer<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    let mut reducer = make(case.limits);
    for (index, fact) in case.facts.iter().enumerate() {
        let mut outputs = Vec::new();
        reducer.ingest(fact, &mut outputs);
        let must_answer = matches!(
            fact,
            Fact::RequestAborted { .. }
                | Fact::MalformedResponse { .. }
                | Fact::FileChangeResponse { .. }
                | Fact::CommandExecutionResponse { .. }
                | Fact::EffectivePermissionsResponse { .. }
                | Fact::GuardianReviewCompleted { .. }
                | Fact::ItemCompleted { .. }
        );
        prop_assert!(
            !must_answer || !outputs.is_empty(),
            "fact {} ({}) produced nothing",
            index,
            fact.type_name()
        );
    }
    Ok(())
}

/// CAP-1: the reducer never holds more than its six tables' bound, whatever the stream.
pub fn bounded_state<H: Hooks>(
    make: MakeReducer<H>,
    case: &GeneratedCase,
) -> Result<(), TestCaseError> {
    let mut reducer = make(case.limits);
    let mut outputs = Vec::new();
    for (index, fact) in case.facts.iter().enumerate() {
        reducer.ingest(fact, &mut outputs);
        let live = reducer.live_entries();
        prop_assert!(
            live <= 6 * case.limits.table_entries_max,
            "fact {}: {} live entries",
            index,
            live
        );
    }
    Ok(())
}

/// Every property, by name, for reducers with hooks `H`.
pub fn properties<H: Hooks>() -> [(&'static str, Property<H>); 7] {
    [
        ("dedup", dedup),
        ("empty_grant_denial", empty_grant_denial),
        ("network_classification", network_classification),
        ("thread_isolation", thread_isolation),
        ("conservation", conservation),
        ("closing_facts_answer", closing_facts_answer),
        ("bounded_state", bounded_state),
    ]
}

/// What one property did over a run: the cases it held on, and the cases it rejected (did not
/// apply to), by the reason its `prop_assume!` gave.
#[derive(Default)]
struct Tally {
    held: u32,
    rejected: BTreeMap<String, u32>,
}

impl Tally {
    fn rejected(&self) -> u32 {
        self.rejected.values().sum()
    }
}

/// The largest share of a run's cases, in percent, that one property may reject (and the
/// generator, by its `prop_filter`s, of the cases it gives). Measured on one run of 50,000 cases:
/// `network_classification` rejected 137 (0.27 %: a network request's id reused by another
/// request), every other property none (`thread_isolation`'s assumption, no request id shared
/// across threads, never failed), and the generator none; over 20 runs of 256 cases, 6 runs had
/// one reject (all `network_classification`) and the others none. At 0.27 %, a run of 256 cases draws
/// about 0.7 rejects; more than 5 % (13 or more of 256, 6 or more of 100) happens by chance with a
/// probability under 1e-6 (Poisson), while a generator or property change that makes a property
/// skip one case in twenty fails here instead of testing less while staying green.
const REJECTED_PERCENT_MAX: u64 = 5;

/// Below this many cases (`PROPTEST_CASES`) the shares are too noisy to hold to the bound: the run
/// still reports them.
const CASES_FOR_THE_BOUND: u32 = 100;

/// Every property holds of the production reducer, on the same generated cases. A case one
/// property does not apply to (a reject) still tests the others; each property's rejects are
/// counted, printed (`--nocapture`), and held to [`REJECTED_PERCENT_MAX`].
#[test]
fn the_reducer_has_every_property() {
    let properties = properties::<NoDefects>();
    let tallies: RefCell<Vec<Tally>> =
        RefCell::new(properties.iter().map(|_| Tally::default()).collect());
    let mut runner = TestRunner::new(proptest_config(256));
    let result = runner.run(&generators::case(), |case| {
        for (tally, (name, property)) in tallies.borrow_mut().iter_mut().zip(&properties) {
            match property(&Reducer::new, &case) {
                Ok(()) => tally.held += 1,
                Err(TestCaseError::Reject(reason)) => {
                    *tally.rejected.entry(reason.to_string()).or_default() += 1;
                }
                Err(error) => return Err(TestCaseError::fail(format!("{name}: {error}"))),
            }
        }
        Ok(())
    });
    // The generator's own rejects (its `prop_filter`s), counted by the runner.
    println!("generated cases:\n{runner}");
    if let Err(error) = result {
        panic!("{error}");
    }
    let tallies = tallies.into_inner();
    let mut too_many = Vec::new();
    for (tally, (name, _)) in tallies.iter().zip(&properties) {
        let rejected = tally.rejected();
        let cases = tally.held + rejected;
        let percent = f64::from(rejected) * 100.0 / f64::from(cases.max(1));
        println!(
            "{name}: {cases} cases, held on {}, rejected {rejected} ({percent:.2} %){}",
            tally.held,
            tally
                .rejected
                .iter()
                .map(|(reason, count)| format!("; {count} for `{reason}`"))
                .collect::<String>()
        );
        if cases >= CASES_FOR_THE_BOUND
            && u64::from(rejected) * 100 > REJECTED_PERCENT_MAX * u64::from(cases)
        {
            too_many.push(format!(
                "{name} rejected {rejected} of {cases} cases ({percent:.2} %, more than {REJECTED_PERCENT_MAX} %)"
            ));
        }
    }
    let generated = generator_rejects(&runner.to_string());
    let successes = tallies
        .first()
        .map_or(0, |tally| tally.held + tally.rejected());
    if successes >= CASES_FOR_THE_BOUND
        && u64::from(generated) * 100 > REJECTED_PERCENT_MAX * u64::from(successes)
    {
        too_many.push(format!(
            "the generator rejected {generated} cases for {successes} it gave"
        ));
    }
    assert!(too_many.is_empty(), "{}", too_many.join("\n"));
}

/// The local rejects (a strategy's `prop_filter` refusing a value) in a runner's summary.
fn generator_rejects(summary: &str) -> u32 {
    summary
        .lines()
        .find_map(|line| line.trim().strip_prefix("local rejects:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count of local rejects in the runner's summary:\n{summary}"))
}
