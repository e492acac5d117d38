//! LIFE: the user review lifecycle: open, absorb copies, refuse conflicts, close once.

use super::state::{CompletedReview, PendingReview, RequestKind, State};
use super::subj::{self, CommandRequest};
use super::trail::Entry;
use super::why::{Aspect, Mark, Why};
use super::{cap, ctx, dec, fate, grant, id, time};
use crate::event::{Diagnostic, DiagnosticReason, Identity, Output, Reviewer};
use crate::fact::Fact;
use crate::profile::Departure;

/// LIFE-1..3: a request opens a pending review, unless its id is pending already: an identical
/// copy is absorbed (LIFE-2), a different one refused (LIFE-3; UP-LIFE-3: upstream replaces the
/// pending review with it).
pub(crate) fn open_request(state: &mut State, fact: &Fact) {
    let Some((request_id, mut review)) = pending_review_of(state, fact) else {
        return;
    };
    match state.pending_requests.get(&request_id) {
        Some(pending) if same_review(pending, &review) => {
            let absorbs = state.trail.exception("LIFE-2");
            let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateRequest);
            state.emit(
                Output::Diagnostic(diagnostic),
                Why::of_mark(&[Aspect::Exists], absorbs),
            );
        }
        Some(_) => {
            let replaces = state.upstream(Departure::Life3);
            let decides = match replaces {
                Some(up) => up,
                None => state.trail.exception("LIFE-3"),
            };
            let diagnostic = fate::about_fact(fact, DiagnosticReason::ConflictingRequest);
            state.emit(
                Output::Diagnostic(diagnostic),
                Why::of_mark(&[Aspect::Exists], decides),
            );
            if replaces.is_some() {
                // The conflicting review opens afresh; removing the first freed its slot, so
                // nothing is evicted.
                review.why.also(decides);
                state.pending_requests.remove(&request_id);
                let evicted =
                    state
                        .pending_requests
                        .insert_new(request_id, review, &mut state.trail);
                debug_assert!(evicted.is_none());
            } else if let Some(pending) = state.pending_requests.get_mut(&request_id) {
                // The first review stays as it was, against this request.
                pending.why.also(decides);
            }
        }
        None => {
            let keyed = state.trail.implied("ISO-2", false);
            review.why.add(Aspect::Field("request_id"), keyed);
            let opens = state.trail.mark("LIFE-1");
            review.why.add_each(&OPENED, opens);
            // No review is pending under this request id: nothing to absorb or refuse.
            let new_id = state.trail.noted("ISO-2");
            for reason in [
                DiagnosticReason::DuplicateRequest,
                DiagnosticReason::ConflictingRequest,
            ] {
                state.trail.withhold_diagnostic(reason, new_id);
            }
            if state.trail.was_closed(request_id) {
                // A copy of a request whose review already closed opens it again.
                review.why.also(state.trail.exception("LIFE-6"));
            }
            if let Some((evicted_id, evicted)) =
                state
                    .pending_requests
                    .insert_new(request_id, review, &mut state.trail)
            {
                let turn = Entry::TurnRequests(evicted.thread_id.clone(), evicted.turn_id.clone());
                let diagnostic = Diagnostic {
                    request_id: Some(evicted_id),
                    thread_id: Some(evicted.thread_id),
                    turn_id: Some(evicted.turn_id),
                    item_id: Some(evicted.item_id),
                    ..cap::evicted(state.pending_requests.table)
                };
                let entry = Entry::Request(evicted_id);
                state.emit_evicted(diagnostic, entry, &evicted.why);
                let gone = state.trail.why_gone(&Entry::Request(evicted_id));
                state.trail.note_also_gone(turn, &gone);
            }
        }
    }
}

/// What LIFE-1 decides when it opens a review: that it exists, where it stands in its table, and
/// the fields it takes from the request as they are.
const OPENED: [Aspect; 7] = [
    Aspect::Exists,
    Aspect::Field("request_id"),
    Aspect::Order(1),
    Aspect::Field("thread_id"),
    Aspect::Field("turn_id"),
    Aspect::Field("item_id"),
    Aspect::Field("started_at_ms"),
];

