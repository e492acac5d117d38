//! "Decided by": which rules decided a divergence, read from the model's own record of its
//! decisions (`model::Why`), never from a table here.
//!
//! At the first divergent fact, the two sides' outputs are paired by identity (a review by its
//! id, a tool item by its thread, turn and item, a diagnostic by its reason). The symptom is the
//! first position where they differ: a field of a paired output, an output one side lacks, or
//! only their order. The model's record says which decisions decided that field, that output's
//! existence (or its absence: the outputs a fact did not produce are recorded too), or that
//! order, at the symptom's fact and at the earlier facts its value came through. They are
//! ranked ([`rank`]) and at most [`super::DECIDING_RULES_MAX`] come first; the rest are context.

use std::collections::BTreeSet;

use super::DECIDING_RULES_MAX;
use crate::event::{DiagnosticReason, Limits, Output, OutputKind, OutputKinds};
use crate::fact::Fact;
use crate::model::{self, Aspect, Because, ExplainedOutput};
use crate::profile::Profile;

/// Why a divergence happened: the rules, deciding ones first, and where each deciding rule
/// decided.
pub(super) struct Explanation {
    pub(super) rules: Vec<&'static str>,
    /// The deciding decisions, best first: rule and fact.
    pub(super) decided: Vec<(&'static str, usize)>,
    /// What differs, in words (`field status`, `missing output`, ...).
    pub(super) symptom: Symptom,
}

/// How the two sides' outputs of the divergent fact differ first, independent of why: the
/// shrinker keeps a smaller case when it fails in the same way ([`Symptom::same_failure`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symptom {
    /// The model emitted an output that the subject did not.
    Missing(Shown),
    /// The subject emitted an output that the model did not.
    Extra(Shown),
    /// Both emitted an output with the same identity; this field of it differs.
    Field(Shown, String),
    /// The same outputs, in another order.
    Order,
}

/// The output a symptom is about: its event type, and the kind of output it stands for (a
/// diagnostic that replaces a dropped event stands for that event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shown {
    /// The output's `event_type`.
    pub event_type: &'static str,
    /// The output kind it belongs to.
    pub stands_for: OutputKind,
    /// A diagnostic's reason.
    pub reason: Option<DiagnosticReason>,
}

impl Shown {
    fn of(output: &Output) -> Shown {
        Shown {
            event_type: output.event_type(),
            stands_for: output.stands_for(),
            reason: match output {
                Output::Diagnostic(diagnostic) => Some(diagnostic.reason),
                _ => None,
            },
        }
    }

    /// A field of a diagnostic that replaces a dropped event, as the event's: its
    /// `dropped_event` is the event's type, its `connection_id` the event's missing context.
    fn as_event_field<'a>(&self, field: &'a str) -> &'a str {
        let replaces = self.stands_for != OutputKind::Diagnostic
            && self.event_type == crate::event::DIAGNOSTIC_EVENT_TYPE;
        match (replaces, field) {
            (true, "dropped_event") => "event_type",
            (true, "connection_id") => CONTEXT,
            _ => field,
        }
    }
}

/// The name a symptom gives an event's context (its thread's binding and connection), which one
/// side had and the other did not.
const CONTEXT: &str = "context";

