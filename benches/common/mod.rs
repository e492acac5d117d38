//! Inputs shared by the benchmarks: long streams and 64-fact harness cases.

#![allow(dead_code)]

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use review_spec_generators::{self as generators, GeneratedCase, stream};
use review_spec_vocab::fact::Fact;

/// Facts of the throughput stream.
pub const STREAM_FACTS: usize = 1_000_000;
/// Facts of one harness case.
pub const CASE_FACTS: usize = 64;

/// The first `facts` facts of the realistic stream with `seed`.
pub fn realistic_stream(seed: u64, facts: usize) -> Vec<Fact> {
    stream::realistic(seed).take(facts).collect()
}

/// A proptest runner with a fixed seed, for reproducible cases.
pub fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Draws one harness case of exactly [`CASE_FACTS`] facts: generated cases (the same strategy
/// the differential test uses) concatenated until long enough, then cut.
pub fn case_64(runner: &mut TestRunner) -> GeneratedCase {
    let strategy = generators::case();
    let mut case: Option<GeneratedCase> = None;
    loop {
        let Ok(tree) = strategy.new_tree(runner) else {
            continue;
        };
        let next = tree.current();
        match &mut case {
            None => case = Some(next),
            Some(case) => case.facts.extend(next.facts),
        }
        if let Some(case) = &mut case
            && case.facts.len() >= CASE_FACTS
        {
            case.facts.truncate(CASE_FACTS);
            return case.clone();
        }
    }
}

/// As [`case_64`], but drawn the way `review-spec check` draws: each scenario from a seed
/// (`generators::case_from_seed`), without proptest's value trees.
pub fn case_64_from_seed(seed: &mut u64) -> GeneratedCase {
    let mut case = generators::case_from_seed(*seed);
    while case.facts.len() < CASE_FACTS {
        *seed = seed.wrapping_add(1);
        case.facts.extend(generators::case_from_seed(*seed).facts);
    }
    *seed = seed.wrapping_add(1);
    case.facts.truncate(CASE_FACTS);
    case
}

/// The median of some measurements.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
