//! The harness has teeth: every seeded defect of the reducer (`--features seeded-defects`) is
//! caught by the differential check within a bounded number of generated cases, shrinks to at
//! most 8 facts whose divergence names the defect's rule, and its saved vector replays to a
//! divergence for the defect and to agreement for the real reducer.
//!
//! `REVIEW_SPEC_DEFECT_SEEDS=20 cargo test --all-features --test it defects -- --nocapture`
//! prints the detection table (median cases and wall time to first detection over the seeds);
//! `REVIEW_SPEC_DEFECTS=name,name` hunts only the defects named.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use proptest::strategy::Strategy as _;
use proptest::test_runner::{RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use review_spec::diff::{Divergence, Symptom, first_divergence, minimize};
use review_spec::shrink::delete_facts_while;
use review_spec_generators as generators;
use review_spec_model as model;
use review_spec_reducer::{Defect, NoDefects, Reducer, Seeded};
use review_spec_vocab::event::Limits;
use review_spec_vocab::fact::Fact;
use review_spec_vocab::profile::Profile;

use crate::support::proptest_config;

/// The most generated cases a defect may take to be detected.
const CASES_TO_DETECT_MAX: u32 = 5_000;
/// The most facts a shrunk counterexample may have.
const SHRUNK_FACTS_MAX: usize = 8;

struct Detection {
    cases: u32,
    elapsed: Duration,
    divergence: Divergence,
}

fn hunt(defect: Defect, seed: u64) -> Option<Detection> {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut config = proptest_config(CASES_TO_DETECT_MAX);
    config.cases = CASES_TO_DETECT_MAX;
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let cases = Cell::new(0u32);
    let first_failure = Cell::new(None::<(u32, Duration)>);
    // How the first failure shows: proptest's shrinking keeps only candidates that fail the
    // same way (a candidate that fails otherwise may be another bug: slippage). The blame plays
    // no part.
    let shown = RefCell::new(None::<Symptom>);
    let start = Instant::now();
    let profile = defect.profile();
    let strategy = generators::case().prop_map(move |case| case.expressible_under(&profile));
    // The model and the defective reducer disagree on some output: compared whole, without the
    // explanation `first_divergence` builds (shrinking asks this thousands of times).
    let diverges = |facts: &[Fact], limits: &Limits| {
        model::reduce(facts, limits, &profile)
            != Reducer::with_defect(*limits, defect).ingest_all(facts)
    };
    // How a divergence shows (asked only of diverging cases).
    let symptom_of = |facts: &[Fact], limits: &Limits| {
        let mut reducer = Reducer::with_defect(*limits, defect);
        first_divergence(&mut reducer, facts, limits, &profile)
            .ok()
            .flatten()
            .map(|divergence| divergence.symptom)
    };
    let same_way = |symptom: &Option<Symptom>, first: &Option<Symptom>| match (symptom, first) {
        (Some(symptom), Some(first)) => symptom.same_failure(first),
        _ => false,
    };
    let result = runner.run(&strategy, |case| {
        cases.set(cases.get() + 1);
        if !diverges(&case.facts, &case.limits) {
            return Ok(());
        }
        let symptom = symptom_of(&case.facts, &case.limits);
        if first_failure.get().is_none() {
            first_failure.set(Some((cases.get(), start.elapsed())));
            *shown.borrow_mut() = symptom.clone();
        }
        if !same_way(&symptom, &shown.borrow()) {
            return Ok(());
        }
        Err(TestCaseError::fail("diverges"))
    });
    let Err(TestError::Fail(_, case)) = result else {
        return None;
    };
    let (cases, elapsed) = first_failure.get()?;
    // Facts are deleted with the cheap check first; `diff::minimize`, which explains every
    // candidate it tries, then starts from a handful of facts.
    let facts = delete_facts_while(case.facts, |facts| {
        diverges(facts, &case.limits) && same_way(&symptom_of(facts, &case.limits), &shown.borrow())
    });
    let mut reducer = Reducer::with_defect(case.limits, defect);
    let divergence = first_divergence(&mut reducer, &facts, &case.limits, &profile).ok()??;
    let divergence = minimize(&mut reducer, divergence).ok()?;
    Some(Detection {
        cases,
        elapsed,
        divergence,
    })
}

fn seeds() -> u64 {
    std::env::var("REVIEW_SPEC_DEFECT_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// The defects to hunt: every one, or those `REVIEW_SPEC_DEFECTS` names.
fn hunted() -> Vec<Defect> {
    match std::env::var("REVIEW_SPEC_DEFECTS") {
        Ok(names) => Defect::ALL
            .into_iter()
            .filter(|defect| names.split(',').any(|name| name.trim() == defect.name()))
            .collect(),
        Err(_) => Defect::ALL.to_vec(),
    }
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn defect_vector_path(defect: Defect) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors/regressions")
        .join(format!("defect-{}.json", defect.name().replace('_', "-")))
}

fn save_defect_vector(defect: Defect, case: &review_spec_vocab::trace::VectorCase) {
    let mut case = case.clone();
    case.name = defect.name().replace('_', "-");
    case.description = format!(
        "The shrunk counterexample that catches the seeded defect {} ({}).",
        defect.name(),
        defect.rule()
    );
    let file = review_spec_vocab::trace::VectorFile::new(vec![case]);
    let path = defect_vector_path(defect);
    std::fs::write(&path, review_spec_vocab::trace::write_vector_file(&file))
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

/// Saved counterexamples are values, not seeds: each defect's vector under
/// `spec/vectors/regressions/` still catches it (and the vector suite runs it against the model
/// and the real reducer). `REVIEW_SPEC_SAVE_DEFECT_VECTORS=1` on the hunt below rewrites them.
#[test]
fn every_seeded_defect_is_caught_by_its_saved_vector() {
    let mut problems = Vec::new();
    for defect in Defect::ALL {
        let path = defect_vector_path(defect);
        let file = match review_spec_vocab::trace::read_vector_file(&path) {
            Ok(file) => file,
            Err(error) => {
                problems.push(format!("{}: {error}", defect.name()));
                continue;
            }
        };
        for case in &file.cases {
            let mut reducer = Reducer::with_defect(case.limits, defect);
            let profile = case.profile.unwrap_or_default();
            match first_divergence(&mut reducer, &case.facts, &case.limits, &profile) {
                Ok(Some(divergence)) if divergence.decided_by().contains(&defect.rule()) => {}
                Ok(Some(divergence)) => problems.push(format!(
                    "{}: {} diverges but {} is not among the deciding rules:\n{divergence}",
                    defect.name(),
                    path.display(),
                    defect.rule()
                )),
                other => problems.push(format!(
                    "{}: {} no longer catches it: {other:?}",
                    defect.name(),
                    path.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_seeded_defect_is_caught_and_shrinks_small() {
    let seeds = seeds();
    let mut problems = Vec::new();
    let mut table = vec![
        format!(
            "| defect | rule | caught | median cases | median ms | max shrunk facts | blamed first | worst rule rank |"
        ),
        "|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    let (mut total, mut total_first, mut misses) = (0, 0, Vec::new());
    for defect in hunted() {
        let mut cases = Vec::new();
        let mut millis = Vec::new();
        let mut shrunk_max = 0;
        let mut rank_max = 0;
        let mut blamed_first = 0;
        for seed in 0..seeds {
            let Some(detection) = hunt(defect, 0x5eed_0000 + seed) else {
                problems.push(format!(
                    "{} ({}) not caught within {CASES_TO_DETECT_MAX} cases, seed {seed}",
                    defect.name(),
                    defect.rule()
                ));
                continue;
            };
            let shrunk = &detection.divergence;
            if shrunk.facts.len() > SHRUNK_FACTS_MAX {
                problems.push(format!(
                    "{} shrank only to {} facts (seed {seed}):\n{shrunk}",
                    defect.name(),
                    shrunk.facts.len()
                ));
            }
            // The rule the defect breaks should be named first (rank 1): counted, and held to
            // a share over all defects and seeds below.
            let rank = shrunk
                .rules
                .iter()
                .position(|rule| *rule == defect.rule())
                .map_or(usize::MAX, |position| position + 1);
            if rank != 1 {
                misses.push(format!(
                    "{} ({}) blamed first on {:?} (seed {seed}): {}",
                    defect.name(),
                    defect.rule(),
                    shrunk.decided_by(),
                    shrunk.symptom
                ));
            }
            rank_max = rank_max.max(rank);
            blamed_first += usize::from(rank == 1);
            total_first += usize::from(rank == 1);
            total += 1;
            // 1-minimal: deleting any one fact makes the defect agree, or fail another way.
            match review_spec::diff::one_fact_deletable(
                &mut Reducer::with_defect(shrunk.limits, defect),
                shrunk,
            ) {
                Ok(None) => {}
                Ok(Some(index)) => problems.push(format!(
                    "{} (seed {seed}): still fails the same way without fact {index}:\n{shrunk}",
                    defect.name()
                )),
                Err(error) => problems.push(format!("{}: {error}", defect.name())),
            }
            let vector = shrunk.to_vector_case(defect.name(), "tests/it/defects.rs");
            let profile = defect.profile();
            let replays = first_divergence(
                &mut Reducer::with_defect(vector.limits, defect),
                &vector.facts,
                &vector.limits,
                &profile,
            );
            if !matches!(replays, Ok(Some(_))) {
                problems.push(format!(
                    "{}: the saved vector does not replay to a divergence",
                    defect.name()
                ));
            }
            let real = first_divergence(
                &mut Reducer::with_profile(vector.limits, profile),
                &vector.facts,
                &vector.limits,
                &profile,
            );
            if !matches!(real, Ok(None)) {
                problems.push(format!(
                    "{}: the real reducer disagrees with the model on the saved vector",
                    defect.name()
                ));
            }
            if seed == 0 && seeds == 1 {
                println!("{} ({}):\n{shrunk}", defect.name(), defect.rule());
            }
            if seed == 0 && std::env::var_os("REVIEW_SPEC_SAVE_DEFECT_VECTORS").is_some() {
                save_defect_vector(defect, &vector);
            }
            cases.push(detection.cases);
            millis.push(detection.elapsed.as_millis());
            shrunk_max = shrunk_max.max(shrunk.facts.len());
        }
        if !cases.is_empty() {
            table.push(format!(
                "| {} | {} | {}/{seeds} | {} | {} | {shrunk_max} | {blamed_first}/{} | {} |",
                defect.name(),
                defect.rule(),
                cases.len(),
                median(&mut cases),
                median(&mut millis),
                cases.len(),
                if rank_max == usize::MAX {
                    "absent".to_owned()
                } else {
                    rank_max.to_string()
                }
            ));
        }
    }
    println!("{}", table.join("\n"));
    println!("own rule first: {total_first}/{total}");
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert!(
        total_first * 10 >= total * 9,
        "own rule first in {total_first} of {total} shrunk divergences (under 90 %):\n{}",
        misses.join("\n")
    );
}

/// Each property of `properties.rs`, with a seeded defect that breaks the rule it guards.
const PROPERTY_DEFECTS: [(&str, Defect); 7] = [
    ("dedup", Defect::DuplicateGuardianCounted),
    ("empty_grant_denial", Defect::EmptyGrantApproved),
    ("network_classification", Defect::NetworkAsCommand),
    ("thread_isolation", Defect::SummaryKeyWithoutThread),
    ("conservation", Defect::ResponseAfterAbortCounted),
    ("closing_facts_answer", Defect::SilentOrphan),
    ("bounded_state", Defect::BoundIgnored),
];

#[test]
fn every_property_fails_on_the_defect_it_guards_against() {
    let mut problems = Vec::new();
    // The same property, instantiated for the defective reducer and for the real one.
    let defective = crate::properties::properties::<Seeded>();
    let correct = crate::properties::properties::<NoDefects>();
    for ((name, property), (_, property_of_real)) in defective.into_iter().zip(correct) {
        let Some((_, defect)) = PROPERTY_DEFECTS.iter().find(|(n, _)| *n == name) else {
            problems.push(format!(
                "property {name} has no defect that shows it can fail"
            ));
            continue;
        };
        let mut config = proptest_config(CASES_TO_DETECT_MAX);
        config.cases = CASES_TO_DETECT_MAX;
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
        let make = |limits| Reducer::with_defect(limits, *defect);
        let real = |limits| Reducer::new(limits);
        match runner.run(&generators::case(), |case| property(&make, &case)) {
            Err(TestError::Fail(reason, case)) => {
                println!(
                    "{name} catches {} ({}): {reason}\n{case:?}",
                    defect.name(),
                    defect.rule()
                );
                if let Err(error) = property_of_real(&real, &case) {
                    problems.push(format!("{name} fails on the real reducer too: {error}"));
                }
            }
            other => problems.push(format!(
                "{name} did not catch {} within {CASES_TO_DETECT_MAX} cases: {other:?}",
                defect.name()
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A reducer with a seeded defect that, like upstream's, emits events only.
struct EventsOnly(Reducer<Seeded>);

impl review_spec::subject::Subject for EventsOnly {
    fn name(&self) -> String {
        format!("{}, events only", self.0.defect().name())
    }

    fn reset(
        &mut self,
        limits: Limits,
        profile: &review_spec_vocab::profile::Profile,
    ) -> Result<(), review_spec::subject::SubjectError> {
        self.0.reset(limits, *profile);
        Ok(())
    }

    fn emits(&self) -> review_spec_vocab::event::OutputKinds {
        review_spec_vocab::event::OutputKinds::EVENTS
    }

    fn ingest(
        &mut self,
        _fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<review_spec_vocab::event::Output>,
    ) -> Result<(), review_spec::subject::SubjectError> {
        self.0.ingest(fact, outputs);
        outputs.retain(|output| !matches!(output, review_spec_vocab::event::Output::Diagnostic(_)));
        Ok(())
    }
}

/// The vector cases that fail under `upstream` against `defect`, compared on events only (as
/// upstream's reducer is), by full name.
fn upstream_vector_failures(defect: Defect) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors");
    let suite = review_spec::conformance::Suite::load(&dir).expect("the vectors load");
    let options = review_spec::conformance::VectorOptions {
        profile: review_spec_vocab::profile::Profile::UPSTREAM,
        max_failures: 0,
        ..Default::default()
    };
    let mut subject = EventsOnly(Reducer::with_defect(Limits::default(), defect));
    let summary =
        review_spec::conformance::run_vectors(&mut subject, &suite, &options, &mut |_| {})
            .expect("the vectors run");
    summary
        .failures
        .into_iter()
        .map(|failure| failure.name)
        .collect()
}

/// Under `upstream`, compared on events only as upstream's own reducer is, SUM-5 and SUM-6 each
/// decide alone in a vector case: a reducer that takes an item's network flag from its last
/// review, or that leaves the summary after the terminal event, fails that case and no other
/// (besides the defect's own saved counterexample), and the model applies no rule there beyond
/// the happy path's (the traceability baseline).
#[test]
fn under_upstream_a_vector_catches_each_summary_defect_alone() {
    let cases = [
        (
            Defect::NetworkFlagFromLastReview,
            "sum/sum-5-flags-ored/network-from-the-first-review-only",
        ),
        (
            Defect::SummaryLeftAfterEvent,
            "sum/sum-6-terminal-event-consumes/later-completion-of-the-same-key",
        ),
    ];
    let vectors = crate::vectors::load_all();
    for (defect, name) in cases {
        let own = format!(
            "regressions/{}",
            defect_vector_path(defect)
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let failures: Vec<String> = upstream_vector_failures(defect)
            .into_iter()
            .filter(|failure| !failure.starts_with(&own))
            .collect();
        assert_eq!(failures, [name], "{} under upstream", defect.name());
        let case = vectors
            .iter()
            .flat_map(|(file, _, vector)| {
                vector
                    .cases
                    .iter()
                    .filter(move |case| format!("{file}/{}", case.name) == name)
            })
            .next()
            .unwrap_or_else(|| panic!("no vector case {name}"));
        let hits = model::reduce_explained(&case.facts, &case.limits, &Profile::UPSTREAM).rule_hits;
        let others: Vec<&str> = hits
            .keys()
            .copied()
            .filter(|rule| !crate::traceability::BASELINE_RULES.contains(rule))
            .collect();
        assert!(
            hits.contains_key(defect.rule()) && others.is_empty(),
            "{name} under upstream: {} applies with {others:?}",
            defect.rule()
        );
    }
}

/// Each defect's exposing trace diverges, and the differ names the defect's own rule among the
/// rules that decided the first divergence.
#[test]
fn the_differ_names_each_defects_rule_on_its_exposing_trace() {
    let mut problems = Vec::new();
    for defect in Defect::ALL {
        let (limits, text) = defect.exposing_trace();
        let facts =
            review_spec_vocab::trace::parse_trace(&format!("{{\"review_spec_trace\": 3}}\n{text}"))
                .expect("an exposing trace parses")
                .facts;
        let mut broken = Reducer::with_defect(limits, defect);
        match first_divergence(&mut broken, &facts, &limits, &defect.profile()) {
            Ok(Some(divergence)) if divergence.rules.contains(&defect.rule()) => {}
            other => problems.push(format!("{}: {other:?}", defect.name())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Defect names are unique, and each defect's rule is a rule of `spec/rules.md`.
#[test]
fn defect_names_are_unique_and_their_rules_exist_in_the_spec() {
    let rules = include_str!("../../spec/rules.md");
    let mut names: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Defect::ALL.len());
    for defect in Defect::ALL {
        let heading = format!("### {} ", defect.rule());
        assert!(rules.contains(&heading), "{}: no {heading}", defect.name());
    }
}
