//! A subject that is another process, in any language, speaking the process protocol of
//! `spec/protocol.md` (version [`PROTOCOL_VERSION`]) over its stdin and stdout.
//!
//! The tool writes a header line, then one fact per line, with a reset line between traces; after
//! each fact the subject writes the fact's outputs, one per line, then the delimiter
//! `{"done": <fact index>}`. From version 4 on the tool writes up to a window of facts ahead of
//! the delimiters it has read ([`DEFAULT_WINDOW`]); versions 3 and 2 run lock-step. One process
//! serves a whole run and is restarted when it died.
//!
//! The tool never hangs on a subject, whatever it writes: the subject's stdout is a
//! pipe that the tool reads, as `poll` says what is there, as it takes lines (each at most
//! [`DEFAULT_MAX_LINE_BYTES`](crate::trace::DEFAULT_MAX_LINE_BYTES) bytes, 1 MiB; a longer one is
//! garbage, quoted by its start), waiting for more with `poll` within the deadline; it checks the
//! deadline before it takes each line, counts the lines of each fact ([`lines_per_fact_max`]),
//! and polls the child while it waits, so a child that exited is reported as such even when a
//! grandchild still holds its stdout. Its stdin is written on a thread, so a subject that stops
//! reading cannot block the tool either; its stderr is drained on another thread into a bounded
//! tail that errors quote. The subject runs in a process
//! group of its own (`group.rs`), killed whole. A subject that crashes, hangs, floods, prints
//! garbage, stops early or answers for the wrong fact is killed and reported as a
//! [`SubjectError`] naming the fact index. This is the crate's I/O boundary with subjects; nothing
//! here knows the rules.
//!
//! - `wire.rs`: the messages of either side, and how a subject's line is read;
//! - `pipes.rs`: the thread that writes the subject's stdin, the reader of its stdout, the
//!   thread that drains its stderr;
//! - `answer.rs`: taking a fact's answer within its deadline and its budget of lines, and
//!   writing facts ahead of the answers read (pipelining);
//! - this file: starting, resetting and stopping the process, and the [`Subject`] it is.

mod answer;
mod pipes;
mod wire;

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use wait_timeout::ChildExt as _;

use super::group::Group;
use super::{Stage, Subject, SubjectError};
use crate::event::{Limits, Output, OutputKinds};
use crate::fact::Fact;
use crate::profile::Profile;

use pipes::{quote, reader, spawn_stderr_drain, spawn_writer};
pub use wire::{
    Delimiter, Header, HeaderAck, Reset, ResetBody, SubjectLine, SubjectMessage, ToolMessage,
    parse_subject_line, split_command,
};
use wire::{ack_shape, short_error};

/// The protocol version this crate speaks. Version 4 pipelines: the tool writes facts ahead of
/// the delimiters it has read (at most a window of them), where version 3 waited for each
/// delimiter before it wrote the next fact; a subject that acknowledges version 3 is still run,
/// lock-step. Version 3 sends the facts of trace format 3 (the `subagent_thread_started` fact,
/// `thread_bound`'s `originator`); a subject that acknowledges version 2 is run lock-step and is
/// sent only facts of trace format 2 (`spec/protocol.md`, "Versioning"). Version 2 added the
/// profile to the header and reset lines and the declared output kinds (`emits`) to the
/// acknowledgement.
pub const PROTOCOL_VERSION: u32 = 4;

/// The first protocol version whose subjects are sent facts ahead of their answers.
pub const PIPELINED_SINCE: u32 = 4;

/// How many facts the tool writes, by default, beyond the last delimiter it has read, to a
/// subject of protocol version 4: enough that the subject never waits for the tool (a fact is a
/// few hundred bytes, so the window fits in a pipe's buffer).
pub const DEFAULT_WINDOW: usize = 64;

/// The oldest protocol version a subject may acknowledge.
pub const PROTOCOL_VERSION_MIN: u32 = 2;

