//! Reading traces: the header line, then one fact per line, streamed from any `BufRead` one
//! bounded line at a time.

use std::io::BufRead;
use std::sync::OnceLock;

use crate::event::Limits;
use crate::fact::Fact;
use crate::id::Interner;
use crate::profile::Profile;
use crate::shape::Shape;

use super::error::{BOM, BOM_MESSAGE, TraceError, describe, describe_in, misplaced_array};
use super::format::{TRACE_FORMAT_VERSION, Trace, TraceHeader, limits_problem};

/// The longest trace line read, in bytes, unless told otherwise (`--max-line-bytes`). A
/// realistic fact is a few hundred bytes.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Reads one fact from a line of JSON (a trace's line, or a fact line of the process protocol):
/// the fact, or the one-based column of what is wrong and what it is (`invalid fact: ...`).
/// Objects only: an array where the fact has an object is an error, as a key given twice is.
pub fn parse_fact_line(text: &str) -> Result<Fact, (usize, String)> {
    match serde_json::from_str::<Fact>(text) {
        Ok(_) if let Some(misfit) = misplaced_array(fact_shape(), text) => Err((
            misfit.offset_in(text) + 1,
            format!("invalid fact: {}", misfit.describe()),
        )),
        Ok(fact) => Ok(fact),
        Err(error) => {
            let (column, what) = describe_in(&error, text, fact_shape());
            Err((column, format!("invalid fact: {what}")))
        }
    }
}

/// Parses a trace read from an unnamed source.
pub fn parse_trace(text: &str) -> Result<Trace, TraceError> {
    parse_trace_named(text, "<trace>")
}

/// Parses a trace; errors name `source_name`.
pub fn parse_trace_named(text: &str, source_name: &str) -> Result<Trace, TraceError> {
    parse_trace_bytes(text.as_bytes(), source_name)
}

/// Parses a trace from bytes (which need not be UTF-8: invalid UTF-8 is a positioned error),
/// with the default line limit.
pub fn parse_trace_bytes(bytes: &[u8], source_name: &str) -> Result<Trace, TraceError> {
    TraceReader::new(bytes, source_name, DEFAULT_MAX_LINE_BYTES)?.into_trace()
}

/// Reads and parses a whole trace file (with the default line limit). For long traces, read
/// fact by fact with [`TraceReader::open`] instead: this holds every fact.
pub fn read_trace(path: &std::path::Path) -> Result<Trace, TraceError> {
    TraceReader::open(path, DEFAULT_MAX_LINE_BYTES)?.into_trace()
}

/// A trace read as a stream: the header at once, then one fact per [`TraceReader::next_fact`],
/// holding only the current line (at most `max_line_bytes` of it).
pub struct TraceReader<R> {
    reader: R,
    source_name: String,
    max_line_bytes: usize,
    header: TraceHeader,
    /// The one-based number of the last line read.
    line: usize,
    /// How many facts were read.
    facts: usize,
    buffer: Vec<u8>,
    /// After an error or the end, nothing more is read.
    done: bool,
    /// Equal ids of the facts read are one shared id (compared by pointer downstream).
    interner: Interner,
}

impl TraceReader<std::io::BufReader<std::fs::File>> {
    /// Opens a trace file and reads its header.
    pub fn open(path: &std::path::Path, max_line_bytes: usize) -> Result<Self, TraceError> {
        let source_name = path.display().to_string();
        let file = crate::input::open(path).map_err(|error| TraceError::Unreadable {
            source_name: source_name.clone(),
            what: error.to_string(),
        })?;
        TraceReader::new(std::io::BufReader::new(file), &source_name, max_line_bytes)
    }
}

impl<R: BufRead> TraceReader<R> {
    /// Reads the header from `reader`; errors name `source_name`.
    pub fn new(reader: R, source_name: &str, max_line_bytes: usize) -> Result<Self, TraceError> {
        let mut trace = TraceReader {
            reader,
            source_name: source_name.to_owned(),
            max_line_bytes,
            header: TraceHeader {
                review_spec_trace: TRACE_FORMAT_VERSION,
                limits: Limits::default(),
                profile: Profile::SPEC,
            },
            line: 0,
            facts: 0,
            buffer: Vec::new(),
            done: false,
            interner: Interner::default(),
        };
        if !trace.next_line(None)? {
            trace.line = 1;
            return Err(trace.invalid(
                1,
                None,
                format!(
                    "empty trace: expected a header line {{\"review_spec_trace\": {TRACE_FORMAT_VERSION}}}"
                ),
            ));
        };
        let header: TraceHeader = match serde_json::from_str(trace.text()) {
            Ok(_) if let Some(misfit) = misplaced_array(header_shape(), trace.text()) => {
                let column = misfit.offset_in(trace.text()) + 1;
                return Err(trace.invalid(
                    column,
                    None,
                    format!(
                        "invalid trace header: {}; expected {{\"review_spec_trace\": {TRACE_FORMAT_VERSION}, \"limits\": {{...}}}}",
                        misfit.describe()
                    ),
                ));
            }
            Ok(header) => header,
            Err(error) => {
                let (column, what) = describe(&error, trace.text());
                return Err(trace.invalid(
                    column,
                    None,
                    format!(
                        "invalid trace header: {what}; expected {{\"review_spec_trace\": {TRACE_FORMAT_VERSION}, \"limits\": {{...}}}}"
                    ),
                ));
            }
        };
        if !(1..=TRACE_FORMAT_VERSION).contains(&header.review_spec_trace) {
            return Err(trace.invalid(
                1,
                None,
                format!(
                    "unsupported trace format version {}: expected 1 to {TRACE_FORMAT_VERSION}",
                    header.review_spec_trace
                ),
            ));
        }
        if let Some(problem) = limits_problem(&header.limits) {
            return Err(trace.invalid(1, None, problem));
        }
        trace.header = header;
        Ok(trace)
    }

