//! The production reducer's public face and its dispatch: [`Reducer`], [`reduce_all`], and
//! `ingest`, which sends each fact to its handler in the order the rules say (ORDER-1): context
//! and turn ends here, items in `items`, user requests and their closing facts in `requests`,
//! guardian completions in `guardian`.
//!
//! Not here: table bookkeeping (`state`), what an event says (`derive`), diagnostic shapes
//! (`diagnostic`), and completing a review (`review`). Nothing here panics on any fact sequence:
//! timestamps are checked (TIME-2) before anything else, and durations never wrap (TIME-1).

use crate::fields::Fields;
use std::sync::Arc;

use crate::event::{DiagnosticReason, Emitted, Limits, Output, Table};
use crate::fact::{AppServerClient, ConnectionId, Fact, Id, RequestId, Runtime};
use crate::profile::{Departure, Profile};

use super::Defect;
use super::derive::timestamp_ms;
use super::diagnostic::{
    evicted_diagnostic, push_fact_diagnostic, released_item, unanswered_request,
};
use super::entries::{Connection, Evicted, ItemKeyView, Released, ThreadContext};
use super::guardian::GuardianCompletion;
use super::hooks::{Hooks, NoDefects};
use super::requests::Closing;
use super::state::{State, table_limits};

/// The production reducer: incremental, bounded by [`Limits`], and total (every fact sequence is
/// accepted, every fact accounted for).
///
/// `H` is where seeded defects hook in (`hooks`): production code writes `Reducer`, which is
/// `Reducer<NoDefects>`, and every defect branch is dead code in it.
pub struct Reducer<H: Hooks = NoDefects> {
    pub(super) state: State,
    /// Which side of each departure from upstream this reducer follows.
    pub(super) profile: Profile,
    /// Which seeded defect, if any, this reducer makes: none for `NoDefects` (zero-sized).
    pub(super) hooks: H,
}

/// Reduces a whole fact sequence with a fresh reducer, tagging each output with the index of the
/// fact that produced it (ORDER-1), for comparison with the model's `reduce`.
pub fn reduce_all(facts: &[Fact], limits: &Limits, profile: &Profile) -> Vec<Emitted> {
    Reducer::with_profile(*limits, *profile).ingest_all(facts)
}

impl Reducer {
    /// A reducer with empty state following the spec's rules; every table holds at most
    /// `limits.table_entries_max` entries (a bound of 0 is taken as 1).
    pub fn new(limits: Limits) -> Reducer {
        Reducer::with_profile(limits, Profile::SPEC)
    }

    /// A reducer with empty state following `profile` where the spec departs from upstream
    /// (UP-CAP-1: under upstream's behaviour the tables are unbounded).
    pub fn with_profile(limits: Limits, profile: Profile) -> Reducer {
        Reducer::with_hooks(limits, profile, NoDefects)
    }
}

impl<H: Hooks> Reducer<H> {
    /// A reducer with empty state following `profile`, asking `hooks` before each seeded defect's
    /// branch; its state is built as `reset` builds it.
    pub(super) fn with_hooks(limits: Limits, profile: Profile, hooks: H) -> Reducer<H> {
        Reducer {
            state: State::new(table_limits(limits, &profile, &hooks)),
            profile,
            hooks,
        }
    }

    /// Whether this reducer follows upstream's behaviour on `departure`.
    pub(crate) fn upstream(&self, departure: Departure) -> bool {
        self.profile.follows_upstream(departure)
    }

    /// Ingests one fact and appends the outputs it produced (in spec order).
    pub fn ingest(&mut self, fact: &Fact, outputs: &mut Vec<Output>) {
        if has_negative_timestamp(fact) {
            self.reject_negative_timestamp(fact, outputs);
            return;
        }
        self.dispatch(fact, outputs);
        self.state.debug_assert_bounded();
    }

    /// Sends a fact whose timestamps TIME-2 accepted to its handler: context and turn ends here,
    /// items in `items`, requests and their closing facts in `requests`, guardian completions in
    /// `guardian`.
    fn dispatch(&mut self, fact: &Fact, outputs: &mut Vec<Output>) {
        match fact {
            Fact::TurnCompleted {
                thread_id, turn_id, ..
            } => self.turn_completed(thread_id, turn_id, outputs),
            Fact::Initialize {
                connection_id,
                app_server_client,
                runtime,
            } => self.initialize(*connection_id, app_server_client, runtime, outputs),
            Fact::ThreadBound { .. } => {
                if let Some((thread_id, context)) = bound_context(fact) {
                    self.thread_bound(fact, thread_id, context, outputs);
                }
            }
            Fact::SubagentThreadStarted {
                thread_id,
                parent_thread_id,
                subagent_source,
                originator,
            } => self.subagent_thread_started(
                thread_id,
                parent_thread_id.as_ref(),
                subagent_source,
                originator.as_ref(),
                outputs,
            ),
            Fact::ItemStarted {
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                ..
            } => {
                let key = item_key(thread_id, turn_id, item_id);
                self.item_started(fact, key, timestamp_ms(*started_at_ms), outputs);
            }
            Fact::ItemCompleted {
                kind,
                status,
                completed_at_ms,
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                let key = item_key(thread_id, turn_id, item_id);
                let completed_at_ms = timestamp_ms(*completed_at_ms);
                self.item_completed(fact, key, *kind, *status, completed_at_ms, outputs);
            }
            Fact::RequestAborted { .. }
            | Fact::MalformedResponse { .. }
            | Fact::FileChangeResponse { .. }
            | Fact::CommandExecutionResponse { .. }
            | Fact::EffectivePermissionsResponse { .. } => {
                if let Some((request_id, closing, completed_at_ms)) = closing_of(fact) {
                    self.close_request(fact, request_id, closing, completed_at_ms, outputs);
                }
            }
            Fact::FileChangeRequest { .. }
            | Fact::PermissionsRequest { .. }
            | Fact::CommandExecutionRequest { .. } => {
                if let Some((request_id, requested)) = self.requested_review(fact) {
                    self.open_request(fact, request_id, &requested, outputs);
                }
            }
            Fact::GuardianReviewCompleted { .. } => {
                if let Some(completion) = GuardianCompletion::of(fact) {
                    self.guardian_review_completed(fact, &completion, outputs);
                }
            }
        }
    }

