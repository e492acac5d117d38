//! "Decided by": which rules decided a divergence. The model's explanation of the fact (the rules
//! it applied, and where) is matched against the two sides' outputs: the rules of the differing
//! fields, the rules that made or removed the state a diagnostic reports, an exception over the
//! rule it sets aside; at most [`super::DECIDING_RULES_MAX`] come first, the rest are context.

use super::DECIDING_RULES_MAX;
use crate::event::{DiagnosticReason, Limits, Output, OutputKind, OutputKinds};
use crate::fact::{Fact, Id};
use crate::model;
use crate::profile::{Departure, Profile};

/// Why a divergence happened: the rules, deciding ones first, and where the cause lies.
pub(super) struct Explanation {
    pub(super) rules: Vec<&'static str>,
    pub(super) deciding: usize,
    pub(super) caused_at: Option<usize>,
}

/// The rules involved in a divergence at `fact_index`, from the model's full explanation: the
/// rules that decided the differing output or field, then the rest as context.
pub(super) fn explain(
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    compared: OutputKinds,
    fact_index: usize,
    actual: &[Output],
    output_index: usize,
) -> Explanation {
    let explained = model::reduce_explained(facts, limits, profile);
    let expected: Vec<&model::ExplainedOutput> = explained
        .outputs
        .iter()
        .filter(|output| output.emitted.at == fact_index)
        .filter(|output| compared.contains(output.emitted.output.kind()))
        .collect();
    // The first output the model emitted and the subject did not, and the other way round.
    let (missing, extra) = unmatched(&expected, actual);
    let differing = [
        missing.first().map(|output| &output.emitted.output),
        extra.first().copied(),
    ];
    let related = related_facts(facts, &differing, fact_index);
    let (decided, caused_at) =
        deciding_rules(facts, &explained, &expected, actual, fact_index, &related);
    let expected: Vec<(Output, Vec<&'static str>)> = expected
        .iter()
        .map(|output| (output.emitted.output.clone(), output.rules.clone()))
        .collect();
    let mut rules = decided.clone();
    let mut add = |rule: &'static str| {
        if !matches!(rule, "FATE-2" | "ORDER-1") && !rules.contains(&rule) {
            rules.push(rule);
        }
    };
    for rule in involved_rules(&expected, actual, output_index) {
        add(rule);
    }
    // The rules the model applied to the fact itself explain an output it did not emit.
    let own = explained
        .fact_rules
        .get(fact_index)
        .map_or(&[][..], Vec::as_slice);
    for rule in own {
        add(rule);
    }
    for &fact in &related {
        for rule in explained
            .fact_rules
            .get(fact)
            .map_or(&[][..], Vec::as_slice)
        {
            add(rule);
        }
    }
    Explanation {
        deciding: decided.len(),
        rules,
        caused_at,
    }
}

