//! The reducer's state: the six bounded tables of CAP-1 (their keys and entries are in
//! `entries`) and the per-turn index (`turns`) that lets a turn end release its entries without
//! scanning the tables (TURN-1).
//!
//! This module keeps the tables and the index consistent: every entry of a turn-scoped table
//! (pending requests, guardian completions, item starts, item summaries) is listed under its
//! `(thread, turn)`, in insertion order, from its insertion until its removal, whichever rule
//! removes it. It decides no rule: it never builds an output, and it hands evicted and released
//! entries back to `ingest`, which reports them.
//!
//! - `tables`: the [`State`] struct, the six tables and the index, built empty, and their sizes.
//! - `context`: connections and threads, never turn-scoped, only replaced or evicted (CTX-1,
//!   CTX-2), and the four connection slots of the seeded defect `FourConnectionSlots`.
//! - `turn_scoped`: pending requests, guardian completions, item starts and item summaries, each
//!   listed under its turn from insertion to removal, and the turn end that releases them all
//!   (TURN-1).
//! - `limits`: how big the tables may be (CAP-1, UP-CAP-1) and the check, after each fact, that
//!   they are no bigger.

mod context;
mod limits;
mod tables;
#[cfg(test)]
mod tests;
mod turn_scoped;

pub(crate) use limits::table_limits;
pub(crate) use tables::State;
