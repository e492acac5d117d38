//! The per-turn index of the reducer's state: every entry of a turn-scoped table (pending
//! requests, guardian completions, item starts, item summaries) listed under its `(thread, turn)`
//! in insertion order, so that a turn end releases its entries without scanning the tables
//! (TURN-1).

use super::table::{BoundedTable, Handle, STALE_HANDLES_SLACK, Slab, TableKey};
use crate::fact::Id;
use crate::id::StoredHashes;

/// A turn, for the per-turn index: turns are keyed by thread and turn, never by turn alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TurnKey {
    pub(super) thread_id: Id,
    pub(super) turn_id: Id,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct TurnKeyView<'a> {
    pub(super) thread_id: &'a Id,
    pub(super) turn_id: &'a Id,
}

impl TableKey for TurnKey {
    type View<'a> = TurnKeyView<'a>;
    type Hashing = StoredHashes;

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

/// A value of a turn-scoped table, with the handle of its turn's index entry: removing the entry
/// unlists it from its turn without looking the turn up.
#[derive(Debug)]
pub(super) struct InTurn<V> {
    pub(super) value: V,
    turn: Handle,
}

/// A table whose entries are listed under their turn.
pub(super) type TurnScoped<K, V> = BoundedTable<K, InTurn<V>>;

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

/// Spare turn entries kept for reuse at most: a turn that starts takes one (and its lists'
/// capacity) instead of allocating, so the steady state of a long stream allocates nothing here.
const SPARE_TURNS_MAX: usize = 64;

/// A spare list keeps at most this many handles' worth of capacity; a bigger one is freed, so
/// the spares hold little memory whatever the turns before them held.
const SPARE_HANDLES_MAX: usize = 64;

/// The per-turn index: `(thread, turn)` → that turn's entries, with spare entries to reuse.
pub(super) struct TurnIndex {
    turns: Slab<TurnKey, TurnEntries>,
    spare: Vec<TurnEntries>,
}

impl Default for TurnIndex {
    fn default() -> TurnIndex {
        TurnIndex {
            turns: Slab::new(),
            spare: Vec::new(),
        }
    }
}

impl TurnIndex {
    pub(super) fn len(&self) -> usize {
        self.turns.len()
    }

    #[cfg(test)]
    pub(super) fn slot_count(&self) -> usize {
        self.turns.slot_count()
    }

    #[cfg(test)]
    pub(super) fn entry_at(&self, slot: usize) -> Option<(&TurnKey, &TurnEntries)> {
        self.turns.entry_at(slot)
    }

    pub(super) fn get(&self, view: TurnKeyView<'_>) -> Option<&TurnEntries> {
        self.turns.get(view)
    }

    /// Removes a turn's entries from the index; hand them back with [`TurnIndex::recycle`].
    pub(super) fn take(&mut self, view: TurnKeyView<'_>) -> Option<TurnEntries> {
        let handle = self.turns.find(view)?;
        self.turns.remove(handle).map(|(_, entries)| entries)
    }

    /// Spare turn entries kept for reuse (tests only).
    #[cfg(test)]
    pub(super) fn spare_len(&self) -> usize {
        self.spare.len()
    }

