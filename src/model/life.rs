//! LIFE: the user review lifecycle: open, absorb copies, refuse conflicts, close once.

use super::state::{CompletedReview, PendingReview, RequestKind, State};
use super::subj::{self, CommandRequest};
use super::{cap, ctx, dec, fate, grant, id, time};
use crate::event::{Diagnostic, DiagnosticReason, Output, Reviewer};
use crate::fact::Fact;
use crate::profile::Departure;

/// LIFE-1..3: a request opens a pending review, unless its id is pending already: an identical
/// copy is absorbed (LIFE-2), a different one refused (LIFE-3; UP-LIFE-3: upstream replaces the
/// pending review with it).
pub(crate) fn open_request(state: &mut State, fact: &Fact) {
    let Some((request_id, review)) = pending_review_of(state, fact) else {
        return;
    };
    match state.pending_requests.get(&request_id) {
        Some(pending) if same_review(pending, &review) => {
            state.trail.mark("LIFE-2");
            let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateRequest);
            state.emit(Output::Diagnostic(diagnostic));
        }
        Some(_) => {
            let replaces = state.upstream(Departure::Life3);
            if !replaces {
                state.trail.mark("LIFE-3");
            }
            let diagnostic = fate::about_fact(fact, DiagnosticReason::ConflictingRequest);
            state.emit(Output::Diagnostic(diagnostic));
            if replaces {
                // The conflicting review opens afresh; removing the first freed its slot, so
                // nothing is evicted.
                state.pending_requests.remove(&request_id);
                let evicted =
                    state
                        .pending_requests
                        .insert_new(request_id, review, &mut state.trail);
                debug_assert!(evicted.is_none());
            }
        }
        None => {
            state.trail.mark("LIFE-1");
            if state.trail.was_closed(request_id) {
                // A copy of a request whose review already closed opens it again.
                state.trail.mark("LIFE-6");
            }
            if let Some((evicted_id, evicted)) =
                state
                    .pending_requests
                    .insert_new(request_id, review, &mut state.trail)
            {
                let diagnostic = Diagnostic {
                    request_id: Some(evicted_id),
                    thread_id: Some(evicted.thread_id),
                    turn_id: Some(evicted.turn_id),
                    item_id: Some(evicted.item_id),
                    ..cap::evicted(state.pending_requests.table)
                };
                state.emit_carrying(Output::Diagnostic(diagnostic), &evicted.provenance);
            }
        }
    }
}

/// LIFE-1 with SUBJ-1..5, ID-1: the pending review a request fact describes.
fn pending_review_of(
    state: &mut State,
    fact: &Fact,
) -> Option<(crate::fact::RequestId, PendingReview)> {
    let trail = &mut state.trail;
    let connection_id = fact.connection_id()?;
    let (request_id, request_kind, thread_id, turn_id, item_id, started_at_ms, subject) = match fact
    {
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
            let request = CommandRequest {
                approval_id,
                network_approval_context,
                proposed_network_policy_amendments,
                additional_permissions,
            };
            let subject = subj::command_subject(&request, trail);
            let kind = RequestKind::CommandExecution;
            (
                request_id,
                kind,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                subject,
            )
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
            let subject = subj::file_change_subject(grant_root, trail);
            let kind = RequestKind::FileChange;
            (
                request_id,
                kind,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                subject,
            )
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
            let subject = subj::permissions_subject(permissions, trail);
            let kind = RequestKind::Permissions;
            (
                request_id,
                kind,
                thread_id,
                turn_id,
                item_id,
                started_at_ms,
                subject,
            )
        }
        _ => return None,
    };
    trail.mark("ID-1");
    let provenance = trail.provenance();
    let review = PendingReview {
        request_kind,
        connection_id,
        thread_id: thread_id.clone(),
        turn_id: turn_id.clone(),
        item_id: item_id.clone(),
        review_id: id::user_review_id(*request_id),
        subject,
        started_at_ms: time::event_ms(*started_at_ms),
        provenance,
    };
    Some((*request_id, review))
}

