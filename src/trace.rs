//! Traces and conformance vectors: reading, writing, and errors that say where.
//!
//! A **trace** is JSON Lines: a header line `{"review_spec_trace": 1, "limits": {...}}`, then one
//! fact per line. Blank lines are allowed and carry nothing. A **vector file** is one JSON object
//! `{"cases": [...]}`; each case holds facts in and the expected outputs out (see
//! `spec/vectors/README.md`). Loading is all-or-nothing: a malformed line or case is an error
//! naming the source, line, column, fact index and what was expected, and nothing is returned
//! half-applied. Nothing here panics on any input.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::{Emitted, Limits};
use crate::fact::Fact;
use crate::profile::{Base, Profile};

/// The trace format version this crate writes. Version 2 added the header's `profile`; version 1
/// traces (no profile: the `spec` profile) are still read.
pub const TRACE_FORMAT_VERSION: u32 = 2;

/// The vector file format version this crate writes. Version 2 added `review_spec_vectors`, each
/// case's `upstream` expectation and a saved counterexample's `profile`; files without the key
/// are version 1 and still read. Version 3 added a case's `history`: traces a subject runs first,
/// in the same process, for a failure that depends on what the process saw before.
pub const VECTOR_FORMAT_VERSION: u32 = 3;

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceHeader {
    /// The format version: 1 or 2.
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
    let invalid =
        |line: usize, column: usize, fact_index: Option<usize>, what: String| TraceError::Invalid {
            source_name: source_name.to_owned(),
            line,
            column,
            fact_index,
            what,
        };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((header_line, header_text)) = lines.next() else {
        return Err(invalid(
            1,
            1,
            None,
            format!(
                "empty trace: expected a header line {{\"review_spec_trace\": {TRACE_FORMAT_VERSION}}}"
            ),
        ));
    };
    let header: TraceHeader = serde_json::from_str(header_text).map_err(|error| {
        invalid(
            header_line,
            error.column().max(1),
            None,
            format!(
                "invalid trace header: {}; expected {{\"review_spec_trace\": {TRACE_FORMAT_VERSION}, \"limits\": {{...}}}}",
                strip_position(&error)
            ),
        )
    })?;
    if !(1..=TRACE_FORMAT_VERSION).contains(&header.review_spec_trace) {
        return Err(invalid(
            header_line,
            1,
            None,
            format!(
                "unsupported trace format version {}: expected 1 to {TRACE_FORMAT_VERSION}",
                header.review_spec_trace
            ),
        ));
    }
    if header.limits.table_entries_max == 0 {
        return Err(invalid(
            header_line,
            1,
            None,
            "invalid limits: table_entries_max must be at least 1".to_owned(),
        ));
    }
    let mut facts = Vec::new();
    for (line_number, line_text) in lines {
        let fact_index = facts.len();
        let fact: Fact = serde_json::from_str(line_text).map_err(|error| {
            invalid(
                line_number,
                column_of(&error, line_text),
                Some(fact_index),
                format!("invalid fact: {}", strip_position(&error)),
            )
        })?;
        facts.push(fact);
    }
    Ok(Trace {
        limits: header.limits,
        profile: header.profile,
        facts,
    })
}

/// Reads and parses a trace file.
pub fn read_trace(path: &std::path::Path) -> Result<Trace, TraceError> {
    let source_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| TraceError::Unreadable {
        source_name: source_name.clone(),
        what: error.to_string(),
    })?;
    parse_trace_named(&text, &source_name)
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

/// Parses a vector file; errors name `source_name` and the position in it.
pub fn parse_vector_file(text: &str, source_name: &str) -> Result<VectorFile, TraceError> {
    let file: VectorFile = serde_json::from_str(text).map_err(|error| TraceError::Invalid {
        source_name: source_name.to_owned(),
        line: error.line().max(1),
        column: error.column().max(1),
        fact_index: None,
        what: format!(
            "invalid vector file: {}; expected {{\"cases\": [{{\"name\", \"description\", \"rules\", \"facts\", \"expected\"}}]}}",
            strip_position(&error)
        ),
    })?;
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
    let mut names = std::collections::BTreeSet::new();
    for case in &file.cases {
        let upstream = match &case.upstream {
            Some(UpstreamExpectation::Expected(outputs)) => outputs.as_slice(),
            _ => &[],
        };
        let problem = if !names.insert(case.name.as_str()) {
            Some(format!("duplicate case name {:?}", case.name))
        } else if case.limits.table_entries_max == 0 {
            Some("invalid limits: table_entries_max must be at least 1".to_owned())
        } else {
            outputs_problem("expected", &case.expected, case.facts.len())
                .or_else(|| outputs_problem("upstream expected", upstream, case.facts.len()))
        };
        if let Some(what) = problem {
            return Err(TraceError::Invalid {
                source_name: source_name.to_owned(),
                line: line_of(text, &format!("\"name\": {:?}", case.name)),
                column: 1,
                fact_index: None,
                what: format!("case {:?}: {what}", case.name),
            });
        }
    }
    Ok(file)
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

/// Reads and parses a vector file.
pub fn read_vector_file(path: &std::path::Path) -> Result<VectorFile, TraceError> {
    let source_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| TraceError::Unreadable {
        source_name: source_name.clone(),
        what: error.to_string(),
    })?;
    parse_vector_file(&text, &source_name)
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
