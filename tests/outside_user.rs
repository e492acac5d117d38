//! review-spec as an implementer's Rust project uses it: a dev-dependency (built without its
//! `cli` feature: `cargo test --no-default-features --test outside_user`), their reducer behind
//! the `Subject` trait, and the bundled conformance suite run from a `#[test]` through the
//! root's re-exports alone, and `check` on generated cases from a seed. A reducer that gets GRANT-1 wrong is
//! caught, by rule, in the report, the same whatever the number of worker threads.

use review_spec::vocab::event::ReviewStatus;
use review_spec::{
    CheckEvent, CheckOptions, Fact, Filter, Limits, Output, Profile, Progress, Reducer, Seed,
    Subject, SubjectError, Suite, VectorOptions, run_check, run_vectors,
};

/// "Their" reducer: review-spec's production reducer stands in for it, behind an adapter, the
/// way an implementer wraps their own. With `approve_empty_grants`, it approves an empty
/// permissions grant (the GRANT-1 bug the first implementation had).
struct TheirReducer {
    inner: Reducer,
    approve_empty_grants: bool,
}

impl Subject for TheirReducer {
    fn name(&self) -> String {
        "their reducer".to_owned()
    }

    fn reset(&mut self, limits: Limits, profile: &Profile) -> Result<(), SubjectError> {
        self.inner.reset(limits, *profile);
        Ok(())
    }

    fn ingest(
        &mut self,
        _fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        let first = outputs.len();
        self.inner.ingest(fact, outputs);
        let empty_grant = matches!(fact, Fact::EffectivePermissionsResponse { permissions, .. }
            if permissions.network.is_none() && permissions.file_system.is_none());
        if self.approve_empty_grants && empty_grant {
            for output in &mut outputs[first..] {
                if let Output::Review(review) = output {
                    review.status = ReviewStatus::Approved;
                }
            }
        }
        Ok(())
    }
}

/// The vectors shipped inside the crate: no checkout path, as from a git dependency.
fn suite() -> Suite {
    Suite::bundled().unwrap_or_else(|error| panic!("{error}"))
}

fn their_reducer(approve_empty_grants: bool) -> TheirReducer {
    TheirReducer {
        inner: Reducer::new(Limits::default()),
        approve_empty_grants,
    }
}

#[test]
fn a_conforming_reducer_passes_every_vector() {
    let mut cases = 0;
    let report = run_vectors(
        &mut their_reducer(false),
        &suite(),
        &VectorOptions::default(),
        &mut |progress| {
            if let Progress::Case { .. } = progress {
                cases += 1;
            }
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(report.failures.is_empty(), "{}", report.to_text());
    assert!(report.cases > 100, "{} cases", report.cases);
    assert_eq!(cases, report.cases + report.skipped.len());
}

#[test]
fn a_reducer_that_approves_empty_grants_fails_on_grant_1() {
    let options = VectorOptions {
        filter: Filter::parse(Some("grant")),
        max_failures: 0,
        ..VectorOptions::default()
    };
    let report = run_vectors(&mut their_reducer(true), &suite(), &options, &mut |_| {})
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        !report.failures.is_empty(),
        "the GRANT-1 bug must be caught"
    );
    assert!(
        report
            .failures
            .iter()
            .all(|failure| failure.rules.iter().any(|rule| rule == "GRANT-1")),
        "{}",
        report.to_text()
    );
    let tally = report
        .by_rule
        .as_ref()
        .and_then(|by_rule| by_rule.get("GRANT-1"));
    assert!(
        tally.is_some_and(|tally| tally.failed > 0),
        "{}",
        report.to_text()
    );
    assert!(report.to_text().contains("GRANT-1"));
}

/// A reducer that reports an error of its own is a failing case, named with its fact.
struct FailingReducer;

impl Subject for FailingReducer {
    fn name(&self) -> String {
        "failing reducer".to_owned()
    }

    fn reset(&mut self, _limits: Limits, _profile: &Profile) -> Result<(), SubjectError> {
        Ok(())
    }

    fn ingest(
        &mut self,
        fact_index: usize,
        _fact: &Fact,
        _outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        Err(SubjectError::Failed {
            subject: self.name(),
            fact_index,
            message: "out of cheese".to_owned(),
        })
    }
}

#[test]
fn a_reducer_error_is_a_failing_case_named_with_its_fact() {
    let options = VectorOptions {
        filter: Filter::parse(Some("grant-1")),
        ..VectorOptions::default()
    };
    let report = run_vectors(&mut FailingReducer, &suite(), &options, &mut |_| {})
        .unwrap_or_else(|error| panic!("{error}"));
    let failure = report.failures.first();
    assert!(
        failure.is_some_and(|failure| failure.kind == "failed"),
        "{}",
        report.to_text()
    );
    assert!(failure.is_some_and(|failure| failure.message.contains("out of cheese")));
    assert_eq!(failure.and_then(|failure| failure.fact_index), Some(0));
}

fn check_options(jobs: usize) -> CheckOptions {
    let seed = Seed::parse("7").unwrap_or_else(|error| panic!("{error}"));
    let mut options = CheckOptions::new(seed, 300);
    options.jobs = jobs;
    options
}

#[test]
fn check_passes_a_conforming_reducer_and_catches_the_grant_1_bug_by_rule() {
    let conforming = || Ok(Box::new(their_reducer(false)) as Box<dyn Subject>);
    let mut progress = 0;
    let summary = run_check(&conforming, &check_options(2), &mut |event| {
        if let CheckEvent::Progress { done, .. } = event {
            progress = done;
        }
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(summary.failures.is_empty(), "{}", summary.to_text());
    assert_eq!((summary.cases, progress), (300, 300));

    let broken = || Ok(Box::new(their_reducer(true)) as Box<dyn Subject>);
    let mut lines = Vec::new();
    let one = run_check(&broken, &check_options(1), &mut |event| {
        if let CheckEvent::Line(line) = event {
            lines.push(line.to_owned());
        }
    })
    .unwrap_or_else(|error| panic!("{error}"));
    let [failure] = one.failures.as_slice() else {
        panic!("one failure expected: {}", one.to_text());
    };
    assert_eq!(failure.rules.first().map(String::as_str), Some("GRANT-1"));
    assert!(failure.saved.is_none(), "saved without an `out` folder");
    // The library's text carries what the tool prints for a failure, without ANSI colours: the
    // rules that decided it, the diff of the outputs and the counterexample as a trace.
    let text = one.to_text();
    for part in [
        "decided by: GRANT-1",
        "<    \"status\": \"denied\"",
        ">    \"status\": \"approved\"",
        "as a trace:",
        "\"review_spec_trace\"",
    ] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }
    assert!(
        !text.contains('\u{1b}'),
        "ANSI in the library's text:\n{text}"
    );
    assert!(
        !failure.message.contains('\u{1b}'),
        "ANSI in the failure's message"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("FAIL after")),
        "{lines:?}"
    );
    let two = run_check(&broken, &check_options(2), &mut |_| {})
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(one.to_json(1), two.to_json(1));
}
