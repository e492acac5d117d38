//! The reducer's state: the six bounded tables of CAP-1 (their keys and entries are in
//! `entries`) and the per-turn index (`turns`) that lets a turn end release its entries without
//! scanning the tables (TURN-1).
//!
//! This module keeps the tables and the index consistent: every entry of a turn-scoped table
//! (pending requests, guardian completions, item starts, item summaries) is listed under its
//! `(thread, turn)`, in insertion order, from its insertion until its removal, whichever rule
//! removes it. It decides no rule: it never builds an output, and it hands evicted and released
//! entries back to `ingest`, which reports them.

use crate::event::{Limits, Table};
use crate::fact::{ConnectionId, Id, RequestId};
use crate::profile::{Departure, Profile};

use super::Defect;
use super::entries::{
    Connection, Evicted, GuardianKey, GuardianKeyView, ItemKey, ItemKeyView, ItemStart,
    ItemSummary, PendingReview, Released, SeenGuardian, ThreadContext,
};
use super::hooks::Hooks;
use super::table::BoundedTable;
use super::turns::{
    TurnIndex, TurnKeyView, TurnScoped, TurnTable, insert_in_turn, remove_in_turn, remove_listed,
};

/// All state of the production reducer.
pub(crate) struct State {
    entries_max: usize,
    connections: BoundedTable<ConnectionId, Connection>,
    threads: BoundedTable<Id, ThreadContext>,
    pending_requests: TurnScoped<RequestId, PendingReview>,
    guardian_completions: TurnScoped<GuardianKey, SeenGuardian>,
    item_starts: TurnScoped<ItemKey, ItemStart>,
    item_summaries: TurnScoped<ItemKey, ItemSummary>,
    /// `(thread, turn)` → that turn's entries. A turn is listed only while it has a live entry,
    /// so this index never holds more turns than the four turn-scoped tables hold entries.
    turns: TurnIndex,
    /// The seeded defect `FourConnectionSlots`: connection metadata in four slots by id. Never
    /// written by the production reducer (the branch that writes it is dead for `NoDefects`);
    /// kept in every build so that no line of the reducer depends on the feature.
    connection_slots: [Option<Connection>; 4],
}

impl State {
    pub(crate) fn new(limits: Limits) -> State {
        let entries_max = limits.table_entries_max.max(1);
        State {
            entries_max,
            connections: BoundedTable::new(entries_max),
            threads: BoundedTable::new(entries_max),
            pending_requests: BoundedTable::new(entries_max),
            guardian_completions: BoundedTable::new(entries_max),
            item_starts: BoundedTable::new(entries_max),
            item_summaries: BoundedTable::new(entries_max),
            turns: TurnIndex::default(),
            connection_slots: Default::default(),
        }
    }

    pub(crate) fn table_len(&self, table: Table) -> usize {
        match table {
            Table::Connections => self.connections.len(),
            Table::Threads => self.threads.len(),
            Table::PendingRequests => self.pending_requests.len(),
            Table::GuardianCompletions => self.guardian_completions.len(),
            Table::ItemStarts => self.item_starts.len(),
            Table::ItemSummaries => self.item_summaries.len(),
        }
    }

    pub(crate) fn live_entries(&self) -> usize {
        self.connections.len()
            + self.threads.len()
            + self.pending_requests.len()
            + self.guardian_completions.len()
            + self.item_starts.len()
            + self.item_summaries.len()
    }

    /// Turns currently indexed (for boundedness checks).
    /// Handles held by the per-turn index, live and stale (for memory checks in tests).
    #[cfg(test)]
    pub(crate) fn indexed_handles(&self) -> usize {
        let mut handles = 0;
        for slot in 0..self.turns.slot_count() {
            if let Some((_, entries)) = self.turns.entry_at(slot) {
                handles += entries.pending_requests.handles.len()
                    + entries.guardian_completions.handles.len()
                    + entries.item_starts.handles.len()
                    + entries.item_summaries.handles.len();
            }
        }
        handles
    }