    /// Keeps a removed turn's lists, emptied, for the next turn that starts.
    pub(super) fn recycle(&mut self, mut entries: TurnEntries) {
        if self.spare.len() >= SPARE_TURNS_MAX {
            return;
        }
        for list in [
            &mut entries.pending_requests,
            &mut entries.guardian_completions,
            &mut entries.item_starts,
            &mut entries.item_summaries,
        ] {
            list.handles.clear();
            list.live = 0;
            list.handles.shrink_to(SPARE_HANDLES_MAX);
        }
        self.spare.push(entries);
    }
}

/// Removes the live entries a turn list names, in list (insertion) order, handing each to
/// `each`; returns how many there were.
pub(super) fn remove_listed<K: TableKey, V>(
    table: &mut TurnScoped<K, V>,
    list: &TurnList,
    mut each: impl FnMut(K, V),
) -> usize {
    let mut removed = 0;
    for &handle in &list.handles {
        if let Some((key, entry)) = table.remove(handle) {
            each(key, entry.value);
            removed += 1;
        }
    }
    removed
}

/// Inserts a new key into a turn-scoped table (evicting its oldest entry if full, CAP-1) and
/// lists the new entry under the turn `turn_of` reads from it; returns the evicted entry, already
/// unlisted from its own turn.
pub(super) fn insert_in_turn<K: TableKey, V>(
    index: &mut TurnIndex,
    table: &mut TurnScoped<K, V>,
    which: TurnTable,
    key: K,
    value: V,
    turn_of: impl for<'e> Fn(&'e K, &'e V) -> (&'e Id, &'e Id),
) -> Option<(K, V)> {
    let inserted = table.insert(
        key,
        InTurn {
            value,
            turn: Handle::DANGLING,
        },
    );
    let evicted = inserted.evicted.map(|(key, entry)| {
        unlink(index, table, which, entry.turn);
        (key, entry.value)
    });
    let turn = table.entry(inserted.handle).map(|(key, entry)| {
        let (thread_id, turn_id) = turn_of(key, &entry.value);
        link(index, table, which, thread_id, turn_id, inserted.handle)
    });
    if let (Some(turn), Some(entry)) = (turn, table.value_mut(inserted.handle)) {
        entry.turn = turn;
    }
    evicted
}

/// Removes the entry under `key` from a turn-scoped table and unlists it from its turn.
pub(super) fn remove_in_turn<K: TableKey, V>(
    index: &mut TurnIndex,
    table: &mut TurnScoped<K, V>,
    which: TurnTable,
    key: K::View<'_>,
) -> Option<(K, V)> {
    let (key, entry) = table.remove_key(key)?;
    unlink(index, table, which, entry.turn);
    Some((key, entry.value))
}

/// Lists a newly inserted entry under its turn, creating the turn's index entry if needed;
/// returns the turn's handle.
fn link<K: TableKey, V>(
    index: &mut TurnIndex,
    table: &BoundedTable<K, V>,
    which: TurnTable,
    thread_id: &Id,
    turn_id: &Id,
    handle: Handle,
) -> Handle {
    debug_assert!(table.is_live(handle));
    let view = TurnKeyView { thread_id, turn_id };
    let turns = &mut index.turns;
    let turn = match turns.find(view) {
        Some(turn) => turn,
        None => turns.insert(
            TurnKey {
                thread_id: thread_id.clone(),
                turn_id: turn_id.clone(),
            },
            index.spare.pop().unwrap_or_default(),
        ),
    };
    let Some(entries) = turns.value_mut(turn) else {
        debug_assert!(false, "a turn just found or inserted resolves");
        return turn;
    };
    let list = entries.list_mut(which);
    list.handles.push(handle);
    list.live += 1;
    compact_if_stale(list, table);
    turn
}

/// Unlists an entry that was just removed from its table (by its own rule or by eviction) from
/// the turn `turn` names, and frees the turn's index entry once the turn has no live entry left.
fn unlink<K: TableKey, V>(
    index: &mut TurnIndex,
    table: &BoundedTable<K, V>,
    which: TurnTable,
    turn: Handle,
) {
    let Some(entries) = index.turns.value_mut(turn) else {
        debug_assert!(false, "a live entry's turn is indexed");
        return;
    };
    let list = entries.list_mut(which);
    debug_assert!(list.live > 0);
    list.live = list.live.saturating_sub(1);
    compact_if_stale(list, table);
    if entries.live() == 0
        && let Some((_, entries)) = index.turns.remove(turn)
    {
        index.recycle(entries);
    }
}

#[inline]
fn compact_if_stale<K: TableKey, V>(list: &mut TurnList, table: &BoundedTable<K, V>) {
    let bound = list
        .live
        .saturating_mul(2)
        .saturating_add(STALE_HANDLES_SLACK);
    if list.handles.len() > bound {
        compact(list, table);
    }
}

/// Drops a turn list's stale handles (rare: out of the hot path).
#[cold]
fn compact<K: TableKey, V>(list: &mut TurnList, table: &BoundedTable<K, V>) {
    list.handles.retain(|&handle| table.is_live(handle));
    debug_assert!(list.handles.len() == list.live);
}
