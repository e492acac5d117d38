//! The vocabulary of review-spec: what the reference model, the production reducer, the
//! generators and the harness all speak, and nothing they decide.
//!
//! - [`fact`]: the inputs (approval requests, responses, aborts, guardian notifications, item and
//!   turn lifecycle, each tagged with a connection), serde types in the wire shape;
//! - [`event`]: the outputs (`codex_review_event` rows, terminal tool-item events,
//!   diagnostics) and the limits that bound a reducer's state;
//! - [`id`]: the shared, cheaply cloned id text, and the hasher that reuses its stored hash;
//! - [`profile`]: the departures from upstream and the profiles that switch them;
//! - [`trace`]: JSON Lines traces and conformance vector files, with positioned errors
//!   ([`untrusted`], [`shape`] and [`input`] are its bounded readers).
//!
//! This crate holds data and its accessors, not rule tables: the model and the reducer each read
//! a fact's identity fields and timestamps in their own form, so that a misreading on one side
//! shows as a divergence instead of being copied into both.

#![warn(missing_docs)]

pub mod event;
pub mod fact;
pub mod id;
pub mod input;
pub mod profile;
pub mod shape;
pub mod trace;
pub mod untrusted;
