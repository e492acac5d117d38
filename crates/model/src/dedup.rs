//! DEDUP: guardian completions delivered once per connection count once.

use super::state::{GuardianKey, State};
use super::trail::Entry;
use super::why::{Aspect, Why};
use super::{cap, fate, id};
use crate::event::{Diagnostic, DiagnosticReason, Identity, Output};
use crate::fact::Fact;
use crate::profile::Departure;

/// DEDUP-1 and DEDUP-2: the first terminal completion of (thread, review id) counts and is
/// remembered for its turn; a repeat yields a diagnostic. Returns why this one counts, or None
/// when it does not. UP-DEDUP-1: upstream remembers nothing and counts every terminal completion.
pub(crate) fn first_completion(
    state: &mut State,
    fact: &Fact,
    thread_id: &str,
    turn_id: &str,
    review_id: &str,
) -> Option<Why> {
    if state.follows_upstream(Departure::Dedup1) {
        // Upstream's branch sets the spec's aside only for a completion counted before.
        let counts = if state.trail.note_guardian_completion(thread_id, review_id) {
            state.trail.exception(Departure::Dedup1.id())
        } else {
            state.trail.mark(Departure::Dedup1.id())
        };
        return Some(Why::of_mark(&[Aspect::Exists], counts));
    }
    let key = GuardianKey {
        thread_id: thread_id.into(),
        review_id: review_id.into(),
    };
    if state.guardian_completions.get(&key).is_some() {
        let suppresses = state.trail.exception("DEDUP-1");
        let why = Why::of_mark(&[Aspect::Exists], suppresses);
        let identity = Identity::Review {
            review_id: id::guardian_review_id(&review_id.into()),
        };
        state.trail.withhold(identity, why.clone());
        let diagnostic = fate::about_fact(fact, DiagnosticReason::DuplicateGuardianCompletion);
        state.emit(Output::Diagnostic(diagnostic), why);
        return None;
    }
    let mut why = Why::default();
    if state.trail.note_guardian_completion(thread_id, review_id) {
        // Counted before, and forgotten since: its turn ended (or CAP-1 evicted it).
        why.add(Aspect::Exists, state.trail.exception("DEDUP-2"));
        let gone = state
            .trail
            .why_gone(&Entry::Guardian(thread_id.into(), review_id.into()));
        why.carry_all_as(Aspect::Exists, &gone);
    }
    // Not a duplicate: not counted in this turn (or since forgotten).
    let mut first = why.clone();
    first.add(Aspect::Exists, state.trail.noted("DEDUP-1"));
    let duplicate = Identity::Diagnostic {
        reason: DiagnosticReason::DuplicateGuardianCompletion,
    };
    state.trail.withhold(duplicate, first);
    // DEDUP-2: remembered under its turn, which releases it.
    let mut remembered_why = why.clone();
    remembered_why.add(
        Aspect::Field("turn_id"),
        state.trail.implied("DEDUP-2", false),
    );
    let remembered = (turn_id.into(), remembered_why);
    if let Some((evicted_key, (evicted_turn, evicted_why))) =
        state
            .guardian_completions
            .insert_new(key, remembered, &mut state.trail)
    {
        let entry = Entry::Guardian(evicted_key.thread_id.clone(), evicted_key.review_id.clone());
        let diagnostic = Diagnostic {
            thread_id: Some(evicted_key.thread_id),
            turn_id: Some(evicted_turn),
            review_id: Some(evicted_key.review_id),
            ..cap::evicted(state.guardian_completions.table)
        };
        state.emit_evicted(diagnostic, entry, &evicted_why);
    }
    Some(why)
}
