//! Traces and conformance vectors: reading, writing, and errors that say where.
//!
//! A **trace** is JSON Lines: a header line `{"review_spec_trace": 1, "limits": {...}}`, then one
//! fact per line. Blank lines are allowed and carry nothing. A **vector file** is one JSON object
//! `{"cases": [...]}`; each case holds facts in and the expected outputs out (see
//! `spec/vectors/README.md`). A malformed line or case is an error naming the source, line,
//! column (in bytes), fact index and what was expected, quoting at most [`EXCERPT_CHARS`]
//! characters of the input; nothing is returned half-applied. Nothing here panics on any input.
//!
//! Traces stream: [`TraceReader`] reads the header, then one fact per line from any `BufRead`,
//! holding one line at a time; a line longer than its `max_line_bytes`
//! ([`DEFAULT_MAX_LINE_BYTES`] unless told otherwise) is refused as soon as the limit is passed,
//! so an endless line (`/dev/zero`) costs no more than the limit. A vector file is one JSON
//! document and is read whole, up to [`DEFAULT_MAX_FILE_BYTES`] unless told otherwise.

use std::fmt::Write as _;
use std::io::BufRead;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::id::Interner;
use crate::profile::{Base, Profile};
use crate::shape::{Misfit, Shape};
use std::sync::OnceLock;

/// The trace format version this crate writes. Version 3 added the `subagent_thread_started` fact
/// and `thread_bound`'s `originator`; version 2 added the header's `profile`. Version 1 traces
/// (no profile: the `spec` profile) and version 2 traces are still read.
pub const TRACE_FORMAT_VERSION: u32 = 3;

/// The vector file format version this crate writes. Version 2 added `review_spec_vectors`, each
/// case's `upstream` expectation and a saved counterexample's `profile`; files without the key
/// are version 1 and still read. Version 3 added a case's `history`: traces a subject runs first,
/// in the same process, for a failure that depends on what the process saw before. Version 4 added
/// the facts of trace version 3 (`subagent_thread_started`, `thread_bound`'s `originator`).
pub const VECTOR_FORMAT_VERSION: u32 = 4;

/// The longest trace line read, in bytes, unless told otherwise (`--max-line-bytes`). A
/// realistic fact is a few hundred bytes.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// The largest vector file read, in bytes, unless told otherwise (`--max-file-bytes`). The
/// checked-in vector files are a few kilobytes each.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;

/// The most characters of the input an error quotes; longer text is cut, with "…".
pub const EXCERPT_CHARS: usize = 80;

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceHeader {
    /// The format version: 1, 2 or 3.
    pub review_spec_trace: u32,
    /// State bounds for the reduction (CAP-1); defaults when absent.
    #[serde(default)]
    pub limits: Limits,
    /// What the reduction follows where the spec departs from upstream; `spec` when absent.
    #[serde(default, skip_serializing_if = "is_spec_profile")]
    pub profile: Profile,
}

fn is_spec_profile(profile: &Profile) -> bool {
    *profile == Profile::SPEC
}

/// A loaded trace: limits, profile and facts in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Trace {
    pub limits: Limits,
    pub profile: Profile,
    pub facts: Vec<Fact>,
}

/// A conformance vector file: a list of cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// The format version: 2 (absent in version 1 files).
    #[serde(default = "vector_format_v1")]
    pub review_spec_vectors: u32,
    pub cases: Vec<VectorCase>,
}

fn vector_format_v1() -> u32 {
    1
}

impl VectorFile {
    /// A file of the current format version.
    pub fn new(cases: Vec<VectorCase>) -> VectorFile {
        VectorFile {
            review_spec_vectors: VECTOR_FORMAT_VERSION,
            cases,
        }
    }
}

/// What a case expects under the `upstream` profile, when that differs from `expected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum UpstreamExpectation {
    /// The outputs under the `upstream` profile.
    Expected(Vec<Emitted>),
    /// The case's facts include one upstream cannot express; the reason says which and why.
    NotApplicable(String),
}

