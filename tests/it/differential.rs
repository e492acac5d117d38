//! Model vs production reducer on generated coherent fact sequences (with chaos and swarm
//! configurations). A failure is minimized, printed with its diff and rule IDs, and saved as a
//! regression vector under `spec/vectors/regressions/`, which `cargo test` then runs forever.

use proptest::prelude::*;
use review_spec::diff::{Divergence, first_divergence, minimize};
use review_spec::generators;
use review_spec::profile::{Base, Departure, Profile};
use review_spec::reducer::Reducer;
use review_spec::trace::{VectorFile, write_vector_file};

use crate::support::proptest_config;

/// Writes a divergence as a one-case vector file under `spec/vectors/regressions/` and returns
/// its path.
pub fn save_regression(divergence: &Divergence, found_by: &str) -> String {
    let text = serde_json::to_string(&divergence.facts).unwrap_or_default();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let rule = divergence
        .rules
        .first()
        .copied()
        .unwrap_or("none")
        .to_lowercase();
    let name = format!("{rule}-{hash:016x}");
    let case = divergence.to_vector_case(&name, found_by);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/regressions");
    let path = dir.join(format!("{name}.json"));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, write_vector_file(&VectorFile::new(vec![case]))));
    match written {
        Ok(()) => path.display().to_string(),
        Err(error) => format!("(not saved: {error})"),
    }
}

proptest! {
    #![proptest_config(proptest_config(512))]

    /// The production reducer's outputs equal the model's on every generated sequence.
    #[test]
    fn reducer_agrees_with_model(case in generators::case()) {
        let mut reducer = Reducer::new(case.limits);
        let divergence = first_divergence(&mut reducer, &case.facts, &case.limits, &Profile::SPEC)
            .expect("the in-process reducer never fails");
        if let Some(divergence) = divergence {
            let divergence = minimize(&mut reducer, divergence).expect("the in-process reducer never fails");
            let path = save_regression(&divergence, "tests/it/differential.rs reducer_agrees_with_model");
            prop_assert!(false, "{divergence}\nsaved as {path}");
        }
    }

    /// The same under every profile: either base with any set of departures switched, the case
    /// drawn with only the facts the base can express.
    #[test]
    fn reducer_agrees_with_model_under_any_profile(
        (case, profile) in (generators::case(), profile())
    ) {
        let case = case.expressible_under(&profile);
        let mut reducer = Reducer::with_profile(case.limits, profile);
        let divergence = first_divergence(&mut reducer, &case.facts, &case.limits, &profile)
            .expect("the in-process reducer never fails");
        if let Some(divergence) = divergence {
            let divergence = minimize(&mut reducer, divergence).expect("the in-process reducer never fails");
            let path = save_regression(&divergence, "tests/it/differential.rs reducer_agrees_with_model_under_any_profile");
            prop_assert!(false, "{divergence}\nsaved as {path}");
        }
    }
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
    use review_spec::event::Limits;
    use review_spec::generators::stream;
    let streams: [(&str, Vec<review_spec::fact::Fact>); 2] = [
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
