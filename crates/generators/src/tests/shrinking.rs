//! Shrinking: a failing case shrinks to a handful of facts.

use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use super::support::SEED;
use crate::case;
use crate::fact::Fact;

#[test]
fn shrinking_lands_on_a_small_case() {
    // A deliberately false property: no guardian ever denies. The shrunk counterexample should
    // be a handful of facts, not a whole session.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 512,
            failure_persistence: None,
            // The default budget is 4 steps per case (2,048): this one takes about 2,700.
            max_shrink_iters: 10_000,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[SEED; 32]),
    );
    let result = runner.run(&case(), |case| {
        let denied = case.facts.iter().any(|fact| {
            matches!(
                fact,
                Fact::GuardianReviewCompleted {
                    status: crate::fact::GuardianStatus::Denied,
                    ..
                }
            )
        });
        proptest::prop_assert!(!denied);
        Ok(())
    });
    match result {
        Err(TestError::Fail(_, minimal)) => {
            println!("shrunk to:\n{minimal:?}");
            assert!(
                minimal.facts.len() <= 3,
                "shrunk case is still {} facts long:\n{minimal:?}",
                minimal.facts.len()
            );
        }
        other => panic!("expected a failing case, got {other:?}"),
    }
}
