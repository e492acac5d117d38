//! CAP: bounded state. Each table keeps its entries in first-insertion order (the order CAP-1
//! evicts in). Lookups go through an index from key to entry, and a turn's entries through an
//! index from (thread, turn) to entries, so that a large `table_entries_max` does not make the
//! model quadratic. The indexes are bookkeeping, not rules: the rules see a table as a list in
//! insertion order, nothing else.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use super::trail::Trail;
use super::why::{Aspect, Why};
use crate::event::{Diagnostic, DiagnosticReason, Table};
use crate::profile::Departure;

/// Which (thread, turn) an entry belongs to, for tables that TURN-1 releases by turn.
pub(crate) type TurnOf<K, V> = for<'a> fn(&'a K, &'a V) -> (&'a str, &'a str);

/// A state table bounded by `limits.table_entries_max`, in first-insertion order.
pub(crate) struct BoundedTable<K, V> {
    pub(crate) table: Table,
    pub(crate) entries_max: usize,
    /// False under UP-CAP-1: the table grows past `entries_max` and evicts nothing.
    pub(crate) bounded: bool,
    /// The entries by insertion number, oldest first.
    entries: BTreeMap<u64, (K, V)>,
    /// The next insertion number.
    next: u64,
    /// Index: each key's insertion number.
    index: HashMap<K, u64>,
    /// Index, for tables released by turn: the insertion numbers of each (thread, turn).
    turn_of: Option<TurnOf<K, V>>,
    by_turn: HashMap<(String, String), BTreeSet<u64>>,
}

impl<K: Eq + Hash + Clone, V> BoundedTable<K, V> {
    pub(crate) fn new(table: Table, entries_max: usize, bounded: bool) -> Self {
        BoundedTable {
            table,
            entries_max,
            bounded,
            entries: BTreeMap::new(),
            next: 0,
            index: HashMap::new(),
            turn_of: None,
            by_turn: HashMap::new(),
        }
    }

    /// The same table, whose entries TURN-1 releases by the (thread, turn) `turn_of` names.
    pub(crate) fn by_turn(mut self, turn_of: TurnOf<K, V>) -> Self {
        self.turn_of = Some(turn_of);
        self
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let number = self.index.get(key)?;
        self.entries.get(number).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let number = self.index.get(key)?;
        self.entries.get_mut(number).map(|(_, v)| v)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let number = self.index.get(key).copied()?;
        self.take(number).map(|(_, v)| v)
    }

    /// TURN-1: removes the entries of `(thread_id, turn_id)`, in insertion order.
    pub(crate) fn remove_turn(&mut self, thread_id: &str, turn_id: &str) -> Vec<(K, V)> {
        let scope = (thread_id.to_owned(), turn_id.to_owned());
        let numbers = self.by_turn.remove(&scope).unwrap_or_default();
        numbers
            .into_iter()
            .filter_map(|number| self.take(number))
            .collect()
    }

    /// Whether a turn of id `turn_id` of another thread than `thread_id` has entries (a linear
    /// scan: for explanations only).
    pub(crate) fn has_other_thread(&self, thread_id: &str, turn_id: &str) -> bool {
        self.by_turn
            .keys()
            .any(|(thread, turn)| turn == turn_id && thread != thread_id)
    }

    /// The values of `(thread_id, turn_id)`'s entries, to record a decision on each.
    pub(crate) fn turn_values_mut(&mut self, thread_id: &str, turn_id: &str) -> Vec<&mut V> {
        let scope = (thread_id.to_owned(), turn_id.to_owned());
        let Some(numbers) = self.by_turn.get(&scope) else {
            return Vec::new();
        };
        self.entries
            .iter_mut()
            .filter(|(number, _)| numbers.contains(number))
            .map(|(_, (_, value))| value)
            .collect()
    }

    /// CAP-1: inserts a key that is not present; when the table is full, first evicts the oldest
    /// entry and returns it (the caller reports it, `State::emit_evicted`). UP-CAP-1: a table without
    /// bound evicts nothing.
    pub(crate) fn insert_new(&mut self, key: K, value: V, trail: &mut Trail) -> Option<(K, V)> {
        let full = self.entries.len() >= self.entries_max && !self.entries.is_empty();
        if full {
            // UP-CAP-1 decides here: evict (bounded) or grow (unbounded).
            trail.consult(Departure::Cap1);
        }
        if full && !self.bounded {
            let _ = trail.exception("UP-CAP-1");
        }
        if !full && trail.explains() {
            // Room for it: the table is not full, since the last entry that left did.
            let mut room = trail.last_removal(self.table);
            room.add(Aspect::Exists, trail.noted("CAP-1"));
            let reason = DiagnosticReason::Evicted;
            trail.withhold(crate::event::Identity::Diagnostic { reason }, room);
        }
        let evicted = if full && self.bounded {
            let oldest = self.entries.keys().next().copied();
            oldest.and_then(|number| self.take(number))
        } else {
            None
        };
        let number = self.next;
        self.next += 1;
        self.note_turn(number, &key, &value);
        self.index.insert(key.clone(), number);
        self.entries.insert(number, (key, value));
        evicted
    }

