//! Generated cases as traces: they round-trip through the trace format, and a printed case is
//! its swarm line followed by its trace.

use super::support::{SEED, generated_cases, sample};
use crate::case;
use crate::trace::{parse_trace, write_trace};

#[test]
fn generated_facts_round_trip_through_traces() {
    for case in generated_cases() {
        let trace = case.trace();
        let text = write_trace(&trace);
        match parse_trace(&text) {
            Ok(parsed) => assert_eq!(parsed, trace, "round trip changed the case:\n{text}"),
            Err(error) => panic!("generated trace does not parse: {error}\n{text}"),
        }
    }
}

#[test]
fn debug_prints_the_swarm_line_then_a_trace() {
    for case in sample(case(), 50, SEED) {
        let printed = format!("{case:?}");
        let (first, rest) = printed.split_once('\n').unwrap_or((&printed, ""));
        assert!(first.starts_with("swarm: "), "first line: {first}");
        assert_eq!(first, case.swarm.to_string());
        assert_eq!(format!("{:#?}", case), printed, "alternate Debug differs");
        match parse_trace(rest) {
            Ok(trace) => assert_eq!(trace, case.trace()),
            Err(error) => panic!("printed case is not a trace: {error}\n{printed}"),
        }
    }
}
