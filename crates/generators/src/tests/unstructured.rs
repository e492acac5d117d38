//! The fuzz entry point: cases from arbitrary bytes are well formed, and short or empty inputs
//! still build a case, the same one for the same bytes.

use super::coverage::Coverage;
use super::support::XorShift;
use crate::fact::Fact;
use crate::trace::{parse_trace, write_trace};
use crate::{MAX_FACTS, case_from_unstructured};

#[test]
fn unstructured_cases_are_well_formed() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut cases = Vec::new();
    let mut failures = 0;
    // Facts per case by input size: 64..256, 256..1024, 1024.. bytes.
    let mut by_size = [(0usize, 0usize); 3];
    const BUFFERS: usize = 1_000;
    for _ in 0..BUFFERS {
        let len = 64 + (rng.next() % 4_033) as usize;
        let bytes = rng.bytes(len);
        match case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)) {
            Ok(case) => {
                let band = &mut by_size[usize::from(len >= 256) + usize::from(len >= 1024)];
                band.0 += 1;
                band.1 += case.facts.len();
                cases.push(case);
            }
            Err(_) => failures += 1,
        }
    }
    let coverage = Coverage::of(&cases);
    coverage.report("case_from_unstructured (1,000 xorshift buffers of 64..=4096 bytes)");
    let ok = cases.len() as f64 / BUFFERS as f64;
    println!("  succeeded: {:.1} %", 100.0 * ok);
    for (label, (count, facts)) in ["64..256", "256..1024", "1024..=4096"].iter().zip(by_size) {
        println!(
            "  {label} bytes: {count} buffers, mean {:.1} facts",
            facts as f64 / count.max(1) as f64
        );
    }
    assert_eq!(failures, 0, "some byte buffers failed to build a case");
    for case in &cases {
        assert!(case.facts.len() <= MAX_FACTS + crate::chaos::CHAOS_OPS_MAX);
        assert!(case.facts.iter().all(|fact| case.swarm.allows(fact)));
        let trace = case.trace();
        assert_eq!(parse_trace(&write_trace(&trace)).ok(), Some(trace));
    }
    for name in Fact::TYPE_NAMES {
        assert!(
            coverage.count(&format!("fact:{name}")) > 0,
            "{name} never generated from bytes"
        );
    }
    assert!(coverage.count("fan_out") > 0);
    let mean = coverage.mean_length();
    assert!((15.0..=80.0).contains(&mean), "mean length {mean:.1}");
}

#[test]
fn unstructured_accepts_short_and_empty_inputs() {
    let mut rng = XorShift(42);
    for len in 0..64 {
        let bytes = rng.bytes(len);
        let case = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes));
        assert!(case.is_ok(), "{len} bytes failed");
    }
    // Equal bytes give equal cases: a fuzz finding replays.
    let bytes = rng.bytes(512);
    let first = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok();
    let second = case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok();
    assert_eq!(first, second);
}
