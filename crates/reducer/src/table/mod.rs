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
//!
//! - `key`: [`TableKey`], how a key is looked up through a borrowed view and hashed, for the
//!   integer and id keys (the composite keys are in `entries` and `turns`).
//! - `slab`: [`Slab`] and [`Handle`], unbounded storage with generational handles.
//! - `bounded`: [`BoundedTable`], a slab of at most `entries_max` entries with FIFO eviction and
//!   lazily deleted handles (CAP-1).
//! - `collisions` (tests only): a hasher under which every key collides, to check that keys are
//!   compared, not trusted to their hash.

mod bounded;
#[cfg(test)]
pub(crate) mod collisions;
mod key;
mod slab;

pub(crate) use bounded::{BoundedTable, STALE_HANDLES_SLACK};
pub(crate) use key::TableKey;
pub(crate) use slab::{Handle, Slab};