/// The rules that decided the first differing output, at most [`DECIDING_RULES_MAX`], and the
/// earlier fact where the first of them applied.
///
/// The outputs of the fact are matched as multisets: what the model emitted and the subject did
/// not (missing), and the other way round (extra).
/// - Nothing missing or extra, only the order differs: ORDER-1.
/// - A missing and an extra event of one type: the rules that decide the fields in which they
///   differ ([`FIELD_RULES`], most specific first), those the model applied to the output or to
///   a related fact first.
/// - A missing or extra diagnostic about state (an entry released or evicted, a dropped
///   event): the exceptional rules that made or removed that state ([`EXCEPTIONAL_RULES`]),
///   latest first, then the diagnostic's own rule.
/// - Otherwise: the diagnostic's rule, then the exceptional rules the model applied to the fact.
///
/// A departure the profile followed stands in for the rule it departs from.
fn deciding_rules(
    facts: &[Fact],
    explained: &model::Explained,
    expected: &[&model::ExplainedOutput],
    actual: &[Output],
    fact_index: usize,
    related: &[usize],
) -> (Vec<&'static str>, Option<usize>) {
    let (missing, extra) = unmatched(expected, actual);
    if missing.is_empty() && extra.is_empty() {
        return (vec!["ORDER-1"], None);
    }
    // The marks that can explain the fact's outputs: the missing output's own provenance, the
    // rules applied to the fact itself, and those applied to related facts (a suppressed
    // duplicate, an earlier start of the same item), in fact order.
    let mut marks: Vec<model::RuleMark> = missing.first().map_or(Vec::new(), |o| o.marks.clone());
    let own_fact = std::iter::once(fact_index);
    let mut involved: Vec<usize> = related.iter().copied().chain(own_fact).collect();
    involved.sort_unstable();
    involved.dedup();
    for fact in involved {
        for &rule in explained
            .fact_rules
            .get(fact)
            .map_or(&[][..], Vec::as_slice)
        {
            let mark = model::RuleMark { fact, rule };
            if !marks.contains(&mark) {
                marks.push(mark);
            }
        }
    }
    marks.sort_by_key(|mark| mark.fact);
    let applied = |rule: &str| marks.iter().any(|mark| mark.rule == rule);
    let departed = |rule: &'static str| {
        Departure::ALL
            .into_iter()
            .find(|departure| {
                departure.id().strip_prefix("UP-") == Some(rule) && applied(departure.id())
            })
            .map_or(rule, |departure| departure.id())
    };
    // Latest fact first; within one fact, in the order the rules applied.
    let mut by_fact: Vec<&model::RuleMark> = marks.iter().collect();
    by_fact.sort_by_key(|mark| std::cmp::Reverse(mark.fact));
    let exceptional_latest_first: Vec<(usize, &'static str)> = by_fact
        .into_iter()
        .filter(|mark| is_exceptional(mark.rule))
        .map(|mark| (mark.fact, mark.rule))
        .collect();
    let mut decided: Vec<&'static str> = Vec::new();
    let add = |decided: &mut Vec<&'static str>, rule: &'static str| {
        if !GENERIC_RULES.contains(&rule)
            && !decided.contains(&rule)
            && decided.len() < DECIDING_RULES_MAX
        {
            decided.push(rule);
        }
    };
    let expected_output = missing.first().map(|output| &output.emitted.output);
    let actual_output = extra.first().copied();
    let diagnostic_of = |output: Option<&Output>| match output {
        Some(Output::Diagnostic(diagnostic)) => Some(diagnostic.clone()),
        _ => None,
    };
    if let (Some(e), Some(a)) = (expected_output, actual_output)
        && same_type(e, a)
    {
        let field_rules = rules_of_differing_fields(e, a);
        // Wrong connection metadata that is not the delivering connection's either (the
        // mistake CTX-2 forbids) came from a connection the store mixed up: CTX-1.
        if field_rules.contains(&"CTX-1") && !carries_delivering_metadata(facts, fact_index, a) {
            add(&mut decided, "CTX-1");
        }
        // The turn a remembered guardian completion belongs to is its dedup scope (DEDUP-2).
        if let (Output::Diagnostic(expected), Output::Diagnostic(actual)) = (e, a)
            && expected.table == Some(crate::event::Table::GuardianCompletions)
            && expected.turn_id != actual.turn_id
        {
            add(&mut decided, "DEDUP-2");
        }
        // A review's fields come from its own facts (its request and closing fact, or its
        // guardian completion); a tool item's review fields from the item's whole history.
        let own: &[model::RuleMark] = missing.first().map_or(&[], |output| &output.marks);
        let applied_to_it = |rule: &str| match e {
            // Which review it is (its item, thread, turn) may come from another request with
            // the same id (LIFE-3, LIFE-6).
            Output::Review(_) if !REVIEW_IDENTITY_RULES.contains(&rule) => {
                own.iter().any(|mark| mark.rule == rule)
            }
            _ => applied(rule),
        };
        for rule in field_rules.iter().map(|rule| departed(rule)) {
            if applied_to_it(rule) {
                add(&mut decided, rule);
            }
        }
        // A diagnostic's field decided by one rule alone (a request id: ISO-2) names it even
        // where the model did not mark it.
        if decided.is_empty() && (e.kind() != OutputKind::Diagnostic || field_rules.len() == 1) {
            for rule in field_rules.iter().map(|rule| departed(rule)) {
                add(&mut decided, rule);
            }
        }
    }
    if decided.is_empty() {
        // Whether a review event exists is decided by the review's own rules; the summary and
        // item rules applied on the way decide its item's event, not it.
        let review_at_stake = match (expected_output, actual_output) {
            (Some(output), _) | (None, Some(output)) => matches!(output, Output::Review(_)),
            (None, None) => false,
        };
        let add = |decided: &mut Vec<&'static str>, rule: &'static str| {
            let about_items = ["SUM-", "ITEM-", "UP-SUM-", "UP-ITEM-"]
                .iter()
                .any(|prefix| rule.starts_with(prefix))
                || rule == "ISO-1";
            if !(review_at_stake && about_items) {
                add(decided, rule);
            }
        };
        let expected_diagnostic = diagnostic_of(expected_output);
        let actual_diagnostic = diagnostic_of(actual_output);
        // The subject claims a request is (or is not) pending where the model's is not (or
        // is): what decided is the request's history, not the claim.
        let claims_pending = expected_diagnostic.is_none()
            && actual_diagnostic
                .as_ref()
                .is_some_and(|diagnostic| claims_request_state(diagnostic.reason));
        let about_state = claims_pending
            || [&expected_diagnostic, &actual_diagnostic]
                .into_iter()
                .flatten()
                .any(|diagnostic| is_about_state(diagnostic.reason));
        let mut reason_rules: Vec<&'static str> = [&expected_diagnostic, &actual_diagnostic]
            .into_iter()
            .flatten()
            .map(|diagnostic| departed(diagnostic.reason.rule()))
            .collect();
        // Two diagnostics of different rules: the subject took another branch because of an
        // earlier fact; the rule the model applied earliest comes first (the cause precedes
        // the symptom).
        let first_applied = |rule: &str| {
            marks
                .iter()
                // CTX-3 applies all over a small counterexample that binds no thread.
                .filter(|mark| mark.rule == rule && rule != "CTX-3")
                .map(|mark| mark.fact)
                .min()
                .unwrap_or(usize::MAX)
        };
        reason_rules.sort_by_key(|rule| first_applied(rule));
        // State released at a turn's end or evicted: the rules that made or removed that
        // kind of state, latest first; an event dropped for want of context: the rules
        // that made the event.
        let reasons: Vec<DiagnosticReason> = [&expected_diagnostic, &actual_diagnostic]
            .into_iter()
            .flatten()
            .map(state_reason)
            .collect();
        let state_rules: Vec<&'static str> = reasons
            .iter()
            .map(|reason| match claims_pending {
                true => DiagnosticReason::UnansweredRequest,
                false => *reason,
            })
            .filter_map(state_rules)
            .flatten()
            .copied()
            .collect();
        // Released or evicted state was made before the fact that released it.
        let released = claims_pending
            || reasons.iter().any(|reason| reason.rule() == "TURN-1")
            || [&expected_diagnostic, &actual_diagnostic]
                .into_iter()
                .flatten()
                .any(|diagnostic| diagnostic.reason == DiagnosticReason::Evicted);
        // The subject applied a rule that the model, at this very fact, set aside by the rule
        // that makes the exception (a completion counted again after its turn released it,
        // DEDUP-2, where the subject still suppresses it as a duplicate, DEDUP-1).
        for (exception, overridden) in EXCEPTIONS {
            let claimed = actual_diagnostic
                .as_ref()
                .is_some_and(|diagnostic| diagnostic.reason.rule() == *overridden);
            let applied_here = explained
                .fact_rules
                .get(fact_index)
                .is_some_and(|rules| rules.contains(exception));
            if claimed && applied_here {
                add(&mut decided, exception);
            }
        }
        // A departure that decided the release itself (UP-TURN-1 kept the state) comes first.
        for rule in &reason_rules {
            if rule.starts_with("UP-") && applied(rule) {
                add(&mut decided, rule);
            }
        }
        // The model reports the fact itself where the subject reports state (a dropped
        // event, a release): the model's rule decided this fact.
        if let (Some(expected), Some(actual)) = (&expected_diagnostic, &actual_diagnostic)
            && !is_about_state(expected.reason)
            && is_about_state(actual.reason)
        {
            add(&mut decided, departed(expected.reason.rule()));
        }
        // The subject finds no start where the model had one: the start was not recorded
        // (ITEM-1), or not found by its key (ISO-1).
        let start_lost = expected_output.is_some_and(|output| output.as_tool_item().is_some())
            && actual_diagnostic
                .as_ref()
                .is_some_and(|diagnostic| diagnostic.reason == DiagnosticReason::ItemNotStarted);
        if start_lost {
            add(&mut decided, "ITEM-1");
            add(&mut decided, "ISO-1");
        }
        // An eviction the subject did not report, with nothing in its place: CAP-1 itself.
        let unreported_eviction = actual_output.is_none()
            && expected_diagnostic
                .as_ref()
                .is_some_and(|diagnostic| diagnostic.reason == DiagnosticReason::Evicted);
        if unreported_eviction {
            add(&mut decided, departed("CAP-1"));
        }
        if about_state {
            for &(fact, rule) in &exceptional_latest_first {
                // Released state was made earlier than the release itself.
                let history = !released || fact < fact_index;
                let relevant = state_rules.contains(&rule)
                    || rule
                        .strip_prefix("UP-")
                        .is_some_and(|on| state_rules.contains(&on));
                if history && relevant && !reason_rules.contains(&rule) {
                    add(&mut decided, rule);
                }
            }
            // State the subject did not have where the model released it: the subject never
            // recorded the start (ITEM-1), or does not find the entry by its key (ISO-1).
            if expected_diagnostic.is_some() {
                if reasons.contains(&DiagnosticReason::ItemNeverCompleted) {
                    add(&mut decided, "ITEM-1");
                }
                if reasons.iter().any(|reason| {
                    matches!(
                        reason,
                        DiagnosticReason::ItemNeverCompleted | DiagnosticReason::UnconsumedSummary
                    )
                }) {
                    add(&mut decided, "ISO-1");
                }
            }
            // A request the subject takes for pending where the model's is not, with nothing
            // in its history that closed it: the key it is found by (ISO-2).
            if claims_pending {
                add(&mut decided, "ISO-2");
            }
        }
        for rule in reason_rules {
            add(&mut decided, rule);
        }
        // The branch that made (or did not make) the output: the latest rule first.
        let mut latest_first: Vec<&model::RuleMark> = marks.iter().collect();
        latest_first.reverse();
        for mark in latest_first {
            if is_exceptional(mark.rule) {
                add(&mut decided, mark.rule);
            }
        }
    }
    if decided.is_empty() {
        // No rule decided anything exceptional: the rules the model applied to the fact.
        let own = explained
            .fact_rules
            .get(fact_index)
            .map_or(&[][..], Vec::as_slice);
        for rule in own.iter().rev() {
            add(&mut decided, rule);
        }
    }
    let caused_at = decided.first().and_then(|first| {
        marks
            .iter()
            .filter(|mark| mark.rule == *first && mark.fact <= fact_index)
            .map(|mark| mark.fact)
            .max()
            .filter(|fact| *fact < fact_index)
    });
    (decided, caused_at)
}

