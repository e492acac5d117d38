//! Keyed storage for the reducer: a slab with generational handles ([`Slab`]) and, on top of it,
//! a bounded table with FIFO eviction ([`BoundedTable`], CAP-1).
//!
//! Each key is stored once, in its slot; the hash index holds slot numbers only, and a lookup
//! hashes a borrowed *view* of the key ([`TableKey::View`]), so finding `(thread, turn, item)`
//! by three `&str` clones nothing. A [`Handle`] names one insertion (slot and sequence number):
//! it stops resolving once that entry is removed, even after the slot is reused, which is what
//! makes lazy deletion from the eviction queue (and from the reducer's per-turn lists) safe.
//!
//! This module knows nothing of facts, rules or diagnostics: it stores and evicts, and returns
//! what it evicted so the caller can report it.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;

use hashbrown::HashTable;

use crate::fact::Id;
use crate::id::StoredHashes;

/// Stale handles a queue may hold beyond twice its live entries before it is compacted. Keeps
/// compaction amortized O(1) without compacting tiny queues on every removal.
pub(crate) const STALE_HANDLES_SLACK: usize = 16;

/// A key that can be looked up through a borrowed view of itself.
pub(crate) trait TableKey {
    /// The borrowed form of the key. Owned and borrowed keys hash through this view, so both
    /// hash alike by construction.
    type View<'a>: Copy + Hash
    where
        Self: 'a;

    /// How the table hashes views: a seeded hasher for keys an input names freely (request and
    /// connection numbers), [`StoredHashes`] for keys made of ids, which carry their own hash.
    type Hashing: BuildHasher + Default;

    /// The borrowed form of this key.
    fn view(&self) -> Self::View<'_>;

    /// Whether this key is the one `query` names.
    fn matches(&self, query: Self::View<'_>) -> bool;
}

impl TableKey for u64 {
    type View<'a> = u64;
    type Hashing = RandomState;

    fn view(&self) -> u64 {
        *self
    }

    fn matches(&self, query: u64) -> bool {
        *self == query
    }
}

impl TableKey for Id {
    type View<'a> = &'a Id;
    type Hashing = StoredHashes;

    fn view(&self) -> &Id {
        self
    }

    fn matches(&self, query: &Id) -> bool {
        self == query
    }
}

/// Plain strings key the tables of this module's own tests.
#[cfg(test)]
impl TableKey for String {
    type View<'a> = &'a str;
    type Hashing = RandomState;

    fn view(&self) -> &str {
        self
    }

    fn matches(&self, query: &str) -> bool {
        self == query
    }
}

/// Names one insertion into a [`Slab`]: its slot and its sequence number. A handle resolves only
/// while that very entry is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Handle {
    slot: usize,
    seq: u64,
}

impl Handle {
    /// A handle that names no entry of any slab (no slab has a slot at `usize::MAX`): a
    /// placeholder until the real handle is known.
    pub(crate) const DANGLING: Handle = Handle {
        slot: usize::MAX,
        seq: u64::MAX,
    };
}

struct Slot<K, V> {
    key: K,
    value: V,
    seq: u64,
    /// The hash of the key's view, kept so that removal and rehashing never hash the key again.
    hash: u64,
}

/// An unbounded keyed store with O(1) lookup by borrowed key and removal by handle. Slots are
/// reused, so its memory is bounded by the most entries it ever held at once.
pub(crate) struct Slab<K: TableKey, V, S = <K as TableKey>::Hashing> {
    /// Slot numbers, hashed by their key's view.
    index: HashTable<usize>,
    slots: Vec<Option<Slot<K, V>>>,
    free_slots: Vec<usize>,
    hasher: S,
    next_seq: u64,
}

impl<K: TableKey, V, S: BuildHasher + Default> Slab<K, V, S> {
    pub(crate) fn new() -> Slab<K, V, S> {
        Slab {
            index: HashTable::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            hasher: S::default(),
            next_seq: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The handle of the live entry under `key`, if any.
    pub(crate) fn find(&self, key: K::View<'_>) -> Option<Handle> {
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        let slot = *self.index.find(hash, |&slot| {
            occupied(slots, slot).is_some_and(|entry| entry.hash == hash && entry.key.matches(key))
        })?;
        let entry = occupied(slots, slot)?;
        Some(Handle {
            slot,
            seq: entry.seq,
        })
    }

    pub(crate) fn get(&self, key: K::View<'_>) -> Option<&V> {
        let handle = self.find(key)?;
        self.entry(handle).map(|(_, value)| value)
    }

    pub(crate) fn get_mut(&mut self, key: K::View<'_>) -> Option<&mut V> {
        let handle = self.find(key)?;
        self.value_mut(handle)
    }

    /// The key and value of the entry `handle` names, while it is live.
    pub(crate) fn entry(&self, handle: Handle) -> Option<(&K, &V)> {
        occupied(&self.slots, handle.slot)
            .filter(|entry| entry.seq == handle.seq)
            .map(|entry| (&entry.key, &entry.value))
    }

    /// The value of the entry `handle` names, while it is live.
    pub(crate) fn value_mut(&mut self, handle: Handle) -> Option<&mut V> {
        self.slots
            .get_mut(handle.slot)
            .and_then(Option::as_mut)
            .filter(|entry| entry.seq == handle.seq)
            .map(|entry| &mut entry.value)
    }

    /// Slots ever allocated (live or free), for walking every entry in tests.
    #[cfg(test)]
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The entry in slot `slot`, if live (tests only).
    #[cfg(test)]
    pub(crate) fn entry_at(&self, slot: usize) -> Option<(&K, &V)> {
        occupied(&self.slots, slot).map(|entry| (&entry.key, &entry.value))
    }

    pub(crate) fn is_live(&self, handle: Handle) -> bool {
        self.entry(handle).is_some()
    }

    /// Stores a new entry. The key must not be present (callers look it up first).
    pub(crate) fn insert(&mut self, key: K, value: V) -> Handle {
        debug_assert!(self.find(key.view()).is_none());
        let len_before = self.len();
        let hash = self.hasher.hash_one(key.view());
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        let entry = Slot {
            key,
            value,
            seq,
            hash,
        };
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                if let Some(cell) = self.slots.get_mut(slot) {
                    debug_assert!(cell.is_none());
                    *cell = Some(entry);
                }
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len().saturating_sub(1)
            }
        };
        let slots = &self.slots;
        self.index.insert_unique(hash, slot, |&slot| {
            occupied(slots, slot).map_or(0, |entry| entry.hash)
        });
        debug_assert!(self.len() == len_before + 1);
        debug_assert!(self.free_slots.len() + self.len() == self.slots.len());
        Handle { slot, seq }
    }

