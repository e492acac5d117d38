//! A subject that is another process, in any language, speaking the process protocol of
//! `spec/protocol.md` (version [`PROTOCOL_VERSION`]) over its stdin and stdout.
//!
//! The tool writes a header line, then one fact per line, with a reset line between traces; after
//! each fact the subject writes the fact's outputs, one per line, then the delimiter
//! `{"done": <fact index>}`. One process serves a whole run and is restarted when it died.
//!
//! The tool never hangs on a subject, whatever it writes: the subject's stdout is read on a thread
//! that forwards each line (at most [`DEFAULT_MAX_LINE_BYTES`] (the longest line a subject may write, as a trace may hold: 1 MiB; a longer one is garbage, quoted by its first 200 characters) bytes) over a bounded channel, and the tool
//! checks the per-fact deadline before it takes each line, counts the lines of each fact
//! ([`lines_per_fact_max`]), and polls the child while it waits, so a child that exited is
//! reported as such even when a grandchild still holds its stdout. Its stdin is written on
//! another thread, so a subject that stops reading cannot block the tool either; its stderr is
//! drained on a third thread into a bounded tail that errors quote. The subject runs in a process
//! group of its own (`group.rs`), killed whole. A subject that crashes, hangs, floods, prints
//! garbage, stops early or answers for the wrong fact is killed and reported as a
//! [`SubjectError`] naming the fact index. This is the crate's I/O boundary with subjects; nothing
//! here knows the rules.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::trace::DEFAULT_MAX_LINE_BYTES;
use wait_timeout::ChildExt as _;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::group::Group;
use super::{Stage, Subject, SubjectError};
use crate::event::{Limits, Output, OutputKind, OutputKinds};
use crate::fact::Fact;
use crate::profile::Profile;
use crate::shape::Shape;
use std::sync::OnceLock;

/// The protocol version this crate speaks. Version 3 sends the facts of trace format 3 (the
/// `subagent_thread_started` fact, `thread_bound`'s `originator`); a subject that acknowledges
/// version 2 is still run, and is sent only facts of trace format 2 (`spec/protocol.md`,
/// "Versioning"). Version 2 added the profile to the header and reset lines and the declared
/// output kinds (`emits`) to the acknowledgement.
pub const PROTOCOL_VERSION: u32 = 3;

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
/// How many lines the stdout reader reads ahead of the tool: with [`DEFAULT_MAX_LINE_BYTES`], what bounds
/// the memory a subject that keeps writing can take.
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

/// The first line the tool writes: the protocol version, and the limits and profile of the first
/// trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The protocol version the tool speaks (`PROTOCOL_VERSION`, or 2 for a subject that
    /// answered a version 3 header by exiting).
    pub review_spec_protocol: u32,
    /// The limits of the first trace.
    pub limits: Limits,
    /// The profile of the first trace.
    pub profile: Profile,
}

/// The subject's acknowledgement of the header: the protocol version it speaks, and the output
/// kinds it emits (all three when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderAck {
    /// The protocol version the subject speaks.
    pub review_spec_protocol: u64,
    /// The output kinds the subject emits; all three when absent.
    #[serde(default)]
    pub emits: Option<Vec<OutputKind>>,
}

/// The line the tool writes between traces: forget everything, these limits from now on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    /// What the next trace runs under.
    pub reset: ResetBody,
}

/// The body of a [`Reset`] line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The limits of the next trace.
    pub limits: Limits,
    /// The profile of the next trace.
    pub profile: Profile,
}

/// One line the subject writes while answering for a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectLine {
    /// An output of the fact (boxed: outputs are large, delimiters small).
    Output(Box<Output>),
    /// The delimiter `{"done": N}`: the fact's outputs are complete.
    Done(u64),
    /// A blank line, ignored.
    Blank,
}