/// Rules that decide which review a review event is, from facts other than its own.
const REVIEW_IDENTITY_RULES: &[&str] = &["LIFE-3", "LIFE-6", "UP-LIFE-3"];

/// Rules that make an exception to another, each with the rule it sets aside.
const EXCEPTIONS: &[(&str, &str)] = &[("DEDUP-2", "DEDUP-1"), ("LIFE-6", "LIFE-2")];

/// Rules that apply to every fact or output and so decide nothing in particular.
const GENERIC_RULES: &[&str] = &["FATE-1", "FATE-2", "ORDER-1"];

/// Rules that decide only on an unusual branch: where one of them applied, it is the likeliest
/// explanation of state that one side has and the other lacks. (CTX-3 is not among them: a
/// small counterexample often binds no thread at all, so CTX-3 applies everywhere in it.)
const EXCEPTIONAL_RULES: &[&str] = &[
    "CAP-1", "DEC-3", "DEC-4", "DEDUP-1", "DEDUP-2", "GRANT-1", "GRANT-3", "GUARD-4", "ISO-1",
    "ISO-2", "ITEM-3", "ITEM-5", "ITEM-6", "LIFE-2", "LIFE-3", "LIFE-4", "LIFE-5", "LIFE-6",
    "SUM-1", "SUM-3", "SUM-6", "TIME-2", "TURN-1",
];

