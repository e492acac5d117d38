//! The differ: runs the reference model and a subject on one fact sequence, compares their
//! outputs fact by fact, and explains the first divergence by rule ID.
//!
//! This module says *how to compare and report*; what to generate lives in `gen`. A divergence
//! carries its fact sequence as a value, so it can be minimized ([`minimize`]) and saved as a
//! conformance vector ([`Divergence::to_vector_case`]), never only as a seed.

use std::fmt;
use std::ops::ControlFlow;

use pretty_assertions::StrComparison;

use std::collections::BTreeMap;

use crate::event::{Emitted, Limits, Output, OutputKinds};
use crate::fact::Fact;
use crate::model;
use crate::profile::{Departure, Profile, first_inexpressible};
use crate::subject::{Subject, SubjectError};
use crate::trace::{HistoryTrace, Trace, UpstreamExpectation, VectorCase, write_trace};

mod blame;
mod stream;

use blame::explain;
pub use blame::{Shown, Symptom};
pub use stream::{EXPLAIN_PREFIX_MAX, FactDivergence, STREAM_WINDOW, StreamComparison};

/// The first fact on which a subject's outputs differ from the model's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The subject's name.
    pub subject: String,
    /// The limits the sequence ran under.
    pub limits: Limits,
    /// What the model followed where the spec departs from upstream.
    pub profile: Profile,
    /// The output kinds compared: those the subject emits.
    pub compared: OutputKinds,
    /// The whole sequence that was run.
    pub facts: Vec<Fact>,
    /// Index of the first fact whose outputs differ.
    pub fact_index: usize,
    /// Index, within that fact's outputs, of the first output that differs.
    pub output_index: usize,
    /// The model's outputs for that fact.
    pub expected: Vec<Output>,
    /// The subject's outputs for that fact.
    pub actual: Vec<Output>,
    /// The rules involved: the deciding rules first ([`Divergence::decided_by`]), then the rest
    /// as context (the rules of the diagnostics' reasons, the rules the model applied to the
    /// fact and to earlier facts about the same request or item).
    pub rules: Vec<&'static str>,
    /// How many of the first `rules` decided the differing output or field (at most
    /// [`DECIDING_RULES_MAX`]).
    pub deciding: usize,
    /// Where each deciding rule decided: the index of the fact, parallel to
    /// [`Divergence::decided_by`] (the model's record, `model::Why`).
    pub decided_at: Vec<usize>,
    /// How the outputs differ first: what the shrinker keeps.
    pub symptom: Symptom,
}

/// The most rules named as deciding one divergence.
pub const DECIDING_RULES_MAX: usize = 3;

/// The outcome of running the model and a subject on one sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
    /// How often each rule applied in the model (rule coverage).
    pub rule_hits: BTreeMap<&'static str, usize>,
    /// The model's outputs, of every kind (the subject's are compared on the kinds it emits).
    pub model_outputs: Vec<Emitted>,
    /// The departures the model consulted ([`model::Model::departures_consulted`]).
    pub departures_consulted: Vec<Departure>,
}

