//! The production reducer: incremental, bounded, and total. It ingests one fact at a time, keeps
//! only the state the rules of `spec/rules.md` need (six tables, each bounded by
//! `Limits::table_entries_max`, CAP-1), and emits outputs in spec order.
//!
//! It shares only the vocabulary (`fact`, `event`, `subject`) with the reference model in
//! `model/`, never logic: the harness diffs the two, and shared code would hide shared bugs.
//!
//! Code map: `ingest` (the [`Reducer`] and one handler per fact), `review` (completing a review:
//! summaries and context), `derive` (what an event says), `diagnostic` (what a diagnostic says),
//! `state` (the six tables and the per-turn index), `table` (bounded storage), `hooks` (the
//! reducer's type parameter that seeded defects hook into: [`NoDefects`] by default) and `defect`
//! (the seeded bugs: their names always, their catalogue and the `Seeded` hooks that switch one
//! on in `seeded-defects` builds only).
//!
//! A seeded defect's branch is `if self.hooks.breaks(Defect::X)`, compiled in every build; the
//! production type `Reducer` is `Reducer<NoDefects>`, whose hooks answer `false`, inlined, so the
//! optimizer removes every such branch and no method or field of the production API exists for
//! a defect's sake.

#![warn(missing_docs)]

mod defect;
mod derive;
mod diagnostic;
mod entries;
#[cfg(feature = "seeded-defects")]
mod exposing;
mod fields;
mod guardian;
mod hooks;
mod ingest;
mod items;
mod requests;
mod review;
mod state;
mod table;
#[cfg(test)]
mod tests;
mod turns;

#[cfg(test)]
use review_spec_vocab::trace;
use review_spec_vocab::{event, fact, id, profile};

pub use defect::Defect;
#[cfg(feature = "seeded-defects")]
pub use defect::Seeded;
pub use hooks::{Hooks, NoDefects};
pub use ingest::{Reducer, reduce_all};
