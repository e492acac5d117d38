//! The interface every reducer under test implements, so the differ can compare the model with
//! the production reducer, another Rust reducer, or a process in another language
//! ([`process::ProcessSubject`], speaking the protocol of `spec/protocol.md`).
//!
//! A subject is incremental: it is reset with the trace's limits and profile, then fed one fact at a time,
//! and returns the outputs each fact produced. In-process subjects never fail; process subjects
//! can (crash, hang, garbage, early exit), which is what [`SubjectError`] reports, always naming
//! the fact being ingested.

mod group;
pub mod process;
mod reducer;
pub mod serve;

use std::fmt;
use std::ops::ControlFlow;

use crate::event::{Limits, Output, OutputKinds};
use crate::fact::Fact;
use crate::profile::Profile;

pub use group::{kill_all_subjects, kill_subjects_on_signals};
pub use process::ProcessSubject;
pub use serve::{ServeError, serve};

/// Where in the conversation with a subject something went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Starting the process: the protocol header and its acknowledgement.
    Header,
    /// Ingesting the fact with this zero-based index of the current trace.
    Fact(usize),
    /// Ingesting fact `fact` of trace `trace` (both zero-based) of a vector case's `history`,
    /// before the case's own facts.
    History {
        /// The history trace.
        trace: usize,
        /// The fact of that trace.
        fact: usize,
    },
}

impl Stage {
    /// What the tool waits for at this stage: the acknowledgement, or a fact's delimiter.
    pub fn awaited(self) -> &'static str {
        match self {
            Stage::Header => "acknowledgement",
            Stage::Fact(_) | Stage::History { .. } => "delimiter",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Header => f.write_str("at the protocol header"),
            Stage::Fact(index) => write!(f, "at fact {index}"),
            Stage::History { trace, fact } => write!(
                f,
                "at fact {fact} of history trace {trace} (before the case's facts)"
            ),
        }
    }
}

/// Why a subject could not answer for a fact.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    /// The subject failed for a reason it describes: what an in-process subject (an
    /// implementer's reducer behind this trait) returns when its reducer reports an error.
    #[error("subject {subject} failed at fact {fact_index}: {message}")]
    Failed {
        /// The subject's name (a process subject's command).
        subject: String,
        /// The index of the fact.
        fact_index: usize,
        /// What the subject said went wrong.
        message: String,
    },
    /// The subject's command could not be parsed or started.
    #[error("subject `{subject}` could not be started: {what}")]
    Spawn {
        /// The command.
        subject: String,
        /// Why it could not start.
        what: String,
    },
    /// The process exited with a failure status (or a signal) before finishing its answer.
    #[error("subject `{subject}` crashed {at}: {status}{}", stderr_suffix(.stderr_tail))]
    Crashed {
        /// The subject's name (a process subject's command).
        subject: String,
        /// Where in the exchange.
        at: Stage,
        /// How the process ended.
        status: String,
        /// The last lines the process wrote to stderr.
        stderr_tail: String,
    },
    /// The process closed its output with a success status (or while still running) before
    /// writing the delimiter of the fact.
    #[error(
        "subject `{subject}` stopped early {at}: its output ended ({status}) before the delimiter{}",
        stderr_suffix(.stderr_tail)
    )]
    EarlyExit {
        /// The subject's name (a process subject's command).
        subject: String,
        /// Where in the exchange.
        at: Stage,
        /// How the process ended.
        status: String,
        /// The last lines the process wrote to stderr.
        stderr_tail: String,
    },
    /// No delimiter within the per-fact timeout; the process was killed.
    #[error(
        "subject `{subject}` timed out {at}: no {awaited} within {timeout_ms} ms, killed it (does it flush stdout after its {awaited}?){}",
        stderr_suffix(.stderr_tail), awaited = .at.awaited()
    )]
    TimedOut {
        /// The subject's name (a process subject's command).
        subject: String,
        /// Where in the exchange.
        at: Stage,
        /// The timeout that passed.
        timeout_ms: u64,
        /// The last lines the process wrote to stderr.
        stderr_tail: String,
    },
    /// A line that is neither an output nor the expected delimiter.
    #[error("subject `{subject}` wrote garbage {at}: {what}; the line was: {line}")]
    Garbage {
        /// The subject's name (a process subject's command).
        subject: String,
        /// Where in the exchange.
        at: Stage,
        /// What went wrong.
        what: String,
        /// The line, shortened and with control characters escaped.
        line: String,
    },
    /// The delimiter names another fact than the one just sent.
    #[error(
        "subject `{subject}` wrote the delimiter {{\"done\": {got}}} at fact {fact_index}{}: expected {{\"done\": {fact_index}}}",
        history_suffix(*.history)
    )]
    WrongDelimiter {
        /// The subject's name (a process subject's command).
        subject: String,
        /// The index of the fact.
        fact_index: usize,
        /// What the subject wrote.
        got: String,
        /// The history trace (of a vector case) the fact belongs to, if it does.
        history: Option<usize>,
    },
    /// The subject acknowledged the header with another protocol version.
    #[error("subject `{subject}` speaks protocol version {got}: expected {expected} (or 3 or 2)")]
    Version {
        /// The subject's name (a process subject's command).
        subject: String,
        /// What the subject wrote.
        got: String,
        /// The version the tool speaks.
        expected: u32,
    },
}