fn is_exceptional(rule: &str) -> bool {
    rule.starts_with("UP-") || EXCEPTIONAL_RULES.contains(&rule)
}

/// What a diagnostic says about state: an eviction reports an entry of its table as a turn's
/// end would (an evicted pending request as an unanswered one, ...).
fn state_reason(diagnostic: &crate::event::Diagnostic) -> DiagnosticReason {
    use crate::event::Table;
    match (diagnostic.reason, diagnostic.table) {
        (DiagnosticReason::Evicted, Some(Table::PendingRequests)) => {
            DiagnosticReason::UnansweredRequest
        }
        (DiagnosticReason::Evicted, Some(Table::ItemStarts)) => {
            DiagnosticReason::ItemNeverCompleted
        }
        (DiagnosticReason::Evicted, Some(Table::ItemSummaries)) => {
            DiagnosticReason::UnconsumedSummary
        }
        (reason, _) => reason,
    }
}

/// The rules that make or remove the state a release diagnostic reports (None for the others).
fn state_rules(reason: DiagnosticReason) -> Option<&'static [&'static str]> {
    match reason {
        DiagnosticReason::UnansweredRequest => Some(&[
            "LIFE-2", "LIFE-3", "LIFE-4", "LIFE-5", "LIFE-6", "ISO-2", "CAP-1",
        ]),
        DiagnosticReason::ItemNeverCompleted => {
            Some(&["ITEM-3", "ITEM-5", "ITEM-6", "ISO-1", "TIME-2", "CAP-1"])
        }
        DiagnosticReason::UnconsumedSummary => Some(&[
            "SUM-1", "SUM-6", "ISO-1", "DEDUP-1", "DEDUP-2", "ITEM-5", "CAP-1",
        ]),
        DiagnosticReason::Evicted => Some(&["CAP-1"]),
        // An event dropped for want of context: the rules that made the event.
        DiagnosticReason::MissingThread | DiagnosticReason::MissingConnection => Some(&[
            "DEC-3", "DEC-4", "DEDUP-1", "DEDUP-2", "GRANT-1", "GRANT-3", "GUARD-4", "ITEM-3",
            "ITEM-5", "LIFE-3", "LIFE-5", "LIFE-6", "TIME-2",
        ]),
        _ => None,
    }
}

