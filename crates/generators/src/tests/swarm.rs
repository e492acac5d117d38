//! Swarm configurations: they restrict fact kinds, every swarm feature is on in some cases and
//! off in others, id ranges are one to one, and clocks run where they say.

use std::collections::BTreeSet;

use super::support::{SEED, generated_cases, sample, unstructured_sample};
use crate::fact::Fact;
use crate::swarm::{ChaosKinds, Clock, FactKinds, IdRange, SwarmConfig};
use crate::{case_with, scenario};

#[test]
fn swarm_config_restricts_fact_kinds() {
    let cases = generated_cases();
    let mut restricted = 0;
    for case in cases {
        if case.swarm.fact_kinds != FactKinds::ALL {
            restricted += 1;
        }
        for fact in &case.facts {
            assert!(
                case.swarm.fact_kinds.contains(fact),
                "{} appears although disabled in {case:?}",
                fact.type_name()
            );
        }
    }
    assert!(restricted * 4 >= cases.len(), "too few restricted configs");

    // A narrow configuration with every chaos operation (which inserts responses and requests)
    // still yields only the enabled kinds.
    let narrow = SwarmConfig {
        fact_kinds: FactKinds::NONE
            .with("thread_bound")
            .with("command_execution_request")
            .with("request_aborted"),
        chaos: ChaosKinds::ALL,
        ..SwarmConfig::default()
    };
    let mut kinds = BTreeSet::new();
    for case in sample(case_with(narrow), 300, SEED) {
        kinds.extend(case.facts.iter().map(Fact::type_name));
    }
    let expected: BTreeSet<&str> = narrow.fact_kinds.names().collect();
    assert_eq!(kinds, expected);

    // `scenario` on its own filters too.
    for facts in sample(scenario(&narrow), 300, SEED) {
        assert!(facts.iter().all(|fact| narrow.allows(fact)));
    }
}

/// Whether a swarm configuration switches one feature on.
type SwarmFeature = fn(&SwarmConfig) -> bool;

#[test]
fn every_swarm_feature_is_on_in_some_cases_and_off_in_others() {
    for (name, cases) in [
        ("case()", generated_cases()),
        ("case_from_unstructured", unstructured_sample()),
    ] {
        let features: [(&str, SwarmFeature); 10] = [
            ("connections > 3", |swarm| swarm.connections > 3),
            ("items/turn > 3", |swarm| swarm.items_per_turn > 3),
            ("ids past 2^53", |swarm| {
                matches!(swarm.ids, IdRange::PastF64 { .. })
            }),
            ("ids near u64::MAX", |swarm| {
                matches!(swarm.ids, IdRange::NearMax { .. })
            }),
            ("clock from 0", |swarm| swarm.clock == Clock::Zero),
            ("late clock", |swarm| {
                matches!(swarm.clock, Clock::Late { .. })
            }),
            ("limits 9..=4095", |swarm| {
                (9..=4095).contains(&swarm.limits.table_entries_max)
            }),
            ("guardian_late_copy", |swarm| {
                swarm.chaos.contains(crate::ChaosKind::GuardianLateCopy)
            }),
            ("guardian_other_turn", |swarm| {
                swarm.chaos.contains(crate::ChaosKind::GuardianOtherTurn)
            }),
            ("guardian_after_turn_end", |swarm| {
                swarm.chaos.contains(crate::ChaosKind::GuardianAfterTurnEnd)
            }),
        ];
        for (feature, on) in features {
            let count = cases.iter().filter(|case| on(&case.swarm)).count();
            println!("{name}: {feature:<25} on in {count} of {}", cases.len());
            // On in at least 5 % of the cases, off in at least half.
            assert!(count * 20 >= cases.len(), "{name}: {feature} too rare");
            assert!(count * 2 <= cases.len(), "{name}: {feature} too common");
        }
    }
}

#[test]
fn id_ranges_are_one_to_one_and_past_2_53_collide_as_f64() {
    let ranges = [
        IdRange::Small,
        IdRange::PastF64 { offset: -2 },
        IdRange::PastF64 { offset: 2 },
        IdRange::NearMax { below: 0 },
        IdRange::NearMax { below: u8::MAX },
    ];
    for range in ranges {
        let ids: BTreeSet<u64> = (1..=1_000).map(|number| range.id(number)).collect();
        assert_eq!(ids.len(), 1_000, "{range} maps two numbers to one id");
    }
    assert_eq!(IdRange::NearMax { below: 0 }.id(1), u64::MAX);
    let past = IdRange::PastF64 { offset: 0 };
    assert_eq!(past.id(1), 1 << 53);
    assert_eq!(past.id(1) as f64, past.id(2) as f64);
}

#[test]
fn clocks_start_at_zero_and_end_near_the_end_of_time() {
    for clock in [Clock::Zero, Clock::Late { below: 7 }] {
        let config = SwarmConfig {
            clock,
            ..SwarmConfig::default()
        };
        let mut checked = 0;
        for plan in sample(crate::scenario_plan(&config), 200, SEED) {
            // Only plans on the clock: no anomaly, no completion stamped negative on purpose.
            let negative_first = plan.episodes.iter().any(|episode| match episode {
                crate::Episode::Turn(turn) => turn.items.iter().any(|item| {
                    matches!(
                        item.lifecycle,
                        crate::episode::ItemLifecycle::Completed {
                            negative_first: true,
                            ..
                        }
                    )
                }),
                _ => false,
            });
            if !plan.timeline.anomalies.is_empty() || negative_first {
                continue;
            }
            let times: Vec<i64> = crate::render(&plan, &config)
                .iter()
                .filter_map(Fact::timestamp_ms)
                .collect();
            let (Some(first), Some(last)) = (times.first(), times.iter().max()) else {
                continue;
            };
            checked += 1;
            match clock {
                Clock::Zero => assert_eq!(*first, 0, "{times:?}"),
                _ => assert!(*last <= i64::MAX - 7 && *last > i64::MAX - 7 - 30_000),
            }
            assert!(times.iter().all(|at_ms| *at_ms >= 0));
        }
        assert!(
            checked > 50,
            "{clock}: only {checked} plans without anomalies"
        );
    }
}