/// Reads one line the subject wrote while answering for a fact: an output, the delimiter, or a
/// blank line; anything else is garbage, described by the error.
pub fn parse_subject_line(line: &str) -> Result<SubjectLine, String> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(SubjectLine::Blank);
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| format!("not a JSON value ({})", short_error(&error)))?;
    let Some(object) = value.as_object() else {
        return Err(
            "not a JSON object: expected an output {\"event_type\", \"event_params\"} or the delimiter {\"done\": N}"
                .to_owned(),
        );
    };
    if object.contains_key("done") {
        // From the text, not the value: a key given twice ({"done": 0, "done": 0}) is an error
        // there, where the value kept the last.
        return serde_json::from_str::<Delimiter>(text)
            .map(|delimiter| SubjectLine::Done(delimiter.done))
            .map_err(|error| {
                format!(
                    "invalid delimiter: expected exactly {{\"done\": N}}, N the index of the fact ({})",
                    short_error(&error)
                )
            });
    }
    if object.contains_key("event_type") {
        if let Some(extra) = object
            .keys()
            .find(|key| *key != "event_type" && *key != "event_params")
        {
            return Err(format!(
                "invalid output: unexpected key `{extra}`: an output line has exactly the keys event_type and event_params"
            ));
        }
        if let Some(misfit) = output_shape().misplaced_array(&value) {
            return Err(format!("invalid output: {}", misfit.describe()));
        }
        // From the text, so that a key given twice is an error.
        return serde_json::from_str(text)
            .map(|output| SubjectLine::Output(Box::new(output)))
            .map_err(|error| format!("invalid output: {}", short_error(&error)));
    }
    Err(
        "expected an output {\"event_type\", \"event_params\"} or the delimiter {\"done\": N}"
            .to_owned(),
    )
}

/// The delimiter line, read strictly: exactly one key, once.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delimiter {
    /// The index of the fact whose outputs are complete.
    pub done: u64,
}

/// A line the tool writes to a subject (`spec/protocol.md`, "Messages from the tool"); the
/// schema of `spec/schema/protocol-tool.schema.json`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
pub enum ToolMessage {
    /// The first line.
    Header(Header),
    /// The line between two traces.
    Reset(Reset),
    /// A fact of the trace.
    Fact(Box<Fact>),
}

/// A line a subject writes to the tool (`spec/protocol.md`, "Messages from the subject"); the
/// schema of `spec/schema/protocol-subject.schema.json`.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
pub enum SubjectMessage {
    /// The answer to the header.
    HeaderAck(HeaderAck),
    /// An output of the fact being answered.
    Output(Box<Output>),
    /// The end of the fact's outputs.
    Delimiter(Delimiter),
}

/// The shape of an output line ([`crate::shape`]): objects only.
fn output_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<Output>)
}

/// The shape of the acknowledgement.
fn ack_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<HeaderAck>)
}

/// serde's message about a subject's line, safe and short for display: the input it quotes is
/// cut to an excerpt, control characters escaped ([`crate::untrusted`]).
fn short_error(error: &serde_json::Error) -> String {
    crate::untrusted::one_line(&crate::trace::shorten(&error.to_string()), WHAT_CHARS_MAX)
}

/// Splits a command line into program and arguments as a POSIX shell would for a simple command
/// (`shlex`): blanks separate words, quotes and backslashes as in `sh`. No variables, globs or
/// pipes: for those, run `sh -c '...'` as the command.
pub fn split_command(command: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(command)
        .ok_or_else(|| "unterminated quote, or a trailing backslash".to_owned())?;
    if words.is_empty() {
        return Err("empty command".to_owned());
    }
    Ok(words)
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
    /// The protocol version of the header it is started with: [`PROTOCOL_VERSION`], or 2 once
    /// it ended without acknowledging that.
    header_version: u32,
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
    /// Whether the subject's stdout held more, unread, when the last line was taken: a line
    /// after the last delimiter that reached the tool before the next fact, which is garbage.
    more_after_last: bool,
}