impl Symptom {
    /// Whether two symptoms are the same failure: the order both times; the same field of an
    /// output standing for the same kind; or an output of the same kind missing or extra.
    pub fn same_failure(&self, other: &Symptom) -> bool {
        match (self, other) {
            (Symptom::Order, Symptom::Order) => true,
            (Symptom::Field(a, f), Symptom::Field(b, g)) => {
                a.stands_for == b.stands_for && a.as_event_field(f) == b.as_event_field(g)
            }
            (Symptom::Missing(a) | Symptom::Extra(a), Symptom::Missing(b) | Symptom::Extra(b)) => {
                a.stands_for == b.stands_for
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Symptom::Missing(shown) => write!(f, "missing {}", shown.event_type),
            Symptom::Extra(shown) => write!(f, "extra {}", shown.event_type),
            Symptom::Field(shown, field) => write!(f, "{}.{field} differs", shown.event_type),
            Symptom::Order => write!(f, "order of outputs differs"),
        }
    }
}

/// The rules that decided the divergence at `fact_index` between the model and `actual` (the
/// subject's outputs of that fact, of the `compared` kinds).
pub(super) fn explain(
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    compared: OutputKinds,
    fact_index: usize,
    actual: &[Output],
) -> Explanation {
    let explained = model::reduce_explained(facts, limits, profile);
    let at_fact: Vec<&ExplainedOutput> = explained
        .outputs
        .iter()
        .filter(|output| output.emitted.at == fact_index)
        .collect();
    let expected: Vec<&ExplainedOutput> = at_fact
        .iter()
        .copied()
        .filter(|output| compared.contains(output.emitted.output.kind()))
        .collect();
    let (symptom, _position, candidates) = symptom(&explained, &expected, actual, fact_index);
    let shown = match &symptom {
        Symptom::Missing(shown) | Symptom::Extra(shown) | Symptom::Field(shown, _) => Some(*shown),
        Symptom::Order => None,
    };
    let agreed_here: Vec<&ExplainedOutput> = expected
        .iter()
        .copied()
        .filter(|output| actual.contains(&output.emitted.output))
        .collect();
    let witnessed = witnessed(&explained, &agreed_here, compared, fact_index, shown);
    let ranked = rank(candidates, &witnessed, fact_index);
    let mut decided: Vec<(&'static str, usize)> = Vec::new();
    for because in &ranked {
        if decided.len() == DECIDING_RULES_MAX {
            break;
        }
        if !decided.iter().any(|(rule, _)| *rule == because.rule) {
            decided.push((because.rule, because.fact));
        }
    }
    let mut rules: Vec<&'static str> = decided.iter().map(|(rule, _)| *rule).collect();
    let mut add = |rule: &'static str| {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    };
    for because in &ranked {
        add(because.rule);
    }
    // Context: the decisions of the fact itself, then those behind its outputs.
    for decision in explained
        .fact_decisions
        .get(fact_index)
        .into_iter()
        .flatten()
    {
        add(decision.rule);
    }
    for output in &at_fact {
        for rule in &output.rules {
            add(rule);
        }
    }
    Explanation {
        rules,
        decided,
        symptom,
    }
}

/// The first difference between the model's outputs of the fact (`expected`, of the compared
/// kinds) and the subject's (`actual`), its position, and the decisions that explain it.
///
/// Outputs equal on both sides are matched first; of the rest, the first by position decides:
/// a subject's output with the identity of an unmatched model output is that output with a
/// field differing; a diagnostic that stands in for an event the model emitted is that event
/// missing for want of context; an event of the same type whose identity itself differs is the
/// same event; anything else is extra (the subject's) or missing (the model's).
fn symptom(
    explained: &model::Explained,
    expected: &[&ExplainedOutput],
    actual: &[Output],
    fact_index: usize,
) -> (Symptom, usize, Vec<Because>) {
    let (model_left, subject_left) = unmatched(expected, actual);
    let position = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e.emitted.output != *a)
        .unwrap_or_else(|| expected.len().min(actual.len()));
    if model_left.is_empty() && subject_left.is_empty() {
        // Only the order differs: the subject put another of the model's outputs here.
        let e = expected[position];
        let other = expected
            .iter()
            .find(|output| output.emitted.output == actual[position])
            .copied();
        let why = other.map_or_else(Vec::new, |other| order_why(e, other));
        return (Symptom::Order, position, why);
    }
    let left_model: Vec<&ExplainedOutput> = model_left.iter().map(|&i| expected[i]).collect();
    let left_subject: Vec<&Output> = subject_left.iter().map(|&i| &actual[i]).collect();
    let first_model = model_left.first().copied().unwrap_or(usize::MAX);
    let first_subject = subject_left.first().copied().unwrap_or(usize::MAX);
    if first_subject <= first_model {
        let a = &actual[first_subject];
        if let Some(e) = left_model
            .iter()
            .find(|e| e.emitted.output.identity() == a.identity())
        {
            return field_symptom(e, a, first_subject);
        }
        // A diagnostic that stands in for an event the model emitted: the event's context.
        if let Some(replaced) = a.replaces()
            && let Some(e) = left_model
                .iter()
                .find(|e| e.emitted.output.identity() == replaced)
        {
            let mut why: Vec<Because> = e.why.of(Aspect::Context).copied().collect();
            why.extend(e.why.of(Aspect::Exists).copied());
            let symptom = Symptom::Field(Shown::of(&e.emitted.output), CONTEXT.to_owned());
            return (symptom, first_subject, why);
        }
        // An event whose identity field itself differs: the same event, paired by place.
        if !matches!(a, Output::Diagnostic(_))
            && let Some(e) = left_model.iter().find(|e| {
                e.emitted.output.event_type() == a.event_type()
                    && !left_subject
                        .iter()
                        .any(|s| s.identity() == e.emitted.output.identity())
            })
        {
            return field_symptom(e, a, first_subject);
        }
        return extra(explained, a, first_subject, fact_index);
    }
    let e = expected[first_model];
    if let Some(a) = left_subject
        .iter()
        .find(|a| a.identity() == e.emitted.output.identity())
    {
        return field_symptom(e, a, first_model);
    }
    let why = e.why.of(Aspect::Exists).copied().collect();
    (
        Symptom::Missing(Shown::of(&e.emitted.output)),
        first_model,
        why,
    )
}

/// The positions of the outputs on each side that have no equal on the other (as multisets).
fn unmatched(expected: &[&ExplainedOutput], actual: &[Output]) -> (Vec<usize>, Vec<usize>) {
    let mut taken = vec![false; actual.len()];
    let mut model_left = Vec::new();
    for (index, e) in expected.iter().enumerate() {
        let found = actual
            .iter()
            .enumerate()
            .position(|(i, a)| !taken[i] && *a == e.emitted.output);
        match found {
            Some(i) => taken[i] = true,
            None => model_left.push(index),
        }
    }
    let subject_left = (0..actual.len()).filter(|&i| !taken[i]).collect();
    (model_left, subject_left)
}

/// Two outputs paired, differing in a field: the decisions behind the first differing field.
fn field_symptom(
    expected: &ExplainedOutput,
    actual: &Output,
    position: usize,
) -> (Symptom, usize, Vec<Because>) {
    let field = first_differing_field(&expected.emitted.output, actual);
    let mut why: Vec<Because> = expected.why.of_field(&field).copied().collect();
    if why.is_empty() {
        why = expected.why.of(Aspect::Exists).copied().collect();
    }
    let symptom = Symptom::Field(Shown::of(&expected.emitted.output), field);
    (symptom, position, why)
}

/// An output the subject emitted and the model did not: the model's record of not producing it
/// at this fact, else the fact's decisions.
fn extra(
    explained: &model::Explained,
    output: &Output,
    position: usize,
    fact_index: usize,
) -> (Symptom, usize, Vec<Because>) {
    let identity = output.identity();
    let withheld: Vec<Because> = explained
        .withheld
        .iter()
        .filter(|withheld| withheld.at == fact_index && withheld.identity == identity)
        .flat_map(|withheld| withheld.why.of(Aspect::Exists).copied())
        .collect();
    let why = if withheld.is_empty() {
        explained
            .fact_decisions
            .get(fact_index)
            .into_iter()
            .flatten()
            .map(|decision| Because {
                rule: decision.rule,
                fact: decision.fact,
                decided: Aspect::Exists,
                exception: decision.exception,
            })
            .collect()
    } else {
        withheld
    };
    (Symptom::Extra(Shown::of(output)), position, why)
}

/// Why two outputs of one fact come in the model's order: the decisions at the first level of
/// their ranks where they differ.
fn order_why(first: &ExplainedOutput, second: &ExplainedOutput) -> Vec<Because> {
    let level = first
        .rank
        .iter()
        .zip(&second.rank)
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let aspect = Aspect::Order(u8::try_from(level).unwrap_or(u8::MAX));
    let mut why: Vec<Because> = first.why.of(aspect).copied().collect();
    for because in second.why.of(aspect) {
        if !why.contains(because) {
            why.push(*because);
        }
    }
    why
}

/// The decisions that outputs the subject agreed on show directly: each such output's fields
/// as decided where the decision was made. A decision seen to hold there is an
/// unlikely cause of a later difference.
fn witnessed(
    explained: &model::Explained,
    agreed_here: &[&ExplainedOutput],
    compared: OutputKinds,
    fact_index: usize,
    symptom: Option<Shown>,
) -> BTreeSet<(&'static str, usize, Aspect)> {
    let earlier = explained
        .outputs
        .iter()
        .filter(|output| output.emitted.at < fact_index)
        .filter(|output| compared.contains(output.emitted.output.kind()));
    let mut seen = BTreeSet::new();
    for output in earlier.chain(agreed_here.iter().copied()) {
        // An existence is seen to be decided right only by an output of the same sort as the
        // symptom's (one decision can make outputs of several sorts: a diagnostic shown, a
        // summary kept; four of five starts released show the release works).
        let same_sort = symptom.is_some_and(|shown| {
            let other = Shown::of(&output.emitted.output);
            (other.event_type, other.reason) == (shown.event_type, shown.reason)
        });
        for (aspect, because) in output.why.entries() {
            let shown = match aspect {
                Aspect::Field(_) => *aspect == because.decided,
                Aspect::Exists => same_sort,
                _ => false,
            };
            if shown {
                seen.insert((because.rule, because.fact, *aspect));
            }
        }
    }
    seen
}

/// Ranks the decisions that explain a symptom, best first:
/// 1. not seen to hold in an output the subject agreed on, before those that were;
/// 2. exceptions (a branch that set aside what would otherwise have happened) before a rule's
///    general case: first those at earlier facts, earliest first (the state the symptom's value
///    came through was kept, removed or replaced there, and each step may follow from the one
///    before), then those at the symptom's fact;
/// 3. then the general cases: at the symptom's fact, then at earlier facts, latest first;
/// 4. in the order the model recorded them.
fn rank(
    candidates: Vec<Because>,
    witnessed: &BTreeSet<(&'static str, usize, Aspect)>,
    fact_index: usize,
) -> Vec<Because> {
    let mut ranked: Vec<(usize, Because)> = candidates.into_iter().enumerate().collect();
    ranked.sort_by_key(|(recorded, because)| {
        let seen = witnessed.contains(&(because.rule, because.fact, because.decided))
            || witnessed.contains(&(because.rule, because.fact, Aspect::Exists));
        let here = because.fact == fact_index;
        let class = match (because.exception, here) {
            (true, false) => 0,
            (true, true) => 1,
            (false, true) => 2,
            (false, false) => 3,
        };
        // Exceptions at earlier facts, earliest first: the first step of the chain the
        // symptom's value came through (an entry evicted, then a binding ignored for it).
        let fact = i64::try_from(because.fact).unwrap_or(i64::MAX);
        let when = if class == 0 { fact } else { -fact };
        (seen, class, when, *recorded)
    });
    ranked.into_iter().map(|(_, because)| because).collect()
}

/// The first field, in wire order, in which two outputs differ: `event_type` when their types
/// differ.
fn first_differing_field(expected: &Output, actual: &Output) -> String {
    if expected.event_type() != actual.event_type() {
        return "event_type".to_owned();
    }
    let (Ok(e), Ok(a)) = (serde_json::to_value(expected), serde_json::to_value(actual)) else {
        return "event_type".to_owned();
    };
    let (Some(e), Some(a)) = (
        e.get("event_params").and_then(|v| v.as_object()),
        a.get("event_params").and_then(|v| v.as_object()),
    ) else {
        return "event_type".to_owned();
    };
    // Wire order: where each key first appears in the serialized output.
    let text = serde_json::to_string(expected).unwrap_or_default();
    let mut differing: Vec<(usize, &String)> = e
        .keys()
        .chain(a.keys())
        .filter(|key| e.get(*key) != a.get(*key))
        .map(|key| {
            let at = text.find(&format!("\"{key}\":")).unwrap_or(usize::MAX);
            (at, key)
        })
        .collect();
    differing.sort();
    differing
        .first()
        .map_or_else(|| "event_type".to_owned(), |(_, key)| (*key).clone())
}
