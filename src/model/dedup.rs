//! DEDUP: guardian completions delivered once per connection count once.

use super::state::{GuardianKey, State};
use super::{cap, fate};
use crate::event::{Diagnostic, DiagnosticReason, Output};
use crate::fact::Fact;
use crate::profile::Departure;

/// DEDUP-1 and DEDUP-2: the first terminal completion of (thread, review id) counts and is
/// remembered for its turn; a repeat yields a diagnostic. Returns whether this one counts.
/// UP-DEDUP-1: upstream remembers nothing and counts every terminal completion.
pub(crate) fn first_completion(
    state: &mut State,
    fact: &Fact,
    thread_id: &str,
    turn_id: &str,
    review_id: &str,
) -> bool {
    if state.upstream(Departure::Dedup1) {
        return true;
    }
    let key = GuardianKey {
        thread_id: thread_id.into(),
        review_id: review_id.into(),
    };
    if state.guardian_completions.get(&key).is_some() {
        state.trail.mark("DEDUP-1");
        let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateGuardianCompletion);
        state.emit(Output::Diagnostic(diagnostic));
        return false;
    }
    if state.trail.note_guardian_completion(thread_id, review_id) {
        // Counted before, and forgotten since: its turn ended (or CAP-1 evicted it).
        state.trail.mark("DEDUP-2");
    }
    if let Some((evicted_key, evicted_turn)) =
        state
            .guardian_completions
            .insert_new(key, turn_id.into(), &mut state.trail)
    {
        let diagnostic = Diagnostic {
            thread_id: Some(evicted_key.thread_id),
            turn_id: Some(evicted_turn),
            review_id: Some(evicted_key.review_id),
            ..cap::evicted(state.guardian_completions.table)
        };
        state.emit(Output::Diagnostic(diagnostic));
    }
    true
}