    /// Removes the entry `handle` names and returns it; `None` if it is no longer live.
    pub(crate) fn remove(&mut self, handle: Handle) -> Option<(K, V)> {
        let entry = occupied(&self.slots, handle.slot).filter(|entry| entry.seq == handle.seq)?;
        let found = self
            .index
            .find_entry(entry.hash, |&slot| slot == handle.slot);
        debug_assert!(found.is_ok());
        if let Ok(found) = found {
            found.remove();
        }
        let entry = self.slots.get_mut(handle.slot).and_then(Option::take)?;
        self.free_slots.push(handle.slot);
        debug_assert!(!self.is_live(handle));
        debug_assert!(self.free_slots.len() + self.len() == self.slots.len());
        Some((entry.key, entry.value))
    }
}

fn occupied<K, V>(slots: &[Option<Slot<K, V>>], slot: usize) -> Option<&Slot<K, V>> {
    slots.get(slot).and_then(Option::as_ref)
}

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
        assert!(t.slab.slots.len() <= entries_max);
    }

    #[test]
    fn zero_bound_is_taken_as_one() {
        let mut t = table(0);
        assert_eq!(insert(&mut t, "a", 1), None);
        assert_eq!(insert(&mut t, "b", 2), Some("a".to_owned()));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn slab_finds_by_borrowed_view() {
        let mut slab: Slab<String, u32> = Slab::new();
        let handle = slab.insert("thread-1".to_owned(), 7);
        assert_eq!(slab.find("thread-1"), Some(handle));
        assert_eq!(slab.get("thread-2"), None);
        assert_eq!(slab.remove(handle), Some(("thread-1".to_owned(), 7)));
        assert_eq!(slab.len(), 0);
    }
}

/// Test support: a hasher under which every key collides, so that only key comparison
/// (`TableKey::matches`) tells entries apart.
#[cfg(test)]
pub(crate) mod collisions {
    use std::hash::{BuildHasher, Hasher};

    use super::{Slab, TableKey};

    #[derive(Default)]
    pub(crate) struct Collide;

    pub(crate) struct Constant;

    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            7
        }
        fn write(&mut self, _: &[u8]) {}
    }

    impl BuildHasher for Collide {
        type Hasher = Constant;
        fn build_hasher(&self) -> Constant {
            Constant
        }
    }

    /// Stores `keys` (all distinct) under one hash, then checks every lookup finds its own
    /// entry, before and after removing one of them.
    pub(crate) fn assert_lookups_survive_collisions<K: TableKey + std::fmt::Debug>(keys: Vec<K>) {
        assert!(keys.len() >= 3, "need at least three keys");
        let mut slab: Slab<K, usize, Collide> = Slab::new();
        let mut inserted = Vec::new();
        for (index, key) in keys.into_iter().enumerate() {
            inserted.push(slab.insert(key, index));
        }
        let check = |slab: &Slab<K, usize, Collide>, removed: Option<usize>| {
            for (index, handle) in inserted.iter().enumerate() {
                let Some((key, _)) = slab.entry(*handle) else {
                    assert_eq!(removed, Some(index), "entry {index} vanished");
                    continue;
                };
                let found = slab
                    .find(key.view())
                    .and_then(|h| slab.entry(h))
                    .map(|(_, v)| *v);
                assert_eq!(
                    found,
                    Some(index),
                    "lookup of {key:?} under a colliding hash"
                );
            }
        };
        check(&slab, None);
        let middle = inserted[1];
        assert!(slab.remove(middle).is_some());
        check(&slab, Some(1));
    }
}

#[cfg(test)]
mod collision_tests {
    use super::collisions::assert_lookups_survive_collisions;
    use crate::fact::Id;

    #[test]
    fn string_id_and_integer_keys_are_told_apart_under_colliding_hashes() {
        assert_lookups_survive_collisions(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
        assert_lookups_survive_collisions(vec![1u64, 2, 3]);
        // The shared ids the reducer's tables are keyed by (the thread table).
        assert_lookups_survive_collisions(vec![Id::from("a"), Id::from("b"), Id::from("c")]);
    }
}
