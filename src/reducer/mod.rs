//! The production reducer: incremental, bounded, and total. It ingests one fact at a time, keeps
//! only the state the rules of `spec/rules.md` need (six tables, each bounded by
//! `Limits::table_entries_max`, CAP-1), and emits outputs in spec order.
//!
//! It shares only the vocabulary (`fact`, `event`, `subject`) with the reference model in
//! `model/`, never logic: the harness diffs the two, and shared code would hide shared bugs.
//!
//! Code map: `ingest` (the [`Reducer`] and one handler per fact), `review` (completing a review:
//! summaries and context), `derive` (what an event says), `diagnostic` (what a diagnostic says),
//! `state` (the six tables and the per-turn index), `table` (bounded storage), `defect` (seeded
//! bugs, `seeded-defects` builds only).

#[cfg(feature = "seeded-defects")]
mod defect;
mod derive;
mod diagnostic;
mod entries;
mod guardian;
mod ingest;
mod items;
mod requests;
mod review;
mod state;
mod table;
#[cfg(test)]
mod tests;
mod turns;

#[cfg(feature = "seeded-defects")]
pub use defect::Defect;
pub use ingest::{Reducer, reduce_all};
