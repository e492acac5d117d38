//! JSON Schemas of the wire formats, generated from the Rust types (schemars), so the checked-in
//! `spec/schema/*.schema.json` can never drift from what the code reads and writes: a test
//! regenerates them and compares (`UPDATE_SCHEMA=1` rewrites them).

use crate::event::Emitted;
use crate::fact::Fact;
use crate::trace::{TraceHeader, VectorFile};

/// Every schema as (file name under `spec/schema/`, pretty JSON text with a final newline).
pub fn schemas() -> Vec<(&'static str, String)> {
    let render = |schema: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    };
    vec![
        (
            "trace-header.schema.json",
            render(schemars::schema_for!(TraceHeader)),
        ),
        ("fact.schema.json", render(schemars::schema_for!(Fact))),
        ("output.schema.json", render(schemars::schema_for!(Emitted))),
        (
            "vector.schema.json",
            render(schemars::schema_for!(VectorFile)),
        ),
    ]
}
