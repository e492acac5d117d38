//! Taking a subject's answer to a fact: its lines, within the fact's deadline and its budget of
//! lines and bytes, up to the delimiter; and what a subject left after its last delimiter.

use std::ops::ControlFlow;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use super::pipes::{StdoutEvent, quote};
use super::wire::{SubjectLine, parse_subject_line};
use super::{
    EXIT_GRACE, EXIT_POLL, EXITED_OUTPUT_GRACE, LINES_PER_FACT_MIN, ProcessSubject,
    QUEUED_LINES_MAX, STARTUP_TIMEOUT_MIN_MS, line_bytes_per_fact_max, lines_per_fact_max,
};
use crate::event::Output;
use crate::fact::Fact;
use crate::subject::{Stage, SubjectError};
use crate::trace::DEFAULT_MAX_LINE_BYTES;
use wait_timeout::ChildExt as _;

impl ProcessSubject {
    /// Writes `facts`, the facts of the trace from the next one on, ahead of the answers read, at
    /// most [`ProcessSubject::window`] facts beyond the last delimiter (one, lock-step, for a
    /// subject of protocol version 3 or 2), and hands each fact's answer to `on_answer` as it
    /// comes. When `on_answer` breaks, the answers of the facts still in flight are read and
    /// dropped (the verdict is taken; a failure among them only stops the process, which the next
    /// reset starts again), so that the process can serve the next trace.
    pub(super) fn pipeline(
        &mut self,
        facts: &[Fact],
        on_answer: &mut dyn FnMut(usize, &[Output]) -> ControlFlow<()>,
    ) -> Result<(), SubjectError> {
        let window = self.window_in_use();
        let first = self.facts_sent;
        let mut outputs = Vec::new();
        let mut sent = 0;
        for answered in 0..facts.len() {
            // Refilled by half a window at a time (or at once, lock-step): one write for many
            // facts, so that the subject reads them in one go.
            let in_flight = sent - answered;
            if sent < facts.len() && in_flight <= window / 2 {
                if in_flight == 0 {
                    // Nothing in flight: whatever the subject wrote since its last delimiter is
                    // known to belong to no fact.
                    self.before_writing(first + sent)?;
                }
                let end = facts.len().min(answered + window);
                self.send_all(&facts[sent..end]);
                self.facts_sent = self.facts_sent.saturating_add(end - sent);
                sent = end;
            }
            let index = first + answered;
            outputs.clear();
            self.answer(index, &mut outputs)?;
            if on_answer(index, &outputs).is_break() {
                self.drain(first + answered + 1..first + sent);
                return Ok(());
            }
        }
        Ok(())
    }

    /// Reads and drops the answers of the facts `indexes`, written and not yet answered; a
    /// failure stops the process (the next reset starts another).
    fn drain(&mut self, indexes: std::ops::Range<usize>) {
        let mut dropped = Vec::new();
        for index in indexes {
            dropped.clear();
            if self.answer(index, &mut dropped).is_err() {
                return;
            }
        }
    }

    /// What must hold before fact `fact_index` is written while no fact is in flight: the
    /// process runs, and wrote nothing after its last delimiter (which is garbage).
    pub(super) fn before_writing(&mut self, fact_index: usize) -> Result<(), SubjectError> {
        let stage = Stage::Fact(fact_index);
        if self.running.is_none() {
            return Err(SubjectError::EarlyExit {
                subject: self.command.clone(),
                at: stage,
                status: "not running since an earlier error; reset restarts it".to_owned(),
                stderr_tail: String::new(),
            });
        }
        if let Some(line) = self.stray_line() {
            return Err(self.fail(SubjectError::Garbage {
                subject: self.command.clone(),
                at: stage,
                what: "a line after the previous delimiter, before this fact was sent".to_owned(),
                line,
            }));
        }
        Ok(())
    }