/// Whether a diagnostic says something about whether its request was pending.
fn claims_request_state(reason: DiagnosticReason) -> bool {
    matches!(
        reason,
        DiagnosticReason::DuplicateRequest
            | DiagnosticReason::ConflictingRequest
            | DiagnosticReason::OrphanResponse
            | DiagnosticReason::MismatchedResponse
    )
}

/// Whether a diagnostic reports state (released, evicted, or an event dropped for want of
/// context) rather than the fact at hand: its explanation lies in how that state came to be.
fn is_about_state(reason: DiagnosticReason) -> bool {
    matches!(
        reason,
        DiagnosticReason::UnansweredRequest
            | DiagnosticReason::ItemNeverCompleted
            | DiagnosticReason::UnconsumedSummary
            | DiagnosticReason::Evicted
            | DiagnosticReason::MissingThread
            | DiagnosticReason::MissingConnection
    )
}

fn same_type(a: &Output, b: &Output) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        && a.as_tool_item().is_some() == b.as_tool_item().is_some()
        && serde_json::to_value(a)
            .ok()
            .map(|v| v["event_type"].clone())
            == serde_json::to_value(b)
                .ok()
                .map(|v| v["event_type"].clone())
}

/// The expected outputs the subject did not emit and the subject's outputs the model did not,
/// each in order (multiset difference).
fn unmatched<'a, 'b>(
    expected: &[&'a model::ExplainedOutput],
    actual: &'b [Output],
) -> (Vec<&'a model::ExplainedOutput>, Vec<&'b Output>) {
    let mut extra: Vec<&Output> = actual.iter().collect();
    let mut missing = Vec::new();
    for output in expected {
        match extra
            .iter()
            .position(|candidate| **candidate == output.emitted.output)
        {
            Some(position) => {
                extra.remove(position);
            }
            None => missing.push(*output),
        }
    }
    (missing, extra)
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
    rules
}

/// The facts, up to `fact_index`, about the same request or item as the differing outputs: the
/// explanation of an output that one side has and the other lacks (a review left pending, a
/// summary that should not exist) lies in the facts that made that state.
fn related_facts(facts: &[Fact], outputs: &[Option<&Output>], fact_index: usize) -> Vec<usize> {
    let mut keys: Vec<OutputKey> = outputs
        .iter()
        .flatten()
        .copied()
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
    facts
        .iter()
        .enumerate()
        .take(fact_index.saturating_add(1))
        .filter(|(_, fact)| keys.iter().any(|key| key.relates_to(fact)))
        .map(|(index, _)| index)
        .collect()
}

/// What an output is about: a request, or an item.
struct OutputKey {
    request_id: Option<u64>,
    item: Option<(Id, Id, Id)>,
}

fn output_key(output: &Output) -> Option<OutputKey> {
    let (request_id, thread, turn, item) = match output {
        // A diagnostic about a request is about that request, not its item.
        Output::Diagnostic(d) if d.request_id.is_some() => (d.request_id, None, None, None),
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
                && self.item.as_ref().map(|(a, b, c)| (&**a, &**b, &**c)) == item)
    }
}

