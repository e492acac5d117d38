//! Comparing a stream of any length fact by fact, holding only the two states and a window of
//! the last facts: what `replay` runs on a trace file.

use std::fmt;

use std::collections::BTreeMap;

use super::{first_difference, write_not_compared, write_output_diff};
use crate::event::{Limits, Output, OutputKinds};
use crate::fact::Fact;
use crate::model;
use crate::profile::Profile;
use crate::subject::{Subject, SubjectError};

/// The most facts `replay` re-reads from a streamed trace to explain a divergence in full
/// ([`super::Divergence`]: deciding rules over the whole prefix, the prefix printed as a trace).
pub const EXPLAIN_PREFIX_MAX: usize = 10_000;

/// How many facts before a streamed divergence [`StreamComparison`] keeps to show.
pub const STREAM_WINDOW: usize = 8;

/// Compares a subject with the model fact by fact over a stream of any length, holding only the
/// model's and the subject's state and the last [`STREAM_WINDOW`] facts: what `replay` runs on a
/// trace file. The first divergence is kept as a [`FactDivergence`]; after it, only the model
/// runs (for rule coverage).
pub struct StreamComparison<'s> {
    subject: &'s mut dyn Subject,
    model: model::Model,
    profile: Profile,
    compared: OutputKinds,
    window: std::collections::VecDeque<(usize, Fact)>,
    actual: Vec<Output>,
    found: Option<FactDivergence>,
    /// The subject failed: only the model runs.
    failed: bool,
}

impl<'s> StreamComparison<'s> {
    /// Resets `subject` for a trace under `limits` and `profile`.
    pub fn new(
        subject: &'s mut dyn Subject,
        limits: &Limits,
        profile: &Profile,
    ) -> Result<Self, SubjectError> {
        subject.reset(*limits, profile)?;
        let compared = subject.emits();
        Ok(StreamComparison {
            subject,
            model: model::Model::with_hits(limits, profile),
            profile: *profile,
            compared,
            window: std::collections::VecDeque::new(),
            actual: Vec::new(),
            found: None,
            failed: false,
        })
    }

    /// Applies the next fact to the model and, until the first divergence or failure, to the
    /// subject.
    pub fn push(&mut self, fact: Fact) -> Result<(), SubjectError> {
        let fact_index = self.model.facts_applied();
        let mut expected = self.model.apply(&fact);
        if self.found.is_some() || self.failed {
            return Ok(());
        }
        self.compared.retain(&mut expected);
        let expected: Vec<Output> = expected.into_iter().map(|e| e.output).collect();
        self.actual.clear();
        if let Err(error) = self.subject.ingest(fact_index, &fact, &mut self.actual) {
            self.failed = true;
            return Err(error);
        }
        if let Some(output_index) = first_difference(&expected, &self.actual) {
            self.found = Some(FactDivergence {
                subject: self.subject.name(),
                profile: self.profile,
                compared: self.compared,
                fact_index,
                fact,
                output_index,
                expected,
                actual: std::mem::take(&mut self.actual),
                fact_rules: self.model.fact_rules().to_vec(),
                before: std::mem::take(&mut self.window).into(),
                why_bounded: format!(
                    "not explained further: the divergence is at fact {fact_index}, past the first {EXPLAIN_PREFIX_MAX} facts that replay re-reads to explain one (the rule that decided it may have applied at any earlier fact)"
                ),
            });
            return Ok(());
        }
        if self.window.len() == STREAM_WINDOW {
            self.window.pop_front();
        }
        self.window.push_back((fact_index, fact));
        Ok(())
    }

    /// How many facts were pushed.
    pub fn facts(&self) -> usize {
        self.model.facts_applied()
    }

    /// How often each rule applied in the model so far.
    pub fn rule_hits(&self) -> &BTreeMap<&'static str, usize> {
        self.model.rule_hits()
    }

    /// The first divergence, if any.
    pub fn divergence(&self) -> Option<&FactDivergence> {
        self.found.as_ref()
    }

    /// Takes the first divergence, if any.
    pub fn take_divergence(&mut self) -> Option<FactDivergence> {
        self.found.take()
    }
}

/// A divergence found while streaming, reported without the prefix: the fact, both sides'
/// outputs, the rules the model applied at the fact and the last facts before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactDivergence {
    /// The subject's name.
    pub subject: String,
    /// What the model followed.
    pub profile: Profile,
    /// The output kinds compared.
    pub compared: OutputKinds,
    /// The index of the fact whose outputs differ.
    pub fact_index: usize,
    /// That fact.
    pub fact: Fact,
    /// Index, within that fact's outputs, of the first output that differs.
    pub output_index: usize,
    /// The model's outputs of the fact.
    pub expected: Vec<Output>,
    /// The subject's outputs of the fact.
    pub actual: Vec<Output>,
    /// The rules the model applied to the fact.
    pub fact_rules: Vec<&'static str>,
    /// Up to [`STREAM_WINDOW`] facts before it, with their indexes, oldest first.
    pub before: Vec<(usize, Fact)>,
    /// Why the report stops here.
    pub why_bounded: String,
}

impl fmt::Display for FactDivergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "subject `{}` diverges from the model at fact {} ({}), output {}",
            self.subject,
            self.fact_index,
            self.fact.type_name(),
            self.output_index
        )?;
        writeln!(f, "rules at this fact: {}", self.fact_rules.join(", "))?;
        writeln!(f, "profile: {}", self.profile)?;
        writeln!(f, "{}", self.why_bounded)?;
        write_not_compared(f, self.compared)?;
        for (index, fact) in &self.before {
            let json = serde_json::to_string(fact).unwrap_or_default();
            writeln!(f, "fact {index}: {json}")?;
        }
        let json = serde_json::to_string(&self.fact).unwrap_or_default();
        writeln!(f, "fact {} (diverges): {json}", self.fact_index)?;
        write_output_diff(
            f,
            &self.subject,
            self.fact_index,
            &self.expected,
            &self.actual,
        )
    }
}
