//! CAP: bounded state. The model's tables are plain vectors in first-insertion order, searched
//! linearly: slow, and obviously right.

use super::trail::Trail;
use crate::event::{Diagnostic, DiagnosticReason, Table};

/// A state table bounded by `limits.table_entries_max`, in first-insertion order.
pub(crate) struct BoundedTable<K, V> {
    pub(crate) table: Table,
    pub(crate) entries_max: usize,
    /// False under UP-CAP-1: the table grows past `entries_max` and evicts nothing.
    pub(crate) bounded: bool,
    pub(crate) entries: Vec<(K, V)>,
}

impl<K: PartialEq, V> BoundedTable<K, V> {
    pub(crate) fn new(table: Table, entries_max: usize, bounded: bool) -> Self {
        BoundedTable {
            table,
            entries_max,
            bounded,
            entries: Vec::new(),
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let position = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(position).1)
    }

    /// Removes every entry matching `release`, in insertion order.
    pub(crate) fn remove_where(&mut self, release: impl Fn(&K, &V) -> bool) -> Vec<(K, V)> {
        let (released, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|(k, v)| release(k, v));
        self.entries = kept;
        released
    }

    /// CAP-1: inserts a key that is not present; when the table is full, first evicts the oldest
    /// entry and returns it. UP-CAP-1: a table without bound evicts nothing.
    pub(crate) fn insert_new(&mut self, key: K, value: V, trail: &mut Trail) -> Option<(K, V)> {
        let full = self.entries.len() >= self.entries_max && !self.entries.is_empty();
        if full && !self.bounded {
            trail.mark("UP-CAP-1");
        }
        let evicted = if full && self.bounded {
            trail.mark("CAP-1");
            Some(self.entries.remove(0))
        } else {
            None
        };
        self.entries.push((key, value));
        evicted
    }

    /// Replaces the value of a present key in place (CAP-1: an update does not move the key), or
    /// inserts it as new.
    pub(crate) fn upsert(&mut self, key: K, value: V, trail: &mut Trail) -> Option<(K, V)> {
        match self.get_mut(&key) {
            Some(slot) => {
                *slot = value;
                None
            }
            None => self.insert_new(key, value, trail),
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