/// The request id and the item (thread, turn, item) a fact is about, where it has them.
fn fact_key(fact: &Fact) -> (Option<u64>, Option<(&str, &str, &str)>) {
    let ids = fact.ids();
    let item = match (ids.thread_id, ids.turn_id, ids.item_id) {
        (Some(thread), Some(turn), Some(item)) => Some((&**thread, &**turn, &**item)),
        _ => None,
    };
    (ids.request_id, item)
}

/// The rules that decide each output field, for attributing a field-level difference. Each list
/// runs from the most specific rule (one that decides only on an unusual branch: a suppressed
/// duplicate, a replaced outcome, equal item ids elsewhere) to the most general, so that the rule
/// whose branch the model took comes first.
const FIELD_RULES: &[(&str, &[&str])] = &[
    (
        "subject_kind",
        &["LIFE-3", "SUBJ-1", "SUBJ-4", "SUBJ-5", "GUARD-1"],
    ),
    (
        "subject_name",
        &["LIFE-3", "SUBJ-1", "SUBJ-4", "SUBJ-5", "GUARD-1"],
    ),
    (
        "trigger",
        &["LIFE-3", "SUBJ-2", "SUBJ-4", "SUBJ-5", "GUARD-1"],
    ),
    (
        "status",
        &[
            "DEC-4", "DEC-3", "GRANT-3", "GRANT-1", "GRANT-2", "DEC-1", "DEC-2", "GUARD-4",
            "GUARD-3",
        ],
    ),
    (
        "resolution",
        &[
            "DEC-4", "DEC-3", "GRANT-1", "GRANT-2", "DEC-1", "DEC-2", "GUARD-3",
        ],
    ),
    ("review_id", &["ID-1", "ID-2"]),
    ("item_id", &["LIFE-3", "GUARD-1", "ISO-2"]),
    ("thread_id", &["LIFE-3", "ISO-2"]),
    ("turn_id", &["LIFE-3", "ISO-2"]),
    ("request_id", &["ISO-2"]),
    (
        "started_at_ms",
        &["LIFE-3", "ITEM-6", "TIME-3", "GUARD-5", "ITEM-1"],
    ),
    ("completed_at_ms", &["TIME-3", "GUARD-5", "ITEM-2"]),
    ("duration_ms", &["TIME-1"]),
    (
        "review_count",
        &[
            "DEDUP-1", "DEDUP-2", "ITEM-5", "SUM-1", "ISO-1", "SUM-6", "LIFE-6", "SUM-2",
        ],
    ),
    (
        "guardian_review_count",
        &[
            "DEDUP-1", "DEDUP-2", "ITEM-5", "SUM-1", "ISO-1", "SUM-6", "SUM-2",
        ],
    ),
    (
        "user_review_count",
        &["ITEM-5", "SUM-1", "ISO-1", "SUM-6", "LIFE-6", "SUM-2"],
    ),
    (
        "final_approval_outcome",
        &[
            "SUM-3", "DEDUP-1", "ITEM-5", "SUM-1", "ISO-1", "SUM-4", "SUM-6",
        ],
    ),
    (
        "requested_additional_permissions",
        &[
            "SUM-1", "ISO-1", "SUM-6", "SUBJ-3", "SUBJ-4", "SUBJ-5", "GUARD-2", "SUM-5",
        ],
    ),
    (
        "requested_network_access",
        &[
            "SUM-1", "ISO-1", "SUM-6", "SUBJ-3", "SUBJ-5", "GUARD-2", "SUM-5",
        ],
    ),
    ("terminal_status", &["ITEM-4"]),
    ("failure_kind", &["ITEM-4"]),
    ("app_server_client", &["CTX-2", "CTX-1"]),
    ("runtime", &["CTX-2", "CTX-1"]),
    ("thread_source", &["CTX-2"]),
    ("subagent_source", &["CTX-2"]),
    ("parent_thread_id", &["CTX-2"]),
    ("table", &["CAP-1"]),
];

