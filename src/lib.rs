//! review-spec: the property-tested specification harness for Codex review analytics.
//!
//! A stream of *facts* (approval requests, responses, aborts, guardian notifications, item and
//! turn lifecycle, each tagged with a connection) reduces to *outputs*: `codex_review_event`
//! rows, the review fields of terminal tool-item events, and diagnostics that account for every
//! fact that produced no event. The rules are written in `spec/rules.md`, each with a stable ID.
//!
//! This crate is the harness: it runs the reference model ([`review_spec_model`]) against any
//! [`Subject`] (your reducer behind the trait, or a process in any language over the protocol of
//! `spec/protocol.md`), on the conformance vectors ([`run_vectors`] over a [`Suite`], the
//! vectors shipped inside the crate being [`Suite::bundled`]) and on generated cases
//! ([`run_check`]), and explains each divergence by the rules that decided it. What an
//! implementer needs is at the root; the vocabulary is [`vocab`] (the `review-spec-vocab`
//! crate), and the modules below are the harness's parts, for the tool and for the curious.
//!
//! ```
//! use review_spec::{Limits, Reducer, Suite, VectorOptions, run_vectors};
//!
//! // Any `Subject` goes here: your reducer behind the trait, or a `ProcessSubject`.
//! let mut subject = Reducer::new(Limits::default());
//! let report = run_vectors(&mut subject, &Suite::bundled()?, &VectorOptions::default(), &mut |_| {})?;
//! assert!(report.failures.is_empty(), "{}", report.to_text());
//! # Ok::<(), review_spec::SuiteError>(())
//! ```
//!
//! The parts: [`subject`] (the trait and the process adapter), [`diff`] (the model and a subject
//! side by side: the first divergence, explained and minimized), [`shrink`], [`check`] (generated
//! cases on many threads or one shard, and the merge of shards), [`conformance`] (the vector
//! files and the case filter), [`report`] (the summary both print), [`regression`] (naming and
//! saving counterexamples), [`schema`] (JSON Schemas of the formats) and [`fuzzing`] (the bodies
//! of the cargo-fuzz targets). The `review-spec` binary (feature `cli`, on by default) is a thin
//! layer over them.

#![warn(missing_docs)]

pub mod check;
pub mod conformance;
pub mod diff;
pub mod fuzzing;
pub mod regression;
pub mod report;
pub mod schema;
pub mod shrink;
pub mod subject;

pub use check::{CheckEvent, CheckOptions, Seed, Shard, run_check};
pub use conformance::{Filter, Progress, Suite, SuiteError, VectorOptions, run_vectors};
pub use report::{Failure, Summary};
pub use review_spec_reducer::Reducer;
pub use review_spec_vocab as vocab;
pub use review_spec_vocab::event::{Emitted, Limits, Output};
pub use review_spec_vocab::fact::Fact;
pub use review_spec_vocab::profile::{Base, Departure, Profile};
pub use subject::{ProcessSubject, Subject, SubjectError};

use review_spec_generators as generators;
use review_spec_model as model;
use review_spec_reducer as reducer;
use review_spec_vocab::{event, fact, profile, shape, trace, untrusted};