    #[cfg(test)]
    pub(crate) fn indexed_turns(&self) -> usize {
        self.turns.len()
    }

    /// Checks the bounds CAP-1 promises, after each fact.
    pub(crate) fn debug_assert_bounded(&self) {
        debug_assert!(self.connections.len() <= self.entries_max);
        debug_assert!(self.threads.len() <= self.entries_max);
        debug_assert!(self.pending_requests.len() <= self.entries_max);
        debug_assert!(self.guardian_completions.len() <= self.entries_max);
        debug_assert!(self.item_starts.len() <= self.entries_max);
        debug_assert!(self.item_summaries.len() <= self.entries_max);
        debug_assert!(self.turns.len() <= self.entries_max.saturating_mul(4));
    }

    // Connections and threads: never turn-scoped, only replaced or evicted.

    pub(crate) fn connection(&self, connection_id: ConnectionId) -> Option<&Connection> {
        self.connections.get(connection_id)
    }

    /// Records or replaces a connection's metadata; a replacement keeps its eviction position.
    pub(crate) fn upsert_connection(
        &mut self,
        connection_id: ConnectionId,
        connection: Connection,
    ) -> Option<Evicted> {
        if let Some(existing) = self.connections.get_mut(connection_id) {
            *existing = connection;
            return None;
        }
        let inserted = self.connections.insert(connection_id, connection);
        inserted
            .evicted
            .map(|(connection_id, _)| Evicted::Connection { connection_id })
    }

    /// The metadata slot of a connection under the seeded defect `FourConnectionSlots`: slot
    /// `(id - 1) % 4`, shared by connections 1 and 5.
    pub(crate) fn connection_slot(&self, connection_id: ConnectionId) -> Option<&Connection> {
        self.connection_slots[slot_of(connection_id)].as_ref()
    }

    pub(crate) fn connection_slot_mut(
        &mut self,
        connection_id: ConnectionId,
    ) -> &mut Option<Connection> {
        &mut self.connection_slots[slot_of(connection_id)]
    }

    pub(crate) fn thread(&self, thread_id: &Id) -> Option<&ThreadContext> {
        self.threads.get(thread_id)
    }

    /// A thread's context, to change in place (its eviction position stays).
    pub(crate) fn thread_mut(&mut self, thread_id: &Id) -> Option<&mut ThreadContext> {
        self.threads.get_mut(thread_id)
    }

    /// Records or replaces a thread's binding; a replacement keeps its eviction position.
    pub(crate) fn upsert_thread(
        &mut self,
        thread_id: &Id,
        context: ThreadContext,
    ) -> Option<Evicted> {
        if let Some(existing) = self.threads.get_mut(thread_id) {
            *existing = context;
            return None;
        }
        let inserted = self.threads.insert(thread_id.to_owned(), context);
        inserted
            .evicted
            .map(|(thread_id, _)| Evicted::Thread { thread_id })
    }

    // Pending requests.

    pub(crate) fn pending(&self, request_id: RequestId) -> Option<&PendingReview> {
        self.pending_requests
            .get(request_id)
            .map(|entry| &entry.value)
    }

    /// Opens a pending review under a request id that is not pending.
    pub(crate) fn open_pending(
        &mut self,
        request_id: RequestId,
        review: PendingReview,
    ) -> Option<Evicted> {
        debug_assert!(self.pending(request_id).is_none());
        let evicted = insert_in_turn(
            &mut self.turns,
            &mut self.pending_requests,
            TurnTable::PendingRequests,
            request_id,
            review,
            |_, review| (&review.thread_id, &review.turn_id),
        );
        debug_assert!(self.pending(request_id).is_some());
        evicted.map(|(request_id, review)| Evicted::PendingRequest { request_id, review })
    }

    /// Removes and returns the pending review under a request id.
    pub(crate) fn close_pending(&mut self, request_id: RequestId) -> Option<PendingReview> {
        let (_, review) = remove_in_turn(
            &mut self.turns,
            &mut self.pending_requests,
            TurnTable::PendingRequests,
            request_id,
        )?;
        debug_assert!(self.pending(request_id).is_none());
        Some(review)
    }

