//! Model vs production reducer on generated coherent fact sequences (with chaos and swarm
//! configurations). Proptest shrinks a failing case; the shrunk case is then minimized once by
//! `diff::minimize`, printed with its diff and rule IDs, and saved as a regression vector under
//! `spec/vectors/regressions/`, which `cargo test` then runs forever.

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};
use review_spec::diff::{Divergence, first_divergence, minimize};
use review_spec_generators::{self as generators, GeneratedCase};
use review_spec_reducer::Reducer;
use review_spec_vocab::profile::{Base, Departure, Profile};

use crate::support::proptest_config;

/// Writes a divergence as a one-case vector file under `spec/vectors/regressions/` and returns
/// its path (or why it was not saved).
fn save_regression(divergence: &Divergence, found_by: &str) -> String {
    let name = review_spec::regression::divergence_name(divergence);
    let case = divergence.to_vector_case(&name, found_by);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/regressions");
    match review_spec::regression::save_vector_case(&dir, &case) {
        Ok(path) => path.display().to_string(),
        Err(error) => format!("(not saved: {error})"),
    }
}

/// The first divergence of the reducer from the model on `case` under `profile`.
fn divergence(case: &GeneratedCase, profile: Profile) -> Option<Divergence> {
    let mut reducer = Reducer::with_profile(case.limits, profile);
    first_divergence(&mut reducer, &case.facts, &case.limits, &profile)
        .expect("the in-process reducer never fails")
}

/// Runs `strategy`'s cases; a failure is shrunk by proptest, minimized once, saved and reported.
fn reducer_agrees(strategy: impl Strategy<Value = (GeneratedCase, Profile)>, found_by: &str) {
    let mut runner = TestRunner::new(proptest_config(512));
    let result = runner.run(&strategy, |(case, profile)| {
        match divergence(&case, profile) {
            Some(found) => Err(TestCaseError::fail(found.to_string())),
            None => Ok(()),
        }
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, (case, profile))) => {
            let Some(found) = divergence(&case, profile) else {
                panic!("the shrunk case no longer diverges: {case:?}");
            };
            let mut reducer = Reducer::with_profile(case.limits, profile);
            let minimal =
                minimize(&mut reducer, found).expect("the in-process reducer never fails");
            let path = save_regression(&minimal, found_by);
            panic!("{minimal}\nsaved as {path}");
        }
        Err(TestError::Abort(reason)) => panic!("the generator gave up: {reason}"),
    }
}

/// The production reducer's outputs equal the model's on every generated sequence.
#[test]
fn reducer_agrees_with_model() {
    reducer_agrees(
        generators::case().prop_map(|case| (case, Profile::SPEC)),
        "tests/it/differential.rs reducer_agrees_with_model",
    );
}

/// The same under every profile: either base with any set of departures switched, the case
/// drawn with only the facts the base can express.
#[test]
fn reducer_agrees_with_model_under_any_profile() {
    reducer_agrees(
        (generators::case(), profile())
            .prop_map(|(case, profile)| (case.expressible_under(&profile), profile)),
        "tests/it/differential.rs reducer_agrees_with_model_under_any_profile",
    );
}

/// A profile: `upstream` half the time, with any departures switched a quarter of the time.
pub fn profile() -> impl Strategy<Value = Profile> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<u16>()).prop_map(
        |(upstream, mixed, mixed_again, bits)| {
            let base = if upstream { Base::Upstream } else { Base::Spec };
            let mut profile = Profile::base(base);
            if mixed && mixed_again {
                for (index, departure) in Departure::ALL.into_iter().enumerate() {
                    if bits & (1 << index) != 0 {
                        profile = profile.departing(departure);
                    }
                }
            }
            profile
        },
    )
}

/// Long streams under a small and a huge `table_entries_max`: the model's indexed tables keep
/// CAP-1's order (evictions under the small bound) and TURN-1's release order (unended turns
/// piling up under the huge one), exactly as the reducer does.
#[test]
fn long_streams_agree_under_small_and_huge_limits() {
    use review_spec_generators::stream;
    use review_spec_vocab::event::Limits;
    let streams: [(&str, Vec<review_spec_vocab::fact::Fact>); 2] = [
        ("lossy", stream::lossy(7).take(20_000).collect()),
        ("hostile", stream::hostile(7).take(5_000).collect()),
    ];
    for (name, facts) in &streams {
        for table_entries_max in [16, usize::MAX] {
            let limits = Limits { table_entries_max };
            let mut reducer = Reducer::new(limits);
            let found = first_divergence(&mut reducer, facts, &limits, &Profile::SPEC)
                .expect("the reducer does not fail");
            assert!(
                found.is_none(),
                "{name} under {table_entries_max}: {}",
                found.map(|d| d.to_string()).unwrap_or_default()
            );
        }
    }
}
