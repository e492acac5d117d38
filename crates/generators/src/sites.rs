//! Where a chaos operation lands: the candidates in a stream (guardian completions, request and
//! closing pairs, first requests), and selectors resolved modulo their count, so that any
//! selector names a candidate when there is one.

use super::episode::CLOCK_START_MS;
use super::render::{is_request, request_id};
use crate::fact::Fact;

/// The indices of guardian completions.
pub(super) fn guardian_completions(facts: &[Fact]) -> Vec<usize> {
    (0..facts.len())
        .filter(|index| matches!(facts[*index], Fact::GuardianReviewCompleted { .. }))
        .collect()
}

/// `(completion, turn end)` index pairs: a guardian completion with the first later
/// `turn_completed` of its thread and turn.
pub(super) fn completions_before_turn_end(facts: &[Fact]) -> Vec<(usize, usize)> {
    guardian_completions(facts)
        .into_iter()
        .filter_map(|completion| {
            let Fact::GuardianReviewCompleted {
                thread_id, turn_id, ..
            } = &facts[completion]
            else {
                return None;
            };
            let after = completion + 1;
            facts[after..]
                .iter()
                .position(|fact| {
                    matches!(fact, Fact::TurnCompleted { thread_id: t, turn_id: u, .. }
                        if t == thread_id && u == turn_id)
                })
                .map(|offset| (completion, after + offset))
        })
        .collect()
}

/// Index `selector % len`, or nothing in an empty stream.
pub(super) fn select(len: usize, selector: u16) -> Option<usize> {
    (len > 0).then(|| usize::from(selector) % len)
}

pub(super) fn pick_from<T: Copy>(candidates: &[T], pick: u16) -> Option<T> {
    select(candidates.len(), pick).and_then(|index| candidates.get(index).copied())
}

/// `(start, completion)` index pairs: an item completion with the nearest earlier start of the
/// same item, or a closing fact with the nearest earlier request of the same id (its first
/// per-connection copy).
pub(super) fn completions_after_starts(facts: &[Fact]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (completion, fact) in facts.iter().enumerate() {
        let start = match fact {
            Fact::ItemCompleted {
                thread_id,
                turn_id,
                item_id,
                ..
            } => facts[..completion].iter().rposition(|earlier| {
                matches!(earlier, Fact::ItemStarted { thread_id: t, turn_id: u, item_id: i, .. }
                    if t == thread_id && u == turn_id && i == item_id)
            }),
            _ if fact.is_closing() => facts[..completion]
                .iter()
                .rposition(|earlier| is_request(earlier) && request_id(earlier) == request_id(fact))
                .map(|request| first_copy(facts, request)),
            _ => None,
        };
        if let Some(start) = start {
            pairs.push((start, completion));
        }
    }
    pairs
}

/// `(request, closing)` index pairs: the first copy of each request id with the first closing
/// fact after it.
pub(super) fn requests_and_closings(facts: &[Fact]) -> Vec<(usize, usize)> {
    first_requests(facts)
        .into_iter()
        .filter_map(|request| {
            let id = request_id(&facts[request]);
            let after = request + 1;
            facts[after..]
                .iter()
                .position(|fact| fact.is_closing() && request_id(fact) == id)
                .map(|offset| (request, after + offset))
        })
        .collect()
}

/// The index of the first request fact of each request id.
pub(super) fn first_requests(facts: &[Fact]) -> Vec<usize> {
    let mut seen = std::collections::BTreeSet::new();
    (0..facts.len())
        .filter(|index| is_request(&facts[*index]))
        .filter(|index| request_id(&facts[*index]).is_some_and(|id| seen.insert(id)))
        .collect()
}

/// The index of the first of the run of same-id request copies ending at `index`.
pub(super) fn first_copy(facts: &[Fact], index: usize) -> usize {
    let id = request_id(&facts[index]);
    let mut start = index;
    while start > 0 && is_request(&facts[start - 1]) && request_id(&facts[start - 1]) == id {
        start -= 1;
    }
    start
}

/// The index just past the run of same-id request copies starting at `index`.
pub(super) fn after_copies(facts: &[Fact], index: usize) -> usize {
    let id = request_id(&facts[index]);
    let mut end = index + 1;
    while end < facts.len() && is_request(&facts[end]) && request_id(&facts[end]) == id {
        end += 1;
    }
    end
}

/// A timestamp close to position `index`, for an inserted fact.
pub(super) fn nearby_time_ms(facts: &[Fact], index: usize) -> i64 {
    facts[..index]
        .iter()
        .rev()
        .find_map(Fact::timestamp_ms)
        .unwrap_or(CLOCK_START_MS)
}
