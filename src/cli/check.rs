//! `check`: the model against a subject on random generated scenarios, through the library's
//! [`crate::check::run_check`] (per-case seeds, `--jobs` worker threads, `--shard K/N`).
//!
//! Prints the seed first (the run replays from it), then runs the cases; the first failing case
//! (a divergence, or a subject that crashes, hangs or prints garbage) is shrunk by deleting
//! facts, printed with its diff and rule IDs, and saved as a vector file. A hang is reported on
//! the case as drawn: each shrinking step would cost a timeout.

use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, Outcome, Printer, ProfileArgs, SubjectArgs, make_subject, progress};
use crate::check::{CheckEvent, CheckOptions, Seed, Shard, run_check};
use crate::subject::SubjectError;

#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// How many random cases the run has (all shards together).
    #[arg(long, default_value_t = 1000)]
    pub cases: u64,

    /// The seed (a decimal u64, or up to 64 hex digits such as a git commit hash); printed first.
    /// Default: a random seed.
    #[arg(long)]
    pub seed: Option<String>,

    /// Worker threads, each with its own subject (process). The cases run, the first failure and
    /// the summary are the same for any number. Default: the available cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,

    /// Run only the K-th of N contiguous slices of the run's cases (1-based), for splitting one
    /// seeded run across machines; `review-spec merge` combines the shards' `--json` summaries.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,

    /// Where to write the counterexample as a vector file. Default: spec/vectors/regressions/ if
    /// it exists, else the current directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub(super) fn run(args: CheckArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let seed =
        Seed::from_arg(args.seed.as_deref()).map_err(|error| CliError::Usage(error.to_string()))?;
    let profile = args.profile.profile()?;
    let out = args.out.clone().unwrap_or_else(|| {
        let regressions = super::default_vector_dir().join("regressions");
        if regressions.is_dir() {
            regressions
        } else {
            PathBuf::from(".")
        }
    });
    let options = CheckOptions {
        seed,
        cases: args.cases,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        jobs: args.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            NonZeroUsize::get,
        ),
        profile,
        out: Some(out),
        subject_flags: super::subject_flag(&args.subject),
    };
    printer.line(format_args!(
        "seed: {} (replay: {})",
        options.seed.text,
        options.command()
    ));
    let make = || {
        make_subject(&args.subject, &profile).map_err(|error| match error {
            CliError::Subject(error) => error,
            other => SubjectError::Spawn {
                subject: args.subject.subject_cmd.clone().unwrap_or_default(),
                what: other.to_string(),
            },
        })
    };
    let shard_cases = options.shard.cases(options.cases);
    let bar = progress::bar(shard_cases.end - shard_cases.start, json);
    let summary = run_check(&make, &options, &mut |event| match event {
        CheckEvent::Progress { done, .. } => bar.set_position(done),
        CheckEvent::Line(line) => {
            bar.suspend(|| printer.line(line));
        }
    });
    bar.finish_and_clear();
    let summary = summary?;
    for failure in &summary.failures {
        if let Some(error) = &failure.save_error {
            let _ = writeln!(
                std::io::stderr(),
                "review-spec: error: cannot save the counterexample: {error}"
            );
        }
    }
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.render(super::summary_style()));
    }
    Ok(outcome)
}