fn history_suffix(history: Option<usize>) -> String {
    history.map_or_else(String::new, |trace| {
        format!(" of history trace {trace} (before the case's facts)")
    })
}

fn stderr_suffix(stderr_tail: &str) -> String {
    if stderr_tail.trim().is_empty() {
        String::new()
    } else {
        format!("; its stderr ended with:\n{}", stderr_tail.trim_end())
    }
}

impl SubjectError {
    /// The zero-based index of the fact being ingested when the error happened, if any.
    pub fn fact_index(&self) -> Option<usize> {
        match self {
            SubjectError::Failed { fact_index, .. } => Some(*fact_index),
            SubjectError::WrongDelimiter {
                fact_index,
                history,
                ..
            } => history.is_none().then_some(*fact_index),
            SubjectError::Crashed { at, .. }
            | SubjectError::EarlyExit { at, .. }
            | SubjectError::TimedOut { at, .. }
            | SubjectError::Garbage { at, .. } => match at {
                Stage::Fact(index) => Some(*index),
                Stage::Header | Stage::History { .. } => None,
            },
            SubjectError::Spawn { .. } | SubjectError::Version { .. } => None,
        }
    }

    /// This error, met while a vector case's history trace `trace` ran: its fact is a fact of
    /// that trace, not of the case (so [`SubjectError::fact_index`] is None).
    pub fn in_history(mut self, trace: usize) -> SubjectError {
        match &mut self {
            SubjectError::Crashed { at, .. }
            | SubjectError::EarlyExit { at, .. }
            | SubjectError::TimedOut { at, .. }
            | SubjectError::Garbage { at, .. } => {
                if let Stage::Fact(fact) = *at {
                    *at = Stage::History { trace, fact };
                }
            }
            SubjectError::WrongDelimiter { history, .. } => *history = Some(trace),
            SubjectError::Failed {
                message,
                fact_index,
                ..
            } => {
                *message = format!("at fact {fact_index} of history trace {trace}: {message}");
            }
            SubjectError::Spawn { .. } | SubjectError::Version { .. } => {}
        }
        self
    }

    /// A one-word category, stable for machine-readable reports.
    pub fn kind(&self) -> &'static str {
        match self {
            SubjectError::Failed { .. } => "failed",
            SubjectError::Spawn { .. } => "spawn",
            SubjectError::Crashed { .. } => "crashed",
            SubjectError::EarlyExit { .. } => "early_exit",
            SubjectError::TimedOut { .. } => "timed_out",
            SubjectError::Garbage { .. } => "garbage",
            SubjectError::WrongDelimiter { .. } => "wrong_delimiter",
            SubjectError::Version { .. } => "version",
        }
    }
}

/// A reducer under test.
pub trait Subject {
    /// A short name for reports (`reducer`, `python examples/subject.py`).
    fn name(&self) -> String;

