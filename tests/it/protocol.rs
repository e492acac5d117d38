//! The process protocol's failure modes (spec/protocol.md), through `ProcessSubject` and the
//! small misbehaving subject `tests/subjects/misbehaving.py`: a crash, a hang, garbage, an early
//! exit and a wrong delimiter each give a clear `SubjectError` naming the fact index, never a
//! hang of the tool; a dead subject is restarted by the next reset.

use review_spec_vocab::profile::Profile;
use std::path::Path;
use std::time::{Duration, Instant};

use review_spec::subject::{ProcessSubject, Stage, Subject, SubjectError};
use review_spec_vocab::event::{Limits, Output, OutputKinds};
use review_spec_vocab::fact::Fact;

/// The per-fact timeout of the hang test: short, so a hang costs half a second.
const HANG_TIMEOUT: Duration = Duration::from_millis(500);
/// The per-fact timeout of the other tests: generous, so that a loaded machine never turns their
/// failure into a timeout.
const TIMEOUT: Duration = Duration::from_secs(20);

fn misbehaving(mode: &str, at: usize) -> ProcessSubject {
    misbehaving_speaking(mode, at, 2)
}

/// As [`misbehaving`], acknowledging protocol version `protocol` (4: the tool writes facts ahead).
fn misbehaving_speaking(mode: &str, at: usize, protocol: u32) -> ProcessSubject {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/subjects/misbehaving.py");
    let command = format!("python3 '{}' {mode} {at} {protocol}", script.display());
    let timeout = if mode == "hang" {
        HANG_TIMEOUT
    } else {
        TIMEOUT
    };
    ProcessSubject::new(&command, timeout).expect("the command line parses")
}

fn orphan(request_id: u64) -> Fact {
    Fact::RequestAborted {
        connection_id: 1,
        request_id,
        completed_at_ms: 5,
    }
}

/// Resets `subject` and feeds it `facts` facts; the first error, if any.
fn feed(subject: &mut dyn Subject, facts: usize) -> Result<Vec<Output>, SubjectError> {
    subject.reset(Limits::default(), &Profile::SPEC)?;
    let mut outputs = Vec::new();
    for index in 0..facts {
        subject.ingest(index, &orphan(index as u64), &mut outputs)?;
    }
    Ok(outputs)
}