    /// Reads the answer to fact `fact_index`, already written: its outputs, appended to
    /// `outputs`, up to its delimiter. The subject has the timeout from now (the previous
    /// delimiter, or the fact's writing when nothing was in flight), and the fact's budget of
    /// lines and bytes.
    pub(super) fn answer(
        &mut self,
        fact_index: usize,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        let stage = Stage::Fact(fact_index);
        self.budget(fact_index.saturating_add(1));
        let deadline = Instant::now() + self.timeout;
        loop {
            let line = self.line_before(stage, deadline)?;
            match parse_subject_line(&line) {
                Ok(SubjectLine::Blank) => {}
                Ok(SubjectLine::Output(output)) if !self.emits.contains(output.kind()) => {
                    let what = format!(
                        "a {} output, a kind the subject declared it does not emit",
                        output.kind().name()
                    );
                    return Err(self.fail(SubjectError::Garbage {
                        subject: self.command.clone(),
                        at: stage,
                        what,
                        line: quote(&line),
                    }));
                }
                Ok(SubjectLine::Output(output)) => outputs.push(*output),
                Ok(SubjectLine::Done(done)) if usize::try_from(done) == Ok(fact_index) => {
                    return Ok(());
                }
                Ok(SubjectLine::Done(done)) => {
                    return Err(self.fail(SubjectError::WrongDelimiter {
                        subject: self.command.clone(),
                        fact_index,
                        got: done.to_string(),
                        history: None,
                    }));
                }
                Err(what) => {
                    return Err(self.fail(SubjectError::Garbage {
                        subject: self.command.clone(),
                        at: stage,
                        what,
                        line: quote(&line),
                    }));
                }
            }
        }
    }