/// Whether `output` carries the connection metadata (CTX-1) that the connection delivering fact
/// `fact_index` last initialized with.
fn carries_delivering_metadata(facts: &[Fact], fact_index: usize, output: &Output) -> bool {
    let Some(delivering) = facts.get(fact_index).and_then(Fact::connection_id) else {
        return false;
    };
    let initialized = facts[..fact_index]
        .iter()
        .rev()
        .find_map(|fact| match fact {
            Fact::Initialize {
                connection_id,
                app_server_client,
                runtime,
            } if *connection_id == delivering => Some((app_server_client, runtime)),
            _ => None,
        });
    let Ok(output) = serde_json::to_value(output) else {
        return false;
    };
    let params = &output["event_params"];
    initialized.is_some_and(|(client, runtime)| {
        serde_json::to_value(client).ok().as_ref() == params.get("app_server_client")
            && serde_json::to_value(runtime).ok().as_ref() == params.get("runtime")
    })
}

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
        let (expected, actual) = (
            expected["event_params"].get(field),
            actual["event_params"].get(field),
        );
        if expected == actual {
            continue;
        }
        // A count lower than the model's is not explained by a rule that only ever keeps a
        // review from counting.
        let undercounted = field.ends_with("_count")
            && actual.and_then(|v| v.as_u64()) < expected.and_then(|v| v.as_u64());
        for rule in *field_rules {
            let suppresses = matches!(*rule, "DEDUP-1" | "SUM-1");
            let skipped = undercounted && suppresses;
            if !rules.contains(rule) && !skipped {
                rules.push(*rule);
            }
        }
    }
    rules
}
