//! The production reducer's public face and its per-fact handling: [`Reducer`], [`reduce_all`],
//! and one handler per fact type that decides which rules apply
//! and in which order their outputs appear (ORDER-1).
//!
//! Not here: table bookkeeping (`state`), what an event says (`derive`), diagnostic shapes
//! (`diagnostic`), and completing a review (`review`). Nothing here panics on any fact sequence:
//! timestamps are checked (TIME-2) before anything else, and durations never wrap (TIME-1).

use crate::event::{
    DiagnosticReason, Emitted, Limits, Output, Resolution, ReviewStatus, Reviewer, SubjectKind,
    Table, TerminalStatus, ToolItemEvent, Trigger,
};
use crate::fact::{
    AppServerClient, CommandDecision, ConnectionId, Fact, FileChangeDecision, GrantScope,
    GuardianAction, GuardianStatus, ItemKind, ItemStatus, PermissionProfile, RequestId, Runtime,
};
use crate::profile::{Departure, Profile};

#[cfg(feature = "seeded-defects")]
use super::Defect;
use super::derive::{
    RequestedFlags, command_decision, command_requested_flags, file_change_decision,
    file_change_review, guardian_requested_flags, guardian_subject, item_terminal_status,
    permissions_requested_flags, sandbox_trigger,
};
use super::diagnostic::{
    DroppedEvent, evicted_diagnostic, fact_diagnostic, missing_context, released_item,
    tool_item_event, unanswered_request,
};
use super::review::CompletedReview;
use super::state::{
    Connection, Evicted, GuardianKeyView, ItemKeyView, ItemStart, PendingReview, RequestKind,
    State, ThreadContext,
};

