//! The reach of the departures: which departures a case *discriminates*.
//!
//! A case discriminates a departure under a run's profile when the model's outputs on it (every
//! output: events and diagnostics, at their facts) change once that one departure is switched to
//! the other side ([`Profile::switching`]). Such a case tells a subject that follows one side of
//! the departure from one that follows the other, on the model's outputs; how many of a run's
//! cases do so, per departure, says how well the generator reaches each departure. Diagnostics
//! count: a subject that emits no diagnostics (upstream's) sees only the cases whose events
//! change, so its share is at most this one.
//!
//! Cheap by construction: the model is run again only for the departures whose decision point
//! the case reached ([`Reduction::departures_consulted`]); the others cannot change anything. A
//! rerun records nothing and stops at the first fact whose outputs differ.

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::model::{Model, Reduction};
use crate::profile::{Departure, Profile};

/// The departures `facts` discriminates under `profile`, in ID order, given the model's
/// `reduction` of them under `profile`.
pub fn discriminated(
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    reduction: &Reduction,
) -> Vec<Departure> {
    reduction
        .departures_consulted
        .iter()
        .copied()
        .filter(|departure| {
            outputs_change(
                facts,
                limits,
                &profile.switching(*departure),
                &reduction.outputs,
            )
        })
        .collect()
}

/// Whether the model's outputs on `facts` under `profile` differ from `outputs`.
fn outputs_change(facts: &[Fact], limits: &Limits, profile: &Profile, outputs: &[Emitted]) -> bool {
    let mut model = Model::new(limits, profile);
    let mut rest = outputs;
    for fact in facts {
        let produced = model.apply(fact);
        match rest.get(..produced.len()) {
            Some(expected) if expected == produced.as_slice() => {
                rest = &rest[produced.len()..];
            }
            _ => return true,
        }
    }
    !rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::trace::parse_trace;

    fn discriminated_by(trace: &str, profile: Profile) -> Vec<Departure> {
        let trace = parse_trace(trace).expect("a valid trace");
        let reduction = model::reduce_counting(&trace.facts, &trace.limits, &profile);
        discriminated(&trace.facts, &trace.limits, &profile, &reduction)
    }

    /// A turn end is TURN-1's decision point: with a pending request it discriminates TURN-1
    /// (released and reported, or kept), under either base; with nothing to release the
    /// outputs are the same either way.
    #[test]
    fn a_turn_end_discriminates_turn_1_only_when_it_has_something_to_release() {
        let pending = r#"{"review_spec_trace": 2}
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 2}
"#;
        let empty = r#"{"review_spec_trace": 2}
{"type": "turn_completed", "thread_id": "t1", "turn_id": "u1", "completed_at_ms": 2}
"#;
        for profile in [Profile::SPEC, Profile::UPSTREAM] {
            assert_eq!(discriminated_by(pending, profile), [Departure::Turn1]);
            assert_eq!(discriminated_by(empty, profile), []);
        }
        // Switched against the base, the departure is switched back.
        let departing = Profile::UPSTREAM.departing(Departure::Turn1);
        assert_eq!(discriminated_by(pending, departing), [Departure::Turn1]);
    }

    /// A difference in the last fact's outputs, or outputs the rerun lacks, is a change.
    #[test]
    fn outputs_change_sees_extra_missing_and_different_outputs() {
        let trace = parse_trace(
            r#"{"review_spec_trace": 2}
{"type": "command_execution_request", "connection_id": 1, "request_id": 1, "thread_id": "t1", "turn_id": "u1", "item_id": "i1", "started_at_ms": 1}
{"type": "request_aborted", "connection_id": 1, "request_id": 1, "completed_at_ms": 2}
"#,
        )
        .expect("a valid trace");
        let (facts, limits) = (&trace.facts, &trace.limits);
        let outputs = model::reduce(facts, limits, &Profile::SPEC);
        assert!(!outputs_change(facts, limits, &Profile::SPEC, &outputs));
        let mut more = outputs.clone();
        more.push(outputs[0].clone());
        assert!(outputs_change(facts, limits, &Profile::SPEC, &more));
        assert!(!outputs.is_empty(), "the abort is reported");
        let fewer = &outputs[..outputs.len() - 1];
        assert!(outputs_change(facts, limits, &Profile::SPEC, fewer));
        let mut moved = outputs.clone();
        moved[0].at += 1;
        assert!(outputs_change(facts, limits, &Profile::SPEC, &moved));
    }
}