/// What the subject's stdout reader forwards.
enum StdoutEvent {
    /// A line, and whether more of the output was already there when it was read (in the
    /// reader's buffer or in the pipe): what a line after a delimiter is told by, without racing
    /// the reader.
    Line {
        text: String,
        more: bool,
    },
    /// A line longer than [`DEFAULT_MAX_LINE_BYTES`], quoted by its start; the reader stops there.
    TooLong(String),
    End,
}

/// A started subject process (in its process group) and the threads that talk to it.
struct Running {
    group: Group,
    /// Lines for the stdin writer thread; dropping it closes the subject's stdin.
    stdin: Option<Sender<String>>,
    stdout: Receiver<StdoutEvent>,
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
            lines_max: LINES_PER_FACT_MIN,
            lines_left: LINES_PER_FACT_MIN,
            bytes_left: LINE_BYTES_PER_FACT_MIN,
            limits: Limits::default(),
            profile: Profile::SPEC,
            facts_sent: 0,
            more_after_last: false,
        })
    }

    /// Starts the process, writes the header and waits for its acknowledgement. A subject that
    /// ends without acknowledging a version 3 header (as a version 2 subject that checks the
    /// header's version does) is started again with a version 2 header, and from then on always
    /// is (`spec/protocol.md`, "Versioning").
    fn start(&mut self, limits: Limits, profile: Profile) -> Result<(), SubjectError> {
        match self.start_at(limits, profile) {
            Err(SubjectError::Crashed { .. } | SubjectError::EarlyExit { .. })
                if self.header_version > PROTOCOL_VERSION_MIN =>
            {
                self.stop();
                self.header_version = PROTOCOL_VERSION_MIN;
                self.start_at(limits, profile)
            }
            started => started,
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
            stdout: spawn_reader(stdout),
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
        // Protocol 2 carries the facts of trace format 2; protocol 3, those of trace format 3.
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

    /// Hands a message to the stdin writer. A failure to deliver it shows up as the subject's
    /// output ending, which is where it is reported, with the exit status.
    fn send<T: Serialize>(&mut self, message: &T) {
        let Some(sender) = self.running.as_ref().and_then(|r| r.stdin.as_ref()) else {
            return;
        };
        // Serializing the crate's own wire types cannot fail (no maps with non-string keys).
        let mut line = serde_json::to_string(message).unwrap_or_default();
        line.push('\n');
        let _ = sender.send(line);
    }

    /// The next non-blank line of the subject's stdout, within `timeout`.
    fn next_line(&mut self, stage: Stage, timeout: Duration) -> Result<String, SubjectError> {
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
    fn line_before(&mut self, stage: Stage, deadline: Instant) -> Result<String, SubjectError> {
        loop {
            let Some(running) = self.running.as_mut() else {
                return Err(SubjectError::EarlyExit {
                    subject: self.command.clone(),
                    at: stage,
                    status: "not running".to_owned(),
                    stderr_tail: String::new(),
                });
            };
            let exited = matches!(running.group.child.try_wait(), Ok(Some(_)));
            let now = Instant::now();
            if now >= deadline {
                return Err(if exited {
                    self.died(stage)
                } else {
                    self.timed_out(stage)
                });
            }
            let wait = if exited {
                EXITED_OUTPUT_GRACE
            } else {
                (deadline - now).min(EXIT_POLL)
            };
            match running.stdout.recv_timeout(wait) {
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
    fn counted(&mut self, stage: Stage, line: String) -> Result<String, SubjectError> {
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
    fn budget(&mut self, facts: usize) {
        self.lines_max = lines_per_fact_max(&self.limits, facts);
        self.lines_left = self.lines_max;
        self.bytes_left = line_bytes_per_fact_max(self.lines_max);
    }

    /// Kills the subject that did not answer in time, and says so.
    fn timed_out(&mut self, stage: Stage) -> SubjectError {
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
    fn died(&mut self, stage: Stage) -> SubjectError {
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
    fn fail(&mut self, error: SubjectError) -> SubjectError {
        self.stop();
        error
    }

    /// Kills the process and its whole process group, if any, and returns the tail of its
    /// stderr. The next reset starts a new one.
    fn stop(&mut self) -> String {
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

    /// A non-blank line the subject wrote after its last delimiter, before this fact is sent,
    /// quoted. The reader said, with the last line, whether more output was already there: if
    /// so, that output is waited for (it is in the pipe; within the timeout), so a line written
    /// with the delimiter is never left to race the reader into the next fact's answer. Lines
    /// that arrived anyway are taken too. Looks at a queue's worth of lines at most: blank lines
    /// that keep coming count against the next fact's lines.
    fn stray_line(&mut self) -> Option<String> {
        let timeout = self.timeout;
        for _ in 0..QUEUED_LINES_MAX {
            let running = self.running.as_ref()?;
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
            self.send(&Reset {
                reset: ResetBody {
                    limits,
                    profile: *profile,
                },
            });
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
        self.send(fact);
        self.facts_sent = self.facts_sent.saturating_add(1);
        self.budget(self.facts_sent);
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

/// The stdin writer: writes each line it receives, until the channel closes (then the subject's
/// stdin closes) or the pipe breaks (the subject is gone; the reader reports it).
fn spawn_writer(mut stdin: ChildStdin) -> Sender<String> {
    let (sender, receiver) = mpsc::channel::<String>();
    thread::spawn(move || {
        for line in receiver {
            if stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush())
                .is_err()
            {
                break;
            }
        }
    });
    sender
}

/// The stdout reader: forwards each line, then the end of the output (or a line too long). It
/// reads at most [`QUEUED_LINES_MAX`] lines ahead of the tool, each at most [`DEFAULT_MAX_LINE_BYTES`]
/// bytes.
fn spawn_reader(stdout: ChildStdout) -> Receiver<StdoutEvent> {
    spawn_reader_of(stdout, |stdout| {
        let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLIN)];
        // Readable: bytes, or the end of the output; either is more to take.
        !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(0))
    })
}

/// The stdout reader of any `stdout`; `pending` says whether `stdout` has more to read at once.
fn spawn_reader_of<R: Read + Send + 'static>(
    stdout: R,
    pending: fn(&R) -> bool,
) -> Receiver<StdoutEvent> {
    let (sender, receiver) = mpsc::sync_channel(QUEUED_LINES_MAX);
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut bytes = Vec::new();
            // The line break, if it comes, is the byte after the longest line.
            let read = (&mut reader)
                .take(DEFAULT_MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut bytes);
            let event = match read {
                Ok(0) | Err(_) => StdoutEvent::End,
                Ok(_) if bytes.len() > DEFAULT_MAX_LINE_BYTES && bytes.last() != Some(&b'\n') => {
                    // Enough bytes for the quoted characters, however wide.
                    let start = bytes.get(..QUOTED_LINE_CHARS_MAX * 4).unwrap_or(&bytes);
                    let start = String::from_utf8_lossy(start);
                    StdoutEvent::TooLong(cut(
                        &start,
                        &format!("more than {DEFAULT_MAX_LINE_BYTES} bytes"),
                    ))
                }
                Ok(_) => StdoutEvent::Line {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    more: !reader.buffer().is_empty() || pending(reader.get_ref()),
                },
            };
            let last = !matches!(event, StdoutEvent::Line { .. });
            if sender.send(event).is_err() || last {
                break;
            }
        }
    });
    receiver
}

/// The stderr drain: keeps the last bytes of the subject's stderr, so the pipe never fills up
/// and errors can quote it.
fn spawn_stderr_drain(mut stderr: ChildStderr, tail: Arc<Mutex<VecDeque<u8>>>, closed: Sender<()>) {
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read) = stderr.read(&mut buffer) {
            if read == 0 {
                break;
            }
            let Ok(mut tail) = tail.lock() else {
                break;
            };
            tail.extend(buffer.iter().take(read));
            let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES_MAX);
            tail.drain(..excess);
        }
        let _ = closed.send(());
    });
}

