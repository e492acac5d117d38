//! `replay`: one trace (`.jsonl`) or vector file (`.json`, every case) through the model and a
//! subject; prints the first divergence with its diff and rule IDs, or that they agree. Under a
//! profile of the `upstream` base, a sequence with a fact upstream cannot express does not apply:
//! it is skipped, with the reason.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Outcome, Printer, ProfileArgs, SubjectArgs, input_cases, make_subject};
use crate::diff;
use crate::model;
use crate::profile::{Base, first_inexpressible};
use crate::report::{Failure, Summary};

#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// A trace (`.jsonl`) or a vector file (`.json`).
    pub file: PathBuf,

    #[command(flatten)]
    pub subject: SubjectArgs,

    #[command(flatten)]
    pub profile: ProfileArgs,
}

pub(super) fn run(args: ReplayArgs, json: bool) -> Result<Outcome, CliError> {
    let printer = Printer { json };
    let cases = input_cases(&args.file, &args.profile)?;
    let first_profile = cases.first().map(|case| case.profile).unwrap_or_default();
    let mut subject = make_subject(&args.subject, &first_profile)?;
    let mut summary = Summary::new("replay", first_profile);
    summary.subject = Some(subject.name());
    summary.set_compared(subject.emits());
    for case in cases {
        let (name, limits, profile, facts) = (case.name, case.limits, case.profile, case.facts);
        let history = case.history;
        if profile.base == Base::Upstream
            && let Some((index, why)) = first_inexpressible(&facts)
        {
            let reason = format!("not applicable to upstream: fact {index}: {why}");
            printer.line(format_args!("{name}: {reason}"));
            summary.skip(&name, reason);
            continue;
        }
        summary.cases += 1;
        summary.facts += facts.len();
        summary.add_hits(&model::reduce_with_hits(&facts, &limits, &profile).1);
        // A case with a history runs in a fresh process after it; one without, in the process
        // as it is (a fresh one for the first case).
        let compared = if history.is_empty() {
            diff::first_divergence(subject.as_mut(), &facts, &limits, &profile)
        } else {
            diff::first_divergence_after(subject.as_mut(), &history, &facts, &limits, &profile)
        };
        match compared {
            Ok(None) => printer.line(format_args!(
                "{name}: agrees ({} fact{})",
                facts.len(),
                if facts.len() == 1 { "" } else { "s" }
            )),
            Ok(Some(divergence)) => {
                printer.line(format_args!("{name}:\n{divergence}"));
                summary.failures.push(Failure {
                    name,
                    kind: "divergence".to_owned(),
                    fact_index: Some(divergence.fact_index),
                    rules: divergence.rules.iter().map(|r| (*r).to_owned()).collect(),
                    message: divergence.to_string(),
                    saved: None,
                    replay: None,
                    save_error: None,
                });
            }
            Err(error) => {
                printer.line(format_args!("{name}: {error}"));
                summary.failures.push(Failure {
                    name,
                    kind: error.kind().to_owned(),
                    fact_index: error.fact_index(),
                    rules: Vec::new(),
                    message: error.to_string(),
                    saved: None,
                    replay: None,
                    save_error: None,
                });
            }
        }
    }
    let outcome = Outcome::of(summary.failures.len());
    if json {
        super::write_stdout(&format!("{}\n", summary.to_json(outcome.exit_code())));
    } else {
        printer.line(summary.to_text());
    }
    Ok(outcome)
}
