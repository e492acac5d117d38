//! Bytes → a coherent generated case (swarm, scenario, chaos) → model vs reducer; any divergence
//! is a crash whose message is the diff with its rule IDs. With `--features seeded-defects` and
//! `REVIEW_SPEC_DEFECT=<name>`, the subject is that deliberately broken reducer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| review_spec::fuzzing::differential(data));