    /// The next non-blank line of the subject's stdout, within `timeout`.
    pub(super) fn next_line(
        &mut self,
        stage: Stage,
        timeout: Duration,
    ) -> Result<String, SubjectError> {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self.line_before(stage, deadline)?;
            if !line.trim().is_empty() {
                return Ok(line);
            }
        }
    }

    /// The next line of the subject's stdout, if it comes before `deadline` and within the lines
    /// left for this fact; otherwise the subject is killed and the error says why. The deadline is
    /// checked before every line, so a subject that keeps writing cannot outrun it; the child is
    /// polled while the tool waits, so a child that exited is reported as exited (crashed, or
    /// stopped early) even when a grandchild still holds its stdout open.
    pub(super) fn line_before(
        &mut self,
        stage: Stage,
        deadline: Instant,
    ) -> Result<String, SubjectError> {
        loop {
            let Some(running) = self.running.as_mut() else {
                return Err(SubjectError::EarlyExit {
                    subject: self.command.clone(),
                    at: stage,
                    status: "not running".to_owned(),
                    stderr_tail: String::new(),
                });
            };
            let now = Instant::now();
            if now >= deadline {
                let exited = matches!(running.group.child.try_wait(), Ok(Some(_)));
                return Err(if exited {
                    self.died(stage)
                } else {
                    self.timed_out(stage)
                });
            }
            // A line already there is taken without asking the system about the child: only a
            // tool that waits needs to know whether the child exited.
            let ready = match running.stdout.try_recv() {
                Ok(event) => Ok(event),
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => Err(RecvTimeoutError::Timeout),
            };
            let mut exited = false;
            let received = match ready {
                Err(RecvTimeoutError::Timeout) => {
                    exited = matches!(running.group.child.try_wait(), Ok(Some(_)));
                    let wait = if exited {
                        EXITED_OUTPUT_GRACE
                    } else {
                        (deadline - now).min(EXIT_POLL)
                    };
                    running.stdout.recv_timeout(wait)
                }
                ready => ready,
            };
            match received {
                Ok(StdoutEvent::Line { text, more }) => {
                    self.more_after_last = more;
                    return self.counted(stage, text);
                }
                Ok(StdoutEvent::TooLong(start)) => {
                    return Err(self.fail(SubjectError::Garbage {
                        subject: self.command.clone(),
                        at: stage,
                        what: format!("a line longer than {DEFAULT_MAX_LINE_BYTES} bytes"),
                        line: start,
                    }));
                }
                Ok(StdoutEvent::End) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.died(stage));
                }
                Err(RecvTimeoutError::Timeout) if exited => return Err(self.died(stage)),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// `line`, if the subject had lines left for this fact; otherwise it is flooding the tool,
    /// and is killed.
    pub(super) fn counted(&mut self, stage: Stage, line: String) -> Result<String, SubjectError> {
        let waiting_for = match stage {
            Stage::Header => "before its acknowledgement",
            Stage::Fact(_) | Stage::History { .. } => "for one fact",
        };
        if self.lines_left == 0 {
            return Err(self.fail(SubjectError::Garbage {
                subject: self.command.clone(),
                at: stage,
                what: format!(
                    "more than {} lines {waiting_for} (at most 4 per table entry the trace can hold by then and {LINES_PER_FACT_MIN} more, blank lines included)",
                    self.lines_max
                ),
                line: quote(&line),
            }));
        }
        if line.len() > self.bytes_left {
            return Err(self.fail(SubjectError::Garbage {
                subject: self.command.clone(),
                at: stage,
                what: format!(
                    "more than {} bytes of lines {waiting_for}",
                    line_bytes_per_fact_max(self.lines_max)
                ),
                line: quote(&line),
            }));
        }
        self.lines_left -= 1;
        self.bytes_left -= line.len();
        Ok(line)
    }

    /// Sets the lines and bytes the subject may write for fact number `facts` of the trace
    /// (counted from 1; 0 before the acknowledgement).
    pub(super) fn budget(&mut self, facts: usize) {
        self.lines_max = lines_per_fact_max(&self.limits, facts);
        self.lines_left = self.lines_max;
        self.bytes_left = line_bytes_per_fact_max(self.lines_max);
    }

    /// Kills the subject that did not answer in time, and says so.
    pub(super) fn timed_out(&mut self, stage: Stage) -> SubjectError {
        let stderr_tail = self.stop();
        let timeout = match stage {
            Stage::Header => self
                .timeout
                .max(Duration::from_millis(STARTUP_TIMEOUT_MIN_MS)),
            Stage::Fact(_) | Stage::History { .. } => self.timeout,
        };
        SubjectError::TimedOut {
            subject: self.command.clone(),
            at: stage,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            stderr_tail,
        }
    }

    /// The error for a subject whose stdout ended: a crash if it exited with a failure, an early
    /// exit otherwise.
    pub(super) fn died(&mut self, stage: Stage) -> SubjectError {
        let status = self.running.as_mut().and_then(|running| {
            running.stdin = None;
            running.group.child.wait_timeout(EXIT_GRACE).ok().flatten()
        });
        let stderr_tail = self.stop();
        let subject = self.command.clone();
        match status {
            Some(status) if status.success() => SubjectError::EarlyExit {
                subject,
                at: stage,
                status: status.to_string(),
                stderr_tail,
            },
            Some(status) => SubjectError::Crashed {
                subject,
                at: stage,
                status: status.to_string(),
                stderr_tail,
            },
            None => SubjectError::EarlyExit {
                subject,
                at: stage,
                status: "it closed its stdout but kept running; killed it".to_owned(),
                stderr_tail,
            },
        }
    }

    /// Kills the process (a protocol error leaves it in an unknown state) and returns `error`.
    pub(super) fn fail(&mut self, error: SubjectError) -> SubjectError {
        self.stop();
        error
    }

    /// A non-blank line the subject wrote after its last delimiter, before this fact is sent,
    /// quoted. The reader said, with the last line, whether more output was already there: if
    /// so, that output is waited for (it is in the pipe; within the timeout), so a line written
    /// with the delimiter is never left to race the reader into the next fact's answer. Lines
    /// that arrived anyway are taken too. Looks at a queue's worth of lines at most: blank lines
    /// that keep coming count against the next fact's lines.
    pub(super) fn stray_line(&mut self) -> Option<String> {
        let timeout = self.timeout;
        for _ in 0..QUEUED_LINES_MAX {
            let running = self.running.as_mut()?;
            let event = if self.more_after_last {
                match running.stdout.recv_timeout(timeout) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => {
                        return Some(format!(
                            "(the start of a line, with no line break within {} ms)",
                            timeout.as_millis()
                        ));
                    }
                    Err(RecvTimeoutError::Disconnected) => return None,
                }
            } else {
                match running.stdout.try_recv() {
                    Ok(event) => event,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => return None,
                }
            };
            match event {
                StdoutEvent::Line { text, more } if text.trim().is_empty() => {
                    self.more_after_last = more;
                }
                StdoutEvent::Line { text, .. } => return Some(quote(&text)),
                StdoutEvent::TooLong(start) => return Some(start),
                StdoutEvent::End => {
                    self.more_after_last = false;
                    return None;
                }
            }
        }
        None
    }
}
