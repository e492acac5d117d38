//! The replay of a crash input into a minimized divergence, confirmed in fresh reducers, or
//! into a finding that is not a divergence, with the stage where it panicked.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{Finding, SubjectChoice, Target, check};
use crate::diff::{self, Divergence};
use crate::event::Limits;
use crate::fact::Fact;
use crate::model;
use crate::profile::Profile;
use crate::trace::Trace;

/// Where a crash input panicked, when it is not a divergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanicStage {
    /// Decoding the bytes (the trace loader, the generator, `arbitrary`).
    Decode,
    /// The reference model.
    Model,
    /// The reducer under test.
    Reducer,
}

impl fmt::Display for PanicStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PanicStage::Decode => "decoding",
            PanicStage::Model => "the model",
            PanicStage::Reducer => "the reducer",
        })
    }
}

/// What a crash input does when replayed in process, minimized where possible.
#[derive(Debug)]
pub enum Replay {
    /// The target rejects the input before running anything (not a loadable trace).
    Rejected,
    /// Nothing wrong: the input does not reproduce a crash in this build.
    Passes(Trace),
    /// The subject diverges from the model; minimized with `diff::minimize`.
    Diverges(Box<Divergence>),
    /// A finding that is not a divergence (a round trip, a misplaced error).
    Other {
        /// The input decoded as a trace, where it decodes.
        trace: Option<Trace>,
        /// What was found.
        finding: String,
    },
    /// A panic: where, the message, and the trace (minimized while it panics in the same stage)
    /// when decoding succeeded.
    Panicked {
        /// The stage that panicked.
        stage: PanicStage,
        /// The panic's message.
        message: String,
        /// The input decoded as a trace, where it decodes.
        trace: Option<Trace>,
    },
}

/// Replays a crash input of `target` in process, the way the target reads it, against `choice`,
/// and explains it. Panics are caught (the default panic hook still prints them; callers that
/// want quiet output install their own).
pub fn replay(target: Target, data: &[u8], choice: SubjectChoice) -> Replay {
    let decoded = match catch_unwind(|| target.decode(data)) {
        Err(payload) => {
            return Replay::Panicked {
                stage: PanicStage::Decode,
                message: panic_message(payload.as_ref()),
                trace: None,
            };
        }
        Ok(Err(finding)) => {
            return Replay::Other {
                trace: None,
                finding: finding.to_string(),
            };
        }
        Ok(Ok(None)) => return Replay::Rejected,
        Ok(Ok(Some(trace))) => trace,
    };
    for stage in [PanicStage::Model, PanicStage::Reducer] {
        let run =
            |facts: &[Fact]| panics_in(stage, facts, &decoded.limits, &decoded.profile, choice);
        if let Some(message) = run(&decoded.facts) {
            let facts = crate::shrink::delete_facts_while(decoded.facts.clone(), |facts| {
                run(facts).is_some()
            });
            let message = run(&facts).unwrap_or(message);
            return Replay::Panicked {
                stage,
                message,
                trace: Some(Trace {
                    limits: decoded.limits,
                    profile: decoded.profile,
                    facts,
                }),
            };
        }
    }
    let mut subject = choice.reducer(decoded.limits);
    match check(&decoded, subject.as_mut()) {
        Ok(()) => Replay::Passes(decoded),
        Err(Finding::Divergence(divergence)) => match diff::minimize(subject.as_mut(), *divergence)
        {
            Ok(minimized) => {
                // A counterexample is saved only when it fails every time from a clean start.
                let reproduced = (0..crate::diff::REPLAYS)
                    .filter(|_| {
                        let mut fresh = choice.reducer(minimized.limits);
                        matches!(
                            diff::first_divergence(
                                fresh.as_mut(),
                                &minimized.facts,
                                &minimized.limits,
                                &minimized.profile
                            ),
                            Ok(Some(_))
                        )
                    })
                    .count();
                if reproduced == crate::diff::REPLAYS {
                    Replay::Diverges(Box::new(minimized))
                } else {
                    Replay::Other {
                        trace: Some(decoded),
                        finding: format!(
                            "flaky: the minimized divergence reproduces in {reproduced} of \
                             {} fresh reducers; not saved as a counterexample",
                            crate::diff::REPLAYS
                        ),
                    }
                }
            }
            Err(error) => Replay::Other {
                trace: Some(decoded),
                finding: error.to_string(),
            },
        },
        Err(finding) => Replay::Other {
            trace: Some(decoded),
            finding: finding.to_string(),
        },
    }
}

/// The panic message of `stage` on these facts, if it panics.
fn panics_in(
    stage: PanicStage,
    facts: &[Fact],
    limits: &Limits,
    profile: &Profile,
    choice: SubjectChoice,
) -> Option<String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| match stage {
        PanicStage::Decode => {}
        PanicStage::Model => {
            model::reduce_explained(facts, limits, profile);
        }
        PanicStage::Reducer => {
            // As the differ drives it: a reset, then each fact (the reducer never fails).
            let mut reducer = choice.reducer(*limits);
            let _ = reducer.reset(*limits, profile);
            let mut outputs = Vec::new();
            for (at, fact) in facts.iter().enumerate() {
                let _ = reducer.ingest(at, fact, &mut outputs);
                outputs.clear();
            }
        }
    }));
    outcome.err().map(|payload| panic_message(payload.as_ref()))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}
