//! The `review-spec` command-line tool: the harness as a program that implementers in any
//! language run against their reducer (a subject process speaking `spec/protocol.md`) or against
//! the built-in production reducer.
//!
//! One file per subcommand (`check`, `merge`, `vectors`, `replay`, `explain`, `schema`,
//! `generate`, `serve`); the
//! run summary with its rule-coverage table is in `summary`, the progress bar in `progress`.
//! This is the I/O boundary of the crate with its users: it reads files, writes files, prints and
//! starts processes; the rules, the generators and the differ stay below it and stay pure.
//!
//! Exit codes (see [`Outcome`] and [`CliError`]): 0 when every case agrees, 1 when a divergence
//! (or a subject failure: crash, hang, garbage) was found, 2 for a usage or input error; 130 and
//! 143 when interrupted by SIGINT and SIGTERM (`src/main.rs`; every subject process killed first).

mod check;
mod explain;
mod generate;
mod merge;
mod progress;
mod replay;
mod schema;
mod serve;
mod vectors;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::event::Limits;
use crate::profile::Profile;
use crate::reducer::Reducer;
use crate::subject::process::{DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW};
use crate::subject::{ProcessSubject, Subject, SubjectError};
use crate::trace::{
    DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LINE_BYTES, TraceError, TraceReader,
    read_vector_file_limited,
};

/// The property-tested specification harness for Codex review analytics.
///
/// Diffs the reference model of spec/rules.md against a subject: the built-in production
/// reducer, or any program speaking the process protocol of spec/protocol.md
/// (`--subject-cmd "python3 examples/python/subject.py"`). Exit codes: 0 all agree, 1 a
/// divergence was found, 2 usage or input error, 130/143 interrupted (SIGINT/SIGTERM).
#[derive(Debug, Parser)]
#[command(name = "review-spec", version)]
pub struct Cli {
    /// Print the summary as one JSON object on stdout (for CI), and nothing else there.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diff the model against a subject on random generated scenarios; shrink and save a failure.
    Check(check::CheckArgs),
    /// Combine the `--json` summaries of every shard of a `check --shard K/N` run into one.
    Merge(merge::MergeArgs),
    /// Run the conformance vectors (spec/vectors/ or DIR) against a subject.
    Vectors(vectors::VectorsArgs),
    /// Run one trace (.jsonl) or vector file (.json) through the model and a subject.
    Replay(replay::ReplayArgs),
    /// For each output of the model on a trace or vector file: its rules and source facts.
    Explain(explain::ExplainArgs),
    /// Print (or write) the JSON Schemas of traces, facts, outputs and vectors.
    Schema(schema::SchemaArgs),
    /// Write random coherent traces as JSON Lines.
    Generate(generate::GenerateArgs),
    /// Serve the built-in reducer as a subject process on stdin and stdout (spec/protocol.md):
    /// `check --subject-cmd "review-spec serve"`.
    Serve(serve::ServeArgs),
}

/// Which subject to run: the built-in reducer, or a process.
#[derive(Clone, Debug, Args)]
pub struct SubjectArgs {
    /// Run this command as the subject (split like a shell's simple command; for pipes or
    /// variables use `sh -c '...'`). Default: the built-in production reducer.
    #[arg(long, value_name = "CMD ARGS")]
    pub subject_cmd: Option<String>,

    /// Per-fact timeout of a subject process, in milliseconds; a subject that takes longer is
    /// killed and reported.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,

    /// How many facts the tool writes to a subject process ahead of the answers it has read
    /// (protocol version 4; a subject of version 3 or 2 runs lock-step). Verdicts and
    /// counterexamples are the same for any window; only their speed differs.
    #[arg(long, value_name = "FACTS", default_value_t = DEFAULT_WINDOW,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65_536))]
    pub window: usize,
}

/// Which profile the model (and the subject, told in the protocol header) follows.
#[derive(Clone, Debug, Default, Args)]
pub struct ProfileArgs {
    /// `spec` (the rules of spec/rules.md) or `upstream` (upstream's behaviour wherever the spec
    /// departs from it: spec/rules.md, "Departures from upstream"). Default: `spec`, or the
    /// profile a trace or saved counterexample records.
    #[arg(long, value_name = "BASE")]
    pub profile: Option<String>,

    /// Take the other side of the profile on this rule (repeatable): `--profile upstream
    /// --depart DEDUP-1` is upstream's behaviour except that DEDUP-1 applies.
    #[arg(long, value_name = "RULE")]
    pub depart: Vec<String>,
}

impl ProfileArgs {
    /// The profile asked for, or `default` when no flag was given.
    fn profile_or(&self, default: Profile) -> Result<Profile, CliError> {
        if self.profile.is_none() && self.depart.is_empty() {
            return Ok(default);
        }
        let base = self.profile.as_deref().unwrap_or(default.base.name());
        Profile::parse(base, &self.depart).map_err(|error| CliError::Usage(error.to_string()))
    }