/// The default per-fact timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

/// The least time a starting subject has to acknowledge the header, whatever the per-fact
/// timeout: starting a runtime (a JVM, a Python under load) can take longer than answering a fact.
pub const STARTUP_TIMEOUT_MIN_MS: u64 = 10_000;

/// The lines a subject may write for one fact (or before its acknowledgement), blank lines
/// included, beyond four per table entry: see [`lines_per_fact_max`].
pub const LINES_PER_FACT_MIN: usize = 1024;
/// The bytes of the lines a subject may write for one fact, at least (64 MiB): see
/// [`line_bytes_per_fact_max`].
pub const LINE_BYTES_PER_FACT_MIN: usize = 64 << 20;
/// The bytes per allowed line beyond which a fact's lines are a flood, when that is more than
/// [`LINE_BYTES_PER_FACT_MIN`]: an output is a few hundred bytes.
const LINE_BYTES_PER_LINE: usize = 1024;
/// How many lines the tool looks at, at most, for a line a subject wrote after its last
/// delimiter, before it writes the next fact (blank lines beyond count against that fact).
const QUEUED_LINES_MAX: usize = 64;
/// How often the tool checks whether the subject it waits for has exited.
const EXIT_POLL: Duration = Duration::from_millis(50);
/// How long the tool waits for the rest of the output of a subject that exited: its stdout may
/// never end, when a grandchild holds it open.
const EXITED_OUTPUT_GRACE: Duration = Duration::from_millis(200);
/// How much of the subject's stderr an error quotes.
const STDERR_TAIL_BYTES_MAX: usize = 2_048;
/// How long a subject whose output ended may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// How long to wait for the last of a dead subject's stderr.
const STDERR_GRACE: Duration = Duration::from_millis(200);
/// The longest garbage line quoted in an error.
const QUOTED_LINE_CHARS_MAX: usize = 200;
/// The longest description of what was wrong with a line (serde's message quotes input).
const WHAT_CHARS_MAX: usize = 400;

/// The most lines a subject may write for fact number `facts` of a trace (counted from 1; 0
/// before its acknowledgement), blank lines included, under `limits`: four per table entry the
/// trace can hold by then (a turn end releases up to three tables' worth of entries, one output
/// each, TURN-1; a table holds at most `table_entries_max` entries, and no more than the facts
/// sent make), and [`LINES_PER_FACT_MIN`] more. One more is garbage. Bounded by the facts sent,
/// the budget never saturates under a huge limit: a flood is cut at once, not held until the
/// deadline.
pub fn lines_per_fact_max(limits: &Limits, facts: usize) -> usize {
    limits
        .table_entries_max
        .min(facts)
        .saturating_mul(4)
        .saturating_add(LINES_PER_FACT_MIN)
}

/// The most bytes (line breaks included) a subject may write for one fact of `lines` allowed
/// lines: [`LINE_BYTES_PER_FACT_MIN`], or 1 KiB per allowed line if that is more. What the tool
/// holds of one fact's answer is bounded by it.
pub fn line_bytes_per_fact_max(lines: usize) -> usize {
    lines
        .saturating_mul(LINE_BYTES_PER_LINE)
        .max(LINE_BYTES_PER_FACT_MIN)
}

