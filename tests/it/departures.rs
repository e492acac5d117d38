//! `decided by` names each departure from upstream that an upstream-like reducer takes: a
//! reducer pinned to plain `upstream` whatever the profile says, compared on events only (as
//! upstream's own reducer is), checked under `upstream` with one departure switched to the spec
//! (`--profile upstream --depart RULE`). Every divergence is the departure's rule at work; the
//! rule must be named first.
//!
//! `REVIEW_SPEC_DEPARTURE_SEEDS=10 cargo test --test it departures -- --nocapture` prints the
//! table over ten seeds (the default runs two).
//!
//! The same reducer also measures how soon `check` shows each departure: the cases of a seeded
//! `check --profile upstream --depart RULE` run (drawn as `check` draws them) up to the first
//! one on which the model and the pinned reducer differ.
//! `cargo test --release --test it cases_to_show -- --nocapture` prints the medians over
//! `check --seed 1` to `--seed 10` (`REVIEW_SPEC_REACH_SEEDS=N` for `--seed 1` to `N`).

use std::cell::RefCell;

use proptest::strategy::Strategy as _;
use proptest::test_runner::{RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use review_spec::check::{CaseSeeds, CheckOptions, Seed, run_check};
use review_spec::diff::{Divergence, Symptom, first_divergence, minimize};
use review_spec::shrink::delete_facts_while;
use review_spec::subject::{Subject, SubjectError};
use review_spec_generators as generators;
use review_spec_model as model;
use review_spec_reducer::Reducer;
use review_spec_vocab::event::{Limits, Output, OutputKinds};
use review_spec_vocab::fact::Fact;
use review_spec_vocab::profile::{Departure, Profile};

use crate::support::proptest_config;

/// The most generated cases a departure may take to show.
const CASES_MAX: u32 = 20_000;

/// The production reducer on plain `upstream` whatever it is asked to follow, emitting events
/// only.
struct PinnedUpstream(Reducer);

impl Subject for PinnedUpstream {
    fn name(&self) -> String {
        "reducer pinned to upstream, events only".to_owned()
    }

    fn reset(&mut self, limits: Limits, _profile: &Profile) -> Result<(), SubjectError> {
        self.0 = Reducer::with_profile(limits, Profile::UPSTREAM);
        Ok(())
    }

    fn emits(&self) -> OutputKinds {
        OutputKinds::EVENTS
    }

    fn ingest(
        &mut self,
        fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        let _ = fact_index;
        self.0.ingest(fact, outputs);
        outputs.retain(|output| !matches!(output, Output::Diagnostic(_)));
        Ok(())
    }
}

fn pinned(limits: Limits) -> PinnedUpstream {
    PinnedUpstream(Reducer::with_profile(limits, Profile::UPSTREAM))
}

/// The first divergence the departure shows on seed `seed`, shrunk on its symptom.
fn hunt(departure: Departure, seed: u64) -> Option<Divergence> {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut config = proptest_config(CASES_MAX);
    config.cases = CASES_MAX;
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let profile = Profile::UPSTREAM.departing(departure);
    let strategy = generators::case().prop_map(move |case| case.expressible_under(&profile));
    let events = |outputs: Vec<review_spec_vocab::event::Emitted>| {
        let mut outputs = outputs;
        OutputKinds::EVENTS.retain(&mut outputs);
        outputs
    };
    let diverges = |facts: &[Fact], limits: &Limits| {
        events(model::reduce(facts, limits, &profile))
            != events(Reducer::with_profile(*limits, Profile::UPSTREAM).ingest_all(facts))
    };
    let symptom_of = |facts: &[Fact], limits: &Limits| {
        first_divergence(&mut pinned(*limits), facts, limits, &profile)
            .ok()
            .flatten()
            .map(|divergence| divergence.symptom)
    };
    let shown = RefCell::new(None::<Symptom>);
    let same_way = |symptom: &Option<Symptom>| match (symptom, &*shown.borrow()) {
        (Some(symptom), Some(first)) => symptom.same_failure(first),
        _ => false,
    };
    let result = runner.run(&strategy, |case| {
        if !diverges(&case.facts, &case.limits) {
            return Ok(());
        }
        let symptom = symptom_of(&case.facts, &case.limits);
        if shown.borrow().is_none() {
            *shown.borrow_mut() = symptom.clone();
        }
        if !same_way(&symptom) {
            return Ok(());
        }
        Err(TestCaseError::fail("diverges"))
    });
    let Err(TestError::Fail(_, case)) = result else {
        return None;
    };
    let facts = delete_facts_while(case.facts, |facts| {
        diverges(facts, &case.limits) && same_way(&symptom_of(facts, &case.limits))
    });
    let mut subject = pinned(case.limits);
    let divergence = first_divergence(&mut subject, &facts, &case.limits, &profile).ok()??;
    minimize(&mut subject, divergence).ok()
}

fn seeds() -> u64 {
    std::env::var("REVIEW_SPEC_DEPARTURE_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

#[test]
fn each_departure_is_named_first_against_a_reducer_pinned_to_upstream() {
    let seeds = seeds();
    let mut table = vec![
        "| departure | shown | named first | blamed otherwise |".to_owned(),
        "|---|---|---|---|".to_owned(),
    ];
    let mut problems = Vec::new();
    for departure in Departure::ALL {
        let (mut shown, mut first, mut otherwise) = (0, 0, Vec::new());
        for seed in 0..seeds {
            let Some(divergence) = hunt(departure, 0xde9a_0000 + seed) else {
                continue;
            };
            shown += 1;
            match divergence.decided_by().first() {
                Some(rule) if *rule == departure.rule() => first += 1,
                blamed => {
                    otherwise.push(format!("{blamed:?} ({})", divergence.symptom));
                    problems.push(format!("{} (seed {seed}):\n{divergence}", departure.rule()));
                }
            }
        }
        table.push(format!(
            "| {} | {shown}/{seeds} | {first}/{seeds} | {} |",
            departure.rule(),
            otherwise.join("; ")
        ));
        // At least nine in ten seeds (all of them on fewer than ten).
        if first * 10 < seeds * 9 {
            problems.push(format!(
                "{} named first on {first} of {seeds} seeds: {}",
                departure.rule(),
                otherwise.join("; ")
            ));
        }
    }
    println!("{}", table.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The most cases a seeded run is searched for a departure to show.
const REACH_CASES_MAX: u64 = 20_000;
/// The most cases `check` may need, on the median seed, to show a departure.
const CASES_TO_SHOW_MEDIAN_MAX: u64 = 100;

fn reach_seeds() -> u64 {
    std::env::var("REVIEW_SPEC_REACH_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// How many cases `check --seed SEED --profile upstream --depart RULE` runs against the pinned
/// reducer up to and including its first failing case (None within `REACH_CASES_MAX`).
fn cases_to_show(departure: Departure, seed: &Seed) -> Option<u64> {
    let profile = Profile::UPSTREAM.departing(departure);
    let events = |mut outputs: Vec<review_spec_vocab::event::Emitted>| {
        OutputKinds::EVENTS.retain(&mut outputs);
        outputs
    };
    CaseSeeds::new(seed, 0)
        .take_while(|(index, _)| *index < REACH_CASES_MAX)
        .find(|(_, case_seed)| {
            let case = generators::case_from_seed(*case_seed).expressible_under(&profile);
            let mut pinned = Reducer::with_profile(case.limits, Profile::UPSTREAM);
            events(model::reduce(&case.facts, &case.limits, &profile))
                != events(pinned.ingest_all(&case.facts))
        })
        .map(|(index, _)| index + 1)
}

/// The cases `check` needs to show each departure against a reducer that follows plain
/// upstream, over seeds 1..=N: every departure shows within `CASES_TO_SHOW_MEDIAN_MAX` cases on
/// the median seed (the mean of the middle two for an even number of seeds). The count is
/// `check`'s own: `run_check` stops after as many cases.
#[test]
fn cases_to_show_each_departure_against_a_reducer_pinned_to_upstream() {
    let seeds = reach_seeds();
    let mut table = vec![
        format!("| departure | median cases | max cases | within 1,000 | seeds {seeds} |"),
        "|---|---|---|---|---|".to_owned(),
    ];
    let mut problems = Vec::new();
    for departure in Departure::ALL {
        let mut counts: Vec<u64> = (1..=seeds)
            .map(|seed| {
                let seed = Seed::parse(&seed.to_string()).expect("a decimal seed");
                cases_to_show(departure, &seed).unwrap_or(u64::MAX)
            })
            .collect();
        counts.sort_unstable();
        let middle = counts.len() / 2;
        let median = if counts.len().is_multiple_of(2) {
            let (low, high) = (counts[middle - 1], counts[middle]);
            low.saturating_add(high).div_ceil(2)
        } else {
            counts[middle]
        };
        let within = counts.iter().filter(|count| **count <= 1_000).count();
        let shown = |count: u64| {
            if count == u64::MAX {
                format!("> {REACH_CASES_MAX}")
            } else {
                count.to_string()
            }
        };
        table.push(format!(
            "| {} | {} | {} | {within}/{seeds} | {counts:?} |",
            departure.rule(),
            shown(median),
            shown(counts[counts.len() - 1]),
        ));
        if median > CASES_TO_SHOW_MEDIAN_MAX {
            problems.push(format!(
                "{} needs {} cases on the median seed (of {seeds})",
                departure.rule(),
                shown(median)
            ));
        }
    }
    println!("{}", table.join("\n"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The count above is the one `check` reports: run through `run_check` against the pinned
/// reducer, the run fails at the same case.
#[test]
fn cases_to_show_is_what_check_counts() {
    let departure = Departure::Turn1;
    let seed = Seed::parse("1").expect("a decimal seed");
    let expected = cases_to_show(departure, &seed).expect("TURN-1 shows");
    let mut options = CheckOptions::new(seed, expected + 50);
    options.profile = Profile::UPSTREAM.departing(departure);
    let make = || Ok(Box::new(pinned(Limits::default())) as Box<dyn Subject>);
    let summary = run_check(&make, &options, &mut |_| {}).expect("the subject starts");
    assert_eq!(summary.failures.len(), 1, "{}", summary.to_text());
    assert_eq!(
        u64::try_from(summary.cases).ok(),
        Some(expected),
        "{}",
        summary.to_text()
    );
}
