//! The threads that talk to a subject process: one writes its stdin, one reads its stdout (a
//! bounded queue of lines, each at most [`DEFAULT_MAX_LINE_BYTES`]), one drains its stderr into a
//! bounded tail; and how a subject's line is quoted in an error.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{QUEUED_LINES_MAX, QUOTED_LINE_CHARS_MAX, STDERR_TAIL_BYTES_MAX};
use crate::trace::DEFAULT_MAX_LINE_BYTES;

/// What the subject's stdout reader forwards.
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

/// The stdout reader: forwards each line, then the end of the output (or a line too long). It
/// reads at most [`QUEUED_LINES_MAX`] lines ahead of the tool, each at most [`DEFAULT_MAX_LINE_BYTES`]
/// bytes.
pub(super) fn spawn_reader(stdout: ChildStdout) -> Lines {
    spawn_reader_of(stdout, |stdout| {
        let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLIN)];
        // Readable: bytes, or the end of the output; either is more to take.
        !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(0))
    })
}

/// The stdout reader of any `stdout`; `pending` says whether `stdout` has more to read at once.
pub(super) fn spawn_reader_of<R: Read + Send + 'static>(
    stdout: R,
    pending: fn(&R) -> bool,
) -> Lines {
    // A batch at a time, each at most a quarter of the lines ahead, two in the channel: with the
    // batch being read and the one being taken, at most QUEUED_LINES_MAX lines ahead of the tool.
    let (sender, receiver) = mpsc::sync_channel(2);
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut batch = Vec::new();
            // One line, waiting for it if need be; then the lines already read, without waiting.
            let last = loop {
                let event = read_event(&mut reader, pending);
                let last = !matches!(event, StdoutEvent::Line { .. });
                batch.push(event);
                if last || batch.len() == BATCH_LINES_MAX || !reader.buffer().contains(&b'\n') {
                    break last;
                }
            };
            if sender.send(batch).is_err() || last {
                break;
            }
        }
    });
    Lines {
        batches: receiver,
        taken: VecDeque::new(),
    }
}

/// The most lines the reader sends at once.
const BATCH_LINES_MAX: usize = QUEUED_LINES_MAX / 4;

/// The next line of `reader` (at most [`DEFAULT_MAX_LINE_BYTES`] bytes), or the end.
fn read_event<R: Read>(reader: &mut BufReader<R>, pending: fn(&R) -> bool) -> StdoutEvent {
    let mut bytes = Vec::new();
    // The line break, if it comes, is the byte after the longest line.
    let read = reader
        .take(DEFAULT_MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut bytes);
    match read {
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
    }
}

/// The subject's stdout as the reader forwards it: lines taken one by one from the batches.
pub(super) struct Lines {
    batches: Receiver<Vec<StdoutEvent>>,
    taken: VecDeque<StdoutEvent>,
}

impl Lines {
    /// The next event if it is there.
    pub(super) fn try_recv(&mut self) -> Result<StdoutEvent, TryRecvError> {
        if self.taken.is_empty() {
            self.taken.extend(self.batches.try_recv()?);
        }
        self.taken.pop_front().ok_or(TryRecvError::Empty)
    }

    /// The next event, waiting at most `wait`.
    pub(super) fn recv_timeout(&mut self, wait: Duration) -> Result<StdoutEvent, RecvTimeoutError> {
        if self.taken.is_empty() {
            self.taken.extend(self.batches.recv_timeout(wait)?);
        }
        self.taken.pop_front().ok_or(RecvTimeoutError::Timeout)
    }

    /// Every event until the end (for tests).
    #[cfg(test)]
    fn collect_all(mut self) -> Vec<StdoutEvent> {
        let mut events = Vec::new();
        while let Ok(event) = self.recv_timeout(Duration::from_secs(10)) {
            events.push(event);
        }
        events
    }
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

    #[test]
    fn a_line_of_the_longest_length_is_read_and_a_longer_one_quoted_by_its_start() {
        let longest = "a".repeat(DEFAULT_MAX_LINE_BYTES);
        let longer = "b".repeat(DEFAULT_MAX_LINE_BYTES + 1);
        let stdout = std::io::Cursor::new(format!("{longest}\n{longer}\nnever read\n"));
        let events: Vec<StdoutEvent> = spawn_reader_of(stdout, |_| false).collect_all();
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
}
