//! The reach of the departures: every departure is *discriminated* (the model's outputs change
//! with that one departure switched, `check::discriminated`) in at least 1 % of the default
//! generator's cases, under both bases, on fixed seeds; and the model's record of the
//! departures it consulted, which keeps the count cheap, leaves none out.
//!
//! `cargo test --test it reach -- --nocapture` prints the shares.

use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use review_spec::check::{CheckOptions, Seed, discriminated, run_check};
use review_spec::report::DepartureReach;
use review_spec::subject::Subject;
use review_spec_generators::{self as generators, GeneratedCase};
use review_spec_model as model;
use review_spec_reducer::Reducer;
use review_spec_vocab::event::Limits;
use review_spec_vocab::profile::{Departure, Profile};

/// Cases of `check`'s run (the generator `check` draws from) on which the share is held.
const CHECK_CASES: u64 = 1_000;
/// Cases of the proptest generator (`generators::case`, the differential tests') likewise.
const PROPTEST_CASES: usize = 600;
/// The least share of cases that must discriminate each departure, in per mille.
const SHARE_MIN_PERMILLE: u64 = 10;

fn bases() -> [Profile; 2] {
    [Profile::SPEC, Profile::UPSTREAM]
}

/// `count` cases of the proptest generator on a fixed seed, for `profile`.
fn proptest_cases(profile: Profile, count: usize) -> Vec<GeneratedCase> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strategy = generators::case();
    (0..count)
        .map(|_| match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current().expressible_under(&profile),
            Err(reason) => panic!("the generator failed: {reason}"),
        })
        .collect()
}

/// The departures whose share of `reach` is under the minimum, with their counts.
fn too_rare(reach: &DepartureReach) -> Vec<String> {
    Departure::ALL
        .into_iter()
        .filter(|departure| reach.of(*departure) * 1000 < reach.cases * SHARE_MIN_PERMILLE)
        .map(|departure| {
            format!(
                "{} in {} of {} cases",
                departure.rule(),
                reach.of(departure),
                reach.cases
            )
        })
        .collect()
}

/// `check`'s own count, as it reports it: a default-sized run of the production reducer (which
/// agrees with the model) under each base.
#[test]
fn every_departure_is_discriminated_in_one_percent_of_check_s_cases() {
    let mut problems = Vec::new();
    for profile in bases() {
        let mut options = CheckOptions::new(Seed::parse("1").expect("a seed"), CHECK_CASES);
        options.profile = profile;
        options.jobs = 2;
        let make = || Ok(Box::new(Reducer::new(Limits::default())) as Box<dyn Subject>);
        let summary = run_check(&make, &options, &mut |_| {}).expect("the reducer starts");
        assert!(summary.failures.is_empty(), "{}", summary.to_text());
        let reach = summary
            .departure_reach
            .clone()
            .expect("check reports the reach");
        assert_eq!(reach.cases, CHECK_CASES);
        println!("check --seed 1 --profile {profile}:\n{}", summary.to_text());
        for rare in too_rare(&reach) {
            problems.push(format!("check --seed 1 --profile {profile}: {rare}"));
        }
    }
    assert!(problems.is_empty(), "under 1 %:\n{}", problems.join("\n"));
}

/// The proptest generator (the differential tests', the departure hunts') reaches them too.
#[test]
fn every_departure_is_discriminated_in_one_percent_of_the_proptest_generator_s_cases() {
    let mut problems = Vec::new();
    for profile in bases() {
        let mut reach = DepartureReach::default();
        for case in proptest_cases(profile, PROPTEST_CASES) {
            let reduction = model::reduce_counting(&case.facts, &case.limits, &profile);
            reach.count(&discriminated(
                &case.facts,
                &case.limits,
                &profile,
                &reduction,
            ));
        }
        let shares: Vec<String> = Departure::ALL
            .into_iter()
            .map(|departure| format!("{} {}", departure.rule(), reach.of(departure)))
            .collect();
        println!(
            "generators::case() under {profile}, {} cases: {}",
            reach.cases,
            shares.join(", ")
        );
        for rare in too_rare(&reach) {
            problems.push(format!("generators::case() under {profile}: {rare}"));
        }
    }
    assert!(problems.is_empty(), "under 1 %:\n{}", problems.join("\n"));
}

/// What keeps the count cheap is sound: a departure the model did not consult on a case never
/// changes its outputs when switched, under either base or with departures switched.
#[test]
fn a_departure_the_model_did_not_consult_changes_nothing() {
    let mut problems = Vec::new();
    let profiles = [
        Profile::SPEC,
        Profile::UPSTREAM,
        Profile::UPSTREAM.departing(Departure::Turn1),
    ];
    for profile in profiles {
        for (index, case) in proptest_cases(profile, 300).into_iter().enumerate() {
            let reduction = model::reduce_counting(&case.facts, &case.limits, &profile);
            for departure in Departure::ALL {
                if reduction.departures_consulted.contains(&departure) {
                    continue;
                }
                let switched =
                    model::reduce(&case.facts, &case.limits, &profile.switching(departure));
                if switched != reduction.outputs {
                    problems.push(format!(
                        "case {index} under {profile}: {} not consulted, yet switching it \
                         changes the outputs:\n{case:?}",
                        departure.rule()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