/// What a case expects under a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation<'c> {
    /// These outputs, from the file.
    Outputs(&'c [Emitted]),
    /// The case does not apply, for this reason.
    NotApplicable(&'c str),
    /// The file pins only the two base profiles: a profile with departures switched takes its
    /// expectation from the model (which the base expectations pin).
    FromModel,
}

/// One conformance case: facts in, expected outputs out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorCase {
    /// Unique within its file; `family/file/name` is the case's full name.
    pub name: String,
    /// One sentence: the behaviour the case pins down.
    pub description: String,
    /// The rule IDs of `spec/rules.md` this case exercises.
    pub rules: Vec<String>,
    /// State bounds (CAP-1); defaults when absent.
    #[serde(default, skip_serializing_if = "is_default_limits")]
    pub limits: Limits,
    /// The facts, in order.
    pub facts: Vec<Fact>,
    /// Every output under the `spec` profile, in order, each with the index of the fact that
    /// produced it.
    pub expected: Vec<Emitted>,
    /// Under the `upstream` profile: other outputs, or why the case does not apply; absent when
    /// the outputs are those of `expected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamExpectation>,
    /// The profile a saved counterexample was found under, when it was not `spec`; `replay`
    /// uses it unless told otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Where this case came from (a bug, a fuzz finding, a postmortem sentence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<String>,
    /// Traces a subject runs first, in one fresh process and in order, each after a reset; only
    /// the case's own facts are compared. A saved counterexample of a history-dependent failure
    /// has one (format 3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryTrace>,
}

/// A trace run before a vector case, to put a subject process in the state where it fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryTrace {
    #[serde(default, skip_serializing_if = "is_default_limits")]
    pub limits: Limits,
    pub facts: Vec<Fact>,
}

fn is_default_limits(limits: &Limits) -> bool {
    *limits == Limits::default()
}

impl VectorCase {
    /// What the case expects under `profile`.
    pub fn expectation(&self, profile: &Profile) -> Expectation<'_> {
        if !profile.is_base() {
            return Expectation::FromModel;
        }
        match (profile.base, &self.upstream) {
            (Base::Spec, _) | (Base::Upstream, None) => Expectation::Outputs(&self.expected),
            (Base::Upstream, Some(UpstreamExpectation::Expected(outputs))) => {
                Expectation::Outputs(outputs)
            }
            (Base::Upstream, Some(UpstreamExpectation::NotApplicable(why))) => {
                Expectation::NotApplicable(why)
            }
        }
    }
}

/// What went wrong loading a trace or vector file, and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// A line or document is not what the format expects.
    #[error("{source_name}:{line}:{column}: {what}{}", fact_suffix(*.fact_index))]
    Invalid {
        source_name: String,
        /// One-based line in the source.
        line: usize,
        /// One-based column in that line.
        column: usize,
        /// Zero-based index of the fact being read, when the error is in a fact.
        fact_index: Option<usize>,
        what: String,
    },
    /// The source could not be read at all.
    #[error("{source_name}: cannot read: {what}")]
    Unreadable { source_name: String, what: String },
}

fn fact_suffix(fact_index: Option<usize>) -> String {
    match fact_index {
        Some(index) => format!(" (fact {index})"),
        None => String::new(),
    }
}

