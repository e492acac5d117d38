//! `vectors`: the conformance vectors against a subject ([`crate::conformance::run_vectors`]),
//! compared with their `expected` outputs exactly as `spec/vectors/README.md` says. Reports
//! pass/fail per rule ID, and each failing case by full name (with its diff when `--verbose`).

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, Outcome, Printer, ProfileArgs, SubjectArgs, make_subject, progress};
use crate::conformance::{Filter, Progress, Suite, SuiteError, VectorOptions, run_vectors};

#[derive(Clone, Debug, Args)]
pub struct VectorsArgs {
    /// The folder of vector files (searched recursively for `*.json`, without following symlinks
    /// to folders), or one vector file. Default: the vectors of spec/vectors built into the tool.
    pub dir: Option<PathBuf>,

    /// Comma-separated terms matched against full names `family/file/case`: a case runs when it
    /// contains a positive term (or there is none) and no term prefixed with `-`.
    #[arg(long)]
    pub filter: Option<String>,

    /// Show the diff of each failing case.
    #[arg(long, short)]
    pub verbose: bool,

    /// Stop after this many failing cases (0: run every case whatever fails).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_failures: usize,

    /// The largest vector file read, in bytes (a vector file is one JSON document, held whole).
    #[arg(long, value_name = "BYTES", default_value_t = crate::trace::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,

    /// Go on after a case in which the subject timed out. By default the run stops there: a
    /// subject that hangs usually hangs on every case, and each would cost a timeout.
    #[arg(long)]
    pub keep_going_after_timeout: bool,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub(super) fn run(args: VectorsArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    // Without DIR: the vectors shipped inside the binary, whatever the current folder.
    let suite = match &args.dir {
        Some(dir) => Suite::load_limited(dir, args.max_file_bytes),
        None => Suite::bundled(),
    }
    .map_err(CliError::from)?;
    for skipped in &suite.skipped {
        let _ = writeln!(
            std::io::stderr(),
            "review-spec: note: skipping {}: a symlink to a folder (not followed)",
            skipped.display()
        );
    }
    let profile = args.profile.profile()?;
    let options = VectorOptions {
        profile,
        filter: Filter::parse(args.filter.as_deref()),
        max_failures: args.max_failures,
        keep_going_after_timeout: args.keep_going_after_timeout,
    };
    let mut subject = make_subject(&args.subject, &profile)?;
    let mut bar = None;
    let summary = run_vectors(
        subject.as_mut(),
        &suite,
        &options,
        &mut |event| match event {
            Progress::Started { cases } => bar = Some(progress::bar(cases as u64, json)),
            Progress::Case { .. } => bar.iter().for_each(|bar| bar.inc(1)),
            Progress::Failed(failure) if args.verbose => {
                let print = || printer.line(format_args!("{}\n", failure.colored()));
                match &bar {
                    Some(bar) => bar.suspend(print),
                    None => print(),
                }
            }
            Progress::Failed(_) => {}
        },
    )
    .map_err(|error| match error {
        // Nothing selected is a usage mistake; name the filter when there is one.
        SuiteError::Empty(what) => match &args.filter {
            Some(filter) if what.contains("the filter") => {
                CliError::Usage(what.replace("the filter", &format!("the filter {filter:?}")))
            }
            _ => CliError::Usage(what),
        },
        other => CliError::from(other),
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.render(super::summary_style()));
        if !summary.failures.is_empty() && !args.verbose {
            printer.line("(--verbose shows the diff of each failing case)");
        }
    }
    Ok(outcome)
}