    /// The profile asked for, `spec` by default.
    fn profile(&self) -> Result<Profile, CliError> {
        self.profile_or(Profile::SPEC)
    }
}

/// The `--profile`/`--depart` part of a command that replays under the same profile.
fn profile_flags(profile: &Profile) -> String {
    profile.flags()
}

/// How a run ended, when it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every case agreed (exit code 0).
    Agree,
    /// A divergence or a subject failure was found (exit code 1).
    Diverged,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Agree => 0,
            Outcome::Diverged => 1,
        }
    }

    fn of(failures: usize) -> Outcome {
        if failures == 0 {
            Outcome::Agree
        } else {
            Outcome::Diverged
        }
    }
}

/// A usage or input error: the run could not be done (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A trace or vector file is malformed; the error names file, line, column and fact index.
    #[error(transparent)]
    Input(#[from] TraceError),
    /// A file or folder could not be read or written.
    #[error("{path}: {what}")]
    Io { path: String, what: String },
    /// The arguments do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// The subject could not be started, or does not speak the protocol.
    #[error(transparent)]
    Subject(#[from] SubjectError),
    /// `serve` met input that is not the protocol, or could not write its answers.
    #[error(transparent)]
    Serve(#[from] crate::subject::ServeError),
    /// An error met after `--json` output began streaming; the command already closed its JSON
    /// object with the error, so nothing more goes to stdout.
    #[error(transparent)]
    AfterJson(Box<CliError>),
}

impl From<crate::conformance::SuiteError> for CliError {
    fn from(error: crate::conformance::SuiteError) -> CliError {
        use crate::conformance::SuiteError;
        match error {
            SuiteError::Unreadable { path, what } => CliError::Io { path, what },
            SuiteError::Input(error) => CliError::Input(error),
            SuiteError::Empty(what) => CliError::Usage(what),
            SuiteError::Subject(error) => CliError::Subject(error),
        }
    }
}

impl CliError {
    /// The process exit code of any error.
    pub const EXIT_CODE: u8 = 2;

    /// Whether the error is already reported in the JSON on stdout.
    pub fn reported_in_json(&self) -> bool {
        matches!(self, CliError::AfterJson(_))
    }

    fn io(path: &Path, error: impl std::fmt::Display) -> CliError {
        CliError::Io {
            path: path.display().to_string(),
            what: error.to_string(),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    let json = cli.json;
    match cli.command {
        Command::Check(args) => check::run(args, json),
        Command::Merge(args) => merge::run(args, json),
        Command::Vectors(args) => vectors::run(args, json),
        Command::Replay(args) => replay::run(args, json),
        Command::Explain(args) => explain::run(args, json),
        Command::Schema(args) => schema::run(args, json),
        Command::Generate(args) => generate::run(args, json),
        Command::Serve(args) => serve::run(args),
    }
}

/// The subject of `args`. A process is started at once, so that a command that does not exist or
/// does not speak the protocol is a usage error (exit 2), not a failing case.
fn make_subject(args: &SubjectArgs, profile: &Profile) -> Result<Box<dyn Subject>, CliError> {
    let Some(command) = &args.subject_cmd else {
        return Ok(Box::new(Reducer::with_profile(Limits::default(), *profile)));
    };
    let mut subject = ProcessSubject::new(command, Duration::from_millis(args.timeout_ms))?
        .with_window(args.window);
    subject.reset(Limits::default(), profile)?;
    Ok(Box::new(subject))
}

/// The `--subject-cmd` part of a command that replays with the same subject.
fn subject_flag(args: &SubjectArgs) -> String {
    match &args.subject_cmd {
        Some(command) => format!(" --subject-cmd {}", shell_quote(command)),
        None => String::new(),
    }
}

use crate::regression::shell_quote;

/// Text for stdout, unless the run prints JSON (then stdout holds the JSON summary only).
struct Printer {
    json: bool,
}

impl Printer {
    /// Prints `text` and a line break; colors (of diffs) only where [`colors_wanted`].
    fn line(&self, text: impl std::fmt::Display) {
        if self.json {
            return;
        }
        let mut text = text.to_string();
        if !colors_wanted() {
            text = crate::report::strip_colors(&text);
        }
        text.push('\n');
        write_stdout(&text);
    }
}

/// Whether stdout gets ANSI colors: it is a terminal, and `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
pub fn colors_wanted() -> bool {
    colors_for(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// Colors on a terminal unless `NO_COLOR` holds a non-empty value.
fn colors_for(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

/// How the tool prints a summary at the end of a run: the failures were printed in full as they
/// were found, so only their `FAIL` lines again.
fn summary_style() -> crate::report::TextStyle {
    crate::report::TextStyle {
        failures_in_full: false,
        color: colors_wanted(),
    }
}

/// Writes `text` to stdout and flushes it. Standard output that is a closed pipe (`| head`) ends
/// the program quietly with status 141, as SIGPIPE would; any other write error (a full disk) is
/// reported on stderr and ends it with status 2. Either way it never panics.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        drop(out);
        stdout_failed(&error);
    }
}

/// Writes `value` to stdout as pretty JSON and a line break (see [`write_stdout`]).
fn print_json(value: &impl serde::Serialize) {
    write_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    ));
}

/// The exit status of a program that wrote to a closed pipe (128 + SIGPIPE).
pub const BROKEN_PIPE_EXIT_CODE: i32 = 141;

fn stdout_failed(error: &std::io::Error) -> ! {
    // `exit` runs no destructor: the subjects' process groups are killed, and the temporary
    // files being written removed, here.
    crate::subject::kill_all_subjects();
    let _temporary_files = crate::regression::remove_temporary_files();
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(BROKEN_PIPE_EXIT_CODE);
    }
    let _ = writeln!(
        std::io::stderr(),
        "review-spec: error: cannot write to standard output: {error}"
    );
    std::process::exit(i32::from(CliError::EXIT_CODE));
}

/// How much of an input file is read: a trace streams line by line, a vector file is read
/// whole.
#[derive(Clone, Debug, Args)]
pub struct ReadArgs {
    /// The longest trace line read, in bytes; a longer line is an input error (and is not read
    /// further).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,

    /// The largest vector file read, in bytes (a vector file is one JSON document, held whole).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
}

/// An opened input file: a trace, read fact by fact, or the cases of a vector file.
enum Input {
    Trace {
        name: String,
        /// The profile the flags ask for, or else the trace header's.
        profile: Profile,
        reader: TraceReader<std::io::BufReader<std::fs::File>>,
    },
    Cases(Vec<InputCase>),
}

/// One fact sequence of a vector file, as `replay` and `explain` run it.
struct InputCase {
    name: String,
    limits: Limits,
    profile: Profile,
    facts: Vec<crate::fact::Fact>,
    /// Traces to run first in the same fresh subject process (a vector case's `history`).
    history: Vec<crate::trace::HistoryTrace>,
    /// The outputs the vector file expects under the case's profile, where it says.
    expected: Option<Vec<crate::event::Emitted>>,
}

/// Opens a trace (`.jsonl`: its header is read) or reads a vector file (anything else, normally
/// `.json`); each case runs under the profile the flags ask for, or else the one the file
/// records (a trace's header, a saved counterexample's `profile`).
fn open_input(path: &Path, flags: &ProfileArgs, read: &ReadArgs) -> Result<Input, CliError> {
    let file_name = path.display().to_string();
    if path
        .extension()
        .is_some_and(|extension| extension == "jsonl")
    {
        let reader = TraceReader::open(path, read.max_line_bytes)?;
        return Ok(Input::Trace {
            name: file_name,
            profile: flags.profile_or(reader.profile())?,
            reader,
        });
    }
    let file = read_vector_file_limited(path, read.max_file_bytes)?;
    let cases = file
        .cases
        .into_iter()
        .map(|case| {
            let profile = flags.profile_or(case.profile.unwrap_or_default())?;
            let expected = match case.expectation(&profile) {
                crate::trace::Expectation::Outputs(outputs) => Some(outputs.to_vec()),
                _ => None,
            };
            Ok(InputCase {
                name: format!("{file_name}: {}", case.name),
                limits: case.limits,
                profile,
                facts: case.facts,
                history: case.history,
                expected,
            })
        })
        .collect::<Result<_, CliError>>()?;
    Ok(Input::Cases(cases))
}

/// Writes `contents` to `path` whole or not at all, never through a symlink
/// ([`crate::regression::write_atomically`]).
fn write_file(path: &Path, contents: &str) -> Result<(), CliError> {
    crate::regression::write_atomically(path, contents.as_bytes())
        .map_err(|error| CliError::io(path, error))
}

/// The default folder of the conformance vectors, relative to the current directory.
fn default_vector_dir() -> PathBuf {
    PathBuf::from("spec/vectors")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_colors_off_unless_empty() {
        let set = std::ffi::OsStr::new("1");
        let empty = std::ffi::OsStr::new("");
        assert!(colors_for(true, None));
        assert!(colors_for(true, Some(empty)));
        assert!(!colors_for(true, Some(set)));
        assert!(!colors_for(false, None));
    }

    #[test]
    fn colors_are_stripped_and_text_kept() {
        assert_eq!(
            crate::report::strip_colors("\u{1b}[31m<    \"status\"\u{1b}[0m: x"),
            "<    \"status\": x"
        );
        assert_eq!(shell_quote("python3 a.py"), "'python3 a.py'");
        assert_eq!(shell_quote("spec/x-1.json"), "spec/x-1.json");
        // Whatever it quotes, a shell splits back into the one word.
        for text in ["it's", "a \"b\" c", "$HOME", "back\\slash", "tab\there", ""] {
            let quoted = shell_quote(text);
            assert_eq!(
                crate::subject::process::split_command(&format!("x {quoted}")),
                Ok(vec!["x".to_owned(), text.to_owned()]),
                "{quoted}"
            );
        }
    }
}
