//! The interface every reducer under test implements, so the differ can compare the model with
//! the production reducer, another Rust reducer, or (through an adapter) a process in another
//! language.
//!
//! A subject is incremental: it is reset with the trace's limits, then fed one fact at a time,
//! and returns the outputs each fact produced. In-process subjects never fail; process subjects
//! can (crash, timeout, garbage), which is what [`SubjectError`] reports.

use crate::event::{Limits, Output};
use crate::fact::Fact;

/// Why a subject could not answer for a fact.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    /// The subject failed for a reason it describes (a crashed process, a timeout, garbage).
    #[error("subject {subject} failed at fact {fact_index}: {message}")]
    Failed {
        subject: String,
        fact_index: usize,
        message: String,
    },
}

/// A reducer under test.
pub trait Subject {
    /// A short name for reports (`reducer`, `python examples/subject.py`).
    fn name(&self) -> String;

    /// Forgets all state and starts a new trace with these limits.
    fn reset(&mut self, limits: Limits) -> Result<(), SubjectError>;

    /// Ingests fact number `fact_index` of the current trace and appends the outputs it produced.
    fn ingest(
        &mut self,
        fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError>;
}