impl TraceError {
    /// The one-based line of the error, when it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            TraceError::Invalid { line, .. } => Some(*line),
            TraceError::Unreadable { .. } => None,
        }
    }

    /// The zero-based fact index of the error, when it is inside a fact.
    pub fn fact_index(&self) -> Option<usize> {
        match self {
            TraceError::Invalid { fact_index, .. } => *fact_index,
            TraceError::Unreadable { .. } => None,
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
        match serde_json::from_str::<Fact>(self.text()) {
            Ok(_) if let Some(misfit) = misplaced_array(fact_shape(), self.text()) => {
                let column = misfit.offset_in(self.text()) + 1;
                Err(self.invalid(
                    column,
                    Some(fact_index),
                    format!("invalid fact: {}", misfit.describe()),
                ))
            }
            Ok(mut fact) => {
                self.facts += 1;
                fact.intern_ids(&mut self.interner);
                Ok(Some(fact))
            }
            Err(error) => {
                let (column, what) = describe_in(&error, self.text(), fact_shape());
                Err(self.invalid(column, Some(fact_index), format!("invalid fact: {what}")))
            }
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

const BOM: &[u8] = b"\xEF\xBB\xBF";
const BOM_MESSAGE: &str = "byte order mark at the start of the file: remove it";

enum LineRead {
    Line,
    TooLong,
    End,
}

/// Reads one line into `buffer`, without its `\n`; stops reading past `max` bytes.
fn read_line_bounded(
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

/// Writes a trace as JSON Lines: the header, then one fact per line.
pub fn write_trace(trace: &Trace) -> String {
    let header = TraceHeader {
        review_spec_trace: TRACE_FORMAT_VERSION,
        limits: trace.limits,
        profile: trace.profile,
    };
    let mut text = to_json_line(&header);
    for fact in &trace.facts {
        text.push_str(&to_json_line(fact));
    }
    text
}

/// Parses a vector file from bytes (which need not be UTF-8: invalid UTF-8 is a positioned
/// error); errors name `source_name` and the position in it.
pub fn parse_vector_bytes(bytes: &[u8], source_name: &str) -> Result<VectorFile, TraceError> {
    let invalid = |line: usize, column: usize, what: &str| TraceError::Invalid {
        source_name: source_name.to_owned(),
        line,
        column,
        fact_index: None,
        what: what.to_owned(),
    };
    if bytes.starts_with(BOM) {
        return Err(invalid(1, 1, BOM_MESSAGE));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_vector_file(text, source_name),
        Err(error) => {
            let before = &bytes[..error.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            Err(invalid(
                line,
                before.len() - line_start + 1,
                "invalid UTF-8",
            ))
        }
    }
}

/// Parses a vector file; errors name `source_name` and the position in it.
pub fn parse_vector_file(text: &str, source_name: &str) -> Result<VectorFile, TraceError> {
    if text.as_bytes().starts_with(BOM) {
        return Err(TraceError::Invalid {
            source_name: source_name.to_owned(),
            line: 1,
            column: 1,
            fact_index: None,
            what: BOM_MESSAGE.to_owned(),
        });
    }
    let file: VectorFile = serde_json::from_str(text).map_err(|error| {
        let line = error.line().max(1);
        let line_text = text.lines().nth(line - 1).unwrap_or_default();
        let (column, what) = match number_problem(line_text) {
            Some(problem) => problem,
            None => (error.column().max(1), shorten(&strip_position(&error))),
        };
        TraceError::Invalid {
            source_name: source_name.to_owned(),
            line,
            column,
            fact_index: None,
            what: format!(
                "invalid vector file: {what}; expected {{\"cases\": [{{\"name\", \"description\", \"rules\", \"facts\", \"expected\"}}]}}"
            ),
        }
    })?;
    if let Some(misfit) = misplaced_array(vector_shape(), text) {
        let (line, column) = position_of(text, misfit.offset_in(text));
        return Err(TraceError::Invalid {
            source_name: source_name.to_owned(),
            line,
            column,
            fact_index: None,
            what: format!(
                "invalid vector file: {}; expected {{\"cases\": [{{\"name\", \"description\", \"rules\", \"facts\", \"expected\"}}]}}",
                misfit.describe()
            ),
        });
    }
    if !(1..=VECTOR_FORMAT_VERSION).contains(&file.review_spec_vectors) {
        return Err(TraceError::Invalid {
            source_name: source_name.to_owned(),
            line: line_of(text, "\"review_spec_vectors\""),
            column: 1,
            fact_index: None,
            what: format!(
                "unsupported vector format version {}: expected 1 to {VECTOR_FORMAT_VERSION}",
                file.review_spec_vectors
            ),
        });
    }
    let mut names = std::collections::BTreeMap::new();
    for case in &file.cases {
        let occurrence = names.get(case.name.as_str()).copied().unwrap_or(0);
        let upstream = match &case.upstream {
            Some(UpstreamExpectation::Expected(outputs)) => outputs.as_slice(),
            _ => &[],
        };
        let problem = if names.insert(case.name.as_str(), occurrence + 1).is_some() {
            Some(format!("duplicate case name {:?}", case.name))
        } else if let Some(problem) = limits_problem(&case.limits) {
            Some(problem)
        } else if let Some((index, problem)) = case
            .history
            .iter()
            .enumerate()
            .find_map(|(index, trace)| Some((index, limits_problem(&trace.limits)?)))
        {
            Some(format!("history trace {index}: {problem}"))
        } else {
            outputs_problem("expected", &case.expected, case.facts.len())
                .or_else(|| outputs_problem("upstream expected", upstream, case.facts.len()))
        };
        if let Some(what) = problem {
            let (line, column) = case_position(text, &case.name, occurrence);
            return Err(TraceError::Invalid {
                source_name: source_name.to_owned(),
                line,
                column,
                fact_index: None,
                what: format!("case {}: {what}", excerpt(&to_json(&case.name))),
            });
        }
    }
    Ok(file)
}

/// Why `limits` are not valid state bounds (CAP-1: `table_entries_max` at least 1), if they are
/// not: the one check of limits wherever a format carries them (a trace's header, a vector case,
/// a case's history traces), so no subject is ever started with limits the protocol forbids.
pub fn limits_problem(limits: &Limits) -> Option<String> {
    (limits.table_entries_max == 0)
        .then(|| "invalid limits: table_entries_max must be at least 1".to_owned())
}

/// Why a list of expected outputs cannot belong to a case of `fact_count` facts, if it cannot.
fn outputs_problem(what: &str, outputs: &[Emitted], fact_count: usize) -> Option<String> {
    if let Some(bad) = outputs.iter().find(|e| e.at >= fact_count) {
        Some(format!(
            "{what} output at fact {} but the case has {fact_count} facts",
            bad.at
        ))
    } else if outputs.windows(2).any(|w| w[0].at > w[1].at) {
        Some(format!("{what} outputs are not in fact order"))
    } else {
        None
    }
}

/// Reads and parses a vector file of at most [`DEFAULT_MAX_FILE_BYTES`].
pub fn read_vector_file(path: &std::path::Path) -> Result<VectorFile, TraceError> {
    read_vector_file_limited(path, DEFAULT_MAX_FILE_BYTES)
}

/// Reads and parses a vector file of at most `max_file_bytes`; a larger one is refused without
/// reading past the limit.
pub fn read_vector_file_limited(
    path: &std::path::Path,
    max_file_bytes: u64,
) -> Result<VectorFile, TraceError> {
    let source_name = path.display().to_string();
    let unreadable = |error: std::io::Error| TraceError::Unreadable {
        source_name: source_name.clone(),
        what: error.to_string(),
    };
    let bytes = crate::input::read_bounded(path, max_file_bytes).map_err(unreadable)?;
    parse_vector_bytes(&bytes, &source_name)
}

/// Writes a vector file in the checked-in layout: one fact and one expected output per line, so
/// that a changed expectation shows as a one-line diff.
pub fn write_vector_file(file: &VectorFile) -> String {
    let mut text = format!(
        "{{\n  \"review_spec_vectors\": {},\n  \"cases\": [\n",
        file.review_spec_vectors
    );
    for (case_index, case) in file.cases.iter().enumerate() {
        text.push_str("    {\n");
        let _ = writeln!(text, "      \"name\": {},", to_json(&case.name));
        let _ = writeln!(
            text,
            "      \"description\": {},",
            to_json(&case.description)
        );
        let _ = writeln!(text, "      \"rules\": {},", to_json(&case.rules));
        if !is_default_limits(&case.limits) {
            let _ = writeln!(text, "      \"limits\": {},", to_json(&case.limits));
        }
        if let Some(see) = &case.see {
            let _ = writeln!(text, "      \"see\": {},", to_json(see));
        }
        if let Some(profile) = &case.profile {
            let _ = writeln!(text, "      \"profile\": {},", to_json(profile));
        }
        if !case.history.is_empty() {
            let _ = writeln!(text, "      \"history\": {},", to_json(&case.history));
        }
        write_array(&mut text, "facts", &case.facts, true);
        match &case.upstream {
            None => write_array(&mut text, "expected", &case.expected, false),
            Some(upstream) => {
                write_array(&mut text, "expected", &case.expected, true);
                match upstream {
                    UpstreamExpectation::Expected(outputs) => {
                        text.push_str("      \"upstream\": {\"expected\": [");
                        for (index, output) in outputs.iter().enumerate() {
                            let sep = if index + 1 < outputs.len() { "," } else { "" };
                            let _ = write!(text, "\n        {}{sep}", to_json(output));
                        }
                        text.push_str(if outputs.is_empty() {
                            "]}\n"
                        } else {
                            "\n      ]}\n"
                        });
                    }
                    UpstreamExpectation::NotApplicable(why) => {
                        let _ = writeln!(
                            text,
                            "      \"upstream\": {{\"not_applicable\": {}}}",
                            to_json(why)
                        );
                    }
                }
            }
        }
        text.push_str("    }");
        text.push_str(if case_index + 1 < file.cases.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    text.push_str("  ]\n}\n");
    text
}

fn write_array<T: Serialize>(text: &mut String, key: &str, items: &[T], more: bool) {
    let comma = if more { "," } else { "" };
    if items.is_empty() {
        let _ = writeln!(text, "      \"{key}\": []{comma}");
        return;
    }
    let _ = writeln!(text, "      \"{key}\": [");
    for (index, item) in items.iter().enumerate() {
        let sep = if index + 1 < items.len() { "," } else { "" };
        let _ = writeln!(text, "        {}{sep}", to_json(item));
    }
    let _ = writeln!(text, "      ]{comma}");
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing our own derive(Serialize) types to a string cannot fail: they have no maps with
    // non-string keys and no custom serializers.
    serde_json::to_string(value).unwrap_or_default()
}

fn to_json_line<T: Serialize>(value: &T) -> String {
    let mut line = to_json(value);
    line.push('\n');
    line
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(1, |index| index + 1)
}

/// The line and column of the `occurrence`th case named `name` (its `"name"` key), wherever
/// the file puts it: one key per line, one case per line, or all on one line.
fn case_position(text: &str, name: &str, occurrence: usize) -> (usize, usize) {
    let value = to_json(name);
    let mut seen = 0;
    for (offset, _) in text.match_indices("\"name\"") {
        let rest = text[offset + "\"name\"".len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        if !rest.trim_start().starts_with(&value) {
            continue;
        }
        if seen == occurrence {
            return position_of(text, offset);
        }
        seen += 1;
    }
    (1, 1)
}

/// The one-based line and byte column of byte `offset` of `text`.
fn position_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// The shapes of the formats' documents, from their JSON Schemas (built once).
fn header_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<TraceHeader>)
}

fn fact_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<Fact>)
}

fn vector_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<VectorFile>)
}

/// Objects only: the first array of the JSON document `text` (which serde read) where `shape`
/// wants an object. A document without `[` has no array, and is not parsed again.
pub fn misplaced_array(shape: &Shape, text: &str) -> Option<Misfit> {
    if !text.contains('[') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    shape.misplaced_array(&value)
}

/// As [`describe`], for an error serde gives without a position: the column of the first value
/// whose type `shape` does not allow at its place, when there is one.
fn describe_in(error: &serde_json::Error, line_text: &str, shape: &Shape) -> (usize, String) {
    let (column, what) = describe(error, line_text);
    if column != 1 || error.column() > 0 {
        return (column, what);
    }
    let misfit = serde_json::from_str::<serde_json::Value>(line_text)
        .ok()
        .and_then(|value| shape.mismatch(&value));
    match misfit {
        Some(misfit) => (
            line_text[..misfit.offset_in(line_text)].chars().count() + 1,
            what,
        ),
        None => (column, what),
    }
}

/// The column and message of an error in one line. A number that does not fit its field is
/// named as written (serde_json would report it as a floating-point value, without a position);
/// otherwise serde_json's message, with long quoted input cut short.
fn describe(error: &serde_json::Error, line_text: &str) -> (usize, String) {
    if let Some(problem) = number_problem(line_text) {
        return problem;
    }
    (column_of(error, line_text), shorten(&strip_position(error)))
}

/// The first number of a JSON line that no field of the formats can hold: one with a fraction
/// or an exponent (every number of the formats is an integer), above 2^64-1 or below -2^63;
/// its column and what is wrong, naming the key it is the value of.
fn number_problem(line_text: &str) -> Option<(usize, String)> {
    let bytes = line_text.as_bytes();
    let mut key: Option<&str> = None;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                let start = index + 1;
                index = start;
                while index < bytes.len() && bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
                let end = index.min(bytes.len());
                index = end + 1;
                let after = line_text.get(index..).unwrap_or_default().trim_start();
                if after.starts_with(':') {
                    key = line_text.get(start..end);
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = index;
                while index < bytes.len()
                    && matches!(bytes[index], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    index += 1;
                }
                let token = &line_text[start..index];
                let named = match key {
                    Some(key) => format!("{} {}", excerpt(key), excerpt(token)),
                    None => format!("number {}", excerpt(token)),
                };
                let digits = token.strip_prefix('-').unwrap_or(token);
                let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                let what = if !integer && token.parse::<f64>().is_err() {
                    None // not a number: serde_json says what is wrong
                } else if !integer {
                    Some(format!(
                        "{named} is not an integer: every number here is a whole number, without fraction or exponent"
                    ))
                } else if token.starts_with('-') && token.parse::<i64>().is_err() {
                    Some(format!("{named} does not fit in a signed 64-bit integer"))
                } else if !token.starts_with('-') && token.parse::<u64>().is_err() {
                    Some(format!(
                        "{named} does not fit in an unsigned 64-bit integer"
                    ))
                } else {
                    None
                };
                if let Some(what) = what {
                    return Some((start + 1, what));
                }
            }
            _ => index += 1,
        }
    }
    None
}

