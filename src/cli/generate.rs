//! `generate`: random coherent traces (the generators of `check`), written as JSON Lines files
//! `case-NNNNN.jsonl` that `replay`, `explain` and any implementation can read.

use std::path::PathBuf;

use clap::Args;
use proptest::strategy::{Strategy as _, ValueTree as _};
use proptest::test_runner::Config;

use super::{CliError, Outcome, Printer, ProfileArgs, profile_flags, progress, shell_quote};
use crate::check::Seed;
use crate::generators;
use crate::model;
use crate::report::Summary;
use crate::trace::{Trace, write_trace};

#[derive(Clone, Debug, Args)]
pub struct GenerateArgs {
    /// How many traces to write.
    #[arg(long, default_value_t = 100)]
    pub cases: u32,

    /// The seed (a decimal u64, or up to 64 hex digits); printed first. Default: random.
    #[arg(long)]
    pub seed: Option<String>,

    /// The folder to write the traces to (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The profile written in each trace's header; under `upstream`, only facts upstream can
    /// express are drawn.
    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub(super) fn run(args: GenerateArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let seed =
        Seed::from_arg(args.seed.as_deref()).map_err(|error| CliError::Usage(error.to_string()))?;
    let profile = args.profile.profile()?;
    printer.line(format_args!(
        "seed: {} (replay: review-spec generate --seed {} --cases {}{} --out {})",
        seed.text,
        shell_quote(&seed.text),
        args.cases,
        profile_flags(&profile),
        shell_quote(&args.out.display().to_string())
    ));
    std::fs::create_dir_all(&args.out).map_err(|error| CliError::io(&args.out, error))?;
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = seed.runner(config);
    let strategy = generators::case();
    let mut summary = Summary::new("generate", profile);
    summary.seed = Some(seed.text.clone());
    let bar = progress::bar(u64::from(args.cases), json);
    for index in 0..args.cases {
        let case = strategy
            .new_tree(&mut runner)
            .map_err(|reason| CliError::Usage(format!("the generator gave up: {reason}")))?
            .current()
            .expressible_under(&profile);
        let path = args.out.join(format!("case-{index:05}.jsonl"));
        let trace = Trace {
            profile,
            ..case.trace()
        };
        super::write_file(&path, &write_trace(&trace))?;
        summary.cases += 1;
        summary.facts += case.facts.len();
        summary.add_hits(&model::reduce_with_hits(&case.facts, &case.limits, &profile).1);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        let mut value = summary.to_json_value(Outcome::Agree.exit_code());
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "out".to_owned(),
                serde_json::Value::String(args.out.display().to_string()),
            );
        }
        super::print_json(&value);
    } else {
        printer.line(format_args!(
            "wrote {} traces to {}",
            summary.cases,
            args.out.display()
        ));
        printer.line(summary.render(super::summary_style()));
    }
    Ok(Outcome::Agree)
}
