//! review-spec: the property-tested specification harness for Codex review analytics.
//!
//! A stream of *facts* (approval requests, responses, aborts, guardian notifications, item and
//! turn lifecycle, each tagged with a connection) reduces to *outputs*: `codex_review_event`
//! rows, the review fields of terminal tool-item events, and diagnostics that account for every
//! fact that produced no event. The rules are written in `spec/rules.md`, each with a stable ID.
//!
//! The parts, in reading order:
//! - [`fact`] and [`event`]: the vocabulary (inputs and outputs), serde types in the wire shape;
//! - [`profile`]: the departures from upstream and the profiles that switch them (`spec`,
//!   `upstream`, and either with departures switched);
//! - [`model`]: the executable reference model, the spec as code, `reduce(&[Fact]) -> outputs`;
//! - [`reducer`]: the production reducer, incremental and bounded;
//! - [`subject`]: the trait every reducer under test implements, and the process adapter that
//!   runs a subject in any language over the protocol of `spec/protocol.md`;
//! - [`diff`]: runs the model and a subject side by side, explains and minimizes divergences;
//! - [`schema`]: JSON Schemas of the formats, generated from the types;
//! - [`trace`]: JSON Lines traces and conformance vector files, with positioned errors;
//! - [`conformance`]: the vector files and the case filter, for running the suite from Rust;
//! - [`check`]: the model against any subject on generated cases, on many threads or one shard
//!   of a seeded run, and the merge of shards' summaries;
//! - [`regression`]: naming and saving counterexamples as regression vectors;
//! - `cli` (feature `cli`, on by default): the `review-spec` command-line tool (`check`,
//!   `vectors`, `replay`, `explain`, `schema`, `generate`, `merge`). `default-features = false`
//!   builds the library without clap and indicatif.
//!
//! ```
//! use review_spec::{model, profile::Profile};
//!
//! let trace = review_spec::trace::parse_trace(
//!     r#"{"review_spec_trace": 2, "profile": {"base": "upstream"}}
//! {"type": "request_aborted", "connection_id": 1, "request_id": 7, "completed_at_ms": 5}"#,
//! )
//! .unwrap();
//! assert_eq!(trace.profile, Profile::UPSTREAM);
//! let outputs = model::reduce(&trace.facts, &trace.limits, &trace.profile);
//! assert_eq!(outputs.len(), 1); // an orphan_response diagnostic (LIFE-4), in every profile
//! ```

pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod conformance;
pub mod diff;
pub mod event;
pub mod fact;
pub mod fuzzing;
pub mod generators;
pub mod id;
pub mod input;
pub mod model;
pub mod profile;
pub mod reducer;
pub mod regression;
pub mod report;
pub mod schema;
pub mod shape;
pub mod shrink;
pub mod subject;
pub mod trace;
pub mod untrusted;
