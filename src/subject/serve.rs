//! The subject's side of the process protocol (`spec/protocol.md`): any in-process [`Subject`]
//! (the production reducer, in `review-spec serve`) served over a reader and a writer, so that
//! the tool can run it as a process. It answers each fact as soon as it has read it (never
//! waiting for more input), and flushes its answers before any read that may wait, and every
//! `FLUSH_EVERY` answers: a few writes for a window of pipelined facts, one per fact in
//! lock-step.
//!
//! Bad input (a line that is not the header, a reset or a fact; a line longer than the line
//! limit; input that ends inside the header) ends the serving with a [`ServeError`] that names
//! the line and column, and the fact index where there is one. Nothing is dropped silently.

use std::io::{BufReader, BufWriter, Read, Write};

use super::process::{Delimiter, Header, HeaderAck, PROTOCOL_VERSION, PROTOCOL_VERSION_MIN, Reset};
use super::{Subject, SubjectError};
use crate::event::Output;
use crate::fact::Fact;
use crate::trace::{
    DEFAULT_MAX_LINE_BYTES, LineRead, excerpt, parse_fact_line, read_line_bounded, shorten,
};
use crate::vocab::id::Interner;

/// Answers are flushed at least this often while more input is buffered (`spec/protocol.md`,
/// "Pipelining"), and always before waiting for input.
const FLUSH_EVERY: usize = 16;

/// Why serving stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The input could not be read, or the answers could not be written.
    #[error("{what}: {error}")]
    Io {
        /// Reading stdin or writing stdout.
        what: &'static str,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A line that is not what the protocol has at its place.
    #[error("input line {line}, column {column}{}: {what}", fact_index.map(|index| format!(" (fact {index} of the trace)")).unwrap_or_default())]
    Invalid {
        /// The one-based line of the input.
        line: usize,
        /// The one-based column of what is wrong.
        column: usize,
        /// The index of the fact within its trace, when the line is one.
        fact_index: Option<usize>,
        /// What is wrong.
        what: String,
    },
    /// The subject served failed on a reset or a fact.
    #[error("input line {line}: {error}")]
    Subject {
        /// The one-based line of the input.
        line: usize,
        /// What the subject said.
        error: SubjectError,
    },
}

/// Serves `subject` over the protocol: reads the header from `input` and acknowledges it (the
/// header's version, when this crate speaks it, and the output kinds the subject emits), then
/// answers every fact with its outputs and the delimiter, and starts a trace afresh at every
/// reset, until the input ends. Returns how many facts it answered.
pub fn serve(
    subject: &mut dyn Subject,
    input: impl Read,
    output: impl Write,
) -> Result<usize, ServeError> {
    let mut server = Server {
        input: BufReader::with_capacity(1 << 16, input),
        // Buffered here: stdout's own writer flushes at every line break.
        output: BufWriter::with_capacity(1 << 16, output),
        line: 0,
        text: Vec::new(),
    };
    let header = server.header()?;
    subject
        .reset(header.limits, &header.profile)
        .map_err(|error| ServeError::Subject { line: 1, error })?;
    let emits = subject.emits();
    let ack = HeaderAck {
        review_spec_protocol: header.review_spec_protocol.into(),
        emits: Some(emits.kinds()),
    };
    server.write_json(&ack)?;
    server.flush()?;
    let mut interner = Interner::default();
    let (mut fact_index, mut answered, mut unflushed) = (0, 0, 0);
    let mut outputs: Vec<Output> = Vec::new();
    while server.next_line()? {
        let text = server.text()?;
        match server.parse(text, fact_index)? {
            Line::Reset(reset) => {
                subject
                    .reset(reset.reset.limits, &reset.reset.profile)
                    .map_err(|error| ServeError::Subject {
                        line: server.line,
                        error,
                    })?;
                (fact_index, interner) = (0, Interner::default());
            }
            Line::Fact(mut fact) => {
                fact.intern_ids(&mut interner);
                outputs.clear();
                subject
                    .ingest(fact_index, &fact, &mut outputs)
                    .map_err(|error| ServeError::Subject {
                        line: server.line,
                        error,
                    })?;
                for output in &outputs {
                    server.write_json(output)?;
                }
                server.write_json(&Delimiter {
                    done: fact_index as u64,
                })?;
                (fact_index, answered) = (fact_index + 1, answered + 1);
            }
        }
        unflushed += 1;
        if unflushed >= FLUSH_EVERY || !server.input.buffer().contains(&b'\n') {
            // The next read may wait (no whole line is buffered), and the tool may be waiting
            // for what was written so far; and every few answers, so that the tool compares
            // while this subject reduces the facts it wrote ahead.
            server.flush()?;
            unflushed = 0;
        }
    }
    server.flush()?;
    Ok(answered)
}