/// A subject process speaking `spec/protocol.md`.
pub struct ProcessSubject {
    command: String,
    argv: Vec<String>,
    timeout: Duration,
    running: Option<Running>,
    /// What the subject declared it emits in its last acknowledgement.
    emits: OutputKinds,
    /// The newest trace format whose facts the subject reads, by its acknowledged version.
    facts_version: u32,
    /// The protocol version of the header it is started with: [`PROTOCOL_VERSION`], or an
    /// older one once it ended without acknowledging a newer one.
    header_version: u32,
    /// The protocol version the running process acknowledged.
    acknowledged: u32,
    /// How many facts may be written beyond the last delimiter read, to a subject of a
    /// pipelined version ([`PIPELINED_SINCE`]); at least 1.
    window: usize,
    /// The lines the subject may write for one fact under the current trace's limits.
    lines_max: usize,
    /// The lines it may still write for the fact being answered (or before its acknowledgement).
    lines_left: usize,
    /// The bytes it may still write for the fact being answered (or before its acknowledgement).
    bytes_left: usize,
    /// The limits of the current trace.
    limits: Limits,
    /// The profile of the current trace.
    profile: Profile,
    /// How many facts of the current trace were sent.
    facts_sent: usize,
    /// The reset line of the current trace, not yet written: it goes with the trace's first
    /// facts, in one write, so that the subject wakes once for both.
    pending_reset: Option<String>,
    /// Whether the subject's stdout held more, unread, when the last line was taken: a line
    /// after the last delimiter that reached the tool before the next fact, which is garbage.
    more_after_last: bool,
}

/// A started subject process (in its process group) and the threads that talk to it.
struct Running {
    group: Group,
    /// Lines for the stdin writer thread; dropping it closes the subject's stdin.
    stdin: Option<Sender<String>>,
    stdout: pipes::Lines,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    stderr_closed: Receiver<()>,
}

impl ProcessSubject {
    /// A subject that runs `command` (split by [`split_command`]), with a per-fact `timeout`.
    /// Nothing is started until the first [`Subject::reset`].
    pub fn new(command: &str, timeout: Duration) -> Result<ProcessSubject, SubjectError> {
        let argv = split_command(command).map_err(|what| SubjectError::Spawn {
            subject: command.to_owned(),
            what: format!("cannot parse the command line: {what}"),
        })?;
        Ok(ProcessSubject {
            command: command.to_owned(),
            argv,
            timeout,
            running: None,
            emits: OutputKinds::ALL,
            facts_version: crate::trace::TRACE_FORMAT_VERSION,
            header_version: PROTOCOL_VERSION,
            acknowledged: PROTOCOL_VERSION,
            window: DEFAULT_WINDOW,
            lines_max: LINES_PER_FACT_MIN,
            lines_left: LINES_PER_FACT_MIN,
            bytes_left: LINE_BYTES_PER_FACT_MIN,
            limits: Limits::default(),
            profile: Profile::SPEC,
            facts_sent: 0,
            pending_reset: None,
            more_after_last: false,
        })
    }

    /// This subject, written at most `window` facts ahead of the delimiters read (at least 1:
    /// lock-step) when it speaks a pipelined version of the protocol. The verdicts do not
    /// depend on the window, only the time they take.
    pub fn with_window(mut self, window: usize) -> ProcessSubject {
        self.window = window.max(1);
        self
    }

    /// How many facts may be in flight now: the window for a subject that acknowledged a
    /// pipelined version, else 1.
    fn window_in_use(&self) -> usize {
        if self.acknowledged >= PIPELINED_SINCE {
            self.window
        } else {
            1
        }
    }

    /// Starts the process, writes the header and waits for its acknowledgement. A subject that
    /// ends without acknowledging the header (as a subject of an older version that checks the
    /// header's version does) is started again with the header of the version before, down to
    /// [`PROTOCOL_VERSION_MIN`], and from then on always is (`spec/protocol.md`, "Versioning").
    fn start(&mut self, limits: Limits, profile: Profile) -> Result<(), SubjectError> {
        loop {
            match self.start_at(limits, profile) {
                Err(SubjectError::Crashed { .. } | SubjectError::EarlyExit { .. })
                    if self.header_version > PROTOCOL_VERSION_MIN =>
                {
                    self.stop();
                    self.header_version -= 1;
                }
                started => return started,
            }
        }
    }

