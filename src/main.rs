//! `review-spec`: the command-line tool. Parsing and the subcommands live in
//! `review_spec::cli`; this maps their result to an exit code: 0 all agree, 1 a divergence
//! (or a failing subject) was found, 2 a usage or input error (clap's own errors included).

use std::process::ExitCode;

use clap::Parser as _;
use review_spec::cli::{self, Cli, CliError};

fn main() -> ExitCode {
    // Usage errors exit with 2, `--help` and `--version` with 0 (clap's convention, ours too).
    let cli = Cli::parse();
    let json = cli.json;
    match cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            if json && !error.reported_in_json() {
                let report = serde_json::json!({
                    "error": error.to_string(),
                    "exit_code": CliError::EXIT_CODE,
                });
                println!("{report}");
            }
            eprintln!("review-spec: error: {error}");
            ExitCode::from(CliError::EXIT_CODE)
        }
    }
}
