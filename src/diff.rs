//! The differ: runs the reference model and a subject on one fact sequence, compares their
//! outputs fact by fact, and explains the first divergence by rule ID.
//!
//! This module says *how to compare and report*; what to generate lives in `gen`. A divergence
//! carries its fact sequence as a value, so it can be minimized ([`minimize`]) and saved as a
//! conformance vector ([`Divergence::to_vector_case`]), never only as a seed.

use std::fmt;

use pretty_assertions::StrComparison;

use std::collections::BTreeMap;

use crate::event::{Emitted, Limits, Output, OutputKinds};
use crate::fact::Fact;
use crate::model;
use crate::profile::{Profile, first_inexpressible};
use crate::subject::{Subject, SubjectError};
use crate::trace::{Trace, UpstreamExpectation, VectorCase, write_trace};

/// The first fact on which a subject's outputs differ from the model's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The subject's name.
    pub subject: String,
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
    /// The rules involved, most specific first: the rules of the diagnostics' reasons, then the
    /// rules the model applied before the differing output, latest first.
    pub rules: Vec<&'static str>,
}

/// The outcome of running the model and a subject on one sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
    /// How often each rule applied in the model (rule coverage).
    pub rule_hits: BTreeMap<&'static str, usize>,
}

/// Runs the model and `subject` on `facts` under `profile` and returns the first divergence, if
/// any, in the output kinds the subject emits.
pub fn first_divergence(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Result<Option<Divergence>, SubjectError> {
    let expected = model::reduce(facts, limits, profile);
    find_divergence(subject, facts, limits, profile, expected)
}

/// As [`first_divergence`], also returning the model's rule hits, from a single model run.
pub fn compare(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
) -> Result<Comparison, SubjectError> {
    let (expected, rule_hits) = model::reduce_with_hits(facts, limits, profile);
    let divergence = find_divergence(subject, facts, limits, profile, expected)?;
    Ok(Comparison {
        divergence,
        rule_hits,
    })
}

/// Feeds the subject fact by fact against the model's outputs; the model runs again with full
/// explanations only when a divergence needs explaining.
fn find_divergence(
    subject: &mut dyn Subject,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    mut expected: Vec<Emitted>,
) -> Result<Option<Divergence>, SubjectError> {
    subject.reset(*limits, profile)?;
    let compared = subject.emits();
    compared.retain(&mut expected);
    let mut expected_by_fact: Vec<Vec<Output>> = vec![Vec::new(); facts.len()];
    for emitted in expected {
        if let Some(slot) = expected_by_fact.get_mut(emitted.at) {
            slot.push(emitted.output);
        }
    }
    let mut actual = Vec::new();
    for (fact_index, (fact, expected)) in facts.iter().zip(&expected_by_fact).enumerate() {
        actual.clear();
        subject.ingest(fact_index, fact, &mut actual)?;
        if actual == *expected {
            continue;
        }
        let output_index = actual
            .iter()
            .zip(expected)
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.len().min(expected.len()));
        let rules = explain(
            facts,
            limits,
            profile,
            compared,
            fact_index,
            &actual,
            output_index,
        );
        return Ok(Some(Divergence {
            subject: subject.name(),
            limits: *limits,
            profile: *profile,
            compared,
            facts: facts.to_vec(),
            fact_index,
            output_index,
            expected: expected.clone(),
            actual: actual.clone(),
            rules,
        }));
    }
    Ok(None)
}