    fn start_at(&mut self, limits: Limits, profile: Profile) -> Result<(), SubjectError> {
        let (program, args) = self.argv.split_first().ok_or_else(|| SubjectError::Spawn {
            subject: self.command.clone(),
            what: "empty command".to_owned(),
        })?;
        let mut group = Group::spawn(
            Command::new(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .map_err(|error| SubjectError::Spawn {
            subject: self.command.clone(),
            what: format!("{program}: {error}"),
        })?;
        let child = &mut group.child;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            // Dropping the group kills it.
            return Err(SubjectError::Spawn {
                subject: self.command.clone(),
                what: "no pipes to the process".to_owned(),
            });
        };
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let (stderr_closed_tx, stderr_closed) = mpsc::channel();
        self.running = Some(Running {
            group,
            stdin: Some(spawn_writer(stdin)),
            stdout: reader(stdout),
            stderr_tail: Arc::clone(&stderr_tail),
            stderr_closed,
        });
        spawn_stderr_drain(stderr, stderr_tail, stderr_closed_tx);
        let header = Header {
            review_spec_protocol: self.header_version,
            limits,
            profile,
        };
        self.send(&header);
        self.budget(0);
        let startup_timeout = self
            .timeout
            .max(Duration::from_millis(STARTUP_TIMEOUT_MIN_MS));
        let line = self.next_line(Stage::Header, startup_timeout)?;
        let parsed = serde_json::from_str::<HeaderAck>(line.trim())
            .map_err(|error| short_error(&error))
            .and_then(|acknowledged| {
                match crate::trace::misplaced_array(ack_shape(), line.trim()) {
                    Some(misfit) => Err(misfit.describe()),
                    None => Ok(acknowledged),
                }
            });
        let acknowledged = parsed.map_err(|what| {
            self.fail(SubjectError::Garbage {
                subject: self.command.clone(),
                at: Stage::Header,
                what: format!(
                    "expected the acknowledgement {{\"review_spec_protocol\": {PROTOCOL_VERSION}}} ({what})"
                ),
                line: quote(&line),
            })
        })?;
        if !(u64::from(PROTOCOL_VERSION_MIN)..=u64::from(self.header_version))
            .contains(&acknowledged.review_spec_protocol)
        {
            return Err(self.fail(SubjectError::Version {
                subject: self.command.clone(),
                got: acknowledged.review_spec_protocol.to_string(),
                expected: PROTOCOL_VERSION,
            }));
        }
        self.acknowledged = u32::try_from(acknowledged.review_spec_protocol).unwrap_or(u32::MAX);
        // Protocol 2 carries the facts of trace format 2; protocols 3 and 4, those of trace
        // format 3.
        self.facts_version = if acknowledged.review_spec_protocol >= 3 {
            crate::trace::TRACE_FORMAT_VERSION
        } else {
            2
        };
        self.emits = match &acknowledged.emits {
            None => OutputKinds::ALL,
            Some(kinds) if kinds.is_empty() => {
                return Err(self.fail(SubjectError::Garbage {
                    subject: self.command.clone(),
                    at: Stage::Header,
                    what: "the acknowledgement declares that the subject emits nothing".to_owned(),
                    line: quote(&line),
                }));
            }
            Some(kinds) => OutputKinds::of(kinds),
        };
        Ok(())
    }

    /// Hands `facts` to the stdin writer as one write.
    fn send_all(&mut self, facts: &[Fact]) {
        let Some(sender) = self.running.as_ref().and_then(|r| r.stdin.as_ref()) else {
            return;
        };
        let mut lines = self.pending_reset.take().unwrap_or_default();
        for fact in facts {
            // Serializing the crate's own wire types cannot fail (no maps with non-string keys).
            lines.push_str(&serde_json::to_string(fact).unwrap_or_default());
            lines.push('\n');
        }
        let _ = sender.send(lines);
    }

    /// Hands a message to the stdin writer. A failure to deliver it shows up as the subject's
    /// output ending, which is where it is reported, with the exit status.
    fn send<T: Serialize>(&mut self, message: &T) {
        let Some(sender) = self.running.as_ref().and_then(|r| r.stdin.as_ref()) else {
            return;
        };
        // Serializing the crate's own wire types cannot fail (no maps with non-string keys).
        let mut line = self.pending_reset.take().unwrap_or_default();
        line.push_str(&serde_json::to_string(message).unwrap_or_default());
        line.push('\n');
        let _ = sender.send(line);
    }

    /// Kills the process and its whole process group, if any, and returns the tail of its
    /// stderr. The next reset starts a new one.
    fn stop(&mut self) -> String {
        // A new process starts with its header: a reset meant for this one is not sent.
        self.pending_reset = None;
        let Some(mut running) = self.running.take() else {
            return String::new();
        };
        running.stdin = None;
        running.group.kill();
        // The drain thread ends when every holder of the pipe has exited; a process that left the
        // group may hold it open, so wait only briefly.
        let _ = running.stderr_closed.recv_timeout(STDERR_GRACE);
        let tail = match running.stderr_tail.lock() {
            Ok(tail) => tail.iter().copied().collect::<Vec<u8>>(),
            Err(poisoned) => poisoned.into_inner().iter().copied().collect(),
        };
        // Escaped: a subject's stderr must not retitle or rewrite the user's terminal.
        crate::untrusted::lines(&String::from_utf8_lossy(&tail), usize::MAX)
    }

    /// Whether the process is running and has not exited.
    fn is_alive(&mut self) -> bool {
        self.running
            .as_mut()
            .is_some_and(|running| matches!(running.group.child.try_wait(), Ok(None)))
    }
}

impl Subject for ProcessSubject {
    fn name(&self) -> String {
        self.command.clone()
    }