    /// Ingests every fact in order and returns the outputs tagged with their fact's index.
    pub fn ingest_all(&mut self, facts: &[Fact]) -> Vec<Emitted> {
        let mut emitted = Vec::new();
        let mut outputs = Vec::new();
        for (at, fact) in facts.iter().enumerate() {
            self.ingest(fact, &mut outputs);
            emitted.extend(outputs.drain(..).map(|output| Emitted { at, output }));
        }
        emitted
    }

    /// Entries currently held, over all tables (for memory-boundedness checks).
    pub fn live_entries(&self) -> usize {
        self.state.live_entries()
    }

    /// Entries currently held in one table.
    pub fn table_len(&self, table: Table) -> usize {
        self.state.table_len(table)
    }

    /// TURN-1: a turn end releases the turn's pending requests, item starts, item summaries and
    /// seen guardian completions, each in insertion order; the first three are reported, the
    /// last silently (DEDUP-2). A turn with no state emits nothing.
    /// UP-TURN-1: upstream releases nothing.
    fn turn_completed(&mut self, thread_id: &Id, turn_id: &Id, outputs: &mut Vec<Output>) {
        let releases_nothing = self.upstream(Departure::Turn1);
        let releases_nothing = releases_nothing && !self.hooks.breaks(Defect::UpstreamTurnReleases);
        if releases_nothing {
            return;
        }
        self.state.release_turn(thread_id, turn_id, |released| {
            let diagnostic = match released {
                Released::PendingRequest { request_id, review } => {
                    unanswered_request(request_id, review)
                }
                Released::ItemStart { key } => {
                    released_item(DiagnosticReason::ItemNeverCompleted, key)
                }
                Released::ItemSummary { key } => {
                    released_item(DiagnosticReason::UnconsumedSummary, key)
                }
            };
            outputs.push(Output::Diagnostic(diagnostic));
        });
    }

    /// CTX-1: `initialize` records or replaces the connection's metadata.
    fn initialize(
        &mut self,
        connection_id: ConnectionId,
        app_server_client: &Arc<AppServerClient>,
        runtime: &Arc<Runtime>,
        outputs: &mut Vec<Output>,
    ) {
        if self.hooks.breaks(Defect::FourConnectionSlots) {
            *self.state.connection_slot_mut(connection_id) = Some(Connection {
                app_server_client: Arc::clone(app_server_client),
                runtime: Arc::clone(runtime),
            });
        }
        // A reconnecting client usually announces the same metadata: keep the shared copy.
        if let Some(existing) = self.state.connection(connection_id)
            && *existing.app_server_client == **app_server_client
            && *existing.runtime == **runtime
        {
            return;
        }
        let connection = Connection {
            app_server_client: Arc::clone(app_server_client),
            runtime: Arc::clone(runtime),
        };
        let evicted = self.state.upsert_connection(connection_id, connection);
        self.report_eviction(evicted, outputs);
    }

    /// CTX-2: `thread_bound` binds the thread to the connection and records or replaces its
    /// metadata; the last binder wins. UP-CTX-2: upstream ignores a binding from a connection it
    /// has no metadata for.
    fn thread_bound(
        &mut self,
        fact: &Fact,
        thread_id: &Id,
        mut context: ThreadContext,
        outputs: &mut Vec<Output>,
    ) {
        if self.upstream(Departure::Ctx2)
            && context
                .connection_id
                .is_none_or(|id| self.state.connection(id).is_none())
        {
            push_fact_diagnostic(DiagnosticReason::UninitializedConnection, fact, outputs);
            return;
        }
        // CTX-4: a binding without an originator keeps the thread's.
        if context.originator.is_none() && !self.hooks.breaks(Defect::OriginatorClearedByRebinding)
        {
            context.originator = self
                .state
                .thread(thread_id)
                .and_then(|earlier| earlier.originator.clone());
        }
        let evicted = self.state.upsert_thread(thread_id, context);
        self.report_eviction(evicted, outputs);
    }