/// Resets `subject` and feeds it `facts` facts at once ([`Subject::ingest_all`]: written ahead of
/// the answers to a subject of protocol version 4); the outputs, or the first error.
fn feed_all(subject: &mut dyn Subject, facts: usize) -> Result<Vec<Output>, SubjectError> {
    subject.reset(Limits::default(), &Profile::SPEC)?;
    let facts: Vec<Fact> = (0..facts).map(|index| orphan(index as u64)).collect();
    let mut outputs = Vec::new();
    subject.ingest_all(&facts, &mut |_, answer| {
        outputs.extend_from_slice(answer);
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(outputs)
}

/// The subject misbehaving as `mode` at fact `at` gives the error `expect`, whose message names
/// the fact and `mention`: fed fact by fact (lock-step, protocol version 2), and fed at once with
/// the facts written ahead (pipelined, protocol version 4).
#[track_caller]
fn check_error(mode: &str, at: usize, expect: impl Fn(&SubjectError) -> bool, mention: &str) {
    for (protocol, pipelined) in [(2, false), (4, true)] {
        let mut subject = misbehaving_speaking(mode, at, protocol);
        let error = if pipelined {
            feed_all(&mut subject, at + 2)
        } else {
            feed(&mut subject, at + 2)
        }
        .expect_err("the subject misbehaves");
        assert!(
            expect(&error),
            "{mode}, protocol {protocol}: unexpected error: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("at fact {at}")) && message.contains(mention),
            "{mode}, protocol {protocol}: the message does not name fact {at} and {mention:?}: {message}"
        );
        assert_eq!(
            error.fact_index(),
            Some(at),
            "{mode}, protocol {protocol}: {error:?}"
        );
    }
}

#[test]
fn a_well_behaved_subject_answers_every_fact_across_resets() {
    let mut subject = misbehaving("noisy", 0);
    for _ in 0..3 {
        // 256 KiB of stderr per fact: more than a pipe holds, so this passes only if stderr is
        // drained while the tool waits for stdout.
        assert_eq!(feed(&mut subject, 2), Ok(Vec::new()));
    }
}

#[test]
fn a_crash_names_the_fact_the_exit_status_and_the_stderr_tail() {
    check_error(
        "crash",
        1,
        |error| {
            matches!(
                error,
                SubjectError::Crashed {
                    at: Stage::Fact(1),
                    ..
                }
            )
        },
        "boom: crashing on purpose at fact 1",
    );
    let mut subject = misbehaving("crash", 1);
    let message = feed(&mut subject, 2).expect_err("crashes").to_string();
    assert!(message.contains("exit status: 3"), "{message}");
}

#[test]
fn a_hang_times_out_quickly_and_the_subject_is_killed() {
    let start = Instant::now();
    check_error(
        "hang",
        0,
        |error| {
            matches!(
                error,
                SubjectError::TimedOut {
                    at: Stage::Fact(0),
                    timeout_ms: 500,
                    ..
                }
            )
        },
        "timed out",
    );
    // Not a timing assertion but a bound on the wait: the subject sleeps for an hour, and the
    // startup allowance (STARTUP_TIMEOUT_MIN_MS) plus 500 ms is far below this.
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "a 500 ms timeout took {:?}",
        start.elapsed()
    );
}

#[test]
fn garbage_is_quoted_with_the_fact_index() {
    check_error(
        "garbage",
        2,
        |error| {
            matches!(
                error,
                SubjectError::Garbage {
                    at: Stage::Fact(2),
                    ..
                }
            )
        },
        "the line was: this is not json",
    );
}

#[test]
fn an_early_exit_before_the_delimiter_is_reported() {
    check_error(
        "early-exit",
        0,
        |error| {
            matches!(
                error,
                SubjectError::EarlyExit {
                    at: Stage::Fact(0),
                    ..
                }
            )
        },
        "before the delimiter",
    );
}

#[test]
fn a_delimiter_for_another_fact_is_reported() {
    check_error(
        "wrong-delimiter",
        1,
        |error| matches!(error, SubjectError::WrongDelimiter { fact_index: 1, got, .. } if got == "7"),
        "expected {\"done\": 1}",
    );
}

#[test]
fn another_protocol_version_is_refused_at_the_header() {
    let mut subject = misbehaving("version", 0);
    let error = subject
        .reset(Limits::default(), &Profile::SPEC)
        .expect_err("version 1 is refused");
    assert!(
        matches!(&error, SubjectError::Version { got, expected, .. } if got == "1" && *expected == review_spec::subject::process::PROTOCOL_VERSION),
        "{error:?}"
    );
}

#[test]
fn an_output_of_an_undeclared_kind_is_garbage() {
    let mut subject = misbehaving("undeclared", 1);
    let error = feed(&mut subject, 3).expect_err("a diagnostic it said it does not emit");
    assert_eq!(subject.emits(), OutputKinds::EVENTS);
    assert!(
        matches!(&error, SubjectError::Garbage { at: Stage::Fact(1), what, .. } if what.contains("diagnostic")),
        "{error:?}"
    );
}

#[test]
fn a_subject_that_declares_no_output_kind_is_refused_at_the_header() {
    let mut subject = misbehaving("emits-nothing", 0);
    let error = subject
        .reset(Limits::default(), &Profile::SPEC)
        .expect_err("emits nothing");
    assert!(
        matches!(&error, SubjectError::Garbage { at: Stage::Header, what, .. } if what.contains("emits nothing")),
        "{error:?}"
    );
}

/// The Python example subject: the profile of the header reaches it (it follows `upstream` where
/// told), and with `--events-only` it declares events only and is compared on them alone.
#[test]
fn the_profile_reaches_the_subject_and_declared_kinds_limit_the_comparison() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/subject.py");
    let vector = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors/up/up-item-5-in-progress-consumes-item.json");
    let case = review_spec_vocab::trace::read_vector_file(&vector)
        .unwrap_or_else(|error| panic!("{error}"))
        .cases
        .remove(0);
    for flags in ["", " --events-only"] {
        let command = format!("python3 '{}'{flags}", script.display());
        let mut subject = ProcessSubject::new(&command, TIMEOUT).expect("the command line parses");
        for profile in [Profile::SPEC, Profile::UPSTREAM] {
            let divergence = review_spec::diff::first_divergence(
                &mut subject,
                &case.facts,
                &case.limits,
                &profile,
            )
            .unwrap_or_else(|error| panic!("{error}"));
            assert!(divergence.is_none(), "{flags} {profile}: {divergence:?}");
        }
        let expected = if flags.is_empty() {
            OutputKinds::ALL
        } else {
            OutputKinds::EVENTS
        };
        assert_eq!(subject.emits(), expected, "{flags}");
    }
}

#[test]
fn a_command_that_does_not_exist_cannot_start() {
    let mut subject = ProcessSubject::new("review-spec-no-such-subject --x", TIMEOUT)
        .expect("the command line parses");
    let error = subject
        .reset(Limits::default(), &Profile::SPEC)
        .expect_err("cannot start");
    assert!(matches!(error, SubjectError::Spawn { .. }), "{error:?}");
    assert!(
        error.to_string().contains("review-spec-no-such-subject"),
        "{error}"
    );
    assert!(ProcessSubject::new("'unterminated", TIMEOUT).is_err());
}

