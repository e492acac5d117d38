//! `review-spec`: the command-line tool. Parsing and the subcommands live in
//! `review_spec::cli`; this maps their result to an exit code: 0 all agree, 1 a divergence
//! (or a failing subject) was found, 2 a usage or input error (clap's own errors included), 141
//! standard output was a closed pipe (as SIGPIPE would end it), 130 and 143 interrupted by SIGINT
//! and SIGTERM (every subject process killed first).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
mod cli;

use cli::{Cli, CliError};
use review_spec::{check, conformance, diff, regression, report, schema, subject};
use review_spec_generators as generators;
use review_spec_model as model;
use review_spec_reducer as reducer;
use review_spec_vocab::{event, fact, input, profile, trace};

fn main() -> ExitCode {
    // SIGINT and SIGTERM kill every subject process group, then exit 130 and 143.
    review_spec::subject::kill_subjects_on_signals();
    // Usage errors exit with 2, `--help` and `--version` with 0 (clap's convention, ours too);
    // help that cannot be written (a full disk) is an error, as any write to stdout is.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => error.exit(),
        Err(error) => {
            let text = if cli::colors_wanted() {
                error.render().ansi().to_string()
            } else {
                error.render().to_string()
            };
            cli::write_stdout(&text);
            return ExitCode::SUCCESS;
        }
    };
    let json = cli.json;
    match cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            if json && !error.reported_in_json() {
                let report = serde_json::json!({
                    "error": error.to_string(),
                    "exit_code": CliError::EXIT_CODE,
                });
                cli::write_stdout(&format!("{report}\n"));
            }
            // Nothing is left to say if stderr is gone too.
            let _ = writeln!(std::io::stderr(), "review-spec: error: {error}");
            ExitCode::from(CliError::EXIT_CODE)
        }
    }
}