/// The rules involved in a divergence at `fact_index`, from the model's full explanation.
fn explain(
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    compared: OutputKinds,
    fact_index: usize,
    actual: &[Output],
    output_index: usize,
) -> Vec<&'static str> {
    let explained = model::reduce_explained(facts, limits, profile);
    let expected: Vec<(Output, Vec<&'static str>)> = explained
        .outputs
        .iter()
        .filter(|output| output.emitted.at == fact_index)
        .filter(|output| compared.contains(output.emitted.output.kind()))
        .map(|output| (output.emitted.output.clone(), output.rules.clone()))
        .collect();
    let mut rules = involved_rules(&expected, actual, output_index);
    // The rules the model applied to the fact itself explain an output it did not emit; a
    // departure the profile followed there comes right before the rule it departs on.
    let own = explained
        .fact_rules
        .get(fact_index)
        .map_or(&[][..], Vec::as_slice);
    for rule in own {
        if matches!(*rule, "FATE-2" | "ORDER-1") || rules.contains(rule) {
            continue;
        }
        let departs_on = rule.strip_prefix("UP-");
        match departs_on.and_then(|on| rules.iter().position(|listed| *listed == on)) {
            Some(position) => rules.insert(position, rule),
            None => rules.push(rule),
        }
    }
    for rule in related_rules(
        facts,
        &explained.fact_rules,
        &expected,
        actual,
        output_index,
    ) {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    rules
}

fn involved_rules(
    expected: &[(Output, Vec<&'static str>)],
    actual: &[Output],
    output_index: usize,
) -> Vec<&'static str> {
    let mut rules = Vec::new();
    let mut add = |rule: &'static str| {
        if !matches!(rule, "FATE-2" | "ORDER-1") && !rules.contains(&rule) {
            rules.push(rule);
        }
    };
    let expected_output = expected.get(output_index);
    // Without an expected output at that position, the fact's last expected output (or none:
    // the model expected nothing) is the closest explanation.
    let explained = expected_output.or_else(|| expected.last());
    let applied: &[&'static str] = explained.map_or(&[], |(_, rules)| rules.as_slice());
    // First the rules that govern the fields that differ and that the model applied...
    if let (Some((expected, _)), Some(actual)) = (expected_output, actual.get(output_index)) {
        for rule in rules_of_differing_fields(expected, actual) {
            if applied.contains(&rule) {
                add(rule);
            }
        }
    }
    // ...then the rules of the diagnostics involved...
    for output in [
        expected_output.map(|(output, _)| output),
        actual.get(output_index),
    ]
    .into_iter()
    .flatten()
    {
        if let Output::Diagnostic(diagnostic) = output {
            add(diagnostic.reason.rule());
        }
    }
    // ...then everything the model applied, latest first...
    for rule in applied.iter().rev() {
        add(rule);
    }
    // ...then the rules that decide the differing fields but that the model did not apply.
    if let (Some((expected, _)), Some(actual)) = (expected_output, actual.get(output_index)) {
        for rule in rules_of_differing_fields(expected, actual) {
            add(rule);
        }
    }
    rules
}

/// The rules the model applied to earlier facts about the same request or item as the differing
/// outputs: the explanation of an output that one side has and the other lacks (a review left
/// pending, a summary that should not exist) lies in the facts that made that state.
fn related_rules(
    facts: &[Fact],
    fact_rules: &[Vec<&'static str>],
    expected: &[(Output, Vec<&'static str>)],
    actual: &[Output],
    output_index: usize,
) -> Vec<&'static str> {
    let outputs = [
        expected.get(output_index).map(|(output, _)| output),
        actual.get(output_index),
    ];
    let mut keys: Vec<OutputKey> = outputs
        .into_iter()
        .flatten()
        .filter_map(output_key)
        .collect();
    // A request on a related item relates its closing facts too.
    let requests_on_items: Vec<OutputKey> = facts
        .iter()
        .filter(|fact| keys.iter().any(|key| key.relates_to(fact)))
        .filter_map(|fact| fact_key(fact).0)
        .map(|request_id| OutputKey {
            request_id: Some(request_id),
            item: None,
        })
        .collect();
    keys.extend(requests_on_items);
    let mut rules = Vec::new();
    for (fact, applied) in facts.iter().zip(fact_rules) {
        if !keys.iter().any(|key| key.relates_to(fact)) {
            continue;
        }
        for rule in applied {
            if !matches!(*rule, "FATE-2" | "ORDER-1") && !rules.contains(rule) {
                rules.push(*rule);
            }
        }
    }
    rules
}

/// What an output is about: a request, or an item.
struct OutputKey {
    request_id: Option<u64>,
    item: Option<(String, String, String)>,
}

fn output_key(output: &Output) -> Option<OutputKey> {
    let (request_id, thread, turn, item) = match output {
        Output::Diagnostic(d) => (
            d.request_id,
            d.thread_id.clone(),
            d.turn_id.clone(),
            d.item_id.clone(),
        ),
        Output::Review(review) => (
            review
                .review_id
                .strip_prefix("user:")
                .and_then(|id| id.parse().ok()),
            Some(review.thread_id.clone()),
            Some(review.turn_id.clone()),
            review.item_id.clone(),
        ),
        other => {
            let event = other.as_tool_item()?;
            (
                None,
                Some(event.thread_id.clone()),
                Some(event.turn_id.clone()),
                Some(event.item_id.clone()),
            )
        }
    };
    let item = match (thread, turn, item) {
        (Some(thread), Some(turn), Some(item)) => Some((thread, turn, item)),
        _ => None,
    };
    Some(OutputKey { request_id, item })
}

impl OutputKey {
    fn relates_to(&self, fact: &Fact) -> bool {
        let (request_id, item) = fact_key(fact);
        (self.request_id.is_some() && self.request_id == request_id)
            || (self.item.is_some()
                && item.is_some()
                && self
                    .item
                    .as_ref()
                    .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
                    == item)
    }
}

fn fact_key(fact: &Fact) -> (Option<u64>, Option<(&str, &str, &str)>) {
    match fact {
        Fact::RequestAborted { request_id, .. }
        | Fact::MalformedResponse { request_id, .. }
        | Fact::FileChangeResponse { request_id, .. }
        | Fact::CommandExecutionResponse { request_id, .. }
        | Fact::EffectivePermissionsResponse { request_id, .. } => (Some(*request_id), None),
        Fact::FileChangeRequest {
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::PermissionsRequest {
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::CommandExecutionRequest {
            request_id,
            thread_id,
            turn_id,
            item_id,
            ..
        } => (Some(*request_id), Some((thread_id, turn_id, item_id))),
        Fact::ItemStarted {
            thread_id,
            turn_id,
            item_id,
            ..
        }
        | Fact::ItemCompleted {
            thread_id,
            turn_id,
            item_id,
            ..
        } => (None, Some((thread_id, turn_id, item_id))),
        Fact::GuardianReviewCompleted {
            thread_id,
            turn_id,
            target_item_id,
            ..
        } => (
            None,
            target_item_id
                .as_deref()
                .map(|item| (thread_id.as_str(), turn_id.as_str(), item)),
        ),
        Fact::TurnCompleted { .. } | Fact::Initialize { .. } | Fact::ThreadBound { .. } => {
            (None, None)
        }
    }
}

/// The rules that decide each output field, for attributing a field-level difference.
const FIELD_RULES: &[(&str, &[&str])] = &[
    ("subject_kind", &["SUBJ-1", "SUBJ-4", "SUBJ-5", "GUARD-1"]),
    ("subject_name", &["SUBJ-1", "SUBJ-4", "SUBJ-5", "GUARD-1"]),
    ("trigger", &["SUBJ-2", "SUBJ-4", "SUBJ-5", "GUARD-1"]),
    (
        "status",
        &[
            "DEC-1", "DEC-2", "DEC-3", "DEC-4", "GRANT-1", "GRANT-2", "GRANT-3", "GUARD-3",
            "GUARD-4",
        ],
    ),
    (
        "resolution",
        &[
            "DEC-1", "DEC-2", "DEC-3", "DEC-4", "GRANT-1", "GRANT-2", "GUARD-3",
        ],
    ),
    ("review_id", &["ID-1", "ID-2"]),
    ("item_id", &["ISO-1", "GUARD-1"]),
    ("started_at_ms", &["TIME-3", "GUARD-5", "ITEM-1", "ITEM-6"]),
    ("completed_at_ms", &["TIME-3", "GUARD-5", "ITEM-2"]),
    ("duration_ms", &["TIME-1"]),
    (
        "review_count",
        &["SUM-1", "SUM-2", "ISO-1", "DEDUP-1", "ITEM-5"],
    ),
    (
        "guardian_review_count",
        &["SUM-1", "SUM-2", "ISO-1", "DEDUP-1", "ITEM-5"],
    ),
    ("user_review_count", &["SUM-1", "SUM-2", "ISO-1", "ITEM-5"]),
    ("final_approval_outcome", &["SUM-3", "SUM-4", "ISO-1"]),
    (
        "requested_additional_permissions",
        &["SUM-5", "SUBJ-3", "SUBJ-4", "SUBJ-5", "GUARD-2"],
    ),
    (
        "requested_network_access",
        &["SUM-5", "SUBJ-3", "SUBJ-5", "GUARD-2"],
    ),
    ("terminal_status", &["ITEM-4"]),
    ("failure_kind", &["ITEM-4"]),
    ("app_server_client", &["CTX-1", "CTX-2"]),
    ("runtime", &["CTX-1", "CTX-2"]),
    ("thread_source", &["CTX-2"]),
    ("subagent_source", &["CTX-2"]),
    ("parent_thread_id", &["CTX-2"]),
    ("table", &["CAP-1"]),
];

/// The rules deciding the `event_params` fields in which two outputs of one type differ.
fn rules_of_differing_fields(expected: &Output, actual: &Output) -> Vec<&'static str> {
    let (Ok(expected), Ok(actual)) = (serde_json::to_value(expected), serde_json::to_value(actual))
    else {
        return Vec::new();
    };
    if expected.get("event_type") != actual.get("event_type") {
        return Vec::new();
    }
    let mut rules = Vec::new();
    for (field, field_rules) in FIELD_RULES {
        if expected["event_params"].get(field) != actual["event_params"].get(field) {
            rules.extend(field_rules.iter().copied());
        }
    }
    rules
}

/// Shrinks a divergence to a small sequence that still diverges: drops the facts after the
/// divergence, then removes chunks of facts (halving the chunk size down to single facts) for as
/// long as some divergence remains.
pub fn minimize(
    subject: &mut dyn Subject,
    divergence: Divergence,
) -> Result<Divergence, SubjectError> {
    let limits = divergence.limits;
    let profile = divergence.profile;
    let mut best = divergence;
    let truncated: Vec<Fact> = best.facts[..=best.fact_index].to_vec();
    if let Some(found) = first_divergence(subject, &truncated, &limits, &profile)? {
        best = found;
    }
    let mut chunk = (best.facts.len() / 2).max(1);
    loop {
        let mut improved = false;
        let mut start = 0;
        while start < best.facts.len() {
            let end = (start + chunk).min(best.facts.len());
            let mut candidate = best.facts.clone();
            candidate.drain(start..end);
            match first_divergence(subject, &candidate, &limits, &profile)? {
                Some(found) => {
                    best = found;
                    improved = true;
                }
                None => start = end,
            }
        }
        if chunk == 1 && !improved {
            return Ok(best);
        }
        if !improved {
            chunk = (chunk / 2).max(1);
        }
    }
}

impl Divergence {
    /// The divergence as a conformance vector case: the facts, the model's outputs as expected,
    /// and the rules involved.
    pub fn to_vector_case(&self, name: &str, see: &str) -> VectorCase {
        let applied = model::reduce_explained(&self.facts, &self.limits, &self.profile).rule_hits;
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
                .filter(|rule| applied.contains_key(*rule))
                .map(|rule| (*rule).to_owned())
                .collect(),
            limits: self.limits,
            facts: self.facts.clone(),
            expected,
            upstream,
            profile: found_under(&self.profile),
            see: Some(see.to_owned()),
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

fn pretty_outputs(outputs: &[Output]) -> String {
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
        writeln!(f, "rules: {}", self.rules.join(", "))?;
        writeln!(f, "profile: {}", self.profile)?;
        let missing = self.compared.missing();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|kind| kind.name()).collect();
            writeln!(
                f,
                "not compared (the subject does not emit them): {}",
                names.join(", ")
            )?;
        }
        if let Some(fact) = fact {
            writeln!(
                f,
                "fact {}: {}",
                self.fact_index,
                serde_json::to_string(fact).unwrap_or_default()
            )?;
        }
        writeln!(
            f,
            "expected (model) vs actual ({}), outputs of fact {}:",
            self.subject, self.fact_index
        )?;
        let expected = pretty_outputs(&self.expected);
        let actual = pretty_outputs(&self.actual);
        writeln!(f, "{}", StrComparison::new(&expected, &actual))?;
        writeln!(f, "sequence ({} facts) as a trace:", self.facts.len())?;
        write!(f, "{}", self.to_trace())
    }
}
