//! The per-turn index of the reducer's state: every entry of a turn-scoped table (pending
//! requests, guardian completions, item starts, item summaries) listed under its `(thread, turn)`
//! in insertion order, so that a turn end releases its entries without scanning the tables
//! (TURN-1).

use super::table::{BoundedTable, Handle, STALE_HANDLES_SLACK, Slab, TableKey};

/// A turn, for the per-turn index: turns are keyed by thread and turn, never by turn alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TurnKey {
    pub(super) thread_id: String,
    pub(super) turn_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct TurnKeyView<'a> {
    pub(super) thread_id: &'a str,
    pub(super) turn_id: &'a str,
}

impl TableKey for TurnKey {
    type View<'a> = TurnKeyView<'a>;

    fn view(&self) -> TurnKeyView<'_> {
        TurnKeyView {
            thread_id: &self.thread_id,
            turn_id: &self.turn_id,
        }
    }

    fn matches(&self, query: TurnKeyView<'_>) -> bool {
        self.view() == query
    }
}

/// The turn-scoped tables, for the per-turn index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TurnTable {
    PendingRequests,
    GuardianCompletions,
    ItemStarts,
    ItemSummaries,
}

/// The handles of one turn's entries in one table, in insertion order. Removal by another rule
/// leaves a stale handle behind (lazy deletion); the list is compacted when stale handles
/// outnumber live ones, so a long turn with many answered requests stays small.
#[derive(Debug, Default)]
pub(super) struct TurnList {
    pub(super) handles: Vec<Handle>,
    pub(super) live: usize,
}

/// One turn's entries, per turn-scoped table.
#[derive(Debug, Default)]
pub(super) struct TurnEntries {
    pub(super) pending_requests: TurnList,
    pub(super) guardian_completions: TurnList,
    pub(super) item_starts: TurnList,
    pub(super) item_summaries: TurnList,
}

impl TurnEntries {
    pub(super) fn list_mut(&mut self, table: TurnTable) -> &mut TurnList {
        match table {
            TurnTable::PendingRequests => &mut self.pending_requests,
            TurnTable::GuardianCompletions => &mut self.guardian_completions,
            TurnTable::ItemStarts => &mut self.item_starts,
            TurnTable::ItemSummaries => &mut self.item_summaries,
        }
    }

    pub(super) fn live(&self) -> usize {
        self.pending_requests.live
            + self.guardian_completions.live
            + self.item_starts.live
            + self.item_summaries.live
    }
}

/// Removes the live entries a turn list names, in list (insertion) order.
pub(super) fn remove_all<K: TableKey, V>(
    table: &mut BoundedTable<K, V>,
    list: &TurnList,
) -> Vec<(K, V)> {
    list.handles
        .iter()
        .filter_map(|&handle| table.remove(handle))
        .collect()
}

/// Lists a newly inserted entry under its turn, creating the turn's index entry if needed.
pub(super) fn link<K: TableKey, V>(
    turns: &mut Slab<TurnKey, TurnEntries>,
    table: &BoundedTable<K, V>,
    which: TurnTable,
    thread_id: &str,
    turn_id: &str,
    handle: Handle,
) {
    debug_assert!(table.is_live(handle));
    let view = TurnKeyView { thread_id, turn_id };
    let turn = match turns.find(view) {
        Some(turn) => turn,
        None => turns.insert(
            TurnKey {
                thread_id: thread_id.to_owned(),
                turn_id: turn_id.to_owned(),
            },
            TurnEntries::default(),
        ),
    };
    let Some(entries) = turns.value_mut(turn) else {
        debug_assert!(false, "a turn just found or inserted resolves");
        return;
    };
    let list = entries.list_mut(which);
    list.handles.push(handle);
    list.live += 1;
    compact_if_stale(list, table);
}

/// Unlists an entry that was just removed from its table (by its own rule or by eviction), and
/// frees the turn's index entry once the turn has no live entry left.
pub(super) fn unlink<K: TableKey, V>(
    turns: &mut Slab<TurnKey, TurnEntries>,
    table: &BoundedTable<K, V>,
    which: TurnTable,
    thread_id: &str,
    turn_id: &str,
) {
    let view = TurnKeyView { thread_id, turn_id };
    let Some(turn) = turns.find(view) else {
        debug_assert!(false, "a live entry's turn is indexed");
        return;
    };
    let Some(entries) = turns.value_mut(turn) else {
        return;
    };
    let list = entries.list_mut(which);
    debug_assert!(list.live > 0);
    list.live = list.live.saturating_sub(1);
    compact_if_stale(list, table);
    if entries.live() == 0 {
        turns.remove(turn);
    }
}

pub(super) fn compact_if_stale<K: TableKey, V>(list: &mut TurnList, table: &BoundedTable<K, V>) {
    let bound = list
        .live
        .saturating_mul(2)
        .saturating_add(STALE_HANDLES_SLACK);
    if list.handles.len() > bound {
        list.handles.retain(|&handle| table.is_live(handle));
        debug_assert!(list.handles.len() == list.live);
    }
}
