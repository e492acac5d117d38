//! The model's state: what the rules read and write, and how an output is emitted (with the
//! rules applied so far). The dispatch of a fact to its rules is in `mod.rs`, above the rule
//! files, which stand on this state.

use super::cap::BoundedTable;
use super::iso::{ItemKey, PendingKey};
use super::subj::Subject;
use super::trail::{Entry, Trail};
use super::why::{Aspect, Mark, Rank, Why};
use crate::event::{
    Diagnostic, FinalApprovalOutcome, Limits, Output, Resolution, ReviewStatus, Reviewer, Table,
};
use crate::fact::{AppServerClient, ConnectionId, Id, Runtime};
use crate::profile::{Departure, Profile};

/// What `initialize` recorded for a connection (CTX-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnectionMeta {
    pub(crate) app_server_client: std::sync::Arc<AppServerClient>,
    pub(crate) runtime: std::sync::Arc<Runtime>,
    /// The decisions behind the metadata (not part of it).
    pub(crate) why: Why,
}

/// What `thread_bound` (CTX-2) or a sub-agent start (CTX-5) recorded for a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadBinding {
    /// None for a sub-agent thread whose parent lent it no connection (CTX-5).
    pub(crate) connection_id: Option<ConnectionId>,
    pub(crate) thread_source: Option<Id>,
    pub(crate) subagent_source: Option<Id>,
    pub(crate) parent_thread_id: Option<Id>,
    /// The product events of the thread name as their `product_client_id` (CTX-4).
    pub(crate) originator: Option<String>,
    /// The decisions behind the binding (not part of it).
    pub(crate) why: Why,
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
    /// The decisions behind each field (not part of the review's identity).
    pub(crate) why: Why,
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
    /// The decisions behind each field: its request's and its closing fact's.
    pub(crate) why: Why,
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
    /// The decisions behind each field: those of the reviews that made it.
    pub(crate) why: Why,
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
    pub(crate) threads: BoundedTable<Id, ThreadBinding>,
    pub(crate) pending_requests: BoundedTable<PendingKey, PendingReview>,
    /// The value is the turn of the completion, for TURN-1 / DEDUP-2, and why it counted.
    pub(crate) guardian_completions: BoundedTable<GuardianKey, (Id, Why)>,
    /// The value is the item's `started_at_ms` and the decisions behind the start.
    pub(crate) item_starts: BoundedTable<ItemKey, (u64, Why)>,
    pub(crate) item_summaries: BoundedTable<ItemKey, Summary>,
    /// Outputs of the current fact, each with the decisions behind it and its rank.
    pub(crate) outputs: Vec<(Output, Why, Rank)>,
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
                .by_turn(|key, (turn, _)| (&key.thread_id, turn)),
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
    /// "Departures from upstream"): the departure's mark when it does (an exception: upstream's
    /// branch sets the spec's aside), None when the spec's rule applies.
    pub(crate) fn upstream(&mut self, departure: Departure) -> Option<Mark> {
        self.follows_upstream(departure)
            .then(|| self.trail.exception(departure.id()))
    }

    /// Whether the reduction follows upstream's behaviour on `departure`, read at the
    /// departure's decision point (recorded as consulted, like [`State::upstream`]) by a rule
    /// that marks its decision itself.
    pub(crate) fn follows_upstream(&mut self, departure: Departure) -> bool {
        self.trail.consult(departure);
        self.profile.follows_upstream(departure)
    }

    /// CAP-1: a full table evicted its oldest entry (`entry`, whose value's decisions are
    /// `carried`) to make room: the `evicted` diagnostic reports it (where it happened among the
    /// fact's outputs, by ORDER-1), and the entry is gone by CAP-1.
    pub(crate) fn emit_evicted(&mut self, diagnostic: Diagnostic, entry: Entry, carried: &Why) {
        let evicts = self.trail.exception("CAP-1");
        self.trail
            .note_gone(entry, Why::of_mark(&[Aspect::Exists], evicts));
        let mut why = Why::of_mark(&[Aspect::Exists], evicts);
        why.carry(Aspect::Order(1), carried, Aspect::Order(1));
        for field in ["request_id", "thread_id", "turn_id", "item_id"] {
            why.carry(Aspect::Field(field), carried, Aspect::Field(field));
        }
        self.emit(Output::Diagnostic(diagnostic), why);
    }

    /// ORDER-1 and FATE-1: emits an output of the current fact, after those emitted before it,
    /// with the decisions behind it; a diagnostic accounts for a fact or state that produced no
    /// event.
    pub(crate) fn emit(&mut self, output: Output, why: Why) {
        let rank = vec![self.outputs.len() as u64];
        self.emit_ranked(output, why, rank);
    }

    /// As [`State::emit`], at `rank` among the fact's outputs (TURN-1 releases a table's
    /// entries in one step, in their order within the table).
    pub(crate) fn emit_ranked(&mut self, output: Output, mut why: Why, rank: Rank) {
        why.add(Aspect::Order(0), self.trail.generic("ORDER-1"));
        if matches!(output, Output::Diagnostic(_)) {
            let _ = self.trail.generic("FATE-1");
        }
        self.outputs.push((output, why, rank));
    }
}