/// At most [`EXCERPT_CHARS`] characters of `text`, with "…" when cut, control characters
/// escaped ([`crate::untrusted::one_line`]).
pub fn excerpt(text: &str) -> String {
    crate::untrusted::one_line(text, EXCERPT_CHARS)
}

/// A serde_json message with every quoted piece of input (between backticks or double quotes)
/// cut to an excerpt.
pub fn shorten(message: &str) -> String {
    let mut short = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        short.push_str(&rest[..=open]);
        let inside = &rest[open + 1..];
        let close = closing_quote(inside, quote).unwrap_or(inside.len());
        short.push_str(&excerpt(&inside[..close]));
        rest = &inside[close..];
        if let Some(after) = rest.strip_prefix(quote) {
            short.push(quote);
            rest = after;
        }
    }
    short.push_str(rest);
    short
}

/// The byte offset of the quote closing a piece of `text`; a double quote escaped with `\` does
/// not close it.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (offset, c) in text.char_indices() {
        if c == quote && !(escaped && quote == '"') {
            return Some(offset);
        }
        escaped = c == '\\' && !escaped;
    }
    None
}

/// The column of an error in one line. Errors inside an internally tagged enum (a fact's fields)
/// carry no position in serde_json, so the offending token the message names is located instead:
/// the quoted value or field, or the end of the object for a missing field.
fn column_of(error: &serde_json::Error, line_text: &str) -> usize {
    if error.column() > 0 {
        return error.column();
    }
    let message = error.to_string();
    let end_of_object = line_text.trim_end().len().max(1);
    if message.starts_with("missing field") {
        return end_of_object;
    }
    let token = quoted_token(&message, '`').or_else(|| quoted_token(&message, '"'));
    token
        .and_then(|token| {
            line_text
                .find(&format!("\"{token}\""))
                .or_else(|| line_text.find(&token))
        })
        .map_or(1, |byte| line_text[..byte].chars().count() + 1)
}

fn quoted_token(message: &str, quote: char) -> Option<String> {
    let start = message.find(quote)? + quote.len_utf8();
    let end = message[start..].find(quote)? + start;
    Some(message[start..end].to_owned())
}

/// serde_json appends " at line L column C" to its messages; the position is reported separately.
fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}