    /// Forgets all state and starts a new trace with these limits, following `profile` where the
    /// spec departs from upstream.
    fn reset(&mut self, limits: Limits, profile: &Profile) -> Result<(), SubjectError>;

    /// The output kinds this subject emits; the differ compares exactly these (a subject that
    /// emits no diagnostics is compared on events alone). Known after the first reset.
    fn emits(&self) -> OutputKinds {
        OutputKinds::ALL
    }

    /// The newest trace format whose facts the subject reads ([`Fact::trace_format_version`]):
    /// the tool sends it no newer fact. A process subject that acknowledged protocol version 2
    /// reads the facts of trace format 2. Known after the first reset.
    fn facts_version(&self) -> u32 {
        crate::trace::TRACE_FORMAT_VERSION
    }

    /// Whether the subject reduces apart from the tool (another process), so that what the tool
    /// computes without it (the next case, the model's outputs) is worth computing ahead, on
    /// another thread, while it works. The default: no, it reduces on the caller's thread.
    fn reduces_apart(&self) -> bool {
        false
    }

    /// Ingests fact number `fact_index` of the current trace and appends the outputs it produced.
    fn ingest(
        &mut self,
        fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError>;

    /// Ingests `facts`, the facts of the trace just reset (fact 0 first), and hands each fact's
    /// outputs to `on_answer` with its index, in order, until it breaks. What a subject computes
    /// is what [`Subject::ingest`] fact by fact computes; the default is that loop. A process
    /// subject writes facts ahead of the answers it has read (`spec/protocol.md`,
    /// "Pipelining"), so that the process reduces while the tool compares.
    fn ingest_all(
        &mut self,
        facts: &[Fact],
        on_answer: &mut dyn FnMut(usize, &[Output]) -> ControlFlow<()>,
    ) -> Result<(), SubjectError> {
        let mut outputs = Vec::new();
        for (index, fact) in facts.iter().enumerate() {
            outputs.clear();
            self.ingest(index, fact, &mut outputs)?;
            if on_answer(index, &outputs).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Starts afresh at the next reset, with nothing left of what came before: a new process
    /// for a process subject. The default does nothing: an in-process subject is rebuilt by
    /// `reset`. The differ confirms a counterexample after a restart before it trusts it.
    fn restart(&mut self) {}
}

/// A subject that restarts before every trace: each trace runs in a fresh process, so a verdict
/// on it does not depend on what the process saw before.
pub struct Fresh<'a>(pub &'a mut dyn Subject);

impl Subject for Fresh<'_> {
    fn name(&self) -> String {
        self.0.name()
    }

    fn reset(&mut self, limits: Limits, profile: &Profile) -> Result<(), SubjectError> {
        self.0.restart();
        self.0.reset(limits, profile)
    }

    fn emits(&self) -> OutputKinds {
        self.0.emits()
    }

    fn facts_version(&self) -> u32 {
        self.0.facts_version()
    }

    fn reduces_apart(&self) -> bool {
        self.0.reduces_apart()
    }

    fn ingest(
        &mut self,
        fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        self.0.ingest(fact_index, fact, outputs)
    }

    fn ingest_all(
        &mut self,
        facts: &[Fact],
        on_answer: &mut dyn FnMut(usize, &[Output]) -> ControlFlow<()>,
    ) -> Result<(), SubjectError> {
        self.0.ingest_all(facts, on_answer)
    }

    fn restart(&mut self) {
        self.0.restart();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At the header the tool waits for the acknowledgement, not for a delimiter, and says so.
    #[test]
    fn a_timeout_names_what_the_tool_waited_for() {
        let timed_out = |at| SubjectError::TimedOut {
            subject: "s".to_owned(),
            at,
            timeout_ms: 10,
            stderr_tail: String::new(),
        };
        let header = timed_out(Stage::Header).to_string();
        assert!(
            header.contains("timed out at the protocol header: no acknowledgement within 10 ms"),
            "{header}"
        );
        assert!(!header.contains("delimiter"), "{header}");
        let fact = timed_out(Stage::Fact(3)).to_string();
        assert!(
            fact.contains("timed out at fact 3: no delimiter within 10 ms"),
            "{fact}"
        );
    }
}