/// LIFE-1 with SUBJ-1..5, ID-1: the pending review a request fact describes.
fn pending_review_of(
    state: &mut State,
    fact: &Fact,
) -> Option<(crate::fact::RequestId, PendingReview)> {
    let trail = &mut state.trail;
    let connection_id = crate::fate::connection_of(fact)?;
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
    let (subject, mut why) = subject;
    why.add(Aspect::Field("review_id"), trail.mark("ID-1"));
    let review = PendingReview {
        request_kind,
        connection_id,
        thread_id: thread_id.clone(),
        turn_id: turn_id.clone(),
        item_id: item_id.clone(),
        review_id: id::user_review_id(*request_id),
        subject,
        started_at_ms: time::event_ms(*started_at_ms),
        why,
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
    let review_identity = Identity::Review {
        review_id: id::user_review_id(request_id),
    };
    let malformed = matches!(fact, Fact::MalformedResponse { .. });
    let mut closing = Why::default();
    if malformed && !pending_is_permissions(state, request_id) {
        if let Some(up) = state.upstream(Departure::Dec4) {
            let why = keep_pending(state, request_id, review_identity, up);
            let diagnostic = fate::about_fact(fact, DiagnosticReason::MalformedResponse);
            state.emit(Output::Diagnostic(diagnostic), why);
            return;
        }
        // The spec's side of the departure: a malformed response closes any review.
        if state.pending_requests.get(&request_id).is_some() {
            let closes = state.trail.exception("DEC-4");
            closing.add_each(&[Aspect::Exists, STATUS, RESOLUTION], closes);
        }
    }
    let Some(pending_kind) = state
        .pending_requests
        .get(&request_id)
        .map(|pending| pending.request_kind)
    else {
        let orphan = state.trail.mark("LIFE-4");
        let mut why = Why::of_mark(&[Aspect::Exists], orphan);
        // Why nothing is pending: closed before, released, evicted, or never opened.
        let gone = state.trail.why_gone(&Entry::Request(request_id));
        why.carry_all_as(Aspect::Exists, &gone);
        let mut not_closed = why.clone();
        if gone.is_empty() && !state.pending_requests.is_empty() {
            // Never opened, while other requests are pending: ids name requests exactly, so
            // this one closes none of them.
            not_closed.add(Aspect::Exists, state.trail.exception("ISO-2"));
        }
        state.trail.withhold(review_identity, not_closed);
        let diagnostic = fate::about_fact(fact, DiagnosticReason::OrphanResponse);
        state.emit(Output::Diagnostic(diagnostic), why);
        return;
    };
    if !closes_kind(fact, pending_kind) {
        match state.upstream(Departure::Life5) {
            Some(up) => closing.also(up),
            None => {
                let refuses = state.trail.exception("LIFE-5");
                let why = keep_pending(state, request_id, review_identity, refuses);
                let diagnostic = fate::about_fact(fact, DiagnosticReason::MismatchedResponse);
                state.emit(Output::Diagnostic(diagnostic), why);
                return;
            }
        }
    }
    let Some(pending) = state.pending_requests.remove(&request_id) else {
        return;
    };
    let trail = &mut state.trail;
    let (status, resolution, decides, resolves) = match fact {
        Fact::RequestAborted { .. } => dec::abort(trail),
        Fact::MalformedResponse { .. } => dec::malformed(trail),
        Fact::CommandExecutionResponse { decision, .. } => dec::command_decision(decision, trail),
        Fact::FileChangeResponse { decision, .. } => dec::file_change_decision(*decision, trail),
        Fact::EffectivePermissionsResponse {
            permissions, scope, ..
        } => grant::effective_grant(permissions, *scope, trail),
        _ => return,
    };
    if matches!(
        fact,
        Fact::RequestAborted { .. } | Fact::MalformedResponse { .. }
    ) {
        // DEC-3 and DEC-4 close a review of any kind.
        closing.add(Aspect::Exists, decides);
    }
    let closes = state.trail.mark("LIFE-4");
    closing.add_each(&[Aspect::Exists, Aspect::Field("reviewer")], closes);
    // Not an orphan: the review was pending.
    let mut pending_exists = Why::default();
    pending_exists.carry(Aspect::Exists, &pending.why, Aspect::Exists);
    let orphan = Identity::Diagnostic {
        reason: DiagnosticReason::OrphanResponse,
    };
    state.trail.withhold(orphan, pending_exists);
    // Not of the wrong kind: an abort (DEC-3) or a malformed response (DEC-4) closes any
    // review, a response its own kind (LIFE-5).
    let kind_matches = state.trail.noted(match fact {
        Fact::RequestAborted { .. } => "DEC-3",
        Fact::MalformedResponse { .. } => "DEC-4",
        _ => "LIFE-5",
    });
    state
        .trail
        .withhold_diagnostic(DiagnosticReason::MismatchedResponse, kind_matches);
    let closed = Why::of_mark(&[Aspect::Exists], closes);
    state
        .trail
        .note_gone(Entry::Request(request_id), closed.clone());
    let turn = Entry::TurnRequests(pending.thread_id.clone(), pending.turn_id.clone());
    state.trail.note_also_gone(turn, &closed);
    state.trail.note_closed(request_id);
    if state.trail.current_connection != Some(pending.connection_id) {
        // The review is found by request id alone, whichever connection answers.
        closing.add(Aspect::Exists, state.trail.exception("ISO-2"));
    }
    closing.add(STATUS, decides);
    closing.add(RESOLUTION, resolves);
    closing.add_each(
        &[
            Aspect::Field("started_at_ms"),
            Aspect::Field("completed_at_ms"),
        ],
        state.trail.mark("TIME-3"),
    );
    let mut why = pending.why;
    why.merge(&closing);
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
        why,
    };
    ctx::emit_review(state, review);
    if malformed {
        let informs = Why::of_mark(&[Aspect::Exists], decides);
        let diagnostic = fate::about_fact(fact, DiagnosticReason::MalformedResponse);
        state.emit(Output::Diagnostic(diagnostic), informs);
    }
}

const STATUS: Aspect = Aspect::Field("status");
const RESOLUTION: Aspect = Aspect::Field("resolution");

/// A closing fact that leaves its review pending (LIFE-5, UP-DEC-4): the review is not produced,
/// and stays pending against this fact.
fn keep_pending(
    state: &mut State,
    request_id: crate::fact::RequestId,
    review: Identity,
    decides: Mark,
) -> Why {
    let why = Why::of_mark(&[Aspect::Exists], decides);
    state.trail.withhold(review, why.clone());
    if let Some(pending) = state.pending_requests.get_mut(&request_id) {
        pending.why.also(decides);
    }
    why
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
