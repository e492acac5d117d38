//! TURN: a turn's end releases the turn's state.

use super::state::{PendingReview, RequestKind, State};
use super::sum::item_diagnostic;
use super::trail::Entry;
use super::why::{Aspect, Mark, Why};
use crate::event::{Diagnostic, DiagnosticReason, Identity, Output};
use crate::profile::Departure;

/// TURN-1: a turn end releases, in order, the turn's pending requests (unanswered), item starts
/// (never completed), item summaries (never consumed), and seen guardian completions (silently,
/// DEDUP-2); each table in insertion order. UP-TURN-1: upstream releases nothing.
pub(crate) fn release_turn(state: &mut State, thread_id: &str, turn_id: &str) {
    if let Some(up) = state.upstream(Departure::Turn1) {
        keep_turn(state, thread_id, turn_id, up);
        keep_unapplied_permissions(state, thread_id, turn_id);
        return;
    }
    let unanswered = state.pending_requests.remove_turn(thread_id, turn_id);
    let never_completed = state.item_starts.remove_turn(thread_id, turn_id);
    let unconsumed = state.item_summaries.remove_turn(thread_id, turn_id);
    let forgotten = state.guardian_completions.remove_turn(thread_id, turn_id);
    let releases = state.trail.mark("TURN-1");
    // For a later fact, the entry was removed before it could close it: an exception to its
    // lifecycle.
    let gone = Why::of_mark(&[Aspect::Exists], state.trail.implied("TURN-1", true));
    if state.trail.explains() {
        withhold_other_threads(state, thread_id, turn_id);
    }
    if !forgotten.is_empty() {
        let forgets = state.trail.exception("DEDUP-2");
        let mut forgetting = Why::of_mark(&[Aspect::Exists], forgets);
        forgetting.merge(&gone);
        for (key, _) in forgotten {
            let entry = Entry::Guardian(key.thread_id, key.review_id);
            state.trail.note_gone(entry, forgetting.clone());
        }
    }
    // What the turn does not release: entries gone before its end, and why.
    let closed = state
        .trail
        .why_gone(&Entry::TurnRequests(thread_id.into(), turn_id.into()));
    if !closed.is_empty() {
        let reason = DiagnosticReason::UnansweredRequest;
        state
            .trail
            .withhold(Identity::Diagnostic { reason }, closed);
    }
    for (starts, reason) in [
        (true, DiagnosticReason::ItemNeverCompleted),
        (false, DiagnosticReason::UnconsumedSummary),
    ] {
        for why in state.trail.gone_in_turn(starts, thread_id, turn_id) {
            state.trail.withhold(Identity::Diagnostic { reason }, why);
        }
    }
    // Item entries are released by thread and turn together.
    let keyed = if never_completed.is_empty() && unconsumed.is_empty() {
        Mark::NONE
    } else {
        state.trail.mark("ISO-1")
    };
    let mut released = Vec::new();
    for (request_id, pending) in unanswered {
        state
            .trail
            .note_gone(Entry::Request(request_id), gone.clone());
        let diagnostic = Diagnostic {
            request_id: Some(request_id),
            thread_id: Some(pending.thread_id),
            turn_id: Some(pending.turn_id),
            item_id: Some(pending.item_id),
            ..Diagnostic::new(DiagnosticReason::UnansweredRequest)
        };
        let mut why = pending.why;
        if pending.request_kind == RequestKind::Permissions {
            // DEC-5: a permissions reply that could not be applied left no fact: unanswered,
            // not decided.
            why.add(Aspect::Exists, state.trail.mark("DEC-5"));
        }
        released.push((0, diagnostic, why));
    }
    for (key, (_, why)) in never_completed {
        state.trail.note_gone(Entry::start(&key), gone.clone());
        let base = Diagnostic::new(DiagnosticReason::ItemNeverCompleted);
        let mut why = why;
        why.add(Aspect::Exists, keyed);
        released.push((1, item_diagnostic(key, base), why));
    }
    for (key, summary) in unconsumed {
        state.trail.note_gone(Entry::summary(&key), gone.clone());
        let base = Diagnostic::new(DiagnosticReason::UnconsumedSummary);
        let mut why = summary.why;
        why.add(Aspect::Exists, keyed);
        released.push((2, item_diagnostic(key, base), why));
    }
    let first = state.outputs.len() as u64;
    for (position, (table, diagnostic, entry)) in released.into_iter().enumerate() {
        // An item entry is this turn's by its key (ISO-1) before the turn's end releases it.
        let mut why = if table == 0 {
            Why::default()
        } else {
            Why::of_mark(&[Aspect::Exists], keyed)
        };
        why.add_each(&[Aspect::Exists, Aspect::Order(0)], releases);
        why.carry(Aspect::Exists, &entry, Aspect::Exists);
        why.carry(Aspect::Order(1), &entry, Aspect::Order(1));
        why.carry_each(&KEY_FIELDS, &entry);
        let rank = vec![first + table, position as u64];
        state.emit_ranked(Output::Diagnostic(diagnostic), why, rank);
    }
}

/// The fields a released entry's diagnostic takes from the entry.
const KEY_FIELDS: [Aspect; 4] = [
    Aspect::Field("request_id"),
    Aspect::Field("thread_id"),
    Aspect::Field("turn_id"),
    Aspect::Field("item_id"),
];

/// TURN-1 releases the turn of its own thread only: entries of another thread's turn of the same
/// id are not released.
fn withhold_other_threads(state: &mut State, thread_id: &str, turn_id: &str) {
    let scope = state.trail.noted("TURN-1");
    let others = [
        (
            state.pending_requests.has_other_thread(thread_id, turn_id),
            DiagnosticReason::UnansweredRequest,
        ),
        (
            state.item_starts.has_other_thread(thread_id, turn_id),
            DiagnosticReason::ItemNeverCompleted,
        ),
        (
            state.item_summaries.has_other_thread(thread_id, turn_id),
            DiagnosticReason::UnconsumedSummary,
        ),
    ];
    for (other, reason) in others {
        if other {
            state.trail.withhold_diagnostic(reason, scope);
        }
    }
}

/// UP-TURN-1: the turn's entries stay, against its end.
fn keep_turn(state: &mut State, thread_id: &str, turn_id: &str, keeps: Mark) {
    if !state.trail.explains() {
        return;
    }
    for pending in state.pending_requests.turn_values_mut(thread_id, turn_id) {
        pending.why.also(keeps);
    }
    for (_, why) in state.item_starts.turn_values_mut(thread_id, turn_id) {
        why.also(keeps);
    }
    for summary in state.item_summaries.turn_values_mut(thread_id, turn_id) {
        summary.why.also(keeps);
    }
}

/// DEC-5 where the turn's end releases nothing (UP-TURN-1): a pending permissions review whose
/// reply left no fact stays pending, undecided.
fn keep_unapplied_permissions(state: &mut State, thread_id: &str, turn_id: &str) {
    let mut pending: Vec<&mut PendingReview> = state
        .pending_requests
        .turn_values_mut(thread_id, turn_id)
        .into_iter()
        .filter(|pending| pending.request_kind == RequestKind::Permissions)
        .collect();
    if pending.is_empty() {
        return;
    }
    let stays = state.trail.mark("DEC-5");
    for review in &mut pending {
        review.why.also(stays);
    }
}

/// TIME-2 on a turn end: the turn's entries stay, against the rejected end.
pub(crate) fn keep_turn_of_rejected(
    state: &mut State,
    thread_id: &str,
    turn_id: &str,
    keeps: Mark,
) {
    keep_turn(state, thread_id, turn_id, keeps);
}
