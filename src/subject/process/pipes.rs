//! The pipes of a subject process: a thread writes its stdin, the tool reads its stdout on its
//! own thread ([`Lines`]: lines of at most [`DEFAULT_MAX_LINE_BYTES`], read as they are taken), a
//! thread drains its stderr into a bounded tail; and how a subject's line is quoted in an error.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{QUOTED_LINE_CHARS_MAX, STDERR_TAIL_BYTES_MAX};
use crate::trace::DEFAULT_MAX_LINE_BYTES;

/// What the reader of the subject's stdout ([`Lines`]) gives.
pub(super) enum StdoutEvent {
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

/// The stdin writer: writes each line it receives, until the channel closes (then the subject's
/// stdin closes) or the pipe breaks (the subject is gone; the reader reports it).
pub(super) fn spawn_writer(mut stdin: ChildStdin) -> Sender<String> {
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

/// The subject's stdout, read on the tool's own thread as it takes lines: no thread, no queue,
/// no copy per line beyond the line's text. The tool reads what `poll` says is there (at most
/// [`CHUNK_BYTES`] at a time) when it has no whole line left, and waits for more with `poll`, so that reading is as cheap as the tool's work allows and never blocks past a
/// deadline. What it holds is bounded: the unread rest of a chunk and one line of at most
/// [`DEFAULT_MAX_LINE_BYTES`]; a subject that writes more waits in its own `write`.
pub(super) struct Lines<R = ChildStdout> {
    source: R,
    /// Bytes read and not yet taken, from `start` on.
    buffer: Vec<u8>,
    start: usize,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// More may come.
    Open,
    /// The output ended (or a line was too long): the end is still to be taken.
    Ended,
    /// The end was taken: nothing more.
    Closed,
}

/// How much of the subject's output the tool reads at once.
const CHUNK_BYTES: usize = 1 << 16;

/// Where a subject's output comes from: the pipe, or (in tests) any reader.
pub(super) trait Source {
    /// Reads what is there without waiting: `None` when nothing is, `Some(0)` at the end.
    fn read_now(&mut self, into: &mut [u8]) -> Option<usize>;
    /// Waits at most `timeout` for something to read (or the end); whether it came.
    fn wait(&self, timeout: Duration) -> bool;
}

impl Source for ChildStdout {
    fn read_now(&mut self, into: &mut [u8]) -> Option<usize> {
        // Read only what `poll` says is there: a read of a readable pipe does not wait.
        if !self.wait(Duration::ZERO) {
            return None;
        }
        loop {
            match self.read(into) {
                Ok(read) => return Some(read),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                // A pipe that cannot be read is an output that ended.
                Err(_) => return Some(0),
            }
        }
    }

    fn wait(&self, timeout: Duration) -> bool {
        let mut fds = [PollFd::new(self.as_fd(), PollFlags::POLLIN)];
        // Rounded up, so that a short wait is not a busy loop.
        let millis = timeout.as_micros().div_ceil(1000);
        let timeout =
            PollTimeout::try_from(millis.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX);
        // Readable, the end, or an error: either way reading will not wait.
        !matches!(poll(&mut fds, timeout), Ok(0))
    }
}

/// The reader of the subject's stdout.
pub(super) fn reader(stdout: ChildStdout) -> Lines {
    Lines::of(stdout)
}

impl<R: Source> Lines<R> {
    /// The lines of `source`.
    pub(super) fn of(source: R) -> Lines<R> {
        Lines {
            source,
            buffer: Vec::new(),
            start: 0,
            state: State::Open,
        }
    }

    /// The next event if it is there, without waiting.
    pub(super) fn try_recv(&mut self) -> Result<StdoutEvent, TryRecvError> {
        loop {
            if let Some(event) = self.take_line() {
                return Ok(event);
            }
            match self.state {
                State::Ended => {
                    self.state = State::Closed;
                    return Ok(StdoutEvent::End);
                }
                State::Closed => return Err(TryRecvError::Disconnected),
                State::Open => {}
            }
            if !self.fill() {
                return Err(TryRecvError::Empty);
            }
        }
    }

    /// The next event, waiting at most `wait`.
    pub(super) fn recv_timeout(&mut self, wait: Duration) -> Result<StdoutEvent, RecvTimeoutError> {
        let deadline = Instant::now() + wait;
        loop {
            match self.try_recv() {
                Ok(event) => return Ok(event),
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.source.wait(left) {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }

    /// A whole line of the buffer, or the line too long, or at the end what is left.
    fn take_line(&mut self) -> Option<StdoutEvent> {
        let rest = &self.buffer[self.start..];
        let line_break = first_line_break(rest);
        if let Some(at) = line_break.filter(|&at| at <= DEFAULT_MAX_LINE_BYTES) {
            let text = String::from_utf8_lossy(&rest[..=at]).into_owned();
            self.start += at + 1;
            let more = self.start < self.buffer.len() || self.pending();
            return Some(StdoutEvent::Line { text, more });
        }
        if line_break.is_some() || rest.len() > DEFAULT_MAX_LINE_BYTES {
            // Enough bytes for the quoted characters, however wide.
            let start = rest.get(..QUOTED_LINE_CHARS_MAX * 4).unwrap_or(rest);
            let start = cut(
                &String::from_utf8_lossy(start),
                &format!("more than {DEFAULT_MAX_LINE_BYTES} bytes"),
            );
            // The reader stops there.
            (self.buffer, self.start, self.state) = (Vec::new(), 0, State::Closed);
            return Some(StdoutEvent::TooLong(start));
        }
        if self.state == State::Ended && !rest.is_empty() {
            // The last line, without a line break.
            let text = String::from_utf8_lossy(rest).into_owned();
            self.start = self.buffer.len();
            return Some(StdoutEvent::Line { text, more: false });
        }
        None
    }

    /// Whether the source has more at once (the end counts).
    fn pending(&self) -> bool {
        self.state != State::Open || self.source.wait(Duration::ZERO)
    }

    /// Reads what the source has, without waiting; whether anything came (or the end).
    fn fill(&mut self) -> bool {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        let filled = self.buffer.len();
        self.buffer.resize(filled + CHUNK_BYTES, 0);
        let read = self.source.read_now(&mut self.buffer[filled..]);
        self.buffer.truncate(filled + read.unwrap_or(0));
        match read {
            None => false,
            Some(0) => {
                self.state = State::Ended;
                true
            }
            Some(_) => true,
        }
    }
}

/// The index of the first line break of `bytes`.
fn first_line_break(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&byte| byte == b'\n')
}

/// The stderr drain: keeps the last bytes of the subject's stderr, so the pipe never fills up
/// and errors can quote it.
pub(super) fn spawn_stderr_drain(
    mut stderr: ChildStderr,
    tail: Arc<Mutex<VecDeque<u8>>>,
    closed: Sender<()>,
) {
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
pub(super) fn quote(line: &str) -> String {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.chars().count() <= QUOTED_LINE_CHARS_MAX {
        return crate::untrusted::one_line(line, usize::MAX);
    }
    cut(line, &format!("{} bytes", line.len()))
}

/// The start of a long line, and its size.
pub(super) fn cut(line: &str, size: &str) -> String {
    let start: String = line.chars().take(QUOTED_LINE_CHARS_MAX).collect();
    format!(
        "{}... ({size})",
        crate::untrusted::one_line(&start, usize::MAX)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader as a source that always has its next bytes there.
    struct Ready<R>(R);

    impl<R: Read> Source for Ready<R> {
        fn read_now(&mut self, into: &mut [u8]) -> Option<usize> {
            Some(self.0.read(into).unwrap_or(0))
        }
        fn wait(&self, _: Duration) -> bool {
            true
        }
    }

    impl<R: Source> Lines<R> {
        /// Every event until the end.
        fn collect_all(mut self) -> Vec<StdoutEvent> {
            let mut events = Vec::new();
            while let Ok(event) = self.recv_timeout(Duration::from_secs(10)) {
                events.push(event);
            }
            events
        }
    }

    #[test]
    fn a_line_of_the_longest_length_is_read_and_a_longer_one_quoted_by_its_start() {
        let longest = "a".repeat(DEFAULT_MAX_LINE_BYTES);
        let longer = "b".repeat(DEFAULT_MAX_LINE_BYTES + 1);
        let stdout = std::io::Cursor::new(format!("{longest}\n{longer}\nnever read\n"));
        let events: Vec<StdoutEvent> = Lines::of(Ready(stdout)).collect_all();
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
    fn lines_split_across_reads_are_whole_and_the_last_one_needs_no_line_break() {
        /// Hands out one byte at a time, and nothing every other call.
        struct Trickle(Vec<u8>, bool);
        impl Source for Trickle {
            fn read_now(&mut self, into: &mut [u8]) -> Option<usize> {
                self.1 = !self.1;
                if self.1 {
                    return None;
                }
                if self.0.is_empty() {
                    return Some(0);
                }
                into[0] = self.0.remove(0);
                Some(1)
            }
            fn wait(&self, _: Duration) -> bool {
                true
            }
        }
        let lines = Lines::of(Trickle(b"{\"done\": 0}\n\nlast".to_vec(), false));
        let texts: Vec<String> = lines
            .collect_all()
            .into_iter()
            .map(|event| match event {
                StdoutEvent::Line { text, .. } => text,
                StdoutEvent::TooLong(start) => format!("too long: {start}"),
                StdoutEvent::End => "(end)".to_owned(),
            })
            .collect();
        assert_eq!(texts, ["{\"done\": 0}\n", "\n", "last", "(end)"]);
    }
}