    // Guardian completions.

    pub(crate) fn guardian_seen(&self, key: GuardianKeyView<'_>) -> bool {
        self.guardian_completions.find(key).is_some()
    }

    /// The turn a seen guardian completion is remembered for.
    pub(crate) fn guardian_seen_turn(&self, key: GuardianKeyView<'_>) -> Option<&Id> {
        self.guardian_completions
            .get(key)
            .map(|entry| &entry.value.turn_id)
    }

    /// Forgets a seen guardian completion.
    pub(crate) fn forget_guardian(&mut self, key: GuardianKeyView<'_>) {
        remove_in_turn(
            &mut self.turns,
            &mut self.guardian_completions,
            TurnTable::GuardianCompletions,
            key,
        );
    }

    /// Remembers a guardian completion as seen in `turn_id`; does nothing if it already is.
    pub(crate) fn mark_guardian_seen(
        &mut self,
        key: GuardianKeyView<'_>,
        turn_id: &Id,
    ) -> Option<Evicted> {
        if self.guardian_seen(key) {
            return None;
        }
        let owned = GuardianKey {
            thread_id: key.thread_id.to_owned(),
            review_id: key.review_id.to_owned(),
        };
        let seen = SeenGuardian {
            turn_id: turn_id.to_owned(),
        };
        let evicted = insert_in_turn(
            &mut self.turns,
            &mut self.guardian_completions,
            TurnTable::GuardianCompletions,
            owned,
            seen,
            |key, seen| (&key.thread_id, &seen.turn_id),
        );
        debug_assert!(self.guardian_seen(key));
        evicted.map(|(key, seen)| Evicted::GuardianCompletion { key, seen })
    }

    // Item starts.

    pub(crate) fn item_start(&self, key: ItemKeyView<'_>) -> Option<&ItemStart> {
        self.item_starts.get(key).map(|entry| &entry.value)
    }

    pub(crate) fn item_start_mut(&mut self, key: ItemKeyView<'_>) -> Option<&mut ItemStart> {
        self.item_starts.get_mut(key).map(|entry| &mut entry.value)
    }

    /// Records the start of an item that has none.
    pub(crate) fn record_item_start(
        &mut self,
        key: ItemKeyView<'_>,
        start: ItemStart,
    ) -> Option<Evicted> {
        debug_assert!(self.item_start(key).is_none());
        let evicted = insert_in_turn(
            &mut self.turns,
            &mut self.item_starts,
            TurnTable::ItemStarts,
            key.to_key(),
            start,
            |key, _| (&key.thread_id, &key.turn_id),
        );
        debug_assert!(self.item_start(key).is_some());
        evicted.map(|(key, _)| Evicted::ItemStart { key })
    }

    /// Removes and returns an item's start record, with its owned key.
    pub(crate) fn take_item_start(&mut self, key: ItemKeyView<'_>) -> Option<(ItemKey, ItemStart)> {
        let taken = remove_in_turn(
            &mut self.turns,
            &mut self.item_starts,
            TurnTable::ItemStarts,
            key,
        )?;
        debug_assert!(self.item_start(key).is_none());
        Some(taken)
    }

    // Item summaries.

    pub(crate) fn summary(&self, key: ItemKeyView<'_>) -> Option<&ItemSummary> {
        self.item_summaries.get(key).map(|entry| &entry.value)
    }

    pub(crate) fn summary_mut(&mut self, key: ItemKeyView<'_>) -> Option<&mut ItemSummary> {
        self.item_summaries
            .get_mut(key)
            .map(|entry| &mut entry.value)
    }

    /// Starts the summary of an item that has none.
    pub(crate) fn insert_summary(
        &mut self,
        key: ItemKeyView<'_>,
        summary: ItemSummary,
    ) -> Option<Evicted> {
        debug_assert!(self.summary(key).is_none());
        let evicted = insert_in_turn(
            &mut self.turns,
            &mut self.item_summaries,
            TurnTable::ItemSummaries,
            key.to_key(),
            summary,
            |key, _| (&key.thread_id, &key.turn_id),
        );
        debug_assert!(self.summary(key).is_some());
        evicted.map(|(key, _)| Evicted::ItemSummary { key })
    }

