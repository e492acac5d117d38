//! The far corners of the input space (huge ids, the end of time, full pools, guardian
//! redeliveries) a case reaches; `coverage.rs` tests that both generators reach them.

use std::collections::{BTreeMap, BTreeSet};

use crate::GeneratedCase;
use crate::fact::Fact;
use crate::pools;
use crate::render::request_id;

/// The far corners of the input space a case reaches (each also a swarm choice, so each is
/// absent from many cases too).
pub(super) fn reach(case: &GeneratedCase) -> BTreeSet<&'static str> {
    let facts = &case.facts;
    let mut reached = BTreeSet::new();
    let limit = case.limits.table_entries_max;
    if (9..=4095).contains(&limit) {
        reached.insert("limits:mid_range");
    }
    reach_extreme_values(facts, &mut reached);
    reach_full_turns(facts, &mut reached);
    reach_guardian_redeliveries(facts, &mut reached);
    reached
}

/// Ids past 2^53 that are equal as f64, ids near `u64::MAX`, timestamps near the end of time,
/// the last connection of the largest pool.
fn reach_extreme_values(facts: &[Fact], reached: &mut BTreeSet<&'static str>) {
    let ids: BTreeSet<u64> = facts.iter().filter_map(request_id).collect();
    let past_f64: Vec<u64> = ids.range(pools::F64_EXACT_MAX..).copied().collect();
    if past_f64
        .iter()
        .any(|a| past_f64.iter().any(|b| a != b && *a as f64 == *b as f64))
    {
        reached.insert("ids:equal_as_f64");
    }
    if ids.iter().any(|id| *id >= u64::MAX - 300) {
        reached.insert("ids:near_u64_max");
    }
    for at_ms in facts.iter().filter_map(Fact::timestamp_ms) {
        if at_ms > i64::MAX - 1_000 && at_ms < i64::MAX {
            reached.insert("time:near_max");
        }
    }
    if facts.iter().any(|fact| fact.connection_id() == Some(8)) {
        reached.insert("connections:8");
    }
}

/// Items per turn, and items of one turn started at once.
fn reach_full_turns(facts: &[Fact], reached: &mut BTreeSet<&'static str>) {
    let mut items: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut live: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for fact in facts {
        match fact {
            Fact::ItemStarted {
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                let turn = (&**thread_id, &**turn_id);
                items.entry(turn).or_default().insert(item_id);
                let started = live.entry(turn).or_default();
                started.insert(item_id);
                if started.len() >= 5 {
                    reached.insert("items:5_started_at_once");
                }
            }
            Fact::ItemCompleted {
                thread_id,
                turn_id,
                item_id,
                ..
            } => {
                let turn = (&**thread_id, &**turn_id);
                live.entry(turn).or_default().remove(&**item_id);
            }
            _ => {}
        }
    }
    if items.values().any(|items| items.len() >= 12) {
        reached.insert("items:12_in_a_turn");
    }
}

/// Guardian completions delivered again: under another turn, after their turn's end, later
/// from another connection.
fn reach_guardian_redeliveries(facts: &[Fact], reached: &mut BTreeSet<&'static str>) {
    let mut turns: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    // (thread, turn, review) → (index of the last delivery, its connection, whether the turn
    // ended since the first delivery).
    let mut delivered: BTreeMap<(&str, &str, &str), (usize, u64, bool)> = BTreeMap::new();
    for (index, fact) in facts.iter().enumerate() {
        match fact {
            Fact::TurnCompleted {
                thread_id, turn_id, ..
            } => {
                for ((thread, turn, _), (_, _, ended)) in &mut delivered {
                    *ended |= *thread == &**thread_id && *turn == &**turn_id;
                }
            }
            Fact::GuardianReviewCompleted {
                connection_id,
                thread_id,
                turn_id,
                review_id,
                ..
            } => {
                let review = (&**thread_id, &**review_id);
                turns.entry(review).or_default().insert(turn_id);
                let key = (&**thread_id, &**turn_id, &**review_id);
                let mut ended_before = false;
                if let Some((last, connection, ended)) = delivered.get(&key) {
                    if *ended {
                        reached.insert("guardian:after_turn_end");
                    }
                    if index > last + 1 && connection != connection_id {
                        reached.insert("guardian:later_from_another_connection");
                    }
                    ended_before = *ended;
                }
                delivered.insert(key, (index, *connection_id, ended_before));
            }
            _ => {}
        }
    }
    if turns.values().any(|turns| turns.len() >= 2) {
        reached.insert("guardian:under_two_turns");
    }
}