/// LIFE-4..6: a closing fact completes its pending review once (first terminal fact wins), is an
/// orphan when nothing is pending, and leaves the review pending when of the wrong kind.
/// UP-DEC-4: upstream never sees a malformed response to a command or file-change request (its
/// permissions handler turns one into an empty grant, which DEC-4's denial matches); UP-LIFE-5:
/// it closes a review with a response of any kind.
pub(crate) fn close_request(state: &mut State, fact: &Fact) {
    let Some((request_id, completed_at_ms)) = closing_request_id(fact) else {
        return;
    };
    if matches!(fact, Fact::MalformedResponse { .. })
        && !pending_is_permissions(state, request_id)
        && state.upstream(Departure::Dec4)
    {
        let diagnostic = fate::about_fact(fact, DiagnosticReason::MalformedResponse);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    }
    let Some(pending_kind) = state
        .pending_requests
        .get(&request_id)
        .map(|pending| pending.request_kind)
    else {
        state.trail.mark("LIFE-4");
        let diagnostic = fate::about_fact(fact, DiagnosticReason::OrphanResponse);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    };
    if !closes_kind(fact, pending_kind) && !state.upstream(Departure::Life5) {
        state.trail.mark("LIFE-5");
        let diagnostic = fate::about_fact(fact, DiagnosticReason::MismatchedResponse);
        state.emit(Output::Diagnostic(diagnostic));
        return;
    }
    let Some(pending) = state.pending_requests.remove(&request_id) else {
        return;
    };
    state.trail.mark("LIFE-4");
    state.trail.note_closed(request_id);
    if state.trail.current_connection != Some(pending.connection_id) {
        // The review is found by request id alone, whichever connection answers.
        state.trail.mark("ISO-2");
    }
    let trail = &mut state.trail;
    let (status, resolution) = match fact {
        Fact::RequestAborted { .. } => dec::abort(trail),
        Fact::MalformedResponse { .. } => dec::malformed(trail),
        Fact::CommandExecutionResponse { decision, .. } => dec::command_decision(decision, trail),
        Fact::FileChangeResponse { decision, .. } => dec::file_change_decision(*decision, trail),
        Fact::EffectivePermissionsResponse {
            permissions, scope, ..
        } => grant::effective_grant(permissions, *scope, trail),
        _ => return,
    };
    trail.mark("TIME-3");
    let review = CompletedReview {
        thread_id: pending.thread_id,
        turn_id: pending.turn_id,
        item_id: Some(pending.item_id),
        review_id: pending.review_id,
        subject: pending.subject,
        reviewer: Reviewer::User,
        status,
        resolution,
        started_at_ms: pending.started_at_ms,
        completed_at_ms: time::event_ms(completed_at_ms),
        provenance: pending.provenance,
    };
    ctx::emit_review(state, review);
    if matches!(fact, Fact::MalformedResponse { .. }) {
        let diagnostic = fate::about_fact(fact, DiagnosticReason::MalformedResponse);
        state.emit(Output::Diagnostic(diagnostic));
    }
}

/// UP-DEC-4: whether the request a malformed response answers is a pending permissions request
/// (upstream's permissions handler records an empty grant for it, so DEC-4 applies).
fn pending_is_permissions(state: &State, request_id: crate::fact::RequestId) -> bool {
    state
        .pending_requests
        .get(&request_id)
        .is_some_and(|pending| pending.request_kind == RequestKind::Permissions)
}

/// LIFE-2: two pending reviews are the same review when they agree on the request kind, thread,
/// turn, item, subject, trigger, flags and start time.
fn same_review(a: &PendingReview, b: &PendingReview) -> bool {
    a.request_kind == b.request_kind
        && a.thread_id == b.thread_id
        && a.turn_id == b.turn_id
        && a.item_id == b.item_id
        && a.review_id == b.review_id
        && a.subject == b.subject
        && a.started_at_ms == b.started_at_ms
}

fn closing_request_id(fact: &Fact) -> Option<(crate::fact::RequestId, i64)> {
    match fact {
        Fact::RequestAborted {
            request_id,
            completed_at_ms,
            ..
        }
        | Fact::MalformedResponse {
            request_id,
            completed_at_ms,
            ..
        }
        | Fact::FileChangeResponse {
            request_id,
            completed_at_ms,
            ..
        }
        | Fact::CommandExecutionResponse {
            request_id,
            completed_at_ms,
            ..
        }
        | Fact::EffectivePermissionsResponse {
            request_id,
            completed_at_ms,
            ..
        } => Some((*request_id, *completed_at_ms)),
        _ => None,
    }
}

/// LIFE-5: which request kinds a closing fact may close.
fn closes_kind(fact: &Fact, kind: RequestKind) -> bool {
    match fact {
        Fact::RequestAborted { .. } | Fact::MalformedResponse { .. } => true,
        Fact::CommandExecutionResponse { .. } => kind == RequestKind::CommandExecution,
        Fact::FileChangeResponse { .. } => kind == RequestKind::FileChange,
        Fact::EffectivePermissionsResponse { .. } => kind == RequestKind::Permissions,
        _ => false,
    }
}