/// The production reducer: incremental, bounded by [`Limits`], and total (every fact sequence is
/// accepted, every fact accounted for).
pub struct Reducer {
    pub(super) state: State,
    /// Which side of each departure from upstream this reducer follows.
    pub(super) profile: Profile,
    /// The seeded defect this reducer carries (`seeded-defects` builds only).
    #[cfg(feature = "seeded-defects")]
    pub(super) defect: Option<Defect>,
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
        Reducer {
            state: State::new(table_limits(limits, &profile)),
            profile,
            #[cfg(feature = "seeded-defects")]
            defect: None,
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
        match fact {
            Fact::TurnCompleted {
                thread_id, turn_id, ..
            } => self.turn_completed(thread_id, turn_id, outputs),
            Fact::Initialize {
                connection_id,
                app_server_client,
                runtime,
            } => self.initialize(*connection_id, app_server_client, runtime, outputs),
            Fact::ThreadBound {
                connection_id,
                thread_id,
                binding: _,
                thread_source,
                subagent_source,
                parent_thread_id,
            } => {
                let context = ThreadContext {
                    connection_id: *connection_id,
                    thread_source: thread_source.clone(),
                    subagent_source: subagent_source.clone(),
                    parent_thread_id: parent_thread_id.clone(),
                };
                self.thread_bound(fact, thread_id, context, outputs);
            }
            Fact::ItemStarted {
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                ..
            } => {
                let key = ItemKeyView {
                    thread_id,
                    turn_id,
                    item_id,
                };
                self.item_started(fact, key, timestamp_ms(*started_at_ms), outputs);
            }
            Fact::ItemCompleted {
                thread_id,
                turn_id,
                item_id,
                kind,
                status,
                completed_at_ms,
                ..
            } => {
                let key = ItemKeyView {
                    thread_id,
                    turn_id,
                    item_id,
                };
                let completed_at_ms = timestamp_ms(*completed_at_ms);
                self.item_completed(fact, key, *kind, *status, completed_at_ms, outputs);
            }
            Fact::RequestAborted {
                request_id,
                completed_at_ms,
                ..
            } => self.close_request(
                fact,
                *request_id,
                Closing::Abort,
                timestamp_ms(*completed_at_ms),
                outputs,
            ),
            Fact::MalformedResponse {
                request_id,
                completed_at_ms,
                ..
            } => self.close_request(
                fact,
                *request_id,
                Closing::Malformed,
                timestamp_ms(*completed_at_ms),
                outputs,
            ),
            Fact::FileChangeResponse {
                request_id,
                decision,
                completed_at_ms,
                ..
            } => self.close_request(
                fact,
                *request_id,
                Closing::FileChange(*decision),
                timestamp_ms(*completed_at_ms),
                outputs,
            ),
            Fact::CommandExecutionResponse {
                request_id,
                decision,
                completed_at_ms,
                ..
            } => self.close_request(
                fact,
                *request_id,
                Closing::CommandExecution(decision),
                timestamp_ms(*completed_at_ms),
                outputs,
            ),
            Fact::EffectivePermissionsResponse {
                request_id,
                permissions,
                scope,
                completed_at_ms,
                ..
            } => self.close_request(
                fact,
                *request_id,
                Closing::Permissions(permissions, *scope),
                timestamp_ms(*completed_at_ms),
                outputs,
            ),
            Fact::FileChangeRequest { .. }
            | Fact::PermissionsRequest { .. }
            | Fact::CommandExecutionRequest { .. } => {
                if let Some((request_id, requested)) = self.requested_review(fact) {
                    self.open_request(fact, request_id, &requested, outputs);
                }
            }
            Fact::GuardianReviewCompleted {
                thread_id,
                turn_id,
                review_id,
                target_item_id,
                action,
                status,
                started_at_ms,
                completed_at_ms,
                ..
            } => {
                let completion = GuardianCompletion {
                    thread_id,
                    turn_id,
                    review_id,
                    target_item_id: target_item_id.as_deref(),
                    action,
                    status: *status,
                    started_at_ms: timestamp_ms(*started_at_ms),
                    completed_at_ms: timestamp_ms(*completed_at_ms),
                };
                self.guardian_review_completed(fact, &completion, outputs);
            }
        }
        self.state.debug_assert_bounded();
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
    fn turn_completed(&mut self, thread_id: &str, turn_id: &str, outputs: &mut Vec<Output>) {
        let releases_nothing = self.upstream(Departure::Turn1);
        #[cfg(feature = "seeded-defects")]
        let releases_nothing = releases_nothing && !self.has_defect(Defect::UpstreamTurnReleases);
        if releases_nothing {
            return;
        }
        let Some(released) = self.state.release_turn(thread_id, turn_id) else {
            return;
        };
        for (request_id, review) in released.pending_requests {
            outputs.push(Output::Diagnostic(unanswered_request(request_id, review)));
        }
        for key in released.item_starts {
            let reason = DiagnosticReason::ItemNeverCompleted;
            outputs.push(Output::Diagnostic(released_item(reason, key)));
        }
        for key in released.item_summaries {
            let reason = DiagnosticReason::UnconsumedSummary;
            outputs.push(Output::Diagnostic(released_item(reason, key)));
        }
    }

    /// CTX-1: `initialize` records or replaces the connection's metadata.
    fn initialize(
        &mut self,
        connection_id: ConnectionId,
        app_server_client: &AppServerClient,
        runtime: &Runtime,
        outputs: &mut Vec<Output>,
    ) {
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::FourConnectionSlots) {
            *self.state.connection_slot_mut(connection_id) = Some(Connection {
                app_server_client: std::sync::Arc::new(app_server_client.clone()),
                runtime: std::sync::Arc::new(runtime.clone()),
            });
        }
        // A reconnecting client usually announces the same metadata: keep the shared copy.
        if let Some(existing) = self.state.connection(connection_id)
            && *existing.app_server_client == *app_server_client
            && *existing.runtime == *runtime
        {
            return;
        }
        let connection = Connection {
            app_server_client: std::sync::Arc::new(app_server_client.clone()),
            runtime: std::sync::Arc::new(runtime.clone()),
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
        thread_id: &str,
        context: ThreadContext,
        outputs: &mut Vec<Output>,
    ) {
        if self.upstream(Departure::Ctx2) && self.state.connection(context.connection_id).is_none()
        {
            push_fact_diagnostic(DiagnosticReason::UninitializedConnection, fact, outputs);
            return;
        }
        let evicted = self.state.upsert_thread(thread_id, context);
        self.report_eviction(evicted, outputs);
    }

    /// ITEM-1, ITEM-6: an item start is recorded under `(thread, turn, item)`; a second start
    /// keeps the first and is reported (UP-ITEM-6: replaces it, and is reported).
    fn item_started(
        &mut self,
        fact: &Fact,
        key: ItemKeyView<'_>,
        started_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        if self.state.item_start(key).is_some() {
            #[cfg(feature = "seeded-defects")]
            if self.has_defect(Defect::DuplicateStartOverwrites)
                && let Some(start) = self.state.item_start_mut(key)
            {
                start.started_at_ms = started_at_ms;
            }
            push_fact_diagnostic(DiagnosticReason::DuplicateItemStart, fact, outputs);
            if self.upstream(Departure::Item6) {
                self.state.take_item_start(key);
                let evicted = self
                    .state
                    .record_item_start(key, ItemStart { started_at_ms });
                debug_assert!(evicted.is_none());
            }
            return;
        }
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::FourItemStartsPerTurn)
            && self.state.turn_item_starts(key.thread_id, key.turn_id) >= 4
        {
            return;
        }
        let evicted = self
            .state
            .record_item_start(key, ItemStart { started_at_ms });
        self.report_eviction(evicted, outputs);
    }

