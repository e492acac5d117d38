//! TURN: a turn's end releases the turn's state.

use super::state::State;
use super::sum::item_diagnostic;
use crate::event::{Diagnostic, DiagnosticReason, Output};
use crate::profile::Departure;

/// TURN-1: a turn end releases, in order, the turn's pending requests (unanswered), item starts
/// (never completed), item summaries (never consumed), and seen guardian completions (silently,
/// DEDUP-2); each table in insertion order. UP-TURN-1: upstream releases nothing.
pub(crate) fn release_turn(state: &mut State, thread_id: &str, turn_id: &str) {
    if state.upstream(Departure::Turn1) {
        return;
    }
    let unanswered = state.pending_requests.remove_turn(thread_id, turn_id);
    let never_completed = state.item_starts.remove_turn(thread_id, turn_id);
    let unconsumed = state.item_summaries.remove_turn(thread_id, turn_id);
    let forgotten = state.guardian_completions.remove_turn(thread_id, turn_id);
    state.trail.mark("TURN-1");
    if !forgotten.is_empty() {
        state.trail.mark("DEDUP-2");
    }
    for (request_id, pending) in unanswered {
        let diagnostic = Diagnostic {
            request_id: Some(request_id),
            thread_id: Some(pending.thread_id),
            turn_id: Some(pending.turn_id),
            item_id: Some(pending.item_id),
            ..Diagnostic::new(DiagnosticReason::UnansweredRequest)
        };
        state.emit_carrying(Output::Diagnostic(diagnostic), &pending.provenance);
    }
    for (key, (_, provenance)) in never_completed {
        let base = Diagnostic::new(DiagnosticReason::ItemNeverCompleted);
        state.emit_carrying(Output::Diagnostic(item_diagnostic(key, base)), &provenance);
    }
    for (key, summary) in unconsumed {
        let base = Diagnostic::new(DiagnosticReason::UnconsumedSummary);
        state.emit_carrying(
            Output::Diagnostic(item_diagnostic(key, base)),
            &summary.provenance,
        );
    }
}
