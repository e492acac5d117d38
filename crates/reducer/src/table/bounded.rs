//! A bounded table: a [`Slab`] of at most `entries_max` entries that evicts its oldest entry to
//! make room (CAP-1), with an eviction queue of handles that removal leaves stale (lazy deletion)
//! and compaction keeps within about twice the bound.

use std::collections::VecDeque;

use super::{Handle, Slab, TableKey};

/// Stale handles a queue may hold beyond twice its live entries before it is compacted. Keeps
/// compaction amortized O(1) without compacting tiny queues on every removal.
pub(crate) const STALE_HANDLES_SLACK: usize = 16;

/// A [`Slab`] that holds at most `entries_max` entries. Inserting a new key into a full table
/// first evicts the entry inserted first among those still live (CAP-1). Updating a value in
/// place does not move its key; removing an entry frees its slot.
///
/// The eviction order is a queue of handles in insertion order. Removal does not search it: the
/// removed entry's handle simply stops resolving (lazy deletion), and the queue is compacted when
/// such stale handles outnumber the live ones, so it never holds more than about twice the
/// table's bound.
pub(crate) struct BoundedTable<K: TableKey, V> {
    slab: Slab<K, V>,
    /// Every live entry's handle, oldest first, plus stale handles of removed entries.
    queue: VecDeque<Handle>,
    entries_max: usize,
}

/// What [`BoundedTable::insert`] did: the new entry's handle, and the entry it evicted to make
/// room, if any.
pub(crate) struct Inserted<K, V> {
    pub(crate) handle: Handle,
    pub(crate) evicted: Option<(K, V)>,
}