    /// ITEM-2..5, SUM-6: a terminal completion of a started item consumes its start and summary
    /// and emits the tool-item event (or its CTX-3 diagnostic); an unstarted one, or an
    /// `in_progress` one, changes nothing and is reported. UP-ITEM-5: an `in_progress` one
    /// consumes the start and summary too; UP-SUM-6: a dropped event leaves the summary.
    fn item_completed(
        &mut self,
        fact: &Fact,
        key: ItemKeyView<'_>,
        kind: ItemKind,
        status: ItemStatus,
        completed_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        let terminal = if kind == ItemKind::ImageGeneration
            && matches!(status, ItemStatus::InProgress | ItemStatus::Declined)
            && self.upstream(Departure::Item4)
        {
            // UP-ITEM-4: all but a failed image generation is a completed one upstream.
            Some((TerminalStatus::Completed, None))
        } else {
            item_terminal_status(status)
        };
        if terminal.is_none() && !self.upstream(Departure::Item5) {
            #[cfg(feature = "seeded-defects")]
            if self.has_defect(Defect::InProgressDiscardsSummary) {
                let summary_key = self.summary_key(key.thread_id, key.turn_id, key.item_id);
                self.state.take_summary(summary_key);
            }
            push_fact_diagnostic(DiagnosticReason::ItemNotTerminal, fact, outputs);
            return;
        }
        let Some((item_key, start)) = self.state.take_item_start(key) else {
            push_fact_diagnostic(DiagnosticReason::ItemNotStarted, fact, outputs);
            return;
        };
        let summary_key = self.summary_key(key.thread_id, key.turn_id, key.item_id);
        let context = self.event_context(&item_key.thread_id);
        let summary = if context.is_err() && self.upstream(Departure::Sum6) {
            self.state.summary(summary_key).cloned().unwrap_or_default()
        } else {
            let summary = self.state.take_summary(summary_key).unwrap_or_default();
            debug_assert!(self.state.summary(summary_key).is_none());
            summary
        };
        debug_assert!(self.state.item_start(key).is_none());
        let Some((terminal_status, failure_kind)) = terminal else {
            push_fact_diagnostic(DiagnosticReason::ItemNotTerminal, fact, outputs);
            return;
        };
        let duration_ms = self.duration_ms(start.started_at_ms, completed_at_ms);
        match context {
            Ok(context) => outputs.push(tool_item_event(kind).1(ToolItemEvent {
                thread_id: item_key.thread_id,
                turn_id: item_key.turn_id,
                item_id: item_key.item_id,
                app_server_client: context.app_server_client,
                runtime: context.runtime,
                thread_source: context.thread_source,
                subagent_source: context.subagent_source,
                parent_thread_id: context.parent_thread_id,
                terminal_status,
                failure_kind,
                started_at_ms: start.started_at_ms,
                completed_at_ms,
                duration_ms,
                review_count: summary.review_count,
                guardian_review_count: summary.guardian_review_count,
                user_review_count: summary.user_review_count,
                final_approval_outcome: summary.final_approval_outcome,
                requested_additional_permissions: summary.requested_additional_permissions,
                requested_network_access: summary.requested_network_access,
            })),
            Err(missing) => outputs.push(Output::Diagnostic(missing_context(
                missing,
                DroppedEvent {
                    event_type: tool_item_event(kind).0,
                    thread_id: item_key.thread_id,
                    turn_id: item_key.turn_id,
                    item_id: Some(item_key.item_id),
                    review_id: None,
                },
            ))),
        }
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
            let key = ItemKeyView {
                thread_id,
                turn_id,
                item_id,
            };
            self.state.take_item_start(key);
        }
        push_fact_diagnostic(DiagnosticReason::NegativeTimestamp, fact, outputs);
    }

    /// SUBJ-1..5: the review a request fact opens, as it derives from the fact alone.
    fn requested_review<'f>(&self, fact: &'f Fact) -> Option<(RequestId, RequestedReview<'f>)> {
        match fact {
            Fact::CommandExecutionRequest {
                request_id,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                approval_id,
                network_approval_context,
                proposed_network_policy_amendments,
                additional_permissions,
                ..
            } => {
                let flags = command_requested_flags(
                    network_approval_context.as_ref(),
                    proposed_network_policy_amendments.as_deref(),
                    additional_permissions.as_ref(),
                );
                let (subject_kind, subject_name) =
                    self.command_subject(network_approval_context.as_ref());
                let requested = RequestedReview {
                    kind: RequestKind::CommandExecution,
                    thread_id,
                    turn_id,
                    item_id,
                    subject_kind,
                    subject_name,
                    trigger: self.command_trigger(approval_id.is_some(), flags),
                    flags,
                    started_at_ms: self.request_started_ms(*started_at_ms),
                };
                Some((*request_id, requested))
            }
            Fact::FileChangeRequest {
                request_id,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                grant_root,
                ..
            } => {
                let (flags, trigger) = file_change_review(grant_root.as_deref());
                let requested = RequestedReview {
                    kind: RequestKind::FileChange,
                    thread_id,
                    turn_id,
                    item_id,
                    subject_kind: SubjectKind::FileChange,
                    subject_name: "apply_patch",
                    trigger,
                    flags,
                    started_at_ms: self.request_started_ms(*started_at_ms),
                };
                Some((*request_id, requested))
            }
            Fact::PermissionsRequest {
                request_id,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                permissions,
                ..
            } => {
                let flags = permissions_requested_flags(permissions);
                let requested = RequestedReview {
                    kind: RequestKind::Permissions,
                    thread_id,
                    turn_id,
                    item_id,
                    subject_kind: SubjectKind::Permissions,
                    subject_name: "permissions",
                    trigger: sandbox_trigger(flags),
                    flags,
                    started_at_ms: self.request_started_ms(*started_at_ms),
                };
                Some((*request_id, requested))
            }
            _ => None,
        }
    }

    /// TIME-3: a user review starts when its request was made.
    fn request_started_ms(&self, started_at_ms: i64) -> u64 {
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::RequestStartThroughF64) {
            return timestamp_ms(started_at_ms as f64 as i64);
        }
        timestamp_ms(started_at_ms)
    }

    /// LIFE-1..3, LIFE-6: a request opens a pending review under its id alone, unless that id is
    /// pending: an identical copy is absorbed, a conflicting one is reported and keeps the first
    /// (UP-LIFE-3: replaces it).
    fn open_request(
        &mut self,
        fact: &Fact,
        request_id: RequestId,
        requested: &RequestedReview<'_>,
        outputs: &mut Vec<Output>,
    ) {
        let request_id = self.pending_key(request_id);
        if let Some(pending) = self.state.pending(request_id) {
            if requested.is_copy_of(pending) {
                push_fact_diagnostic(DiagnosticReason::DuplicateRequest, fact, outputs);
                return;
            }
            #[cfg(feature = "seeded-defects")]
            if self.has_defect(Defect::ConflictReplaces) {
                self.state.close_pending(request_id);
                let evicted = self.state.open_pending(request_id, requested.to_pending());
                self.report_eviction(evicted, outputs);
            }
            push_fact_diagnostic(DiagnosticReason::ConflictingRequest, fact, outputs);
            let replaces = self.upstream(Departure::Life3);
            #[cfg(feature = "seeded-defects")]
            let replaces = replaces && !self.has_defect(Defect::UpstreamConflictKept);
            if replaces {
                // UP-LIFE-3: the conflicting review opens afresh in the first one's place.
                self.state.close_pending(request_id);
                let evicted = self.state.open_pending(request_id, requested.to_pending());
                debug_assert!(evicted.is_none());
            }
            return;
        }
        let evicted = self.state.open_pending(request_id, requested.to_pending());
        self.report_eviction(evicted, outputs);
    }

    /// LIFE-4, LIFE-5, DEC-4: a closing fact for a pending review of a matching kind removes it
    /// and completes the review (then, if malformed, reports itself); for a request id that is
    /// not pending it is an orphan; for another kind it is a mismatch that closes nothing.
    fn close_request(
        &mut self,
        fact: &Fact,
        request_id: RequestId,
        closing: Closing<'_>,
        completed_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        let key = self.pending_key(request_id);
        if closing == Closing::Malformed
            && self.upstream(Departure::Dec4)
            && self
                .state
                .pending(key)
                .is_none_or(|pending| pending.kind != RequestKind::Permissions)
        {
            // UP-DEC-4: upstream never sees a malformed response to a command or file-change
            // request; the review stays pending. (Its permissions handler records an empty grant
            // instead, which DEC-4's denial matches.)
            push_fact_diagnostic(DiagnosticReason::MalformedResponse, fact, outputs);
            return;
        }
        let Some(pending) = self.state.pending(key) else {
            #[cfg(feature = "seeded-defects")]
            if self.has_defect(Defect::SilentOrphan) {
                return;
            }
            push_fact_diagnostic(DiagnosticReason::OrphanResponse, fact, outputs);
            return;
        };
        if !closing.closes(pending.kind) && !self.upstream(Departure::Life5) {
            push_fact_diagnostic(DiagnosticReason::MismatchedResponse, fact, outputs);
            return;
        }
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::MalformedLeavesPending) && closing == Closing::Malformed {
            push_fact_diagnostic(DiagnosticReason::MalformedResponse, fact, outputs);
            return;
        }
        let (status, resolution) = self.decision(&closing);
        let Some(review) = self.take_pending(key, &closing) else {
            return;
        };
        let completed = CompletedReview {
            review_id: self.user_review_id(request_id),
            thread_id: review.thread_id,
            turn_id: review.turn_id,
            item_id: Some(review.item_id),
            subject_kind: review.subject_kind,
            subject_name: review.subject_name.to_owned(),
            reviewer: Reviewer::User,
            trigger: review.trigger,
            status,
            resolution,
            requested: RequestedFlags {
                additional_permissions: review.requested_additional_permissions,
                network_access: review.requested_network_access,
            },
            started_at_ms: review.started_at_ms,
            completed_at_ms,
        };
        self.complete_review(completed, outputs);
        if closing == Closing::Malformed {
            push_fact_diagnostic(DiagnosticReason::MalformedResponse, fact, outputs);
        }
    }

    /// ISO-2: a pending review is keyed by its request id alone, as it is.
    fn pending_key(&self, request_id: RequestId) -> RequestId {
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::RequestIdThroughF64) {
            return request_id as f64 as RequestId;
        }
        request_id
    }

    /// LIFE-4: the first terminal fact removes the pending review, so a later one is an orphan.
    fn take_pending(
        &mut self,
        request_id: RequestId,
        closing: &Closing<'_>,
    ) -> Option<PendingReview> {
        #[cfg(feature = "seeded-defects")]
        {
            let stays_open = match closing {
                Closing::Abort => self.has_defect(Defect::ResponseAfterAbortCounted),
                _ => self.has_defect(Defect::LastTerminalWins),
            };
            if stays_open {
                return self.state.pending(request_id).cloned();
            }
        }
        let review = self.state.close_pending(request_id);
        debug_assert!(
            review.as_ref().is_some_and(
                |review| closing.closes(review.kind) || self.upstream(Departure::Life5)
            )
        );
        debug_assert!(self.state.pending(request_id).is_none());
        review
    }

    /// DEC-1..4, GRANT-1..2: the status and resolution a closing fact gives its review.
    fn decision(&self, closing: &Closing<'_>) -> (ReviewStatus, Resolution) {
        match closing {
            // DEC-3: an abort closes any review as aborted.
            Closing::Abort => (ReviewStatus::Aborted, Resolution::None),
            // DEC-4: a malformed response closes any review as a decline would.
            Closing::Malformed => (ReviewStatus::Denied, Resolution::None),
            Closing::CommandExecution(decision) => command_decision(decision),
            Closing::FileChange(decision) => file_change_decision(*decision),
            Closing::Permissions(permissions, scope) => self.grant_decision(permissions, *scope),
        }
    }

    /// GUARD-1..5, DEDUP-1, ID-2: a terminal guardian completion, the first for its
    /// `(thread, review id)`, is remembered for its turn and completes a guardian review; an
    /// `in_progress` one or a repeat is reported and changes nothing.
    fn guardian_review_completed(
        &mut self,
        fact: &Fact,
        completion: &GuardianCompletion<'_>,
        outputs: &mut Vec<Output>,
    ) {
        let Some(status) = self.guardian_status(completion.status) else {
            push_fact_diagnostic(DiagnosticReason::GuardianInProgress, fact, outputs);
            return;
        };
        let key = GuardianKeyView {
            thread_id: completion.thread_id,
            review_id: completion.review_id,
        };
        // UP-DEDUP-1: upstream counts every terminal completion and remembers none.
        if !self.upstream(Departure::Dedup1) {
            let seen = self.state.guardian_seen(key);
            #[cfg(feature = "seeded-defects")]
            let seen_in_another_turn = self
                .state
                .guardian_seen_turn(key)
                .is_some_and(|turn_id| turn_id != completion.turn_id);
            #[cfg(feature = "seeded-defects")]
            let seen = seen
                && !self.has_defect(Defect::DuplicateGuardianCounted)
                && !(self.has_defect(Defect::GuardianDedupPerTurn) && seen_in_another_turn);
            if seen {
                #[cfg(feature = "seeded-defects")]
                if self.has_defect(Defect::GuardianMemoryOutlivesTurn) && seen_in_another_turn {
                    // Re-filed under no turn, which no `turn_completed` names.
                    self.state.forget_guardian(key);
                    let evicted = self.state.mark_guardian_seen(key, "");
                    debug_assert!(evicted.is_none());
                }
                push_fact_diagnostic(DiagnosticReason::DuplicateGuardianCompletion, fact, outputs);
                return;
            }
            let evicted = self.state.mark_guardian_seen(key, completion.turn_id);
            self.report_eviction(evicted, outputs);
        }
        let subject = guardian_subject(completion.action);
        let review = CompletedReview {
            thread_id: completion.thread_id.to_owned(),
            turn_id: completion.turn_id.to_owned(),
            item_id: completion.target_item_id.map(str::to_owned),
            review_id: completion.review_id.to_owned(),
            subject_kind: subject.kind,
            subject_name: subject.name.to_owned(),
            reviewer: Reviewer::Guardian,
            trigger: subject.trigger,
            status,
            resolution: Resolution::None,
            requested: guardian_requested_flags(completion.action),
            started_at_ms: completion.started_at_ms,
            completed_at_ms: completion.completed_at_ms,
        };
        self.complete_review(review, outputs);
    }

    /// CAP-1: an entry evicted to make room is reported, immediately before the output of the
    /// insertion that evicted it.
    pub(crate) fn report_eviction(&self, evicted: Option<Evicted>, outputs: &mut Vec<Output>) {
        let Some(evicted) = evicted else {
            return;
        };
        #[cfg(feature = "seeded-defects")]
        if self.has_defect(Defect::SilentEviction) {
            return;
        }
        outputs.push(Output::Diagnostic(evicted_diagnostic(evicted)));
    }
}

