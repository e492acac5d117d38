//! The reducer's state as one struct: the six bounded tables of CAP-1 and the per-turn index,
//! built empty, and how many entries they hold. What each table is for is in `context` and
//! `turn_scoped`; how big each may grow, in `limits`.

use crate::event::{Limits, Table};
use crate::fact::{ConnectionId, Id, RequestId};

use crate::entries::{
    Connection, GuardianKey, ItemKey, ItemStart, ItemSummary, PendingReview, SeenGuardian,
    ThreadContext,
};
use crate::table::BoundedTable;
use crate::turns::{TurnIndex, TurnScoped};

/// All state of the production reducer.
pub(crate) struct State {
    pub(super) entries_max: usize,
    pub(super) connections: BoundedTable<ConnectionId, Connection>,
    pub(super) threads: BoundedTable<Id, ThreadContext>,
    pub(super) pending_requests: TurnScoped<RequestId, PendingReview>,
    pub(super) guardian_completions: TurnScoped<GuardianKey, SeenGuardian>,
    pub(super) item_starts: TurnScoped<ItemKey, ItemStart>,
    pub(super) item_summaries: TurnScoped<ItemKey, ItemSummary>,
    /// `(thread, turn)` → that turn's entries. A turn is listed only while it has a live entry,
    /// so this index never holds more turns than the four turn-scoped tables hold entries.
    pub(super) turns: TurnIndex,
    /// The seeded defect `FourConnectionSlots`: connection metadata in four slots by id. Never
    /// written by the production reducer (the branch that writes it is dead for `NoDefects`);
    /// kept in every build so that no line of the reducer depends on the feature.
    pub(super) connection_slots: [Option<Connection>; 4],
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

    /// Turns currently indexed (for boundedness checks).
    #[cfg(test)]
    pub(crate) fn indexed_turns(&self) -> usize {
        self.turns.len()
    }
}