    /// CTX-5: a sub-agent thread takes its parent's connection, as the parent has it now, when it
    /// has none of its own; its metadata and originator only where it has none.
    fn subagent_thread_started(
        &mut self,
        thread_id: &Id,
        parent_thread_id: Option<&Id>,
        subagent_source: &Id,
        originator: Option<&String>,
        outputs: &mut Vec<Output>,
    ) {
        let lent = if self.hooks.breaks(Defect::SubagentWithoutParentConnection) {
            None
        } else {
            parent_thread_id
                .and_then(|parent| self.state.thread(parent))
                .and_then(|parent| parent.connection_id)
        };
        if let Some(known) = self.state.thread_mut(thread_id) {
            if known.connection_id.is_none() {
                known.connection_id = lent;
            }
            if known.originator.is_none() {
                known.originator = originator.cloned();
            }
            return;
        }
        let context = ThreadContext {
            connection_id: lent,
            thread_source: Some(Id::from(SUBAGENT_THREAD_SOURCE)),
            subagent_source: Some(subagent_source.clone()),
            parent_thread_id: parent_thread_id.cloned(),
            originator: originator.cloned(),
        };
        let evicted = self.state.upsert_thread(thread_id, context);
        self.report_eviction(evicted, outputs);
    }

    /// TIME-2: a fact with a negative timestamp changes nothing and is reported. UP-TIME-2:
    /// upstream takes an item's start before it rejects the completion's timestamp.
    fn reject_negative_timestamp(&mut self, fact: &Fact, outputs: &mut Vec<Output>) {
        if let Fact::ItemCompleted {
            thread_id,
            turn_id,
            item_id,
            ..
        } = fact
            && self.upstream(Departure::Time2)
        {
            let key = item_key(thread_id, turn_id, item_id);
            self.state.take_item_start(key);
        }
        push_fact_diagnostic(DiagnosticReason::NegativeTimestamp, fact, outputs);
    }

    /// CAP-1: an entry evicted to make room is reported, immediately before the output of the
    /// insertion that evicted it. (A method, not a free function, so that the handlers in
    /// `items`, `requests`, `guardian` and `review` need not import `ingest`, which dispatches to
    /// them.)
    pub(crate) fn report_eviction(&self, evicted: Option<Evicted>, outputs: &mut Vec<Output>) {
        let Some(evicted) = evicted else {
            return;
        };
        if self.hooks.breaks(Defect::SilentEviction) {
            return;
        }
        outputs.push(Output::Diagnostic(evicted_diagnostic(evicted)));
    }

    /// Forgets all state and starts a new trace with `limits`, following `profile`; the hooks
    /// (a seeded defect, if any) stay.
    pub fn reset(&mut self, limits: Limits, profile: Profile) {
        self.profile = profile;
        self.state = State::new(table_limits(limits, &profile, &self.hooks));
    }
}

/// CTX-5: the `thread_source` of a thread a sub-agent start recorded.
const SUBAGENT_THREAD_SOURCE: &str = "subagent";

/// TIME-2: whether a fact carries a negative `started_at_ms` or `completed_at_ms`.
fn has_negative_timestamp(fact: &Fact) -> bool {
    Fields::of(fact).has_negative_timestamp()
}

/// CTX-2: the thread a `thread_bound` fact binds, and what it binds it to: the fact's connection
/// and the metadata it carries (None for any other fact).
fn bound_context(fact: &Fact) -> Option<(&Id, ThreadContext)> {
    let Fact::ThreadBound {
        connection_id,
        thread_id,
        binding: _,
        thread_source,
        subagent_source,
        parent_thread_id,
        originator,
    } = fact
    else {
        return None;
    };
    let context = ThreadContext {
        connection_id: Some(*connection_id),
        thread_source: thread_source.clone(),
        subagent_source: subagent_source.clone(),
        parent_thread_id: parent_thread_id.clone(),
        originator: originator.clone(),
    };
    Some((thread_id, context))
}

/// LIFE-4: what a closing fact closes (its request id), how (`Closing`) and when (its
/// completion time, checked by TIME-2 before). For closing facts only: another has no
/// `Closing`, which debug builds assert against.
fn closing_of(fact: &Fact) -> Option<(RequestId, Closing<'_>, u64)> {
    let fields = Fields::of(fact);
    let (Some(request_id), Some(closing), Some(completed_at_ms)) =
        (fields.request, Closing::of(fact), fields.completed_ms)
    else {
        // The vocabulary gives every closing fact a request id and a completion time.
        debug_assert!(false, "a closing fact without its request id or time");
        return None;
    };
    Some((request_id, closing, timestamp_ms(completed_at_ms)))
}

/// ISO-1: an item's key is its thread, turn and item.
fn item_key<'f>(thread_id: &'f Id, turn_id: &'f Id, item_id: &'f Id) -> ItemKeyView<'f> {
    ItemKeyView {
        thread_id,
        turn_id,
        item_id,
    }
}