/// A line as quoted in an error: without its line break, cut to a readable length, control
/// characters escaped ([`crate::untrusted`]).
fn quote(line: &str) -> String {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.chars().count() <= QUOTED_LINE_CHARS_MAX {
        return crate::untrusted::one_line(line, usize::MAX);
    }
    cut(line, &format!("{} bytes", line.len()))
}

/// The start of a long line, and its size.
fn cut(line: &str, size: &str) -> String {
    let start: String = line.chars().take(QUOTED_LINE_CHARS_MAX).collect();
    format!(
        "{}... ({size})",
        crate::untrusted::one_line(&start, usize::MAX)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell() {
        assert_eq!(
            split_command(r#"python3 "my dir/s.py" --x 'a b' c\ d "q\"uote""#),
            Ok(vec![
                "python3".to_owned(),
                "my dir/s.py".to_owned(),
                "--x".to_owned(),
                "a b".to_owned(),
                "c d".to_owned(),
                "q\"uote".to_owned(),
            ])
        );
        assert_eq!(split_command("  "), Err("empty command".to_owned()));
        assert_eq!(
            split_command("a 'b"),
            Err("unterminated quote, or a trailing backslash".to_owned())
        );
        assert!(split_command("a\\").is_err());
        assert_eq!(split_command("''"), Ok(vec![String::new()]));
    }

    #[test]
    fn a_line_of_the_longest_length_is_read_and_a_longer_one_quoted_by_its_start() {
        let longest = "a".repeat(DEFAULT_MAX_LINE_BYTES);
        let longer = "b".repeat(DEFAULT_MAX_LINE_BYTES + 1);
        let stdout = std::io::Cursor::new(format!("{longest}\n{longer}\nnever read\n"));
        let events: Vec<StdoutEvent> = spawn_reader_of(stdout, |_| false).iter().collect();
        let [
            StdoutEvent::Line { text: line, .. },
            StdoutEvent::TooLong(start),
        ] = &events[..]
        else {
            panic!(
                "expected a line, then a line too long: {} events",
                events.len()
            );
        };
        assert_eq!(line.trim_end(), longest);
        assert_eq!(
            *start,
            format!(
                "{}... (more than {DEFAULT_MAX_LINE_BYTES} bytes)",
                "b".repeat(200)
            )
        );
    }

    #[test]
    fn subject_lines_are_outputs_delimiters_or_garbage() {
        assert_eq!(parse_subject_line("  \n"), Ok(SubjectLine::Blank));
        assert_eq!(
            parse_subject_line("{\"done\": 3}\n"),
            Ok(SubjectLine::Done(3))
        );
        let output = parse_subject_line(
            r#"{"event_type": "review_spec_diagnostic", "event_params": {"reason": "orphan_response", "connection_id": 1, "request_id": 9}}"#,
        );
        assert!(matches!(output, Ok(SubjectLine::Output(_))), "{output:?}");
        for garbage in [
            "hello",
            "[1]",
            "{\"done\": -1}",
            "{\"done\": 1, \"x\": 2}",
            "{\"at\": 0, \"event_type\": \"review_spec_diagnostic\", \"event_params\": {\"reason\": \"evicted\"}}",
            "{\"event_type\": \"nope\", \"event_params\": {}}",
            "{\"reset\": {}}",
            "{\"done\": 0, \"done\": 0}",
            "{\"event_type\": \"review_spec_diagnostic\", \"event_params\": [\"evicted\"]}",
        ] {
            assert!(parse_subject_line(garbage).is_err(), "{garbage}");
        }
    }
}