    fn reduces_apart(&self) -> bool {
        true
    }

    fn reset(&mut self, limits: Limits, profile: &Profile) -> Result<(), SubjectError> {
        // A trace that received no fact, with the same limits and profile, is the new trace as
        // it is: the subject's state is the one a reset would make.
        let unchanged = self.facts_sent == 0 && self.limits == limits && self.profile == *profile;
        self.limits = limits;
        self.profile = *profile;
        self.facts_sent = 0;
        if unchanged && self.is_alive() {
            return Ok(());
        }
        if self.is_alive() {
            // Written with the first facts of the trace (a reset before any of them replaces it:
            // the subject would have forgotten the first one at once).
            let reset = Reset {
                reset: ResetBody {
                    limits,
                    profile: *profile,
                },
            };
            let mut line = serde_json::to_string(&reset).unwrap_or_default();
            line.push('\n');
            self.pending_reset = Some(line);
            return Ok(());
        }
        self.stop();
        self.start(limits, *profile)
    }

    fn emits(&self) -> OutputKinds {
        self.emits
    }

    fn facts_version(&self) -> u32 {
        self.facts_version
    }

    fn restart(&mut self) {
        // The next reset starts a new process.
        self.stop();
    }

    fn ingest(
        &mut self,
        fact_index: usize,
        fact: &Fact,
        outputs: &mut Vec<Output>,
    ) -> Result<(), SubjectError> {
        self.before_writing(fact_index)?;
        self.send(fact);
        self.facts_sent = self.facts_sent.saturating_add(1);
        self.answer(fact_index, outputs)
    }

    fn ingest_all(
        &mut self,
        facts: &[Fact],
        on_answer: &mut dyn FnMut(usize, &[Output]) -> ControlFlow<()>,
    ) -> Result<(), SubjectError> {
        self.pipeline(facts, on_answer)
    }
}

impl Drop for ProcessSubject {
    /// Closes the subject's stdin (the end of the run), gives it a moment to exit by itself, then
    /// kills its process group: no process outlives the tool's subject.
    fn drop(&mut self) {
        if let Some(running) = self.running.as_mut() {
            running.stdin = None;
            let _ = running.group.child.wait_timeout(EXIT_GRACE);
        }
        self.stop();
    }
}
