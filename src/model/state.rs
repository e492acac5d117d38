//! The model's state: what the rules read and write, and how an output is emitted (with the
//! rules applied so far). The dispatch of a fact to its rules is in `mod.rs`, above the rule
//! files, which stand on this state.

use super::cap::BoundedTable;
use super::iso::{ItemKey, PendingKey};
use super::subj::Subject;
use super::trail::{Provenance, Trail};
use crate::event::{
    FinalApprovalOutcome, Limits, Output, Resolution, ReviewStatus, Reviewer, Table,
};
use crate::fact::{AppServerClient, ConnectionId, Id, Runtime};
use crate::profile::{Departure, Profile};

/// What `initialize` recorded for a connection (CTX-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnectionMeta {
    pub(crate) app_server_client: std::sync::Arc<AppServerClient>,
    pub(crate) runtime: std::sync::Arc<Runtime>,
}

/// What `thread_bound` recorded for a thread (CTX-2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadContext {
    pub(crate) connection_id: ConnectionId,
    pub(crate) thread_source: Option<Id>,
    pub(crate) subagent_source: Option<Id>,
    pub(crate) parent_thread_id: Option<Id>,
}

/// Which response kind a pending request accepts (LIFE-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestKind {
    CommandExecution,
    FileChange,
    Permissions,
}

/// An open user review (LIFE-1).
#[derive(Clone, Debug)]
pub(crate) struct PendingReview {
    pub(crate) request_kind: RequestKind,
    /// The connection the request came from (ISO-2 decides when another one answers; not part
    /// of the review's identity, LIFE-2).
    pub(crate) connection_id: ConnectionId,
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Id,
    pub(crate) review_id: Id,
    pub(crate) subject: Subject,
    pub(crate) started_at_ms: u64,
    /// The request fact and the rules that derived this review (not part of its identity).
    pub(crate) provenance: Provenance,
}

/// A review that has completed, user or guardian, ready to be emitted.
#[derive(Clone, Debug)]
pub(crate) struct CompletedReview {
    pub(crate) thread_id: Id,
    pub(crate) turn_id: Id,
    pub(crate) item_id: Option<Id>,
    pub(crate) review_id: Id,
    pub(crate) subject: Subject,
    pub(crate) reviewer: Reviewer,
    pub(crate) status: ReviewStatus,
    pub(crate) resolution: Resolution,
    pub(crate) started_at_ms: u64,
    pub(crate) completed_at_ms: u64,
    /// The facts and rules behind the review: its request and its closing fact.
    pub(crate) provenance: Provenance,
}

/// The review fields denormalized onto one tool item (SUM-2..5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) review_count: u64,
    pub(crate) guardian_review_count: u64,
    pub(crate) user_review_count: u64,
    pub(crate) final_approval_outcome: FinalApprovalOutcome,
    pub(crate) requested_additional_permissions: bool,
    pub(crate) requested_network_access: bool,
    /// The reviews that made this summary.
    pub(crate) provenance: Provenance,
}

/// A guardian completion already counted (DEDUP-1), keyed by thread and review id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GuardianKey {
    pub(crate) thread_id: Id,
    pub(crate) review_id: Id,
}

/// Everything the model remembers between facts: the six tables of CAP-1.
pub(crate) struct State {
    pub(crate) connections: BoundedTable<ConnectionId, ConnectionMeta>,
    pub(crate) threads: BoundedTable<Id, ThreadContext>,
    pub(crate) pending_requests: BoundedTable<PendingKey, PendingReview>,
    /// The value is the turn of the completion, for TURN-1 / DEDUP-2.
    pub(crate) guardian_completions: BoundedTable<GuardianKey, Id>,
    /// The value is the item's `started_at_ms` and the start's provenance.
    pub(crate) item_starts: BoundedTable<ItemKey, (u64, Provenance)>,
    pub(crate) item_summaries: BoundedTable<ItemKey, Summary>,
    /// Outputs of the current fact, each with the facts and rules behind it.
    pub(crate) outputs: Vec<(Output, Provenance)>,
    pub(crate) trail: Trail,
    /// Which side of each departure the reduction follows.
    pub(crate) profile: Profile,
}

impl State {
    pub(crate) fn new(
        limits: &Limits,
        profile: &Profile,
        recording: super::trail::Recording,
    ) -> State {
        let max = limits.table_entries_max;
        // UP-CAP-1: upstream's tables have no bound.
        let bounded = !profile.follows_upstream(Departure::Cap1);
        State {
            connections: BoundedTable::new(Table::Connections, max, bounded),
            threads: BoundedTable::new(Table::Threads, max, bounded),
            pending_requests: BoundedTable::new(Table::PendingRequests, max, bounded)
                .by_turn(|_, pending| (&pending.thread_id, &pending.turn_id)),
            guardian_completions: BoundedTable::new(Table::GuardianCompletions, max, bounded)
                .by_turn(|key, turn| (&key.thread_id, turn)),
            item_starts: BoundedTable::new(Table::ItemStarts, max, bounded)
                .by_turn(|key, _| (&key.thread_id, &key.turn_id)),
            item_summaries: BoundedTable::new(Table::ItemSummaries, max, bounded)
                .by_turn(|key, _| (&key.thread_id, &key.turn_id)),
            outputs: Vec::new(),
            trail: Trail {
                recording,
                ..Trail::default()
            },
            profile: *profile,
        }
    }

    /// Whether the reduction follows upstream's behaviour on `departure` (spec/rules.md,
    /// "Departures from upstream"); marks the departure when it does.
    pub(crate) fn upstream(&mut self, departure: Departure) -> bool {
        let follows = self.profile.follows_upstream(departure);
        if follows {
            self.trail.mark(departure.id());
        }
        follows
    }

    /// ORDER-1 and FATE-1: emits an output of the current fact, in rule order, tagged with the
    /// rules applied so far; a diagnostic accounts for a fact or state that produced no event.
    pub(crate) fn emit(&mut self, output: Output) {
        self.trail.mark("ORDER-1");
        if matches!(output, Output::Diagnostic(_)) {
            self.trail.mark("FATE-1");
        }
        let provenance = self.trail.provenance();
        self.outputs.push((output, provenance));
    }

    /// As [`State::emit`], for an output that also comes from earlier facts (a request, reviews,
    /// an item start) whose provenance it carries.
    pub(crate) fn emit_carrying(&mut self, output: Output, carried: &Provenance) {
        self.emit(output);
        if let Some((_, provenance)) = self.outputs.last_mut() {
            let mut merged = carried.clone();
            merged.merge(provenance);
            *provenance = merged;
        }
    }
}
