//! The four turn-scoped tables (pending requests, guardian completions, item starts, item
//! summaries): each entry is listed under its `(thread, turn)` in the per-turn index from its
//! insertion until its removal, whichever rule removes it, and a turn end (TURN-1) removes all of
//! a turn's entries at once, through the index, without scanning the tables.

use crate::fact::{Id, RequestId};

use super::State;
use crate::entries::{
    Evicted, GuardianKey, GuardianKeyView, ItemKey, ItemKeyView, ItemStart, ItemSummary,
    PendingReview, Released, SeenGuardian,
};
use crate::turns::{TurnKeyView, TurnTable, insert_in_turn, remove_in_turn, remove_listed};

impl State {
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
