//! Profiles with departures switched against their base, where the vectors (which store the two
//! base profiles' expectations) cannot pin a behaviour: the order in which a replaced entry is
//! released (UP-LIFE-3, UP-ITEM-6) shows only when the turn's end releases (TURN-1) while the
//! replacement follows upstream. Each trace is pinned for the model, the production reducer and
//! the independent Python subject.

use std::path::Path;
use std::time::Duration;

use review_spec::diff::first_divergence;
use review_spec::subject::ProcessSubject;
use review_spec_model as model;
use review_spec_reducer::reduce_all;
use review_spec_vocab::event::{DiagnosticReason, Emitted, Limits, Output};
use review_spec_vocab::profile::{Departure, Profile};
use review_spec_vocab::trace::parse_trace;

/// Upstream's behaviour, except that a turn's end releases and reports the turn's state.
fn upstream_releasing_turns() -> Profile {
    Profile::UPSTREAM.departing(Departure::Turn1)
}

/// The diagnostics of a reduction as `(fact index, reason, request id or item id)`.
fn diagnostics(outputs: &[Emitted]) -> Vec<(usize, DiagnosticReason, String)> {
    outputs
        .iter()
        .filter_map(|emitted| match &emitted.output {
            Output::Diagnostic(diagnostic) => {
                let id = diagnostic
                    .request_id
                    .map(|id| id.to_string())
                    .or_else(|| diagnostic.item_id.as_deref().map(str::to_owned))
                    .unwrap_or_default();
                Some((emitted.at, diagnostic.reason, id))
            }
            _ => None,
        })
        .collect()
}

/// Checks the model and the reducer against `expected`, and the Python subject against the
/// model, on `trace` under `profile`.
fn pin(trace: &str, profile: Profile, expected: &[(usize, DiagnosticReason, &str)]) {
    let trace = parse_trace(&format!("{{\"review_spec_trace\": 2}}\n{trace}"))
        .unwrap_or_else(|error| panic!("{error}"));
    let limits = Limits::default();
    let expected: Vec<(usize, DiagnosticReason, String)> = expected
        .iter()
        .map(|(at, reason, id)| (*at, *reason, (*id).to_owned()))
        .collect();
    let modelled = model::reduce(&trace.facts, &limits, &profile);
    assert_eq!(diagnostics(&modelled), expected, "model, {profile}");
    let reduced = reduce_all(&trace.facts, &limits, &profile);
    assert_eq!(diagnostics(&reduced), expected, "reducer, {profile}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/subject.py");
    let mut python = ProcessSubject::new(
        &format!("python3 '{}'", script.display()),
        Duration::from_secs(20),
    )
    .expect("the command line parses");
    let divergence = first_divergence(&mut python, &trace.facts, &limits, &profile)
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(divergence.is_none(), "python, {profile}: {divergence:?}");
}

#[test]
fn a_replaced_request_is_released_as_the_newest() {
    let trace = r#"
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "command_execution_request", "connection_id": 1, "request_id": 2, "thread_id": "t1", "turn_id": "u1", "item_id": "i2", "started_at_ms": 2}
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i3", "started_at_ms": 3}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 4}"#;
    pin(
        trace,
        upstream_releasing_turns(),
        &[
            (2, DiagnosticReason::ConflictingRequest, "1"),
            (3, DiagnosticReason::UnansweredRequest, "2"),
            (3, DiagnosticReason::UnansweredRequest, "1"),
        ],
    );
    // Under the spec the first request stays in its place.
    pin(
        trace,
        Profile::SPEC,
        &[
            (2, DiagnosticReason::ConflictingRequest, "1"),
            (3, DiagnosticReason::UnansweredRequest, "1"),
            (3, DiagnosticReason::UnansweredRequest, "2"),
        ],
    );
}

#[test]
fn a_replaced_item_start_is_released_as_the_newest() {
    let start = |item: &str, at: u64| {
        format!(
            r#"{{"type": "item_started", "connection_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "{item}", "kind": "command_execution", "started_at_ms": {at}}}"#
        )
    };
    let trace = [
        start("i1", 1),
        start("i2", 2),
        start("i1", 3),
        r#"{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 4}"#
            .to_owned(),
    ]
    .join("\n");
    pin(
        &trace,
        upstream_releasing_turns(),
        &[
            (2, DiagnosticReason::DuplicateItemStart, "i1"),
            (3, DiagnosticReason::ItemNeverCompleted, "i2"),
            (3, DiagnosticReason::ItemNeverCompleted, "i1"),
        ],
    );
    pin(
        &trace,
        Profile::SPEC,
        &[
            (2, DiagnosticReason::DuplicateItemStart, "i1"),
            (3, DiagnosticReason::ItemNeverCompleted, "i1"),
            (3, DiagnosticReason::ItemNeverCompleted, "i2"),
        ],
    );
}
