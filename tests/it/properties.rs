//! Properties of the production reducer on its own, on generated sequences. Each can fail: the
//! defect catalogue (`defects.rs`) shows which seeded defect each one catches.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use review_spec::event::{
    DiagnosticReason, Emitted, Limits, Output, ReviewStatus, SubjectKind, Table,
};
use review_spec::fact::{Fact, PermissionProfile, RequestId};
use review_spec::generators;
use review_spec::reducer::{Reducer, reduce_all};

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
        | Fact::ItemStarted { thread_id, .. }
        | Fact::ItemCompleted { thread_id, .. }
        | Fact::FileChangeRequest { thread_id, .. }
        | Fact::PermissionsRequest { thread_id, .. }
        | Fact::CommandExecutionRequest { thread_id, .. }
        | Fact::GuardianReviewCompleted { thread_id, .. } => Some(thread_id.clone()),
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
                .insert(thread_id.clone());
        }
    }
    map
}

fn is_empty_grant(permissions: &PermissionProfile) -> bool {
    permissions.network.is_none() && permissions.file_system.is_none()
}

proptest! {
    #![proptest_config(proptest_config(256))]

    /// DEDUP-1: delivering every guardian completion on k connections changes no event.
    #[test]
    fn guardian_completions_delivered_on_k_connections_count_once(case in generators::case(), k in 2u64..=4) {
        let once = reduce_all(&case.facts, &case.limits);
        let mut repeated = Vec::new();
        for fact in &case.facts {
            repeated.push(fact.clone());
            if let Fact::GuardianReviewCompleted { .. } = fact {
                for copy in 1..k {
                    let mut fact = fact.clone();
                    if let Fact::GuardianReviewCompleted { connection_id, .. } = &mut fact {
                        *connection_id = connection_id.wrapping_add(copy * 1000);
                    }
                    repeated.push(fact);
                }
            }
        }
        let k_times = reduce_all(&repeated, &case.limits);
        prop_assert_eq!(events(&once), events(&k_times));
    }

    /// GRANT-1: any empty effective grant, with either scope, closes its review as denied.
    #[test]
    fn empty_effective_grants_are_denied(case in generators::case()) {
        let outputs = reduce_all(&case.facts, &case.limits);
        for emitted in &outputs {
            let Output::Review(review) = &emitted.output else { continue };
            if let Some(Fact::EffectivePermissionsResponse { permissions, .. }) = case.facts.get(emitted.at) {
                if is_empty_grant(permissions) {
                    prop_assert_eq!(review.status, ReviewStatus::Denied, "fact {}: {:?}", emitted.at, review);
                    prop_assert_eq!(review.resolution, review_spec::event::Resolution::None);
                } else {
                    prop_assert_eq!(review.status, ReviewStatus::Approved, "fact {}: {:?}", emitted.at, review);
                }
            }
        }
    }

    /// SUBJ-1, SUM-1: a request with a network approval context is reviewed as network access,
    /// and removing all such requests changes no tool-item event.
    #[test]
    fn network_requests_are_network_access_and_never_touch_items(case in generators::case()) {
        let limits = Limits::default();
        let outputs = reduce_all(&case.facts, &limits);
        let network_ids: BTreeSet<RequestId> = case.facts.iter().filter_map(|fact| match fact {
            Fact::CommandExecutionRequest { request_id, network_approval_context: Some(_), .. } => Some(*request_id),
            _ => None,
        }).collect();
        let ambiguous = case.facts.iter().any(|fact| matches!(fact,
            Fact::CommandExecutionRequest { request_id, network_approval_context: None, .. }
            | Fact::FileChangeRequest { request_id, .. }
            | Fact::PermissionsRequest { request_id, .. } if network_ids.contains(request_id)));
        prop_assume!(!ambiguous);
        for emitted in &outputs {
            if let Output::Review(review) = &emitted.output {
                let id: Option<RequestId> = review.review_id.strip_prefix("user:").and_then(|id| id.parse().ok());
                if id.is_some_and(|id| network_ids.contains(&id)) {
                    prop_assert_eq!(review.subject_kind, SubjectKind::NetworkAccess);
                    prop_assert_eq!(&review.subject_name, "network_access");
                }
            }
        }
        let without: Vec<Fact> = case.facts.iter().filter(|fact| !matches!(fact,
            Fact::CommandExecutionRequest { request_id, .. } if network_ids.contains(request_id))).cloned().collect();
        let tool_items = |outputs: &[Emitted]| outputs.iter().filter_map(|e| e.output.as_tool_item().cloned()).collect::<Vec<_>>();
        prop_assert_eq!(tool_items(&outputs), tool_items(&reduce_all(&without, &limits)));
    }

    /// ISO-1: a thread's events do not change when every other thread's facts are removed.
    #[test]
    fn other_threads_do_not_change_a_threads_events(case in generators::case()) {
        let limits = Limits::default();
        let requests = request_threads(&case.facts);
        prop_assume!(requests.values().all(|threads| threads.len() == 1));
        let threads: BTreeSet<String> = case.facts.iter().filter_map(|f| fact_thread(f, &requests)).collect();
        let all = reduce_all(&case.facts, &limits);
        for thread in &threads {
            let alone: Vec<Fact> = case.facts.iter()
                .filter(|fact| fact_thread(fact, &requests).is_none_or(|t| &t == thread))
                .cloned().collect();
            let of_thread = |outputs: &[Emitted]| events(outputs).into_iter()
                .filter(|output| thread_of(output) == Some(thread.as_str())).cloned().collect::<Vec<_>>();
            prop_assert_eq!(of_thread(&all), of_thread(&reduce_all(&alone, &limits)), "thread {}", thread);
        }
    }

    /// LIFE-1..6, TURN-1, CAP-1, CTX-3: every opened user review ends in exactly one review event,
    /// one closing diagnostic, or is still pending at the end of the stream.
    #[test]
    fn every_opened_review_ends_exactly_once(case in generators::case()) {
        let mut reducer = Reducer::new(case.limits);
        let mut opened = 0usize;
        let mut ended = 0usize;
        for fact in &case.facts {
            let mut outputs = Vec::new();
            reducer.ingest(fact, &mut outputs);
            let is_request = matches!(fact, Fact::FileChangeRequest { .. } | Fact::PermissionsRequest { .. } | Fact::CommandExecutionRequest { .. });
            let refused = outputs.iter().any(|output| matches!(output, Output::Diagnostic(d)
                if matches!(d.reason, DiagnosticReason::DuplicateRequest | DiagnosticReason::ConflictingRequest | DiagnosticReason::NegativeTimestamp)));
            if is_request && !refused {
                opened += 1;
            }
            for output in &outputs {
                ended += usize::from(match output {
                    Output::Review(review) => review.review_id.starts_with("user:"),
                    Output::Diagnostic(d) => match d.reason {
                        DiagnosticReason::UnansweredRequest => true,
                        DiagnosticReason::Evicted => d.table == Some(Table::PendingRequests),
                        DiagnosticReason::MissingThread | DiagnosticReason::MissingConnection => {
                            d.dropped_event.as_deref() == Some("codex_review_event")
                                && d.review_id.as_deref().is_some_and(|id| id.starts_with("user:"))
                        }
                        _ => false,
                    },
                    _ => false,
                });
            }
        }
        let pending = reducer.table_len(Table::PendingRequests);
        prop_assert_eq!(opened, ended + pending, "opened {} ended {} pending {}", opened, ended, pending);
    }

    /// FATE-1: every closing fact, guardian completion and item completion yields an output.
    #[test]
    fn every_closing_fact_yields_an_output(case in generators::case()) {
        let mut reducer = Reducer::new(case.limits);
        for (index, fact) in case.facts.iter().enumerate() {
            let mut outputs = Vec::new();
            reducer.ingest(fact, &mut outputs);
            let must_answer = matches!(fact, Fact::RequestAborted { .. } | Fact::MalformedResponse { .. }
                | Fact::FileChangeResponse { .. } | Fact::CommandExecutionResponse { .. }
                | Fact::EffectivePermissionsResponse { .. } | Fact::GuardianReviewCompleted { .. }
                | Fact::ItemCompleted { .. });
            prop_assert!(!must_answer || !outputs.is_empty(), "fact {} ({}) produced nothing", index, fact.type_name());
        }
    }

    /// CAP-1: the reducer never holds more than six full tables, whatever the stream.
    #[test]
    fn live_state_stays_within_the_bound(case in generators::case()) {
        let mut reducer = Reducer::new(case.limits);
        let mut outputs = Vec::new();
        for fact in &case.facts {
            reducer.ingest(fact, &mut outputs);
            prop_assert!(reducer.live_entries() <= 6 * case.limits.table_entries_max);
        }
    }
}