    /// Removes and returns an item's summary.
    pub(crate) fn take_summary(&mut self, key: ItemKeyView<'_>) -> Option<ItemSummary> {
        let (_, summary) = remove_in_turn(
            &mut self.turns,
            &mut self.item_summaries,
            TurnTable::ItemSummaries,
            key,
        )?;
        debug_assert!(self.summary(key).is_none());
        Some(summary)
    }

    /// Item starts one turn holds.
    pub(crate) fn turn_item_starts(&self, thread_id: &Id, turn_id: &Id) -> usize {
        self.turns
            .get(TurnKeyView { thread_id, turn_id })
            .map_or(0, |entries| entries.item_starts.live)
    }

    // Turns.

    /// TURN-1: removes every entry of a turn, handing the reported ones to `release` in order
    /// (pending requests, then item starts, then item summaries, each in insertion order) and
    /// counting the seen guardian completions; returns whether the turn had any state.
    pub(crate) fn release_turn(
        &mut self,
        thread_id: &Id,
        turn_id: &Id,
        mut release: impl FnMut(Released),
    ) -> bool {
        let view = TurnKeyView { thread_id, turn_id };
        let Some(entries) = self.turns.take(view) else {
            return false;
        };
        let pending_requests = remove_listed(
            &mut self.pending_requests,
            &entries.pending_requests,
            |request_id, review| {
                release(Released::PendingRequest { request_id, review });
            },
        );
        let item_starts = remove_listed(&mut self.item_starts, &entries.item_starts, |key, _| {
            release(Released::ItemStart { key });
        });
        let item_summaries = remove_listed(
            &mut self.item_summaries,
            &entries.item_summaries,
            |key, _| {
                release(Released::ItemSummary { key });
            },
        );
        let guardian_completions = remove_listed(
            &mut self.guardian_completions,
            &entries.guardian_completions,
            |_, _| {},
        );
        debug_assert!(pending_requests == entries.pending_requests.live);
        debug_assert!(item_starts == entries.item_starts.live);
        debug_assert!(item_summaries == entries.item_summaries.live);
        debug_assert!(guardian_completions == entries.guardian_completions.live);
        debug_assert!(self.turns.get(view).is_none());
        self.turns.recycle(entries);
        true
    }
}

fn slot_of(connection_id: ConnectionId) -> usize {
    (connection_id.wrapping_sub(1) % 4) as usize
}

/// CAP-1 bounds each table by the limits; UP-CAP-1 (upstream) bounds nothing.
pub(crate) fn table_limits(limits: Limits, profile: &Profile, hooks: &impl Hooks) -> Limits {
    if profile.follows_upstream(Departure::Cap1) || hooks.breaks(Defect::BoundIgnored) {
        Limits {
            table_entries_max: usize::MAX,
        }
    } else if hooks.breaks(Defect::BoundInBlocks) && limits.table_entries_max > 64 {
        Limits {
            table_entries_max: limits.table_entries_max.div_ceil(64),
        }
    } else {
        limits
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::entries::RequestKind;
    use crate::event::{SubjectKind, Trigger};
    use crate::table::STALE_HANDLES_SLACK;
    use crate::table::collisions::assert_lookups_survive_collisions;
    use crate::turns::TurnKey;

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
        assert_lookups_survive_collisions(vec![
            seen("t1", "g1"),
            seen("t2", "g1"),
            seen("t1", "g2"),
        ]);
        let turn = |t: &str, u: &str| TurnKey {
            thread_id: t.into(),
            turn_id: u.into(),
        };
        assert_lookups_survive_collisions(vec![
            turn("t1", "u1"),
            turn("t2", "u1"),
            turn("t1", "u2"),
        ]);
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
}
