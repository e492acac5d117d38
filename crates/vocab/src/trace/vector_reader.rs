//! Reading vector files: one JSON document, read whole up to a size bound, then each case checked
//! against the rules the format sets beyond its schema.

use std::sync::OnceLock;

use crate::event::Emitted;
use crate::shape::Shape;

use super::error::{
    BOM, BOM_MESSAGE, TraceError, excerpt, misplaced_array, number_problem, position_of, shorten,
    strip_position,
};
use super::format::{
    UpstreamExpectation, VECTOR_FORMAT_VERSION, VectorCase, VectorFile, limits_problem,
};
use super::writer::to_json;

/// The largest vector file read, in bytes, unless told otherwise (`--max-file-bytes`). The
/// checked-in vector files are a few kilobytes each.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;

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
    check_cases(&file, text, source_name)?;
    Ok(file)
}

/// Checks what the schema cannot say of each case: a unique name, valid limits, and expected
/// outputs that fit the case's facts. An error is positioned at the offending case's name.
fn check_cases(file: &VectorFile, text: &str, source_name: &str) -> Result<(), TraceError> {
    let mut names = std::collections::BTreeMap::new();
    for case in &file.cases {
        let occurrence = names.get(case.name.as_str()).copied().unwrap_or(0);
        let problem = if names.insert(case.name.as_str(), occurrence + 1).is_some() {
            Some(format!("duplicate case name {:?}", case.name))
        } else {
            case_problem(case)
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
    Ok(())
}

/// Why one case, taken alone, is not valid (its limits, its history traces' limits, or its
/// expected outputs), if it is not.
fn case_problem(case: &VectorCase) -> Option<String> {
    let upstream = match &case.upstream {
        Some(UpstreamExpectation::Expected(outputs)) => outputs.as_slice(),
        _ => &[],
    };
    if let Some(problem) = limits_problem(&case.limits) {
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
    }
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

/// The shape of a vector file, from its JSON Schema (built once).
fn vector_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(Shape::of::<VectorFile>)
}