/// A line after the header.
enum Line {
    Fact(Box<Fact>),
    Reset(Box<Reset>),
}

/// The input and output of [`serve`], and where in the input it is.
struct Server<R, W: Write> {
    input: BufReader<R>,
    output: BufWriter<W>,
    /// The one-based number of the line last read.
    line: usize,
    /// That line, without its line break.
    text: Vec<u8>,
}

impl<R: Read, W: Write> Server<R, W> {
    /// Reads and checks the header: the first line, of a version this crate speaks.
    fn header(&mut self) -> Result<Header, ServeError> {
        if !self.next_line()? {
            return Err(self.invalid(
                1,
                None,
                format!("the input ended before the header {{\"review_spec_protocol\": {PROTOCOL_VERSION}, ...}}"),
            ));
        }
        let text = self.text()?;
        let header: Header = serde_json::from_str(text).map_err(|error| {
            self.invalid(
                error.column().max(1),
                None,
                format!(
                    "invalid header: {}; expected {{\"review_spec_protocol\": {PROTOCOL_VERSION}, \"limits\": {{...}}, \"profile\": {{...}}}}",
                    shorten(&error.to_string())
                ),
            )
        })?;
        if !(PROTOCOL_VERSION_MIN..=PROTOCOL_VERSION).contains(&header.review_spec_protocol) {
            return Err(self.invalid(
                1,
                None,
                format!(
                    "protocol version {} is not served: {PROTOCOL_VERSION_MIN} to {PROTOCOL_VERSION} are",
                    header.review_spec_protocol
                ),
            ));
        }
        Ok(header)
    }

    /// Reads the next non-blank line; false at the end of the input.
    fn next_line(&mut self) -> Result<bool, ServeError> {
        loop {
            self.text.clear();
            let read = read_line_bounded(&mut self.input, &mut self.text, DEFAULT_MAX_LINE_BYTES)
                .map_err(|error| ServeError::Io {
                what: "reading the input",
                error,
            })?;
            match read {
                LineRead::End => return Ok(false),
                LineRead::TooLong => {
                    self.line += 1;
                    return Err(self.invalid(
                        DEFAULT_MAX_LINE_BYTES + 1,
                        None,
                        format!("line longer than {DEFAULT_MAX_LINE_BYTES} bytes"),
                    ));
                }
                LineRead::Line => self.line += 1,
            }
            if !self.text.iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
    }

    /// The line last read, as text.
    fn text(&self) -> Result<&str, ServeError> {
        std::str::from_utf8(&self.text).map_err(|error| ServeError::Invalid {
            line: self.line,
            column: error.valid_up_to() + 1,
            fact_index: None,
            what: "invalid UTF-8".to_owned(),
        })
    }

    /// An error at `column` of the line last read.
    fn invalid(&self, column: usize, fact_index: Option<usize>, what: String) -> ServeError {
        ServeError::Invalid {
            line: self.line.max(1),
            column,
            fact_index,
            what,
        }
    }

    /// Reads a line after the header: a fact (fact `fact_index` of its trace) or a reset line.
    fn parse(&self, text: &str, fact_index: usize) -> Result<Line, ServeError> {
        let fact_error = match parse_fact_line(text) {
            Ok(fact) => return Ok(Line::Fact(Box::new(fact))),
            Err(error) => error,
        };
        let is_reset = serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|value| value.get("reset").is_some());
        if !is_reset {
            let (column, what) = fact_error;
            return Err(self.invalid(
                column,
                Some(fact_index),
                format!(
                    "{what}; expected a fact or a reset line, got {}",
                    excerpt(text)
                ),
            ));
        }
        serde_json::from_str::<Reset>(text)
            .map(|reset| Line::Reset(Box::new(reset)))
            .map_err(|error| {
                self.invalid(
                    error.column().max(1),
                    None,
                    format!("invalid reset line: {}", shorten(&error.to_string())),
                )
            })
    }

