//! What several test files share: a seeded proptest runner, the samples drawn once (from
//! `case()` and from fuzzer-like bytes), and a byte source.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::{GeneratedCase, case, case_from_unstructured};

pub(super) const CASES: usize = 2_000;
pub(super) const SEED: u8 = 7;

fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

pub(super) fn sample<S: Strategy>(strategy: S, count: usize, seed: u8) -> Vec<S::Value> {
    let mut runner = runner(seed);
    (0..count)
        .map(|_| match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(reason) => panic!("strategy failed to generate: {reason}"),
        })
        .collect()
}

/// The `CASES` cases drawn from `case()` with `SEED`, drawn once for every test that reads them.
pub(super) fn generated_cases() -> &'static [GeneratedCase] {
    static CASES_DRAWN: std::sync::OnceLock<Vec<GeneratedCase>> = std::sync::OnceLock::new();
    CASES_DRAWN.get_or_init(|| sample(case(), CASES, SEED))
}

/// xorshift64: a fixed pseudo-random byte source without a new dependency.
pub(super) struct XorShift(pub(super) u64);

impl XorShift {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Cases from fuzzer-like bytes: 2,000 xorshift buffers of 64..=4096 bytes, drawn once.
pub(super) fn unstructured_sample() -> &'static [GeneratedCase] {
    static DRAWN: std::sync::OnceLock<Vec<GeneratedCase>> = std::sync::OnceLock::new();
    DRAWN.get_or_init(|| {
        let mut rng = XorShift(0x5eed_cafe_f00d_0001);
        (0..2_000)
            .filter_map(|_| {
                let len = 64 + (rng.next() % 4_033) as usize;
                let bytes = rng.bytes(len);
                case_from_unstructured(&mut arbitrary::Unstructured::new(&bytes)).ok()
            })
            .collect()
    })
}
