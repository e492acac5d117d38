//! What went wrong, and where: [`TraceError`], and the helpers that position serde_json's errors
//! in the input and phrase them, quoting at most [`EXCERPT_CHARS`] characters of it.

use crate::shape::{Misfit, Shape};

/// The most characters of the input an error quotes; longer text is cut, with "…".
pub const EXCERPT_CHARS: usize = 80;

/// The UTF-8 byte order mark, refused at the start of either format.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The error a byte order mark gets.
pub(super) const BOM_MESSAGE: &str = "byte order mark at the start of the file: remove it";

/// What went wrong loading a trace or vector file, and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    /// A line or document is not what the format expects.
    #[error("{source_name}:{line}:{column}: {what}{}", fact_suffix(*.fact_index))]
    Invalid {
        /// The source's name: the file path, or `<trace>` for unnamed text.
        source_name: String,
        /// One-based line in the source.
        line: usize,
        /// One-based column in that line.
        column: usize,
        /// Zero-based index of the fact being read, when the error is in a fact.
        fact_index: Option<usize>,
        /// What is wrong and what was expected, quoting the input only by excerpts.
        what: String,
    },
    /// The source could not be read at all.
    #[error("{source_name}: cannot read: {what}")]
    Unreadable {
        /// The source's name: the file path.
        source_name: String,
        /// The I/O error, as the system words it.
        what: String,
    },
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

/// The one-based line and byte column of byte `offset` of `text`.
pub(super) fn position_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
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
pub(super) fn describe_in(
    error: &serde_json::Error,
    line_text: &str,
    shape: &Shape,
) -> (usize, String) {
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
pub(super) fn describe(error: &serde_json::Error, line_text: &str) -> (usize, String) {
    if let Some(problem) = number_problem(line_text) {
        return problem;
    }
    (column_of(error, line_text), shorten(&strip_position(error)))
}

/// The first number of a JSON line that no field of the formats can hold: one with a fraction
/// or an exponent (every number of the formats is an integer), above 2^64-1 or below -2^63;
/// its column and what is wrong, naming the key it is the value of.
pub(super) fn number_problem(line_text: &str) -> Option<(usize, String)> {
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
pub(super) fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}