/// Runs the model and `subject` on `facts` under `profile` and returns the first divergence, if
/// any, in the output kinds the subject emits.
pub fn first_divergence(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Result<Option<Divergence>, SubjectError> {
    find_divergence(subject, facts, limits, profile, &mut || {
        model::reduce(facts, limits, profile)
    })
}

/// As [`first_divergence`], in a fresh subject process that first runs `history` (each trace
/// after a reset, its outputs not compared): a counterexample that depends on what the process
/// saw before (a vector case's `history`).
pub fn first_divergence_after(
    subject: &mut dyn Subject,
    history: &[HistoryTrace],
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Result<Option<Divergence>, SubjectError> {
    run_history(subject, history, profile)?;
    first_divergence(subject, facts, limits, profile)
}

/// Restarts the subject and runs `history` in it, each trace after a reset, outputs not
/// compared: the state a history-dependent case needs before its own facts.
pub fn run_history(
    subject: &mut dyn Subject,
    history: &[HistoryTrace],
    profile: &Profile,
) -> Result<(), SubjectError> {
    subject.restart();
    for (number, trace) in history.iter().enumerate() {
        let in_history = |error: SubjectError| error.in_history(number);
        subject.reset(trace.limits, profile).map_err(in_history)?;
        subject
            .ingest_all(&trace.facts, &mut |_, _| ControlFlow::Continue(()))
            .map_err(in_history)?;
    }
    Ok(())
}

/// How often a failure that did not repeat is replayed in a fresh subject, to tell how often it
/// fails (flaky) or whether what ran before matters (history-dependent).
pub const REPLAYS: usize = 5;

/// In how many fresh subjects (processes) a shrunk counterexample must fail, each from a clean
/// start, before `check` saves it as one that fails every time: the case already failed where it
/// was found and, shrunk, at the end of shrinking there; three clean starts show that what the
/// process saw before does not matter, and catch a subject that varies from process to process
/// (Python's hash order, say) unless it fails in all three by chance.
pub const CONFIRMATIONS: usize = 3;

/// In how many of [`REPLAYS`] fresh subjects (a restart, then `history`) the case fails.
pub fn reproductions(
    subject: &mut dyn Subject,
    history: &[HistoryTrace],
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> usize {
    (0..REPLAYS)
        .filter(|_| {
            !matches!(
                first_divergence_after(subject, history, facts, limits, profile),
                Ok(None)
            )
        })
        .count()
}

/// For a case that agrees in a fresh subject but failed after `history` (the traces the subject
/// ran before it, oldest first): the shortest suffix of `history` after which the case fails in
/// a fresh subject every time ([`REPLAYS`] of [`REPLAYS`]), trying 1, 2, 4, ... traces; None if
/// no suffix does.
pub fn reproducing_history(
    subject: &mut dyn Subject,
    history: &[HistoryTrace],
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Option<Vec<HistoryTrace>> {
    let mut length = 1;
    while length <= history.len() {
        let suffix = &history[history.len() - length..];
        // A divergence or a subject error: either is the failure repeating.
        let fails_once = !matches!(
            first_divergence_after(subject, suffix, facts, limits, profile),
            Ok(None)
        );
        if fails_once && reproductions(subject, suffix, facts, limits, profile) == REPLAYS {
            return Some(suffix.to_vec());
        }
        length = if length == history.len() {
            usize::MAX
        } else {
            (length * 2).min(history.len())
        };
    }
    None
}

/// As [`first_divergence`], also returning the model's rule hits, outputs and departures
/// consulted, from a single model run.
pub fn compare(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Result<Comparison, SubjectError> {
    let mut reduction = None;
    let divergence = find_divergence(subject, facts, limits, profile, &mut || {
        let counted = model::reduce_counting(facts, limits, profile);
        let outputs = counted.outputs.clone();
        reduction = Some(counted);
        outputs
    })?;
    let reduction = reduction.unwrap_or_else(|| model::reduce_counting(facts, limits, profile));
    Ok(Comparison {
        divergence,
        rule_hits: reduction.rule_hits,
        model_outputs: reduction.outputs,
        departures_consulted: reduction.departures_consulted,
    })
}

/// As [`compare`], against the model's outputs of `facts` computed beforehand (`model`'s
/// [`reduce_counting`](model::reduce_counting) of them): the divergence, if any.
pub fn compare_with_outputs(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    outputs: Vec<Emitted>,
) -> Result<Option<Divergence>, SubjectError> {
    let mut outputs = Some(outputs);
    find_divergence(subject, facts, limits, profile, &mut || {
        outputs.take().unwrap_or_default()
    })
}

/// Feeds the subject the facts against the model's outputs, which `model` computes once the
/// facts are on their way (a process subject reduces them meanwhile); the model runs again with
/// full explanations only when a divergence needs explaining.
fn find_divergence(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    model: &mut dyn FnMut() -> Vec<Emitted>,
) -> Result<Option<Divergence>, SubjectError> {
    subject.reset(*limits, profile)?;
    let compared = subject.emits();
    let mut expected_by_fact: Option<Vec<Vec<Output>>> = None;
    let mut first = None;
    subject.ingest_all(facts, &mut |fact_index, actual| {
        let by_fact = expected_by_fact.get_or_insert_with(|| {
            let mut expected = model();
            compared.retain(&mut expected);
            let mut by_fact = vec![Vec::new(); facts.len()];
            for emitted in expected {
                if let Some(slot) = by_fact.get_mut(emitted.at) {
                    slot.push(emitted.output);
                }
            }
            by_fact
        });
        let expected = by_fact.get(fact_index).map_or(&[][..], Vec::as_slice);
        match first_difference(expected, actual) {
            None => ControlFlow::Continue(()),
            Some(output_index) => {
                first = Some((fact_index, output_index, actual.to_vec()));
                ControlFlow::Break(())
            }
        }
    })?;
    if let (Some((fact_index, output_index, actual)), Some(mut expected_by_fact)) =
        (first, expected_by_fact)
    {
        let expected = expected_by_fact.swap_remove(fact_index);
        let explanation = explain(facts, limits, profile, compared, fact_index, &actual);
        return Ok(Some(Divergence {
            subject: subject.name(),
            limits: *limits,
            profile: *profile,
            compared,
            facts: facts.to_vec(),
            fact_index,
            output_index,
            expected,
            actual,
            rules: explanation.rules,
            deciding: explanation.decided.len(),
            decided_at: explanation.decided.iter().map(|(_, fact)| *fact).collect(),
            symptom: explanation.symptom,
        }));
    }
    Ok(None)
}

/// The index of the first output where `actual` differs from `expected`, if they differ.
pub(super) fn first_difference(expected: &[Output], actual: &[Output]) -> Option<usize> {
    if actual == expected {
        return None;
    }
    let differing = actual.iter().zip(expected).position(|(a, e)| a != e);
    Some(differing.unwrap_or_else(|| actual.len().min(expected.len())))
}

/// Shrinks a divergence to a small sequence that still fails *in the same way*: drops the facts
/// after the divergence, then removes chunks of facts (halving the chunk size down to single
/// facts) for as long as a divergence with the same symptom remains (the same output kind
/// missing or extra, or the same field of the same kind differing, or the order). A candidate
/// that fails another way may be another bug, and is not taken; the blame plays no part, so a
/// fact kept only because it changed the blame is deleted like any other.
pub fn minimize(
    subject: &mut dyn Subject,
    divergence: Divergence,
) -> Result<Divergence, SubjectError> {
    let limits = divergence.limits;
    let profile = divergence.profile;
    let mut best = divergence;
    let symptom = best.symptom.clone();
    let same_bug = |found: &Divergence| found.symptom.same_failure(&symptom);
    let truncated: Vec<Fact> = best.facts[..=best.fact_index].to_vec();
    if let Some(found) = first_divergence(subject, &truncated, &limits, &profile)?
        && same_bug(&found)
    {
        best = found;
    }
    let facts = best.facts.clone();
    let (_, best) =
        crate::shrink::delete_facts(facts, best, |candidate| {
            Ok(first_divergence(subject, candidate, &limits, &profile)?
                .filter(|found| same_bug(found)))
        })?;
    Ok(best)
}

/// The index of a fact whose deletion leaves a divergence with the same symptom, if any: None
/// when `divergence` is 1-minimal for its failure.
pub fn one_fact_deletable(
    subject: &mut dyn Subject,
    divergence: &Divergence,
) -> Result<Option<usize>, SubjectError> {
    let limits = divergence.limits;
    let profile = divergence.profile;
    for index in 0..divergence.facts.len() {
        let mut candidate = divergence.facts.clone();
        candidate.remove(index);
        let found = first_divergence(subject, &candidate, &limits, &profile)?;
        if found.is_some_and(|found| found.symptom.same_failure(&divergence.symptom)) {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

impl Divergence {
    /// The rules that decided the differing output or field, most specific first.
    pub fn decided_by(&self) -> &[&'static str] {
        &self.rules[..self.deciding.min(self.rules.len())]
    }

    /// The other rules involved: applied to the fact, or to earlier facts about the same
    /// request or item.
    pub fn context(&self) -> &[&'static str] {
        &self.rules[self.deciding.min(self.rules.len())..]
    }

    /// The divergence as a conformance vector case: the facts, the model's outputs as expected,
    /// and the rules involved.
    pub fn to_vector_case(&self, name: &str, see: &str) -> VectorCase {
        // A vector lists the rules its facts exercise: a spec rule as the spec applies it, a
        // departure as upstream takes it (the vector suite checks both).
        let hits =
            |profile: &Profile| model::reduce_with_hits(&self.facts, &self.limits, profile).1;
        let (spec, upstream_hits) = (hits(&Profile::SPEC), hits(&Profile::UPSTREAM));
        let applied = |rule: &&&'static str| {
            let departure = crate::profile::Departure::ALL
                .iter()
                .any(|departure| departure.id() == **rule);
            if departure { &upstream_hits } else { &spec }.contains_key(**rule)
        };
        let (expected, upstream) = expectations(&self.facts, &self.limits);
        VectorCase {
            name: name.to_owned(),
            description: format!(
                "Regression: {} diverged from the model at fact {} ({}).",
                self.subject,
                self.fact_index,
                self.rules.first().copied().unwrap_or("no rule")
            ),
            rules: self
                .rules
                .iter()
                .filter(applied)
                .map(|rule| (*rule).to_owned())
                .collect(),
            limits: self.limits,
            facts: self.facts.clone(),
            expected,
            upstream,
            profile: found_under(&self.profile),
            see: Some(see.to_owned()),
            history: Vec::new(),
        }
    }

    /// The sequence as a JSONL trace.
    pub fn to_trace(&self) -> String {
        write_trace(&Trace {
            limits: self.limits,
            profile: self.profile,
            facts: self.facts.clone(),
        })
    }
}

/// A vector case's expectations, from the model: the outputs under the `spec` profile, and under
/// the `upstream` profile when they differ (or why upstream cannot express the facts).
pub fn expectations(
    facts: &[Fact],
    limits: &Limits,
) -> (Vec<Emitted>, Option<UpstreamExpectation>) {
    let expected = model::reduce(facts, limits, &Profile::SPEC);
    let upstream = match first_inexpressible(facts) {
        Some((index, why)) => Some(UpstreamExpectation::NotApplicable(format!(
            "fact {index}: {why}"
        ))),
        None => {
            let upstream = model::reduce(facts, limits, &Profile::UPSTREAM);
            (upstream != expected).then_some(UpstreamExpectation::Expected(upstream))
        }
    };
    (expected, upstream)
}

/// The profile a saved counterexample records: None for `spec`, the default.
pub fn found_under(profile: &Profile) -> Option<Profile> {
    (*profile != Profile::SPEC).then_some(*profile)
}

/// Each value as pretty JSON on its own lines, or `(no outputs)`: how outputs are shown in a diff.
pub fn pretty<T: serde::Serialize>(outputs: &[T]) -> String {
    let mut text = String::new();
    for output in outputs {
        text.push_str(&serde_json::to_string_pretty(output).unwrap_or_default());
        text.push('\n');
    }
    if text.is_empty() {
        text.push_str("(no outputs)\n");
    }
    text
}

/// The diff of the model's and the subject's outputs of one fact.
pub(super) fn write_output_diff(
    f: &mut fmt::Formatter<'_>,
    subject: &str,
    fact_index: usize,
    expected: &[Output],
    actual: &[Output],
) -> fmt::Result {
    writeln!(
        f,
        "expected (model) vs actual ({subject}), outputs of fact {fact_index}:"
    )?;
    let (expected, actual) = (pretty(expected), pretty(actual));
    write!(f, "{}", StrComparison::new(&expected, &actual))
}

/// The `not compared` line of a report, when the subject does not emit every output kind.
pub(super) fn write_not_compared(f: &mut fmt::Formatter<'_>, compared: OutputKinds) -> fmt::Result {
    let missing = compared.missing();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|kind| kind.name()).collect();
    writeln!(
        f,
        "not compared (the subject does not emit them): {}",
        names.join(", ")
    )
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fact = self.facts.get(self.fact_index);
        writeln!(
            f,
            "subject `{}` diverges from the model at fact {} ({}), output {}",
            self.subject,
            self.fact_index,
            fact.map_or("?", Fact::type_name),
            self.output_index
        )?;
        writeln!(f, "differs: {}", self.symptom)?;
        let decided: Vec<String> = self
            .decided_by()
            .iter()
            .zip(&self.decided_at)
            .map(|(rule, at)| {
                let kind = self.facts.get(*at).map_or("?", Fact::type_name);
                format!("{rule} (fact {at}, {kind})")
            })
            .collect();
        writeln!(f, "decided by: {}", decided.join(", "))?;
        let context = self.context();
        if !context.is_empty() {
            writeln!(f, "context: {}", context.join(", "))?;
        }
        writeln!(f, "profile: {}", self.profile)?;
        write_not_compared(f, self.compared)?;
        if let Some(fact) = fact {
            writeln!(
                f,
                "fact {}: {}",
                self.fact_index,
                serde_json::to_string(fact).unwrap_or_default()
            )?;
        }
        write_output_diff(
            f,
            &self.subject,
            self.fact_index,
            &self.expected,
            &self.actual,
        )?;
        writeln!(f)?;
        writeln!(f, "sequence ({} facts) as a trace:", self.facts.len())?;
        write!(f, "{}", self.to_trace())
    }
}