impl<K: TableKey, V> BoundedTable<K, V> {
    /// A table of at most `entries_max` entries; a bound of 0 is taken as 1, so that the entry
    /// being inserted always has room.
    pub(crate) fn new(entries_max: usize) -> BoundedTable<K, V> {
        BoundedTable {
            slab: Slab::new(),
            queue: VecDeque::new(),
            entries_max: entries_max.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    pub(crate) fn find(&self, key: K::View<'_>) -> Option<Handle> {
        self.slab.find(key)
    }

    pub(crate) fn get(&self, key: K::View<'_>) -> Option<&V> {
        self.slab.get(key)
    }

    /// The value under `key`, for an update in place (the key keeps its eviction position).
    pub(crate) fn get_mut(&mut self, key: K::View<'_>) -> Option<&mut V> {
        self.slab.get_mut(key)
    }

    pub(crate) fn entry(&self, handle: Handle) -> Option<(&K, &V)> {
        self.slab.entry(handle)
    }

    /// The value of the entry `handle` names, while it is live, for an update in place.
    pub(crate) fn value_mut(&mut self, handle: Handle) -> Option<&mut V> {
        self.slab.value_mut(handle)
    }

    pub(crate) fn is_live(&self, handle: Handle) -> bool {
        self.slab.is_live(handle)
    }

    /// CAP-1: stores a new key, first evicting the oldest entry if the table is full. The key
    /// must not be present.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Inserted<K, V> {
        let evicted = if self.len() >= self.entries_max {
            self.evict_oldest()
        } else {
            None
        };
        debug_assert!(self.len() < self.entries_max);
        let handle = self.slab.insert(key, value);
        self.queue.push_back(handle);
        self.compact_if_stale();
        debug_assert!(self.len() <= self.entries_max);
        debug_assert!(self.queue.len() >= self.len());
        Inserted { handle, evicted }
    }

    /// Removes the entry `handle` names, freeing its slot; `None` if it is no longer live.
    pub(crate) fn remove(&mut self, handle: Handle) -> Option<(K, V)> {
        let removed = self.slab.remove(handle)?;
        self.compact_if_stale();
        Some(removed)
    }

    /// Removes the entry under `key`, freeing its slot.
    pub(crate) fn remove_key(&mut self, key: K::View<'_>) -> Option<(K, V)> {
        let handle = self.find(key)?;
        self.remove(handle)
    }

    fn evict_oldest(&mut self) -> Option<(K, V)> {
        while let Some(handle) = self.queue.pop_front() {
            if let Some(evicted) = self.slab.remove(handle) {
                return Some(evicted);
            }
        }
        None
    }

    /// Drops stale handles once they outnumber the live ones (plus a little slack), so the queue
    /// stays within about twice the bound and each removal costs O(1) amortized.
    #[inline]
    fn compact_if_stale(&mut self) {
        if self.queue.len()
            > self
                .len()
                .saturating_mul(2)
                .saturating_add(STALE_HANDLES_SLACK)
        {
            self.compact();
        }
    }

    /// Drops every stale handle (rare: out of the hot path).
    #[cold]
    fn compact(&mut self) {
        let slab = &self.slab;
        self.queue.retain(|&handle| slab.is_live(handle));
        debug_assert!(self.queue.len() == self.len());
    }

    /// Handles in the eviction queue, live and stale (for boundedness checks).
    #[cfg(test)]
    pub(crate) fn queue_len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn table(entries_max: usize) -> BoundedTable<String, u32> {
        BoundedTable::new(entries_max)
    }

    fn insert(table: &mut BoundedTable<String, u32>, key: &str, value: u32) -> Option<String> {
        table
            .insert(key.to_owned(), value)
            .evicted
            .map(|(key, _)| key)
    }

    #[test]
    fn full_table_evicts_the_first_inserted_key() {
        let mut t = table(3);
        assert_eq!(insert(&mut t, "a", 1), None);
        assert_eq!(insert(&mut t, "b", 2), None);
        assert_eq!(insert(&mut t, "c", 3), None);
        assert_eq!(insert(&mut t, "d", 4), Some("a".to_owned()));
        assert_eq!(insert(&mut t, "e", 5), Some("b".to_owned()));
        assert_eq!(t.len(), 3);
        assert_eq!(t.get("a"), None);
        assert_eq!(t.get("e"), Some(&5));
    }

    #[test]
    fn update_in_place_does_not_move_the_key() {
        let mut t = table(2);
        insert(&mut t, "a", 1);
        insert(&mut t, "b", 2);
        if let Some(value) = t.get_mut("a") {
            *value = 10;
        }
        assert_eq!(insert(&mut t, "c", 3), Some("a".to_owned()));
        assert_eq!(t.get("b"), Some(&2));
    }

    #[test]
    fn removal_frees_a_slot_and_skips_the_stale_handle() {
        let mut t = table(2);
        insert(&mut t, "a", 1);
        insert(&mut t, "b", 2);
        assert_eq!(t.remove_key("a").map(|(_, v)| v), Some(1));
        assert_eq!(insert(&mut t, "c", 3), None);
        assert_eq!(insert(&mut t, "d", 4), Some("b".to_owned()));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn a_reinserted_key_is_a_new_insertion() {
        let mut t = table(2);
        insert(&mut t, "a", 1);
        insert(&mut t, "b", 2);
        t.remove_key("a");
        insert(&mut t, "a", 3);
        assert_eq!(insert(&mut t, "c", 4), Some("b".to_owned()));
        assert_eq!(insert(&mut t, "d", 5), Some("a".to_owned()));
    }

    #[test]
    fn a_handle_does_not_resolve_after_its_slot_is_reused() {
        let mut t = table(4);
        let old = t.insert("a".to_owned(), 1).handle;
        t.remove(old);
        let new = t.insert("b".to_owned(), 2).handle;
        assert!(!t.is_live(old));
        assert!(t.is_live(new));
        assert_eq!(t.remove(old).map(|(_, v)| v), None);
        assert_eq!(t.entry(new).map(|(k, v)| (k.as_str(), *v)), Some(("b", 2)));
    }

    #[test]
    fn queue_compaction_keeps_memory_bounded() {
        let entries_max = 8;
        let mut t = table(entries_max);
        let mut queue_len_max = 0;
        for i in 0..100_000u32 {
            let key = format!("k{i}");
            insert(&mut t, &key, i);
            // Remove most entries by their own rules, leaving stale handles behind.
            if i % 4 != 0 {
                t.remove_key(&key);
            }
            queue_len_max = queue_len_max.max(t.queue_len());
            assert!(t.len() <= entries_max);
        }
        assert!(queue_len_max <= 2 * entries_max + STALE_HANDLES_SLACK + 1);
        assert!(t.slab.slot_count() <= entries_max);
    }

    #[test]
    fn zero_bound_is_taken_as_one() {
        let mut t = table(0);
        assert_eq!(insert(&mut t, "a", 1), None);
        assert_eq!(insert(&mut t, "b", 2), Some("a".to_owned()));
        assert_eq!(t.len(), 1);
    }
}