    /// Whether the table holds no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether `key` is present: an [`BoundedTable::upsert`] of it updates in place.
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    /// Replaces the value of a present key in place (CAP-1: an update does not move the key), or
    /// inserts it as new.
    pub(crate) fn upsert(&mut self, key: K, value: V, trail: &mut Trail) -> Option<(K, V)> {
        let Some(number) = self.index.get(&key).copied() else {
            return self.insert_new(key, value, trail);
        };
        self.forget_turn(number);
        self.note_turn(number, &key, &value);
        if let Some(slot) = self.entries.get_mut(&number) {
            slot.1 = value;
        }
        None
    }

    /// Removes the entry of insertion number `number` from the table and its indexes.
    fn take(&mut self, number: u64) -> Option<(K, V)> {
        self.forget_turn(number);
        let (key, value) = self.entries.remove(&number)?;
        self.index.remove(&key);
        Some((key, value))
    }

    fn note_turn(&mut self, number: u64, key: &K, value: &V) {
        if let Some(turn_of) = self.turn_of {
            let (thread_id, turn_id) = turn_of(key, value);
            self.by_turn
                .entry((thread_id.to_owned(), turn_id.to_owned()))
                .or_default()
                .insert(number);
        }
    }

    fn forget_turn(&mut self, number: u64) {
        let (Some(turn_of), Some((key, value))) = (self.turn_of, self.entries.get(&number)) else {
            return;
        };
        let (thread_id, turn_id) = turn_of(key, value);
        let scope = (thread_id.to_owned(), turn_id.to_owned());
        if let Some(numbers) = self.by_turn.get_mut(&scope) {
            numbers.remove(&number);
            if numbers.is_empty() {
                self.by_turn.remove(&scope);
            }
        }
    }
}

/// CAP-1: the `evicted` diagnostic for an entry of `table`, before its key fields are filled in.
pub(crate) fn evicted(table: Table) -> Diagnostic {
    Diagnostic {
        table: Some(table),
        ..Diagnostic::new(DiagnosticReason::Evicted)
    }
}

/// CAP-1: an in-place update keeps the entry's place in the table (the order CAP-1 evicts in and
/// TURN-1 releases in): its position is decided by CAP-1 as well as by its first insertion.
pub(crate) fn keep_place(why: &mut Why, trail: &mut Trail) {
    why.add(Aspect::Order(1), trail.implied("CAP-1", true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(max: usize) -> BoundedTable<u64, (String, String)> {
        BoundedTable::new(Table::PendingRequests, max, true)
            .by_turn(|_, (thread, turn)| (thread, turn))
    }

    fn scope(thread: &str, turn: &str) -> (String, String) {
        (thread.to_owned(), turn.to_owned())
    }

    #[test]
    fn eviction_is_first_in_first_out_and_an_update_keeps_its_place() {
        let mut trail = Trail::default();
        let mut table = table(3);
        for key in 1..=3 {
            assert!(table.insert_new(key, scope("t", "u"), &mut trail).is_none());
        }
        assert!(table.upsert(1, scope("t", "v"), &mut trail).is_none());
        let evicted = table.insert_new(4, scope("t", "u"), &mut trail);
        assert_eq!(evicted, Some((1, scope("t", "v"))));
        assert_eq!(table.get(&1), None);
        assert_eq!(table.remove(&3), Some(scope("t", "u")));
        let evicted = table.insert_new(5, scope("t", "u"), &mut trail);
        assert_eq!(evicted, None, "two entries left, room for a third");
        let evicted = table.insert_new(6, scope("t", "u"), &mut trail);
        assert_eq!(evicted.map(|(key, _)| key), Some(2));
    }

    #[test]
    fn a_turn_releases_its_entries_in_insertion_order_and_follows_updates() {
        let mut trail = Trail::default();
        let mut table = table(usize::MAX);
        for key in [5, 3, 9, 1] {
            table.insert_new(key, scope("t", "u"), &mut trail);
        }
        table.insert_new(7, scope("t", "other"), &mut trail);
        // An update that moves an entry to another turn moves it in the index too.
        table.upsert(9, scope("t", "other"), &mut trail);
        let released: Vec<u64> = table
            .remove_turn("t", "u")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(released, [5, 3, 1]);
        assert!(table.remove_turn("t", "u").is_empty());
        let released: Vec<u64> = table
            .remove_turn("t", "other")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(released, [9, 7]);
        assert_eq!(table.get(&5), None);
    }
}