impl Reducer {
    /// Forgets all state and starts a new trace with `limits`, following `profile`; a seeded
    /// defect, if any, stays.
    pub fn reset(&mut self, limits: Limits, profile: Profile) {
        #[cfg(feature = "seeded-defects")]
        let limits = self.defective_limits(limits);
        self.profile = profile;
        self.state = State::new(table_limits(limits, &profile));
    }
}

/// A closing fact of a user review (LIFE-4), with what it decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closing<'f> {
    Abort,
    Malformed,
    CommandExecution(&'f CommandDecision),
    FileChange(FileChangeDecision),
    Permissions(&'f PermissionProfile, GrantScope),
}

impl Closing<'_> {
    /// LIFE-5: a response closes only its own request kind; aborts and malformed responses close
    /// any.
    fn closes(&self, kind: RequestKind) -> bool {
        match self {
            Closing::Abort | Closing::Malformed => true,
            Closing::CommandExecution(_) => kind == RequestKind::CommandExecution,
            Closing::FileChange(_) => kind == RequestKind::FileChange,
            Closing::Permissions(..) => kind == RequestKind::Permissions,
        }
    }
}

/// The review a request fact asks to open, borrowing the fact's ids (LIFE-1).
#[derive(Clone, Debug, PartialEq, Eq)]
struct RequestedReview<'f> {
    kind: RequestKind,
    thread_id: &'f str,
    turn_id: &'f str,
    item_id: &'f str,
    subject_kind: SubjectKind,
    subject_name: &'static str,
    trigger: Trigger,
    flags: RequestedFlags,
    started_at_ms: u64,
}

