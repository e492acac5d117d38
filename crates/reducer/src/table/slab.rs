//! A slab with generational handles: each key stored once, in its slot, found through a hash
//! index of slot numbers; a [`Handle`] names one insertion and stops resolving once that entry is
//! removed, even after its slot is reused.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::TableKey;

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

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

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