    fn write_json(&mut self, value: &impl serde::Serialize) -> Result<(), ServeError> {
        serde_json::to_writer(&mut self.output, value)
            .map_err(std::io::Error::from)
            .and_then(|()| self.output.write_all(b"\n"))
            .map_err(|error| ServeError::Io {
                what: "writing the answers",
                error,
            })
    }

    fn flush(&mut self) -> Result<(), ServeError> {
        self.output.flush().map_err(|error| ServeError::Io {
            what: "writing the answers",
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Limits, OutputKinds};
    use crate::profile::Profile;
    use crate::reducer::Reducer;

    const HEADER: &str = r#"{"review_spec_protocol":4,"limits":{"table_entries_max":4096},"profile":{"base":"spec"}}"#;
    const REQUEST: &str = r#"{"type":"command_execution_request","connection_id":1,"request_id":1,"thread_id":"t1","turn_id":"u1","item_id":"i1","started_at_ms":1}"#;
    const ORPHAN: &str = r#"{"type":"command_execution_response","connection_id":1,"request_id":9,"decision":{"decision":"accept"},"completed_at_ms":5}"#;
    const RESET: &str =
        r#"{"reset":{"limits":{"table_entries_max":7},"profile":{"base":"upstream"}}}"#;

    fn served(input: &str) -> (Result<usize, ServeError>, Vec<String>) {
        let mut reducer = Reducer::new(Limits::default());
        let mut written = Vec::new();
        let result = serve(&mut reducer, input.as_bytes(), &mut written);
        let lines = String::from_utf8(written)
            .expect("UTF-8 answers")
            .lines()
            .map(str::to_owned)
            .collect();
        (result, lines)
    }

    #[test]
    fn every_fact_is_answered_and_a_reset_starts_the_count_again() {
        let input = [HEADER, REQUEST, "", ORPHAN, RESET, ORPHAN].join("\n");
        let (result, lines) = served(&input);
        assert_eq!(result.expect("served"), 3);
        let ack: HeaderAck = serde_json::from_str(&lines[0]).expect("an acknowledgement");
        assert_eq!(ack.review_spec_protocol, 4);
        assert_eq!(ack.emits, Some(OutputKinds::ALL.kinds()));
        assert_eq!(lines[1], r#"{"done":0}"#);
        // The orphan response is a diagnostic under `spec`, then its delimiter.
        assert!(lines[2].contains("orphan_response"), "{lines:?}");
        assert_eq!(lines[3], r#"{"done":1}"#);
        // After the reset: fact 0 again.
        assert_eq!(lines[4], lines[2]);
        assert_eq!(lines[5..], [r#"{"done":0}"#.to_owned()]);
    }

    #[test]
    fn the_header_version_is_acknowledged_when_served() {
        let header = HEADER.replace(":4,", ":2,");
        let (result, lines) = served(&format!("{header}\n{REQUEST}\n"));
        assert_eq!(result.expect("served"), 1);
        assert!(
            lines[0].starts_with(r#"{"review_spec_protocol":2,"#),
            "{lines:?}"
        );
        let header = HEADER.replace(":4,", ":9,");
        let (result, _) = served(&header);
        let error = result.expect_err("version 9 is not served").to_string();
        assert_eq!(
            error,
            "input line 1, column 1: protocol version 9 is not served: 2 to 4 are"
        );
    }

    #[test]
    fn bad_input_is_an_error_that_says_where() {
        let cases = [
            (
                "",
                "input line 1, column 1: the input ended before the header",
            ),
            (
                "{\"review_spec_protocol\":4}",
                "input line 1, column 26: invalid header",
            ),
            (
                &format!("{HEADER}\n{REQUEST}\n{{\"type\":\"nope\"}}"),
                "input line 3, column",
            ),
            (
                &format!("{HEADER}\n{REQUEST}\n\n{{\"type\":\"nope\"}}"),
                "input line 4, column",
            ),
            (
                &format!("{HEADER}\n{{\"reset\":{{}}}}"),
                "input line 2, column",
            ),
            (
                &format!("{HEADER}\n[1, 2]"),
                "input line 2, column 2 (fact 0 of the trace)",
            ),
            (&format!("{HEADER}\n\u{7f}\u{ff}"), "input line 2, column"),
        ];
        for (input, start) in cases {
            let (result, _) = served(input);
            let error = result.expect_err(input).to_string();
            assert!(error.starts_with(start), "{input:?}: {error}");
        }
        let (result, _) = served(&format!("{HEADER}\n{REQUEST}\n{{\"type\":\"nope\"}}"));
        let error = result.expect_err("an unknown fact").to_string();
        assert!(error.contains("(fact 1 of the trace)"), "{error}");
        assert!(error.contains("invalid fact"), "{error}");
        let (result, _) = served(&format!("{HEADER}\n{{\"reset\":{{}}}}"));
        assert!(
            result
                .expect_err("a reset without limits")
                .to_string()
                .contains("invalid reset line"),
        );
        let long = format!("{HEADER}\n{}", "x".repeat(DEFAULT_MAX_LINE_BYTES + 1));
        let (result, _) = served(&long);
        assert!(
            result
                .expect_err("too long")
                .to_string()
                .contains("line longer than"),
        );
    }

    #[test]
    fn answers_are_flushed_when_the_input_has_nothing_more_buffered() {
        // A reader that hands one line per read, and a writer that counts flushes: lock-step
        // input gets an answer flushed for every fact (else the tool would wait forever).
        struct OneLine(Vec<Vec<u8>>);
        impl Read for OneLine {
            fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
                match self.0.first_mut() {
                    None => Ok(0),
                    Some(line) => {
                        let n = line.len().min(buffer.len());
                        buffer[..n].copy_from_slice(&line[..n]);
                        line.drain(..n);
                        if line.is_empty() {
                            self.0.remove(0);
                        }
                        Ok(n)
                    }
                }
            }
        }
        #[derive(Default)]
        struct Flushes(usize, Vec<u8>);
        impl Write for &mut Flushes {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.1.extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.0 += 1;
                Ok(())
            }
        }
        let lines = [HEADER, REQUEST, ORPHAN, ORPHAN].map(|line| format!("{line}\n").into_bytes());
        let mut flushes = Flushes::default();
        let mut reducer = Reducer::with_profile(Limits::default(), Profile::SPEC);
        serve(&mut reducer, OneLine(lines.to_vec()), &mut flushes).expect("served");
        // The header's acknowledgement, each of three facts, and the end.
        assert!(flushes.0 >= 4, "{} flushes", flushes.0);
        // All at once: one flush for the whole window, and one at the end.
        let mut flushes = Flushes::default();
        let all = lines.concat();
        serve(&mut reducer, all.as_slice(), &mut flushes).expect("served");
        assert!(flushes.0 <= 3, "{} flushes", flushes.0);
    }
}
