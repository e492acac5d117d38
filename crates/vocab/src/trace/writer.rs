//! Writing the two formats: a trace as JSON Lines, a vector file in the checked-in layout.

use std::fmt::Write as _;

use serde::Serialize;

use super::format::{
    TRACE_FORMAT_VERSION, Trace, TraceHeader, UpstreamExpectation, VectorFile, is_default_limits,
};

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

pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing our own derive(Serialize) types to a string cannot fail: they have no maps with
    // non-string keys and no custom serializers.
    serde_json::to_string(value).unwrap_or_default()
}

fn to_json_line<T: Serialize>(value: &T) -> String {
    let mut line = to_json(value);
    line.push('\n');
    line
}