impl RequestedReview<'_> {
    /// LIFE-2: a per-connection copy derives the identical review: same request kind, thread,
    /// turn, item, subject, trigger, flags and start.
    fn is_copy_of(&self, pending: &PendingReview) -> bool {
        self.kind == pending.kind
            && self.thread_id == pending.thread_id
            && self.turn_id == pending.turn_id
            && self.item_id == pending.item_id
            && self.subject_kind == pending.subject_kind
            && self.subject_name == pending.subject_name
            && self.trigger == pending.trigger
            && self.flags.additional_permissions == pending.requested_additional_permissions
            && self.flags.network_access == pending.requested_network_access
            && self.started_at_ms == pending.started_at_ms
    }

    /// The pending review to store: the one place a request's ids are cloned.
    fn to_pending(&self) -> PendingReview {
        PendingReview {
            kind: self.kind,
            thread_id: self.thread_id.to_owned(),
            turn_id: self.turn_id.to_owned(),
            item_id: self.item_id.to_owned(),
            subject_kind: self.subject_kind,
            subject_name: self.subject_name,
            trigger: self.trigger,
            requested_additional_permissions: self.flags.additional_permissions,
            requested_network_access: self.flags.network_access,
            started_at_ms: self.started_at_ms,
        }
    }
}

/// A guardian completion's fields, borrowed from its fact, timestamps already checked (TIME-2).
struct GuardianCompletion<'f> {
    thread_id: &'f str,
    turn_id: &'f str,
    review_id: &'f str,
    target_item_id: Option<&'f str>,
    action: &'f GuardianAction,
    status: GuardianStatus,
    started_at_ms: u64,
    completed_at_ms: u64,
}

/// TIME-2: whether a fact carries a negative `started_at_ms` or `completed_at_ms`.
fn has_negative_timestamp(fact: &Fact) -> bool {
    let times = fact.times();
    [times.started_at_ms, times.completed_at_ms]
        .into_iter()
        .flatten()
        .any(|ms| ms < 0)
}

/// CAP-1 bounds each table by the limits; UP-CAP-1 (upstream) bounds nothing.
pub(super) fn table_limits(limits: Limits, profile: &Profile) -> Limits {
    if profile.follows_upstream(Departure::Cap1) {
        Limits {
            table_entries_max: usize::MAX,
        }
    } else {
        limits
    }
}

/// A timestamp that TIME-2 already checked is not negative, as the unsigned event field.
fn timestamp_ms(value: i64) -> u64 {
    debug_assert!(value >= 0);
    u64::try_from(value).unwrap_or(0)
}

/// FATE-1: pushes a diagnostic about a fact, with the fact's identity fields.
fn push_fact_diagnostic(reason: DiagnosticReason, fact: &Fact, outputs: &mut Vec<Output>) {
    outputs.push(Output::Diagnostic(fact_diagnostic(reason, fact)));
}