#[test]
fn a_dead_subject_is_restarted_by_the_next_reset() {
    let mut subject = misbehaving("crash", 1);
    for _ in 0..2 {
        let error = feed(&mut subject, 3).expect_err("crashes at fact 1");
        assert_eq!(error.fact_index(), Some(1), "{error}");
        // The next trace gets a fresh process, which answers fact 0 again.
        assert_eq!(feed(&mut subject, 1), Ok(Vec::new()));
    }
}

#[test]
fn the_example_python_subject_agrees_with_the_model_on_a_vector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = review_spec_vocab::trace::read_vector_file(
        &root.join("spec/vectors/grant/grant-1-empty-grant-denied.json"),
    )
    .expect("the vector loads");
    let command = format!(
        "python3 '{}'",
        root.join("examples/python/subject.py").display()
    );
    let mut subject = ProcessSubject::new(&command, TIMEOUT).expect("parses");
    for case in &file.cases {
        let divergence = review_spec::diff::first_divergence(
            &mut subject,
            &case.facts,
            &case.limits,
            &Profile::SPEC,
        );
        assert_eq!(divergence, Ok(None), "case {}", case.name);
    }
}

/// Through the library, as an implementer calls it: a process subject that emits events only is
/// compared on events only, and both reports say so, from the first summary line on (what it
/// emits is learnt when it starts, before the kinds are recorded).
#[test]
fn library_runs_of_an_events_only_process_subject_report_the_kinds_it_was_compared_on() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/subject.py");
    let command = format!("python3 '{}' --events-only", script.display());
    let make = || {
        ProcessSubject::new(&command, TIMEOUT).map(|subject| Box::new(subject) as Box<dyn Subject>)
    };
    let seed = review_spec::Seed::parse("5").expect("a seed");
    let mut options = review_spec::CheckOptions::new(seed, 20);
    options.jobs = 1;
    let check = review_spec::run_check(&make, &options, &mut |_| {}).expect("check runs");
    let suite = review_spec::Suite::bundled().expect("the bundled vectors");
    let vector_options = review_spec::VectorOptions {
        filter: review_spec::Filter::parse(Some("grant")),
        ..review_spec::VectorOptions::default()
    };
    let mut subject = make().expect("the subject starts");
    let vectors = review_spec::run_vectors(subject.as_mut(), &suite, &vector_options, &mut |_| {})
        .expect("the vectors run");
    for summary in [&check, &vectors] {
        assert!(summary.failures.is_empty(), "{}", summary.to_text());
        let json = summary.to_json_value(0);
        assert_eq!(
            (&json["compared"], &json["not_compared"]),
            (
                &serde_json::json!(["review", "tool_item"]),
                &serde_json::json!(["diagnostic"])
            ),
            "{json}"
        );
        assert!(
            summary
                .to_text()
                .contains("not compared (the subject does not emit them): diagnostic")
        );
    }
}

/// Version 4 pipelines: a subject that reads five facts before it answers any (what a subject
/// must not do) is answered only when the tool writes five facts ahead, so it passes with the
/// default window and times out with a window of one fact (lock-step), and as a version 3
/// subject (always lock-step).
#[test]
fn facts_are_written_ahead_of_the_answers_up_to_the_window() {
    let mut ahead = misbehaving_speaking("batching", 5, 4).with_window(8);
    assert_eq!(feed_all(&mut ahead, 10), Ok(Vec::new()));
    for (protocol, window) in [(4, 1), (3, 8)] {
        let mut lockstep = ProcessSubject::new(
            &format!(
                "python3 '{}' batching 5 {protocol}",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/subjects/misbehaving.py")
                    .display()
            ),
            HANG_TIMEOUT,
        )
        .expect("the command line parses")
        .with_window(window);
        let error = feed_all(&mut lockstep, 10).expect_err("lock-step: the subject waits forever");
        assert!(
            matches!(
                error,
                SubjectError::TimedOut {
                    at: Stage::Fact(0),
                    ..
                }
            ),
            "protocol {protocol}, window {window}: {error:?}"
        );
    }
}

/// The timeout is a time without progress: a subject that answers each fact after 30 ms runs a
/// trace that takes far longer than the timeout in all, with facts written ahead.
#[test]
fn a_timeout_is_a_time_without_a_delimiter() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/subjects/misbehaving.py");
    let mut slow = ProcessSubject::new(
        &format!("python3 '{}' slow 0 4", script.display()),
        Duration::from_millis(400),
    )
    .expect("the command line parses");
    let started = Instant::now();
    assert_eq!(feed_all(&mut slow, 40), Ok(Vec::new()));
    // 40 answers of 30 ms each: more than twice the timeout, which never passed between two.
    assert!(
        started.elapsed() > Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}
