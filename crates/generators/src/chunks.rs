//! Chunks, the unit of rendering: one server-side happening (a request sent to every attached
//! connection, a notification delivered per connection), whose facts share one timestamp. Once
//! the renderer has ordered a scenario's chunks, they get their request ids (numbered in order of
//! first appearance) and their timestamps (on the swarm's clock), and are flattened into facts.

use std::collections::HashMap;

use super::episode::{CLOCK_START_MS, Stamp, Timeline};
use super::swarm::{Clock, IdRange};
use crate::fact::{Fact, RequestId};

/// The most facts a rendered scenario holds; rendering stops at the last whole chunk that fits.
pub const MAX_FACTS: usize = 200;

/// One server-side happening: facts that share a timestamp, from one lane (turn) or none.
pub(super) struct Chunk {
    pub(super) lane: Option<usize>,
    pub(super) facts: Vec<Fact>,
    /// For guardian completions: `completed_at_ms - started_at_ms`.
    pub(super) duration_ms: i64,
    /// A stamp of the chunk's own, off the clock, over any the timeline gives it.
    pub(super) stamp: Option<Stamp>,
}

/// Replaces lane-local request ids by global ones, numbered in order of first appearance and
/// mapped into the case's id range.
pub(super) fn number_requests(ordered: &mut [Chunk], ids: IdRange) {
    let mut global: HashMap<(usize, RequestId), RequestId> = HashMap::new();
    let mut next: RequestId = 1;
    for chunk in ordered.iter_mut() {
        let Some(lane) = chunk.lane else { continue };
        for fact in &mut chunk.facts {
            if let Some(id) = request_id_mut(fact) {
                *id = *global.entry((lane, *id)).or_insert_with(|| {
                    let assigned = ids.id(next);
                    next += 1;
                    assigned
                });
            }
        }
    }
}

/// The request id a fact carries, to change it.
pub(super) fn request_id_mut(fact: &mut Fact) -> Option<&mut RequestId> {
    match fact {
        Fact::RequestAborted { request_id, .. }
        | Fact::MalformedResponse { request_id, .. }
        | Fact::FileChangeResponse { request_id, .. }
        | Fact::CommandExecutionResponse { request_id, .. }
        | Fact::EffectivePermissionsResponse { request_id, .. }
        | Fact::FileChangeRequest { request_id, .. }
        | Fact::PermissionsRequest { request_id, .. }
        | Fact::CommandExecutionRequest { request_id, .. } => Some(request_id),
        Fact::TurnCompleted { .. }
        | Fact::Initialize { .. }
        | Fact::ThreadBound { .. }
        | Fact::SubagentThreadStarted { .. }
        | Fact::ItemStarted { .. }
        | Fact::ItemCompleted { .. }
        | Fact::GuardianReviewCompleted { .. } => None,
    }
}

/// Stamps chunk `k` at `start + k * tick_ms`, `start` as `clock` says, or at its anomaly's stamp.
pub(super) fn stamp(ordered: &mut [Chunk], timeline: &Timeline, clock: Clock) {
    let count = ordered.len();
    if count == 0 {
        return;
    }
    let tick_ms = timeline.tick_ms.max(1);
    let start_ms = match clock {
        Clock::Early => CLOCK_START_MS,
        Clock::Zero => {
            // The first chunk with a timestamp (setup chunks have none) is at 0.
            let first = ordered
                .iter()
                .position(|chunk| chunk.facts.iter().any(|fact| fact.timestamp_ms().is_some()))
                .unwrap_or(0);
            i64::try_from(first)
                .unwrap_or(i64::MAX)
                .saturating_mul(tick_ms)
                .saturating_neg()
        }
        Clock::Late { below } => {
            let span_ms = i64::try_from(count - 1)
                .unwrap_or(i64::MAX)
                .saturating_mul(tick_ms);
            (i64::MAX - i64::from(below)).saturating_sub(span_ms)
        }
    };
    let mut stamps: Vec<Option<Stamp>> = vec![None; count];
    for anomaly in &timeline.anomalies {
        if let Some(slot) = stamps.get_mut(usize::from(anomaly.at) % count) {
            *slot = Some(anomaly.stamp);
        }
    }
    for (index, (chunk, stamp)) in ordered.iter_mut().zip(stamps).enumerate() {
        let clock_ms = i64::try_from(index)
            .unwrap_or(i64::MAX)
            .saturating_mul(tick_ms)
            .saturating_add(start_ms);
        let at_ms = match chunk.stamp.or(stamp) {
            None => clock_ms,
            Some(Stamp::Skew { ticks }) => {
                clock_ms.saturating_add(i64::from(ticks).saturating_mul(tick_ms))
            }
            Some(Stamp::Zero) => 0,
            Some(Stamp::Negative { ms }) => ms.min(-1),
            Some(Stamp::Max) => i64::MAX,
        };
        for fact in &mut chunk.facts {
            set_time(fact, at_ms, chunk.duration_ms);
        }
    }
}

/// Sets a fact's timestamps: `at_ms` for its one timestamp, or for a guardian completion
/// `completed_at_ms = at_ms` and `started_at_ms = at_ms - duration_ms`.
pub(crate) fn set_time(fact: &mut Fact, at_ms: i64, duration_ms: i64) {
    match fact.times_mut() {
        (Some(started_at_ms), Some(completed_at_ms)) => {
            *completed_at_ms = at_ms;
            *started_at_ms = at_ms.saturating_sub(duration_ms);
        }
        (Some(time_ms), None) | (None, Some(time_ms)) => *time_ms = at_ms,
        (None, None) => {}
    }
}

/// Concatenates the chunks, stopping before the first that would pass [`MAX_FACTS`].
pub(super) fn flatten(ordered: Vec<Chunk>) -> Vec<Fact> {
    let mut facts = Vec::new();
    for chunk in ordered {
        if facts.len() + chunk.facts.len() > MAX_FACTS {
            break;
        }
        facts.extend(chunk.facts);
    }
    facts
}
