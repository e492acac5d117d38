//! `merge`: the `--json` summaries of every shard of one `check --shard K/N` run, combined into
//! the summary of the whole run ([`crate::check::merge::merge`]). Prints it like `check` does
//! (text, or JSON with `--json`) and exits as the unsharded run would: 1 if it found a failure.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, Outcome, Printer};
use crate::check::merge::merge;

#[derive(Clone, Debug, Args)]
pub struct MergeArgs {
    /// The shards' summaries (`review-spec --json check --shard K/N ... > shard-K.json`), in any
    /// order, every shard once.
    #[arg(required = true, value_name = "SUMMARY")]
    pub summaries: Vec<PathBuf>,

    /// The largest summary read, in bytes (a summary is one JSON document, held whole).
    #[arg(long, value_name = "BYTES", default_value_t = crate::trace::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
}

pub(super) fn run(args: MergeArgs, json: bool) -> Result<Outcome, CliError> {
    let mut inputs = Vec::with_capacity(args.summaries.len());
    for path in &args.summaries {
        let bytes = crate::input::read_bounded(path, args.max_file_bytes)
            .map_err(|error| CliError::io(path, error))?;
        let text = String::from_utf8(bytes).map_err(|error| {
            CliError::io(
                path,
                format!("invalid UTF-8 at byte {}", error.utf8_error().valid_up_to()),
            )
        })?;
        inputs.push((path.display().to_string(), text));
    }
    let merged = merge(&inputs).map_err(|error| CliError::Usage(error.to_string()))?;
    for note in &merged.notes {
        let _ = writeln!(std::io::stderr(), "review-spec: note: {note}");
    }
    let summary = merged.summary;
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        Printer { json }.line(summary.render(super::summary_style()));
    }
    Ok(outcome)
}
