//! User reviews (LIFE-1..6, SUBJ, DEC, GRANT): a request opens a pending review, its closing fact
//! (a response, an abort, a malformed response) completes it.

use crate::fields::Fields;
use std::borrow::Cow;

use crate::event::{
    DiagnosticReason, Output, Resolution, ReviewStatus, Reviewer, SubjectKind, Trigger,
};
use crate::fact::{
    CommandDecision, Fact, FileChangeDecision, GrantScope, Id, PermissionProfile, RequestId,
};
use crate::profile::Departure;

use super::Defect;
use super::derive::{
    RequestedFlags, command_decision, command_requested_flags, command_subject, command_trigger,
    file_change_decision, file_change_review, grant_decision, permissions_requested_flags,
    sandbox_trigger, user_review_id,
};
use super::entries::{PendingReview, RequestKind};
use super::hooks::Hooks;
use super::review::CompletedReview;

use super::Reducer;
use super::derive::timestamp_ms;
use super::diagnostic::push_fact_diagnostic;

impl<H: Hooks> Reducer<H> {
    /// SUBJ-1..5: the review a request fact opens, as it derives from the fact alone: what the
    /// request kind decides, then the ids and start every request carries.
    pub(super) fn requested_review<'f>(
        &self,
        fact: &'f Fact,
    ) -> Option<(RequestId, RequestedReview<'f>)> {
        let (kind, subject_kind, subject_name, trigger, flags) = match fact {
            Fact::CommandExecutionRequest {
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
                    command_subject(&self.hooks, network_approval_context.as_ref());
                let trigger = command_trigger(&self.hooks, approval_id.is_some(), flags);
                let kind = RequestKind::CommandExecution;
                (kind, subject_kind, subject_name, trigger, flags)
            }
            Fact::FileChangeRequest { grant_root, .. } => {
                let (flags, trigger) = file_change_review(grant_root.as_deref());
                let kind = RequestKind::FileChange;
                (kind, SubjectKind::FileChange, "apply_patch", trigger, flags)
            }
            Fact::PermissionsRequest { permissions, .. } => {
                let flags = permissions_requested_flags(permissions);
                let kind = RequestKind::Permissions;
                let trigger = sandbox_trigger(flags);
                (
                    kind,
                    SubjectKind::Permissions,
                    "permissions",
                    trigger,
                    flags,
                )
            }
            _ => return None,
        };
        let ids = Fields::of(fact);
        let requested = RequestedReview {
            kind,
            thread_id: ids.thread?,
            turn_id: ids.turn?,
            item_id: ids.item?,
            subject_kind,
            subject_name,
            trigger,
            flags,
            started_at_ms: request_started_ms(&self.hooks, ids.started_ms?),
        };
        Some((ids.request?, requested))
    }

    /// LIFE-1..3, LIFE-6: a request opens a pending review under its id alone, unless that id is
    /// pending: an identical copy is absorbed, a conflicting one is reported and keeps the first
    /// (UP-LIFE-3: replaces it).
    pub(super) fn open_request(
        &mut self,
        fact: &Fact,
        request_id: RequestId,
        requested: &RequestedReview<'_>,
        outputs: &mut Vec<Output>,
    ) {
        let request_id = pending_key(&self.hooks, request_id);
        if let Some(pending) = self.state.pending(request_id) {
            if requested.is_copy_of(pending) {
                push_fact_diagnostic(DiagnosticReason::DuplicateRequest, fact, outputs);
                return;
            }
            if self.hooks.breaks(Defect::ConflictReplaces) {
                self.state.close_pending(request_id);
                let evicted = self.state.open_pending(request_id, requested.to_pending());
                self.report_eviction(evicted, outputs);
            }
            push_fact_diagnostic(DiagnosticReason::ConflictingRequest, fact, outputs);
            let replaces = self.upstream(Departure::Life3);
            let replaces = replaces && !self.hooks.breaks(Defect::UpstreamConflictKept);
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
    pub(super) fn close_request(
        &mut self,
        fact: &Fact,
        request_id: RequestId,
        closing: Closing<'_>,
        completed_at_ms: u64,
        outputs: &mut Vec<Output>,
    ) {
        let key = pending_key(&self.hooks, request_id);
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
            if self.hooks.breaks(Defect::SilentOrphan) {
                return;
            }
            push_fact_diagnostic(DiagnosticReason::OrphanResponse, fact, outputs);
            return;
        };
        if !closing.closes(pending.kind) && !self.upstream(Departure::Life5) {
            push_fact_diagnostic(DiagnosticReason::MismatchedResponse, fact, outputs);
            return;
        }
        if self.hooks.breaks(Defect::MalformedLeavesPending) && closing == Closing::Malformed {
            push_fact_diagnostic(DiagnosticReason::MalformedResponse, fact, outputs);
            return;
        }
        let (status, resolution) = decision(&self.hooks, &closing);
        let Some(review) = self.take_pending(key, &closing) else {
            return;
        };
        let completed = CompletedReview {
            review_id: user_review_id(&self.hooks, request_id),
            thread_id: review.thread_id,
            turn_id: review.turn_id,
            item_id: Some(review.item_id),
            subject_kind: review.subject_kind,
            subject_name: Cow::Borrowed(review.subject_name),
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

    /// LIFE-4: the first terminal fact removes the pending review, so a later one is an orphan.
    pub(super) fn take_pending(
        &mut self,
        request_id: RequestId,
        closing: &Closing<'_>,
    ) -> Option<PendingReview> {
        let stays_open = match closing {
            Closing::Abort => self.hooks.breaks(Defect::ResponseAfterAbortCounted),
            _ => self.hooks.breaks(Defect::LastTerminalWins),
        };
        if stays_open {
            return self.state.pending(request_id).cloned();
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
}

/// TIME-3: a user review starts when its request was made.
fn request_started_ms(hooks: &impl Hooks, started_at_ms: i64) -> u64 {
    if hooks.breaks(Defect::RequestStartThroughF64) {
        return timestamp_ms(started_at_ms as f64 as i64);
    }
    timestamp_ms(started_at_ms)
}

/// ISO-2: a pending review is keyed by its request id alone, as it is.
fn pending_key(hooks: &impl Hooks, request_id: RequestId) -> RequestId {
    if hooks.breaks(Defect::RequestIdThroughF64) {
        return request_id as f64 as RequestId;
    }
    request_id
}

/// DEC-1..4, GRANT-1..2: the status and resolution a closing fact gives its review.
fn decision(hooks: &impl Hooks, closing: &Closing<'_>) -> (ReviewStatus, Resolution) {
    match closing {
        // DEC-3: an abort closes any review as aborted.
        Closing::Abort => (ReviewStatus::Aborted, Resolution::None),
        // DEC-4: a malformed response closes any review as a decline would.
        Closing::Malformed => (ReviewStatus::Denied, Resolution::None),
        Closing::CommandExecution(decision) => command_decision(decision),
        Closing::FileChange(decision) => file_change_decision(*decision),
        Closing::Permissions(permissions, scope) => grant_decision(hooks, permissions, *scope),
    }
}

/// A closing fact of a user review (LIFE-4), with what it decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Closing<'f> {
    Abort,
    Malformed,
    CommandExecution(&'f CommandDecision),
    FileChange(FileChangeDecision),
    Permissions(&'f PermissionProfile, GrantScope),
}

impl<'f> Closing<'f> {
    /// The closing fact `fact` is, if it is one (LIFE-4).
    pub(super) fn of(fact: &'f Fact) -> Option<Closing<'f>> {
        match fact {
            Fact::RequestAborted { .. } => Some(Closing::Abort),
            Fact::MalformedResponse { .. } => Some(Closing::Malformed),
            Fact::CommandExecutionResponse { decision, .. } => {
                Some(Closing::CommandExecution(decision))
            }
            Fact::FileChangeResponse { decision, .. } => Some(Closing::FileChange(*decision)),
            Fact::EffectivePermissionsResponse {
                permissions, scope, ..
            } => Some(Closing::Permissions(permissions, *scope)),
            _ => None,
        }
    }
}

impl Closing<'_> {
    /// LIFE-5: a response closes only its own request kind; aborts and malformed responses close
    /// any.
    pub(super) fn closes(&self, kind: RequestKind) -> bool {
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
pub(super) struct RequestedReview<'f> {
    pub(super) kind: RequestKind,
    pub(super) thread_id: &'f Id,
    pub(super) turn_id: &'f Id,
    pub(super) item_id: &'f Id,
    pub(super) subject_kind: SubjectKind,
    pub(super) subject_name: &'static str,
    pub(super) trigger: Trigger,
    pub(super) flags: RequestedFlags,
    pub(super) started_at_ms: u64,
}

impl RequestedReview<'_> {
    /// LIFE-2: a per-connection copy derives the identical review: same request kind, thread,
    /// turn, item, subject, trigger, flags and start.
    pub(super) fn is_copy_of(&self, pending: &PendingReview) -> bool {
        self.kind == pending.kind
            && *self.thread_id == pending.thread_id
            && *self.turn_id == pending.turn_id
            && *self.item_id == pending.item_id
            && self.subject_kind == pending.subject_kind
            && self.subject_name == pending.subject_name
            && self.trigger == pending.trigger
            && self.flags.additional_permissions == pending.requested_additional_permissions
            && self.flags.network_access == pending.requested_network_access
            && self.started_at_ms == pending.started_at_ms
    }

    /// The pending review to store: the one place a request's ids are cloned.
    pub(super) fn to_pending(&self) -> PendingReview {
        PendingReview {
            kind: self.kind,
            thread_id: self.thread_id.clone(),
            turn_id: self.turn_id.clone(),
            item_id: self.item_id.clone(),
            subject_kind: self.subject_kind,
            subject_name: self.subject_name,
            trigger: self.trigger,
            requested_additional_permissions: self.flags.additional_permissions,
            requested_network_access: self.flags.network_access,
            started_at_ms: self.started_at_ms,
        }
    }
}