    /// The trace's limits (CAP-1).
    pub fn limits(&self) -> Limits {
        self.header.limits
    }

    /// The profile the trace's header records.
    pub fn profile(&self) -> Profile {
        self.header.profile
    }

    /// The name errors give the source.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// How many facts were read so far.
    pub fn facts_read(&self) -> usize {
        self.facts
    }

    /// The next fact, or `None` at the end of the trace. After an error, `None`.
    pub fn next_fact(&mut self) -> Result<Option<Fact>, TraceError> {
        let fact_index = self.facts;
        if !self.next_line(Some(fact_index))? {
            return Ok(None);
        }
        match parse_fact_line(self.text()) {
            Ok(mut fact) => {
                self.facts += 1;
                fact.intern_ids(&mut self.interner);
                Ok(Some(fact))
            }
            Err((column, what)) => Err(self.invalid(column, Some(fact_index), what)),
        }
    }

    /// Every remaining fact, as a whole [`Trace`].
    pub fn into_trace(mut self) -> Result<Trace, TraceError> {
        let mut facts = Vec::new();
        while let Some(fact) = self.next_fact()? {
            facts.push(fact);
        }
        Ok(Trace {
            limits: self.header.limits,
            profile: self.header.profile,
            facts,
        })
    }

    /// An error at column `column` of the current line; stops the reader.
    fn invalid(&mut self, column: usize, fact_index: Option<usize>, what: String) -> TraceError {
        self.done = true;
        TraceError::Invalid {
            source_name: self.source_name.clone(),
            line: self.line.max(1),
            column,
            fact_index,
            what,
        }
    }

    /// The current line (valid UTF-8 once [`TraceReader::next_line`] returned true).
    fn text(&self) -> &str {
        std::str::from_utf8(&self.buffer).unwrap_or_default()
    }

    /// Reads the next non-blank line, without its line break, into the buffer; false at the end.
    fn next_line(&mut self, fact_index: Option<usize>) -> Result<bool, TraceError> {
        loop {
            if self.done {
                return Ok(false);
            }
            self.buffer.clear();
            let read = read_line_bounded(&mut self.reader, &mut self.buffer, self.max_line_bytes)
                .map_err(|error| {
                self.done = true;
                TraceError::Unreadable {
                    source_name: self.source_name.clone(),
                    what: error.to_string(),
                }
            })?;
            match read {
                LineRead::End => {
                    self.done = true;
                    return Ok(false);
                }
                LineRead::TooLong => {
                    self.line += 1;
                    let limit = self.max_line_bytes;
                    return Err(self.invalid(
                        limit.saturating_add(1),
                        fact_index,
                        format!(
                            "line longer than {limit} bytes (the line limit; raise it with --max-line-bytes)"
                        ),
                    ));
                }
                LineRead::Line => self.line += 1,
            }
            if self.line == 1 && self.buffer.starts_with(BOM) {
                return Err(self.invalid(1, fact_index, BOM_MESSAGE.to_owned()));
            }
            if let Err(error) = std::str::from_utf8(&self.buffer) {
                let column = error.valid_up_to() + 1;
                return Err(self.invalid(column, fact_index, "invalid UTF-8".to_owned()));
            }
            if !self.buffer.iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<Fact, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_fact().transpose()
    }
}

/// What [`read_line_bounded`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    /// A line, in the buffer without its line break (the last line of the input may have none).
    Line,
    /// A line longer than the limit: the buffer holds its start; the reader stops there.
    TooLong,
    /// The end of the input.
    End,
}

/// Reads one line into `buffer` (appended), without its `\n`; stops reading past `max` bytes: a
/// line of a trace, or of the process protocol.
pub fn read_line_bounded(
    reader: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(if any { LineRead::Line } else { LineRead::End });
        }
        any = true;
        let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..end], true),
            None => (available, false),
        };
        if buffer.len() + chunk.len() > max {
            return Ok(LineRead::TooLong);
        }
        buffer.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(found);
        reader.consume(used);
        if found {
            return Ok(LineRead::Line);
        }
    }
}

/// The shape of a trace header, from its JSON Schema (built once).
fn header_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<TraceHeader>)
}

/// The shape of a fact, from its JSON Schema (built once).
fn fact_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<Fact>)
}
