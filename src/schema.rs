//! JSON Schemas of the wire formats, generated from the Rust types (schemars), so the checked-in
//! `spec/schema/*.schema.json` can never drift from what the code reads and writes: a test
//! regenerates them and compares (`UPDATE_SCHEMA=1` rewrites them). Each has an `$id` under the
//! repository's address, and a title.

use crate::event::Emitted;
use crate::fact::Fact;
use crate::report::JsonSummary;
use crate::subject::process::{SubjectMessage, ToolMessage};
use crate::trace::{TraceHeader, VectorFile};

/// Where the schemas live, as the base of their `$id`s.
pub const SCHEMA_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/raw/main/spec/schema/");

/// Every schema as (file name under `spec/schema/`, pretty JSON text with a final newline).
pub fn schemas() -> Vec<(&'static str, String)> {
    let render = |name: &str, title: &str, mut schema: schemars::Schema| {
        schema.insert("$id".to_owned(), format!("{SCHEMA_BASE}{name}").into());
        schema.insert("title".to_owned(), title.into());
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    };
    let table: [(&'static str, &str, schemars::Schema); 7] = [
        (
            "trace-header.schema.json",
            "The first line of a review-spec trace",
            schemars::schema_for!(TraceHeader),
        ),
        (
            "fact.schema.json",
            "A fact: one line of a trace after its header",
            schemars::schema_for!(Fact),
        ),
        (
            "output.schema.json",
            "An output of a fact, with the index of that fact",
            schemars::schema_for!(Emitted),
        ),
        (
            "vector.schema.json",
            "A conformance vector file",
            schemars::schema_for!(VectorFile),
        ),
        (
            "protocol-tool.schema.json",
            "A line the tool writes to a subject process",
            schemars::schema_for!(ToolMessage),
        ),
        (
            "protocol-subject.schema.json",
            "A line a subject process writes to the tool",
            schemars::schema_for!(SubjectMessage),
        ),
        (
            "summary.schema.json",
            "The JSON summary of a run (--json)",
            schemars::schema_for!(JsonSummary<'static>),
        ),
    ];
    table
        .into_iter()
        .map(|(name, title, schema)| (name, render(name, title, schema)))
        .collect()
}
