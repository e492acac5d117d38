//! The state's own tests: composite keys under colliding hashes, and the per-turn index kept
//! consistent with the tables (freed, released in order, unlisted on eviction, compacted,
//! reused).

use pretty_assertions::assert_eq;

use super::State;
use crate::entries::{Evicted, GuardianKey, ItemKey, PendingReview, Released, RequestKind};
use crate::event::{Limits, SubjectKind, Table, Trigger};
use crate::fact::{Id, RequestId};
use crate::table::STALE_HANDLES_SLACK;
use crate::table::collisions::assert_lookups_survive_collisions;
use crate::turns::{TurnKey, TurnKeyView};

/// ISO-1, DEDUP-1: composite keys are compared field by field, not trusted to their hash.
#[test]
fn composite_keys_are_told_apart_under_colliding_hashes() {
    let item = |t: &str, u: &str, i: &str| ItemKey {
        thread_id: t.into(),
        turn_id: u.into(),
        item_id: i.into(),
    };
    assert_lookups_survive_collisions(vec![
        item("t1", "u1", "i1"),
        item("t2", "u1", "i1"),
        item("t1", "u2", "i1"),
        item("t1", "u1", "i2"),
    ]);
    let seen = |t: &str, r: &str| GuardianKey {
        thread_id: t.into(),
        review_id: r.into(),
    };
    assert_lookups_survive_collisions(vec![seen("t1", "g1"), seen("t2", "g1"), seen("t1", "g2")]);
    let turn = |t: &str, u: &str| TurnKey {
        thread_id: t.into(),
        turn_id: u.into(),
    };
    assert_lookups_survive_collisions(vec![turn("t1", "u1"), turn("t2", "u1"), turn("t1", "u2")]);
}

fn pending(turn_id: &str, item_id: &str) -> PendingReview {
    PendingReview {
        kind: RequestKind::CommandExecution,
        thread_id: "t1".into(),
        turn_id: turn_id.into(),
        item_id: item_id.into(),
        subject_kind: SubjectKind::CommandExecution,
        subject_name: "command_execution",
        trigger: Trigger::Initial,
        requested_additional_permissions: false,
        requested_network_access: false,
        started_at_ms: 0,
    }
}

#[test]
fn a_turn_index_entry_is_freed_when_its_last_entry_closes() {
    let mut state = State::new(Limits::default());
    state.open_pending(1, pending("u1", "i1"));
    state.open_pending(2, pending("u1", "i2"));
    assert_eq!(state.indexed_turns(), 1);
    state.close_pending(1);
    assert_eq!(state.indexed_turns(), 1);
    state.close_pending(2);
    assert_eq!(state.indexed_turns(), 0);
    assert!(!state.release_turn(&"t1".into(), &"u1".into(), |_| {}));
}

#[test]
fn release_lists_entries_in_insertion_order_and_skips_closed_ones() {
    let mut state = State::new(Limits::default());
    for request_id in [5, 3, 9, 1] {
        state.open_pending(request_id, pending("u1", "i1"));
    }
    state.open_pending(7, pending("u2", "i1"));
    state.close_pending(9);
    let mut ids: Vec<RequestId> = Vec::new();
    let released = state.release_turn(&"t1".into(), &"u1".into(), |entry| {
        if let Released::PendingRequest { request_id, .. } = entry {
            ids.push(request_id);
        }
    });
    assert!(released);
    assert_eq!(ids, vec![5, 3, 1]);
    assert_eq!(state.table_len(Table::PendingRequests), 1);
    assert_eq!(state.indexed_turns(), 1);
}

#[test]
fn a_long_turn_with_answered_requests_keeps_its_list_small() {
    let mut state = State::new(Limits::default());
    state.open_pending(0, pending("u1", "i0"));
    for request_id in 1..10_000 {
        state.open_pending(request_id, pending("u1", "i1"));
        state.close_pending(request_id);
    }
    let (thread_id, turn_id) = (Id::from("t1"), Id::from("u1"));
    let view = TurnKeyView {
        thread_id: &thread_id,
        turn_id: &turn_id,
    };
    let handles = state
        .turns
        .get(view)
        .map_or(0, |entries| entries.pending_requests.handles.len());
    assert!(handles <= 2 + STALE_HANDLES_SLACK + 1);
}

#[test]
fn eviction_unlists_the_evicted_entry_from_its_turn() {
    let mut state = State::new(Limits {
        table_entries_max: 1,
    });
    state.open_pending(1, pending("u1", "i1"));
    let evicted = state.open_pending(2, pending("u2", "i1"));
    assert!(matches!(
        evicted,
        Some(Evicted::PendingRequest { request_id: 1, .. })
    ));
    assert_eq!(state.indexed_turns(), 1);
    assert!(!state.release_turn(&"t1".into(), &"u1".into(), |_| {}));
}

/// The per-turn list and the eviction queue drop stale handles as soon as they pass their
/// bound (twice the live entries, plus slack), whatever the order of removals: checked after
/// every operation of a random churn in one turn, where a removal that only sometimes
/// compacts would let stale handles pile up.
#[test]
fn stale_handles_never_pass_their_bound_under_random_churn() {
    let mut state = State::new(Limits {
        table_entries_max: 1 << 20,
    });
    let mut open: Vec<RequestId> = Vec::new();
    let mut next_id: RequestId = 0;
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    for step in 0..20_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Keep at least one entry open, so the turn stays listed; open a little more often
        // than close, up to about 40 entries, then mostly close.
        let close = open.len() > 1 && (rng % 100 < if open.len() > 40 { 80 } else { 45 });
        if close {
            let at = usize::try_from((rng >> 8) % open.len() as u64).unwrap_or(0);
            state.close_pending(open.swap_remove(at));
        } else {
            state.open_pending(next_id, pending("u1", "i1"));
            open.push(next_id);
            next_id += 1;
        }
        let live = open.len();
        let bound = 2 * live + STALE_HANDLES_SLACK;
        assert!(
            state.indexed_handles() <= bound,
            "step {step}: the turn list holds {} handles for {live} live entries",
            state.indexed_handles()
        );
        assert!(
            state.pending_requests.queue_len() <= bound,
            "step {step}: the eviction queue holds {} handles for {live} live entries",
            state.pending_requests.queue_len()
        );
    }
}

/// A turn whose last entry goes keeps its index entry as a spare, and the next turn to start
/// takes it (no allocation); at most `SPARE_TURNS_MAX` spares are kept.
#[test]
fn a_released_turn_s_index_entry_is_reused_by_the_next_turn() {
    let mut state = State::new(Limits::default());
    assert_eq!(state.turns.spare_len(), 0);
    state.open_pending(1, pending("u1", "i1"));
    state.close_pending(1);
    assert_eq!(
        state.turns.spare_len(),
        1,
        "the emptied turn is kept as a spare"
    );
    state.open_pending(2, pending("u2", "i1"));
    assert_eq!(state.turns.spare_len(), 0, "the next turn takes the spare");
    assert!(state.release_turn(&"t1".into(), &"u2".into(), |_| {}));
    assert_eq!(
        state.turns.spare_len(),
        1,
        "a released turn is kept as a spare too"
    );
    for request_id in 0..200 {
        state.open_pending(request_id, pending(&format!("u{request_id}"), "i1"));
    }
    for request_id in 0..200 {
        state.close_pending(request_id);
    }
    assert_eq!(state.turns.spare_len(), 64, "spares are capped");
}
