//! `schema`: the JSON Schemas of traces, facts, outputs and vector files (`schema::schemas()`),
//! the same text as the checked-in `spec/schema/`. Printed (each after a `# NAME` line; with
//! `--json`, as one object by file name), or written to a folder with `--out`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value};

use super::{CliError, Outcome, Printer};

#[derive(Clone, Debug, Args)]
pub struct SchemaArgs {
    /// Write each schema as DIR/NAME instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub(super) fn run(args: SchemaArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let schemas = crate::schema::schemas();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|error| CliError::io(dir, error))?;
        let mut written = Vec::new();
        for (name, text) in &schemas {
            let path = dir.join(name);
            super::write_file(&path, text)?;
            written.push(path.display().to_string());
        }
        if json {
            let summary =
                serde_json::json!({"command": "schema", "written": written, "exit_code": 0});
            super::print_json(&summary);
        } else {
            printer.line(format_args!(
                "summary: wrote {} schemas: {}",
                written.len(),
                written.join(", ")
            ));
        }
        return Ok(Outcome::Agree);
    }
    if json {
        let mut object = Map::new();
        for (name, text) in &schemas {
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            object.insert((*name).to_owned(), value);
        }
        super::print_json(&Value::Object(object));
    } else {
        for (name, text) in &schemas {
            printer.line(format_args!("# {name}\n{}", text.trim_end()));
        }
    }
    Ok(Outcome::Agree)
}
